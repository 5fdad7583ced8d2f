"""Speech: audio sources, voice activity, engines (Vosk, faster-whisper), dictation session. No Qt.

Names are resolved on first use (PEP 562), so importing this package, or one light module of it such
as ``crypto``, does not pay for numpy and the engines: the desktop app's start-up never needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from audio.commands import Command, apply_commands, parse_command
    from audio.crypto import decrypt_audio, encrypt_audio, new_key
    from audio.normalize import normalize
    from audio.pipeline import (
        ENGINES,
        SpeechEngine,
        Transcript,
        open_engine,
        transcribe_audio,
        transcribe_file,
    )
    from audio.transcriber import Recognition, Stream, Transcriber, Utterance
    from audio.wavfile import SAMPLE_RATE, read_wav

_HOME = {
    "Command": "commands",
    "apply_commands": "commands",
    "parse_command": "commands",
    "decrypt_audio": "crypto",
    "encrypt_audio": "crypto",
    "new_key": "crypto",
    "normalize": "normalize",
    "ENGINES": "pipeline",
    "SpeechEngine": "pipeline",
    "Transcript": "pipeline",
    "open_engine": "pipeline",
    "transcribe_audio": "pipeline",
    "transcribe_file": "pipeline",
    "Recognition": "transcriber",
    "Stream": "transcriber",
    "Transcriber": "transcriber",
    "Utterance": "transcriber",
    "SAMPLE_RATE": "wavfile",
    "read_wav": "wavfile",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'audio' has no attribute {name!r}")
    return getattr(importlib.import_module(f"audio.{_HOME[name]}"), name)


__all__ = [
    "ENGINES",
    "SAMPLE_RATE",
    "Command",
    "Recognition",
    "SpeechEngine",
    "Stream",
    "Transcriber",
    "Transcript",
    "Utterance",
    "apply_commands",
    "decrypt_audio",
    "encrypt_audio",
    "new_key",
    "normalize",
    "open_engine",
    "parse_command",
    "read_wav",
    "transcribe_audio",
    "transcribe_file",
]
