"""A practice's own certificate authority, and the real sync server serving TLS with a certificate it
issued, for the tests of the "CA certificate" setting.

The CA and the server's certificate are made afresh for each test session (practice_ca.py), so
nothing here is trusted by the system: exactly the situation of a practice whose IT person runs
``clinicdesk-server`` with ``CLINICDESK_TLS_CERT`` / ``CLINICDESK_TLS_KEY`` from their own CA.

The server is the real ``clinicdesk-server`` command in its own process, configured through its
environment as a deployment is, over the integration suite's own PostgreSQL database and MongoDB-wire
server (the ``sync_server`` fixture's): the service is stateless, so this second instance shares them
rather than starting another database. A test module loads these fixtures with
``pytest_plugins = ["tests.integration.sync.tls_support"]``.
"""

from __future__ import annotations

import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import SyncServer
from tests.integration.sync.practice_ca import PracticeCa, make_practice_ca
from tests.support.server_process import ServerProcess, server_settings

START_SECONDS = 90


@dataclass(kw_only=True)
class TlsServer(ServerProcess):
    """The real ``clinicdesk-server`` command (which serves TLS when its settings name a certificate
    and key, as a deployment's do) in its own process, with the practice CA's certificate. It stops
    and dies as tests.support.server_process.ServerProcess does; it starts through the command itself."""

    ca: PracticeCa

    @property
    def url(self) -> str:
        return f"https://{self.settings.host}:{self.settings.port}"

    def env(self) -> dict[str, str]:
        env = super().env()
        assert self.settings.tls_cert and self.settings.tls_key
        env["CLINICDESK_TLS_CERT"], env["CLINICDESK_TLS_KEY"] = self.settings.tls_cert, self.settings.tls_key
        return env

    def start(self) -> TlsServer:
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "server.cli"], env=self.env(), stdout=log, stderr=log
            )
        trusted = ssl.create_default_context(cafile=str(self.ca.ca_pem))
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"clinicdesk-server exited with {self.proc.returncode}; see {self.log_path}"
                )
            try:
                if httpx.get(self.url + "/health", timeout=1, verify=trusted).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"clinicdesk-server with TLS did not come up; see {self.log_path}")


def start_tls_server(server: SyncServer, ca: PracticeCa, log_path: Path) -> TlsServer:
    """A TLS instance over ``server``'s databases, on a port of its own."""
    settings = server_settings(
        database_url=server.database_url, mongodb_url=server.mongodb_url, mongodb_db=server.mongodb_db
    )
    settings = replace(settings, tls_cert=str(ca.server_cert), tls_key=str(ca.server_key), pool_size=4)
    return TlsServer(settings, log_path, ca=ca).start()


@pytest.fixture(scope="session")
def practice_ca(tmp_path_factory: pytest.TempPathFactory) -> PracticeCa:
    return make_practice_ca(tmp_path_factory.mktemp("practice-ca"))


@pytest.fixture(scope="module")
def tls_server(
    sync_server: SyncServer, practice_ca: PracticeCa, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TlsServer]:
    """Per module, not per session: tests/ui and tests/integration each have their own
    ``sync_server`` (sync_fixtures.py re-registers the integration conftest's fixtures), and this
    server must share the database of the one the requesting test's accounts were made on."""
    server = start_tls_server(sync_server, practice_ca, tmp_path_factory.mktemp("tls-server") / "server.log")
    try:
        yield server
    finally:
        server.stop()
