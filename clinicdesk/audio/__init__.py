"""Speech: audio sources, voice activity, engines (Vosk, faster-whisper), dictation session. No Qt.

Heavy engines load lazily (``open_engine``), so importing this package is cheap.
"""

from clinicdesk.audio.commands import Command, apply_commands, parse_command
from clinicdesk.audio.crypto import decrypt_audio, encrypt_audio, new_key
from clinicdesk.audio.normalize import normalize
from clinicdesk.audio.pipeline import (
    ENGINES,
    SpeechEngine,
    Transcript,
    open_engine,
    transcribe_audio,
    transcribe_file,
)
from clinicdesk.audio.transcriber import Recognition, Stream, Transcriber, Utterance
from clinicdesk.audio.wavfile import SAMPLE_RATE, read_wav

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
