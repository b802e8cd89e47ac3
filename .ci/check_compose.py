"""No Docker engine runs on CI machines: check docker-compose.yml by reading it."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {"postgres", "redis", "web", "worker", "beat"}


def main() -> int:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose.get("services", {})
    problems = [f"missing service {name!r}" for name in sorted(REQUIRED - services.keys())]
    for name in ("web", "worker", "beat"):
        service = services.get(name, {})
        if "command" not in service:
            problems.append(f"{name}: no command")
        env = service.get("environment", {})
        for var in ("DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY"):
            if var not in env:
                problems.append(f"{name}: {var} not set")
    if not (ROOT / "Dockerfile").exists():
        problems.append("Dockerfile missing")
    for problem in problems:
        print(f"docker-compose.yml: {problem}")
    print("docker-compose.yml: ok" if not problems else "docker-compose.yml: FAILED")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
