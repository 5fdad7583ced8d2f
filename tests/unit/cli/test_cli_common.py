"""Where a profile command finds its password, in order: option, environment, standard input."""

from __future__ import annotations

import argparse
import io
import json
import uuid
from collections.abc import Iterator
from datetime import date, datetime

import pytest

from app.cli import common
from clinicdesk.errors import UsageError
from models.enums import AppointmentStatus


class _Stdin(io.StringIO):
    def __init__(self, text: str, *, tty: bool = False) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.fixture(autouse=True)
def _fresh_stdin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(common.PASSWORD_ENV, raising=False)
    monkeypatch.setattr("sys.stdin", _Stdin(""))
    common.stdin_lines.cache_clear()
    yield
    common.stdin_lines.cache_clear()


def _args(password: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(password=password)


def test_the_option_comes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(common.PASSWORD_ENV, "from env")
    monkeypatch.setattr("sys.stdin", _Stdin("from stdin\n"))
    assert common.read_password(_args("from option")) == "from option"


def test_the_environment_comes_before_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(common.PASSWORD_ENV, "from env")
    monkeypatch.setattr("sys.stdin", _Stdin("from stdin\n"))
    assert common.read_password(_args()) == "from env"


def test_standard_input_gives_its_first_line_without_the_newline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin("  spaces kept  \r\nsecond line\n"))
    assert common.read_password(_args()) == "  spaces kept  "
    assert common.stdin_lines() == ("  spaces kept  ", "second line")


def test_a_terminal_is_never_read_because_the_password_would_echo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin("typed\n", tty=True))
    with pytest.raises(UsageError, match="no password given"):
        common.read_password(_args())


def test_no_password_anywhere_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="CLINICDESK_PASSWORD"):
        common.read_password(_args())


def test_json_output_writes_ids_dates_and_enums_as_plain_strings() -> None:
    ident = uuid.UUID(int=7)
    text = common.to_json(
        {
            "id": ident,
            "day": date(2026, 11, 18),
            "at": datetime(2026, 11, 18, 9),
            "s": AppointmentStatus.CONFIRMED,
        }
    )
    assert json.loads(text) == {
        "id": str(ident),
        "day": "2026-11-18",
        "at": "2026-11-18T09:00:00",
        "s": "confirmed",
    }


def test_a_malformed_day_is_a_usage_error() -> None:
    assert common.parse_day(None) is None
    assert common.parse_day("2026-11-18") == date(2026, 11, 18)
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        common.parse_day("tomorrow")
