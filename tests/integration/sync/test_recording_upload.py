"""A recording's encrypted audio follows its row to the real server, once, byte for byte."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import delete

from models import Recording, SyncState
from sync.engine import AUDIO_PREFIX, SyncEngine
from sync.transport import HttpTransport
from tests.support.sync_clients import LocalStore

pytestmark = pytest.mark.integration


def signed_in(store: LocalStore, url: str, username: str, password: str) -> SyncEngine:
    engine = SyncEngine(store.sessions, HttpTransport(url))
    engine.sign_in(username=username, password=password)
    assert engine.sync_once().ok
    return engine


def record(store: LocalStore, audio: bytes | None) -> uuid.UUID:
    with store.sessions.begin() as s:
        recording = Recording(duration_seconds=3.5, size_bytes=len(audio or b""), audio=audio)
        s.add(recording)
        s.flush()
        return recording.id


def test_the_encrypted_audio_is_uploaded_after_its_row_and_only_once(sync_server, local_store):
    user, pw = sync_server.user("doctor")
    engine = signed_in(local_store, sync_server.url, user, pw)
    try:
        # What the app stores: nonce + AES-GCM ciphertext. The engine must send exactly this.
        ciphertext = os.urandom(12) + os.urandom(48_000)
        recording_id = record(local_store, ciphertext)

        first = engine.sync_once()
        assert first.ok and first.applied == 1 and first.uploaded == 1
        assert engine.transport.get_recording_audio(recording_id) == ciphertext

        again = engine.sync_once()
        assert again.ok and again.uploaded == 0
        with local_store.sessions() as s:
            marker = s.get(SyncState, AUDIO_PREFIX + str(recording_id))
            assert marker is not None and len(marker.value) == 64
    finally:
        engine.close()


def test_an_upload_repeated_after_a_crash_stores_the_same_bytes(sync_server, local_store):
    user, pw = sync_server.user("doctor")
    engine = signed_in(local_store, sync_server.url, user, pw)
    try:
        ciphertext = os.urandom(20_000)
        recording_id = record(local_store, ciphertext)
        assert engine.sync_once().uploaded == 1
        # The workstation died after the upload, before it wrote down that it was done.
        with local_store.sessions.begin() as s:
            s.execute(delete(SyncState).where(SyncState.key == AUDIO_PREFIX + str(recording_id)))
        repeat = engine.sync_once()
        assert repeat.ok and repeat.uploaded == 1
        assert engine.transport.get_recording_audio(recording_id) == ciphertext
    finally:
        engine.close()


def test_audio_waits_until_its_row_is_on_the_server_and_silent_recordings_send_nothing(
    sync_server, local_store, tmp_path: Path
):
    user, pw = sync_server.user("doctor")
    engine = signed_in(local_store, sync_server.url, user, pw)
    other = LocalStore(tmp_path / "other.db")
    reader = signed_in(other, sync_server.url, user, pw)
    try:
        silent = record(local_store, None)
        assert engine.sync_once().uploaded == 0
        assert engine._recordings_to_upload() == []

        ciphertext = os.urandom(5_000)
        waiting = record(local_store, ciphertext)
        with local_store.sessions() as s:
            assert s.get(Recording, waiting).version is None
        assert waiting not in engine._recordings_to_upload(), "no upload before the row is pushed"
        report = engine.sync_once()
        assert report.uploaded == 1
        assert silent not in engine._recordings_to_upload()

        # The other workstation pulls the row but not the audio: it has nothing to upload, and
        # fetches the audio from the server when it needs it.
        assert reader.sync_once().ok
        with other.sessions() as s:
            pulled = s.get(Recording, waiting)
            assert pulled is not None and pulled.audio is None
        assert reader._recordings_to_upload() == []
        assert reader.transport.get_recording_audio(waiting) == ciphertext
    finally:
        for e, store in ((engine, None), (reader, other)):
            e.close()
            if store is not None:
                store.close()
