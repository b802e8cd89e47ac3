"""Every test the hazard log cites exists, so the log cannot point at a control that is gone."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "clinical-safety.md"


def test_every_cited_test_file_and_function_exists():
    text = DOC.read_text()
    files = set(re.findall(r"(tests/[\w/]+\.py)", text))
    names = set(re.findall(r"::(\w+)", text)) | set(re.findall(r"\(`(test_\w+)`", text))
    assert len(files) >= 12 and len(names) >= 15
    sources = "\n".join(path.read_text() for path in (ROOT / "tests").rglob("test_*.py"))
    missing = [path for path in files if not (ROOT / path).exists()]
    missing += [name for name in names if f"def {name}(" not in sources]
    assert missing == []
