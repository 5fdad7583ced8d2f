"""The microphone through sounddevice (PortAudio): 16 kHz mono float32 chunks and a level value.

PortAudio calls back on its own thread; chunks go through a queue so the consumer (a Qt worker or
the command line) reads them on its thread at its pace. No microphone is a SpeechError, not a crash.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator
from typing import Any

import numpy as np

from audio.vad import level_db
from audio.wavfile import SAMPLE_RATE, FloatArray
from clinicdesk.errors import SpeechError

CHUNK_SECONDS = 0.1


def _sounddevice() -> Any:
    try:
        import sounddevice
    except OSError:  # the PortAudio library itself is missing
        raise SpeechError(
            "Audio input is not available: the PortAudio library is missing. Install libportaudio2 "
            "(Linux) or reinstall ClinicDesk."
        ) from None
    return sounddevice


def input_devices() -> list[tuple[int, str]]:
    sd = _sounddevice()
    return [(i, str(d["name"])) for i, d in enumerate(sd.query_devices()) if d["max_input_channels"] > 0]


class MicrophoneSource:
    """``with MicrophoneSource() as mic: for chunk in mic.chunks(): ...``; ``mic.level`` for the meter."""

    def __init__(self, device: int | str | None = None, *, chunk_seconds: float = CHUNK_SECONDS) -> None:
        self.device = device
        self.blocksize = int(SAMPLE_RATE * chunk_seconds)
        self.level = -120.0
        self.overflows = 0
        self._queue: queue.Queue[FloatArray | None] = queue.Queue(maxsize=600)
        self._stream: Any = None

    def _callback(self, indata: Any, frames: int, time: Any, status: Any) -> None:
        if status and getattr(status, "input_overflow", False):
            self.overflows += 1
        chunk = np.array(indata[:, 0], dtype=np.float32)
        self.level = level_db(chunk)
        try:
            self._queue.put_nowait(chunk)
        except queue.Full:  # the consumer fell far behind: drop rather than grow without bound
            self.overflows += 1

    def start(self) -> None:
        sd = _sounddevice()
        try:
            self._stream = sd.InputStream(
                samplerate=SAMPLE_RATE,
                channels=1,
                dtype="float32",
                blocksize=self.blocksize,
                device=self.device,
                callback=self._callback,
            )
            self._stream.start()
        except Exception as exc:  # PortAudioError, ValueError for a bad device
            self._stream = None
            raise SpeechError(
                f"No microphone could be opened ({type(exc).__name__}). Connect a microphone, check that "
                "ClinicDesk may use it in the system's privacy settings, or choose another input in Settings."
            ) from None

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None
        self._queue.put(None)

    def __enter__(self) -> MicrophoneSource:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def drain(self) -> Iterator[FloatArray]:
        """Stops capturing, then yields what was captured before: the words a doctor said before
        pressing stop belong to the dictation even when transcription is behind the microphone."""
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is None:
                return
            yield item

    def chunks(self, timeout: float | None = None) -> Iterator[FloatArray]:
        """Chunks until stop(); a None from the queue ends the iteration."""
        while True:
            try:
                item = self._queue.get(timeout=timeout)
            except queue.Empty:
                return
            if item is None:
                return
            yield item
