"""Playing a recording through the speakers (sounddevice / PortAudio), from memory.

The decrypted WAV never touches the disk: it is decoded to samples here and handed to PortAudio's
callback block by block, on PortAudio's own thread, so the caller (the window) keeps running and can
stop it. No output device is a SpeechError that says so, not a crash.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from audio.microphone import _sounddevice
from audio.wavfile import decode_wav
from clinicdesk.errors import SpeechError

BLOCK = 1024


class Playback:
    """``Playback(wav).start()``; ``done`` once the last block was handed over or it was stopped;
    ``played_seconds`` how far it got."""

    def __init__(self, wav: bytes, *, device: int | str | None = None) -> None:
        samples, rate = decode_wav(wav, name="recording")
        if samples.ndim > 1:  # (frames, channels): played as one channel
            samples = samples.mean(axis=1)
        self.samples = np.ascontiguousarray(samples, dtype=np.float32)
        self.rate = rate
        self.device = device
        self.position = 0
        self.finished = threading.Event()
        self._stream: Any = None

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate if self.rate else 0.0

    @property
    def played_seconds(self) -> float:
        return self.position / self.rate if self.rate else 0.0

    @property
    def done(self) -> bool:
        return self.finished.is_set()

    def _callback(self, outdata: Any, frames: int, _time: Any, _status: Any) -> None:
        chunk = self.samples[self.position : self.position + frames]
        outdata[: len(chunk), 0] = chunk
        outdata[len(chunk) :, 0] = 0.0
        self.position += len(chunk)
        if len(chunk) < frames:
            sd = _sounddevice()
            raise sd.CallbackStop

    def start(self) -> None:
        sd = _sounddevice()
        try:
            self._stream = sd.OutputStream(
                samplerate=self.rate,
                channels=1,
                dtype="float32",
                blocksize=BLOCK,
                device=self.device,
                callback=self._callback,
                finished_callback=self.finished.set,
            )
            self._stream.start()
        except Exception as exc:  # PortAudioError, ValueError for a bad device
            self._stream = None
            raise SpeechError(
                f"No speaker or headset could be opened ({type(exc).__name__}). Connect one, or choose "
                "another output in the system's sound settings."
            ) from None

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()
        self.finished.set()
