"""``clinicdesk sync`` on a profile folder that does not exist yet sets it up from the real server,
run as a script would run it (its own process, passwords on standard input or in the environment).

A workstation starts from the server's data, so the server first holds what a practice's front desk
would have put there: the practice, a doctor account and a patient booked for that doctor."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from models import Patient
from server.embedded import free_port
from tests.integration.conftest import SyncServer
from tests.support.sync_clients import book_on_server, create_user

pytestmark = pytest.mark.integration

SERVER_PASSWORD = "correct horse battery"
PROFILE_PASSWORD = "exam-room-3 profile"
TIMEOUT = 300


@dataclass(frozen=True)
class Account:
    server_url: str
    username: str
    mrn: str


@pytest.fixture
def account(sync_server: SyncServer, tmp_path: Path) -> Account:
    """A doctor account on a server that knows the practice, with one patient booked for them."""
    username = f"doctor-{uuid.uuid4().hex[:10]}"
    doctor_id = uuid.UUID(create_user(sync_server.database_url, username=username, role="doctor"))
    mrn = f"MRN{uuid.uuid4().int % 10**10:010d}"  # the form the patient search reads as an MRN
    # a whole hour, so the booking rules (checked on push) accept it whatever the time of day
    in_two_hours = (datetime.now(UTC) + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    book_on_server(
        sync_server.url,
        tmp_path / "front-desk.db",
        manager=sync_server.user("admin"),
        patient=Patient(mrn=mrn, first_name="Iris", last_name="Vale", date_of_birth=date(1983, 9, 14)),
        doctor_id=doctor_id,
        start=in_two_hours,
        reason="review",
    )
    return Account(sync_server.url, username, mrn)


def clinicdesk(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command in its own process; no password leaks in from the test's environment."""
    base = {k: v for k, v in os.environ.items() if k == "CLINICDESK_HOME" or not k.startswith("CLINICDESK_")}
    return subprocess.run(
        [sys.executable, "-m", "clinicdesk", *args],
        input=stdin,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    """A user error is one line on standard error, with nothing on standard output."""
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("clinicdesk sync: error: "), done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def test_a_missing_profile_is_set_up_from_the_server_and_then_syncs_like_any_other(
    account: Account, tmp_path: Path
) -> None:
    profile = tmp_path / "workstations" / "exam-room-3"
    # Both passwords on standard input, profile first, as `clinicdesk passwd` takes its two.
    made = clinicdesk(
        "sync", "--profile", str(profile), "--server", account.server_url, "--username", account.username,
        stdin=f"{PROFILE_PASSWORD}\n{SERVER_PASSWORD}\n",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    summary = json.loads(made.stdout)
    assert summary["set_up"] is True and summary["username"] == account.username
    assert summary["profile"] == str(profile) and summary["received"] > 0
    assert made.stderr == ""  # progress is for a terminal, not for a script's log

    # The profile unlocks with its own password as the doctor, and holds the server's records.
    found = clinicdesk(
        "patients", "--profile", str(profile), "--search", account.mrn, "--format", "json",
        env={"CLINICDESK_PASSWORD": PROFILE_PASSWORD},
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert [p["mrn"] for p in json.loads(found.stdout)["results"]] == [account.mrn]

    # From now on it is an existing profile: a plain sync, the stored sign-in, no username needed.
    again = clinicdesk(
        "sync", "--profile", str(profile), "--server", account.server_url,
        env={"CLINICDESK_PASSWORD": PROFILE_PASSWORD},
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert "set_up" not in report and report["errors"] == []
    # what unlocking for the search wrote (the sign-in time, the audit of the search) goes up
    assert report["pushed"] == report["applied"] and report["conflicts"] == report["rejected"] == 0

    # The profile's password not matching is said in one line, and the profile is left as it was.
    wrong = clinicdesk(
        "sync", "--profile", str(profile), "--server", account.server_url,
        env={"CLINICDESK_PASSWORD": "not the profile password"},
    )  # fmt: skip
    assert wrong.returncode == 4
    line = one_line_error(wrong)
    assert f"the profile {profile} did not unlock: wrong password" in line
    assert "not the profile password" not in line
    # So is another account than the one the profile belongs to.
    other = clinicdesk(
        "sync", "--profile", str(profile), "--server", account.server_url, "--username", "someone-else",
        env={"CLINICDESK_PASSWORD": PROFILE_PASSWORD},
    )  # fmt: skip
    assert other.returncode == 9
    refused = one_line_error(other)
    assert f"this profile syncs as {account.username}; it cannot sync as someone-else" in refused
    assert clinicdesk(
        "sync", "--profile", str(profile), "--server", account.server_url,
        env={"CLINICDESK_PASSWORD": PROFILE_PASSWORD},
    ).returncode == 0  # fmt: skip


def test_a_wrong_server_password_is_said_in_one_line_and_leaves_no_profile(
    account: Account, tmp_path: Path
) -> None:
    profile = tmp_path / "exam-room-4"
    done = clinicdesk(
        "sync", "--profile", str(profile), "--server", account.server_url, "--username", account.username,
        env={"CLINICDESK_PASSWORD": PROFILE_PASSWORD, "CLINICDESK_SERVER_PASSWORD": "not the server pw"},
    )  # fmt: skip
    assert done.returncode == 4
    line = one_line_error(done)
    assert line.startswith("clinicdesk sync: error: sync sign-in failed")
    assert "check --username and the server password" in line and line.endswith("no profile was made")
    assert "not the server pw" not in line
    assert not profile.exists()


def test_an_unreachable_server_is_said_in_one_line_and_an_empty_folder_is_left_empty(tmp_path: Path) -> None:
    profile = tmp_path / "exam-room-5"
    profile.mkdir()  # made ready by IT beforehand: it is kept, and nothing is left in it
    done = clinicdesk(
        "sync", "--profile", str(profile), "--server", f"http://127.0.0.1:{free_port()}",
        "--username", "dr.nobody", "--server-password", SERVER_PASSWORD,
        env={"CLINICDESK_PASSWORD": PROFILE_PASSWORD},
    )  # fmt: skip
    assert done.returncode == 9
    line = one_line_error(done)
    assert line.startswith("clinicdesk sync: error: cannot reach the sync server")
    assert line.endswith("check --server and the network; no profile was made")
    assert profile.is_dir() and list(profile.iterdir()) == []


def test_setting_up_needs_a_username_and_a_long_enough_profile_password(tmp_path: Path) -> None:
    profile = tmp_path / "exam-room-6"
    server = f"http://127.0.0.1:{free_port()}"  # never reached: both are refused before any of it
    no_user = clinicdesk(
        "sync", "--profile", str(profile), "--server", server, env={"CLINICDESK_PASSWORD": PROFILE_PASSWORD}
    )
    assert no_user.returncode == 2
    assert "is not a profile yet; to set it up from the server, give --username" in one_line_error(no_user)
    short = clinicdesk(
        "sync", "--profile", str(profile), "--server", server, "--username", "dr.nobody",
        env={"CLINICDESK_PASSWORD": "short"},
    )  # fmt: skip
    assert short.returncode == 6
    assert "the password must have at least 8 characters" in one_line_error(short)
    assert not profile.exists()
