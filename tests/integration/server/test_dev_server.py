"""``clinicdesk-server --dev DATA_DIR`` as a real process: it comes up with its own databases, says
where and how to sign in, and takes both databases down with it when stopped."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

URL_LINE = re.compile(r"ClinicDesk sync service on (http://\S+)")
ADMIN_LINE = re.compile(r"first admin credential: username (\S+) password (\S+)")
#: Generous: only there so a broken start-up fails the test instead of hanging it.
START_DEADLINE = 180


def server_command() -> list[str]:
    script = shutil.which("clinicdesk-server", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "server.cli"]


class DevServer:
    def __init__(self, data_dir: Path, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLINICDESK_")}
        env.pop("MONGODB_URL", None)  # its own MongoDB-wire server, as a developer would get
        self.proc = subprocess.Popen(
            [*server_command(), "--dev", str(data_dir), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern: re.Pattern[str]) -> re.Match[str]:
        while True:
            try:
                line = self.lines.get(timeout=START_DEADLINE)
            except queue.Empty:
                pytest.fail(f"no {pattern.pattern!r} from the server; it said: {''.join(self.output)}")
            if line is None:
                pytest.fail(f"the server exited ({self.proc.wait()}); it said: {''.join(self.output)}")
            self.output.append(line)
            found = pattern.search(line)
            if found:
                return found

    def stop(self, sig: signal.Signals) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=120)

    def healthy(self, url: str) -> httpx.Response:
        """The URL is announced just before the port opens: wait for the first answer."""
        while True:
            try:
                return httpx.get(f"{url}/health", timeout=30)
            except httpx.ConnectError:
                if self.proc.poll() is not None:
                    pytest.fail(f"the server exited; it said: {''.join(self.output)}")
                self.proc_wait(0.2)

    def proc_wait(self, seconds: float) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=seconds)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def processes_using(data_dir: Path) -> dict[int, str]:
    """Live processes whose command line names ``data_dir`` (its postgres and MongoDB-wire server)."""
    needle = str(data_dir.resolve()).encode()
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in cmdline and state != "Z":
            found[int(pid)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return found


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / f"dev-{uuid.uuid4().hex[:6]}"
    yield path
    # If the test failed, still leave no database server of ours behind.
    for pid in processes_using(path):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_dev_server_runs_its_own_databases_and_stops_them_on_sigterm_and_sigint(data_dir: Path):
    first = DevServer(data_dir)
    try:
        url = first.wait_for(URL_LINE).group(1)
        username, password = first.wait_for(ADMIN_LINE).groups()
        health = first.healthy(url)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        login = httpx.post(
            f"{url}/auth/login",
            json={"username": username, "password": password, "device_id": str(uuid.uuid4())},
            timeout=30,
        )
        assert login.status_code == 200 and login.json()["user"]["role"] == "admin"
        assert len(processes_using(data_dir)) >= 2, "postgres and the MongoDB-wire server run in DATA_DIR"
        assert first.stop(signal.SIGTERM) in (0, 130)
    finally:
        first.kill()
    assert processes_using(data_dir) == {}, "SIGTERM left database processes behind"

    # The data directory is reusable: same databases, same admin, stopped with Ctrl-C this time.
    second = DevServer(data_dir)
    try:
        url = second.wait_for(URL_LINE).group(1)
        assert second.wait_for(ADMIN_LINE).groups() == (username, password)
        assert second.healthy(url).status_code == 200
        assert second.stop(signal.SIGINT) in (0, 130)
    finally:
        second.kill()
    assert processes_using(data_dir) == {}, "SIGINT left database processes behind"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_dev_server_without_demo_data_holds_only_its_administrator(data_dir: Path):
    """``--no-demo``: an empty practice to try day one on, with the administrator alone (user name
    admin) and no practice record yet."""
    server = DevServer(data_dir, "--no-demo")
    try:
        url = server.wait_for(URL_LINE).group(1)
        username, password = server.wait_for(ADMIN_LINE).groups()
        assert username == "admin"
        server.healthy(url)
        device = str(uuid.uuid4())
        login = httpx.post(
            f"{url}/auth/login",
            json={"username": username, "password": password, "device_id": device},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}", "X-ClinicDesk-Protocol": "1"}
        pulled = httpx.get(f"{url}/sync/pull", params={"cursor": 0}, headers=headers, timeout=30).json()
        assert [(r["entity"], r["values"]["username"]) for r in pulled["records"]] == [("users", "admin")]
        demo = httpx.post(
            f"{url}/auth/login",
            json={"username": "dr.demo", "password": "clinicdesk-demo", "device_id": str(uuid.uuid4())},
            timeout=30,
        )
        assert demo.status_code == 401, "no demo accounts"
        assert not any("demo users" in line for line in server.output)
        assert server.stop(signal.SIGTERM) in (0, 130)
    finally:
        server.kill()
