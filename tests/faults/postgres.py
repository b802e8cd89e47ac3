"""A throwaway PostgreSQL cluster (``initdb`` and ``pg_ctl`` on a free port in a temporary
folder), to stop and start without touching the shared one on 5432.

PostgreSQL refuses to run as root: as root, its commands run as the ``postgres`` user
(``runuser``), which owns the folder.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shlex
import shutil
import subprocess
from pathlib import Path

from tests.faults.processes import free_port


def server_binaries() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with initdb (Debian's layout), if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    return Path(found[-1]).parent if found else None


def client(program: str) -> str:
    """The full path of a client program (Debian package postgresql-client)."""
    path = shutil.which(program)
    if path is None:
        raise RuntimeError(f"{program} is not installed (Debian package postgresql-client)")
    return path


def _version(path: str) -> int:
    return int(Path(path).parts[-3].split(".")[0])


class ThrowawayCluster:
    """``initdb`` in ``folder``, started on a free loopback port; :meth:`destroy` at the end."""

    def __init__(self, folder: Path) -> None:
        binaries = server_binaries()
        assert binaries is not None
        self.bin = binaries
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            owner = pwd.getpwnam("postgres")
            os.chown(folder, owner.pw_uid, owner.pw_gid)
        initdb = ["-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]
        self._run("initdb", *initdb, "--locale", "C")
        self.start()

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {shlex.quote(str(self.folder))} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``fast`` ends every session, as a restart by an operator does."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def psql(self, database: str, sql: str) -> None:
        subprocess.run(
            [client("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url(database)],
            input=sql.encode(),
            check=True,
            capture_output=True,
            timeout=120,
        )
