"""Runtime hook of the frozen app: stands in for PyAV, which the bundle leaves out.

faster-whisper imports ``av`` (FFmpeg, about 100 MB of libraries) at import time, but only uses it to
decode audio files given by name. ClinicDesk reads WAV files and the microphone itself and hands
faster-whisper sample arrays, so the decoder is never called; this placeholder lets the import
succeed and makes any use fail with a message saying why, instead of shipping FFmpeg to every desk.
"""

import sys
import types


class _NotBundled(types.ModuleType):
    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(
            "PyAV (audio file decoding) is not bundled with ClinicDesk; pass decoded 16 kHz samples instead"
        )


if "av" not in sys.modules:
    sys.modules["av"] = _NotBundled("av")
