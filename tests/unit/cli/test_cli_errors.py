"""Every way a profile command can fail: one line on stderr, a non-zero exit, never a traceback."""

from __future__ import annotations

import hashlib
import os
import shlex
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.store.profile import DB_FILE, PROFILE_FILE, read_meta, write_meta
from tests.support.profiles import PASSWORD

from .conftest import Run, assert_one_line_error

ENV = {"CLINICDESK_PASSWORD": PASSWORD}


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()}


@pytest.mark.parametrize("command", ["schedule", "patients"])
def test_a_wrong_password_is_one_clear_line(run_cli: Run, profile: Path, command: str) -> None:
    db_before = _digest(profile)[DB_FILE]
    extra = ["--search", "smi"] if command == "patients" else []
    result = run_cli(command, "--profile", str(profile), *extra, env={"CLINICDESK_PASSWORD": "nope nope"})
    assert_one_line_error(result, command, "wrong password")
    assert result.returncode == 4
    assert _digest(profile)[DB_FILE] == db_before


def test_no_password_at_all_is_a_usage_error(run_cli: Run, profile: Path) -> None:
    result = run_cli("schedule", "--profile", str(profile))
    assert_one_line_error(result, "schedule", "no password given")
    assert result.returncode == 2


def test_a_missing_profile_is_reported(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("schedule", "--profile", str(tmp_path / "nowhere"), env=ENV)
    assert_one_line_error(result, "schedule", "no such profile")
    assert result.returncode == 5


def test_a_random_file_given_as_profile_is_refused_and_untouched(run_cli: Run, tmp_path: Path) -> None:
    path = tmp_path / "random.bin"
    path.write_bytes(os.urandom(10_000))
    before = path.read_bytes()
    result = run_cli("patients", "--profile", str(path), "--search", "a", env=ENV)
    assert_one_line_error(result, "patients", "not a profile folder")
    assert path.read_bytes() == before


def test_a_corrupt_profile_file_is_refused_and_untouched(run_cli: Run, profile: Path) -> None:
    (profile / PROFILE_FILE).write_bytes(b'{"format": "clinicdesk-profile", "key": ')
    before = _digest(profile)
    result = run_cli("schedule", "--profile", str(profile), env=ENV)
    assert_one_line_error(result, "schedule", "corrupt")
    assert _digest(profile) == before


def test_a_corrupt_database_is_refused_in_one_line_and_untouched(run_cli: Run, profile: Path) -> None:
    (profile / DB_FILE).write_bytes(os.urandom(64 * 1024))
    before = _digest(profile)
    result = run_cli("schedule", "--profile", str(profile), env=ENV)
    assert_one_line_error(result, "schedule", "corrupt or not a ClinicDesk database")
    assert _digest(profile) == before


def test_a_locked_out_profile_refuses_even_the_right_password(run_cli: Run, profile: Path) -> None:
    meta = read_meta(profile)
    meta.failed_attempts = 10
    meta.locked_until = (datetime.now(UTC) + timedelta(minutes=15)).isoformat()
    write_meta(profile, meta)
    result = run_cli("schedule", "--profile", str(profile), env=ENV)
    assert_one_line_error(result, "schedule", "locked")
    assert result.returncode == 4


def test_wrong_passwords_through_the_cli_are_counted_and_then_make_the_user_wait(
    run_cli: Run, profile: Path
) -> None:
    wrong = {"CLINICDESK_PASSWORD": "still wrong"}
    assert_one_line_error(run_cli("schedule", "--profile", str(profile), env=wrong), "schedule", "wrong")
    meta = read_meta(profile)
    assert meta.failed_attempts == 1
    meta.failed_attempts = 5
    meta.next_attempt_at = (datetime.now(UTC) + timedelta(seconds=30)).isoformat()
    write_meta(profile, meta)
    throttled = run_cli("schedule", "--profile", str(profile), env=ENV)
    assert_one_line_error(throttled, "schedule", "wait")
    assert throttled.returncode == 4


def test_an_unknown_clinician_is_reported(run_cli: Run, profile: Path) -> None:
    result = run_cli("schedule", "--profile", str(profile), "--clinician", "dr.nobody", env=ENV)
    assert_one_line_error(result, "schedule")
    assert result.returncode == 3


def test_a_malformed_date_is_a_usage_error(run_cli: Run, profile: Path) -> None:
    result = run_cli("schedule", "--profile", str(profile), "--date", "18/11/2026", env=ENV)
    assert_one_line_error(result, "schedule", "YYYY-MM-DD")


def test_seeding_over_an_existing_profile_is_refused(run_cli: Run, profile: Path) -> None:
    before = _digest(profile)
    result = run_cli("seed", "--profile", str(profile), env=ENV)
    assert_one_line_error(result, "seed", "not empty")
    assert _digest(profile) == before


def test_seeding_an_impossible_size_is_refused(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("seed", "--profile", str(tmp_path / "p"), "--patients", "0", env=ENV)
    assert_one_line_error(result, "seed", "--patients")
    assert not (tmp_path / "p").exists()


def test_demo_profile_without_the_variable_is_a_usage_error(run_cli: Run) -> None:
    assert_one_line_error(run_cli("demo-profile", "--password-env"), "demo-profile", "CLINICDESK_PASSWORD")


def _clinicdesk_env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLINICDESK_")}
    return {**base, **ENV, "CLINICDESK_HOME": str(tmp_path / "home")}


def test_a_command_piped_into_head_ends_quietly(profile: Path, tmp_path: Path) -> None:
    """As Unix tools do: the reader took what it wanted; no "internal error", no traceback."""
    command = (
        f"set -o pipefail; {shlex.quote(sys.executable)} -m clinicdesk patients --profile "
        f"{shlex.quote(str(profile))} --search a --format json | head -n 1"
    )
    done = subprocess.run(
        ["bash", "-c", command], env=_clinicdesk_env(tmp_path), capture_output=True, text=True, timeout=120
    )
    assert done.stdout == "{\n" and done.stderr == ""
    assert done.returncode in (0, 141)  # 141: ended by the closed pipe, like any Unix tool


def test_output_to_a_reader_that_has_gone_ends_with_sigpipes_status_and_says_nothing(
    profile: Path, tmp_path: Path
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "clinicdesk", "schedule", "--profile", str(profile), "--format", "json"],
        env=_clinicdesk_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()  # the reader is gone before the first line is written
    errors = child.stderr.read()
    child.stderr.close()
    assert child.wait(timeout=120) == 128 + signal.SIGPIPE
    assert errors == b""
