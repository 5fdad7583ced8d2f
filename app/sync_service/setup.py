"""A new workstation, set up from the server.

A practice's workstation starts from the server's data, not from a seed: :func:`setup_workstation`
makes an empty encrypted profile, signs in, downloads the user's schedule window, patients, staff
and practice (reporting progress), and records the account as the profile's user, so the profile
then unlocks like any other. A setup that fails part-way leaves no half-made profile behind.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.services import practice, users
from app.store import create_store
from app.sync_service.connection import SyncService, check_ca_file, check_server_url, check_window
from clinicdesk.errors import NotFoundError, StoreError, SyncError, ValidationError
from models.enums import Role

if TYPE_CHECKING:
    from app.store.keys import KdfParams


@dataclass(frozen=True)
class SetupProgress:
    """What the first sync is doing (for the user) and how many records have arrived so far."""

    step: str
    received: int = 0


@dataclass(frozen=True)
class WorkstationSetup:
    profile_dir: Path
    username: str
    full_name: str
    received: int
    #: the CA certificate file the profile verifies the server with (None: the usual authorities)
    ca_file: str | None = None


def setup_workstation(
    profile_dir: Path,
    *,
    profile_password: str,
    server_url: str,
    username: str,
    server_password: str,
    device_name: str = "workstation",
    progress: Callable[[SetupProgress], None] | None = None,
    kdf: KdfParams | None = None,
    ca_file: str | Path | None = None,
    window_days: tuple[int, int] | None = None,
    new_server_password: str | None = None,
) -> WorkstationSetup:
    """Makes a profile from the server: an empty encrypted store, signed in as ``username``, filled
    by a first sync, then owned by that account so it unlocks with ``profile_password``.

    ``ca_file`` is the practice's CA certificate when the server's certificate comes from the
    practice's own authority, and ``window_days`` the days of schedule before and after today to
    download; both are kept in the profile for its later syncs. A bad CA file is refused before
    anything is made.

    Runs on a worker (argon2 and the download take seconds). Any failure removes what was made, so
    the user can simply try again; an existing profile is never touched. ``new_server_password``
    answers the server's demand for one (PasswordChangeRequired: an administrator reset it)."""
    url = check_server_url(server_url)
    if not username.strip() or not server_password:
        raise ValidationError("enter the sync username and password")
    if profile_dir.exists() and (not profile_dir.is_dir() or any(profile_dir.iterdir())):
        raise StoreError(f"{profile_dir.name} already holds a profile; unlock it instead of setting it up")
    window = check_window(window_days) if window_days is not None else None
    ca_path = check_ca_file(ca_file)
    received = 0

    def tell(step: str) -> None:
        if progress is not None:
            progress(SetupProgress(step, received))

    def count(n: int) -> None:
        nonlocal received
        received += n
        tell("Downloading the practice's records…")

    existed = profile_dir.exists()
    tell("Creating the encrypted profile…")
    store = create_store(profile_dir, profile_password, display_name=username.strip(), kdf=kdf)
    service = SyncService(store, url, on_received=count)
    done = False
    try:
        service.set_ca_file(ca_path)
        service.set_window_days(window)
        tell("Signing in to the sync server…")
        service.sign_in(
            username=username,
            password=server_password,
            device_name=device_name,
            new_password=new_server_password,
        )
        account = service.signed_in_as() or username.strip()
        tell("Downloading the practice's records…")
        report = service.sync_now()
        if report.errors:
            raise SyncError(
                f"the first sync did not finish ({report.errors[0]}); nothing was kept, try again"
            )
        with store.session() as session:
            try:
                user = users.by_username(session, account)
            except NotFoundError:
                user = None
            # Day one: the administrator's own workstation is where the practice gets set up.
            if user is None or (practice.find_practice(session) is None and user.role is not Role.ADMIN):
                raise SyncError(
                    "the sync server has no practice set up for this account yet; "
                    "ask your administrator to set it up, then try again"
                ) from None
            full_name = user.full_name
        store.meta.display_name = full_name
        store.set_owner(account)
        tell("Done")
        done = True
        return WorkstationSetup(profile_dir, account, full_name, received, ca_path)
    finally:
        service.close()
        store.close()
        if not done:
            _discard(profile_dir, keep_folder=existed)


def _discard(profile_dir: Path, *, keep_folder: bool) -> None:
    """Removes a half-made profile (only ever one this module just created)."""
    if not keep_folder:
        shutil.rmtree(profile_dir, ignore_errors=True)
        return
    for child in profile_dir.iterdir():
        if child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
