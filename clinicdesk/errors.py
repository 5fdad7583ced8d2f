"""The one exception tree user-facing errors come from.

A ClinicDeskError's message is shown to the user as it is (one line on the command line, a dialog in
the app), so it must say what went wrong and what to do, and must never contain patient data.
Shared by every layer, so it lives outside them.
"""

from __future__ import annotations


class ClinicDeskError(Exception):
    """An error the user can act on. ``exit_code`` is the command line's exit status for it."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(ClinicDeskError):
    exit_code = 2


class NotFoundError(ClinicDeskError):
    exit_code = 3


class AuthenticationError(ClinicDeskError):
    """Wrong password, locked-out profile, expired token."""

    exit_code = 4


class PasswordChangeRequired(AuthenticationError):
    """An administrator reset the password: the next sign-in chooses a new one of the user's own."""


class StoreError(ClinicDeskError):
    """A profile that is missing, corrupt, foreign or unusable."""

    exit_code = 5


class ValidationError(ClinicDeskError):
    """Input that breaks a rule (a booking outside business hours, a note that is already signed)."""

    exit_code = 6


class PermissionDeniedError(ClinicDeskError):
    exit_code = 7


class SpeechError(ClinicDeskError):
    """A missing or broken speech model, an unreadable audio file, no microphone."""

    exit_code = 8


class SyncError(ClinicDeskError):
    exit_code = 9
