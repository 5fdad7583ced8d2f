"""Whisper's answers kept on disk by audio, for tuning the text passes on the dev set quickly.

Decoding is deterministic (temperature 0, no dither in the test audio), so the same audio with the same
prompt always gives the same text and the same scores: a second run of the dev set with changed rules
can reuse them and take minutes instead of most of an hour. Only for tuning: the figures reported come
from runs without it (its real-time factor means nothing).
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np


def _key(*parts: Any) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.tobytes() if isinstance(part, np.ndarray) else json.dumps(part).encode())
    return digest.hexdigest()


def remember(engine: Any, folder: Path) -> None:
    """Wraps the engine's Whisper calls (one decoding, scoring, primed decoding) and the second
    engine's transcription with a memo."""
    whisper = engine.accurate
    folder.mkdir(parents=True, exist_ok=True)
    store = folder / f"{whisper.model}.pkl"
    memo: dict[str, Any] = pickle.loads(store.read_bytes()) if store.exists() else {}
    from audio.whisper_engine import SCORE_REVISION

    tag = [whisper.model, whisper.initial_prompt, whisper.hotwords]

    def save() -> None:
        store.write_bytes(pickle.dumps(memo))

    def wrap(name: str, owner: Any = whisper) -> None:
        original = getattr(owner, name)

        def call(audio: Any, *args: Any, **kwargs: Any) -> Any:
            revision = [SCORE_REVISION] if name == "score_texts" else []
            key = _key(
                name, tag, *revision, np.asarray(audio, dtype=np.float32), list(args), sorted(kwargs.items())
            )
            if key not in memo:
                memo[key] = original(audio, *args, **kwargs)
                save()
            return memo[key]

        setattr(owner, name, call)

    for name in ("_decode", "score_texts", "transcribe_with_hint"):
        wrap(name)
    if engine.check is not None:
        wrap("transcribe", engine.check)
