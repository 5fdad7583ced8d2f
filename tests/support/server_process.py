"""The sync service as a real HTTP server (uvicorn) in its own process, for the integration tests and
the sync benchmarks: started over given databases, killed as a crash would kill it, or stopped."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from server.embedded import free_port
from server.settings import Settings

SERVER_SCRIPT = """
import uvicorn
from server.api.main import create_app
from server.settings import load_settings
settings = load_settings().check()
app = create_app(settings)
uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False)
"""
#: the settings handed to the child through its environment (CLINICDESK_<NAME>)
PASSED_SETTINGS = (
    "database_url",
    "mongodb_url",
    "mongodb_db",
    "host",
    "port",
    "jwt_secret",
    "pool_size",
    "threads",
    "access_ttl_seconds",
)


@dataclass
class ServerProcess:
    """The sync service as a real HTTP server in its own process, so it can be killed and restarted."""

    settings: Settings
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for name in PASSED_SETTINGS:
            env["CLINICDESK_" + name.upper()] = str(getattr(self.settings, name))
        return env

    def start(self) -> ServerProcess:
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-c", SERVER_SCRIPT], env=self.env(), stdout=log, stderr=log
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sync server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError("sync server did not come up")

    def kill(self) -> None:
        """Die at once, as a crash would: no graceful shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None


def server_settings(
    *, database_url: str, mongodb_url: str, mongodb_db: str, port: int | None = None
) -> Settings:
    """Settings for a server on loopback with a fresh signing secret (a free port unless given)."""
    return Settings(
        database_url=database_url,
        mongodb_url=mongodb_url,
        mongodb_db=mongodb_db,
        host="127.0.0.1",
        port=port or free_port(),
        jwt_secret=secrets.token_urlsafe(48),
        pool_size=10,
    ).check()
