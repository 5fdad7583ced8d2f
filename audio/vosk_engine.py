"""Vosk (Kaldi) streaming recognition: live partial text while the doctor speaks.

Two things keep the first partial text close to the speech (``bench/speech_vosk_latency.py``):

* the model is loaded through a low-latency overlay of its folder (see ``vosk_config``), so the text
  follows the speaker in 60 ms steps instead of 240 ms ones; the model's own folder is the fallback;
* streams get recognisers that are already warm. A new recogniser composes its decoding graph (HCLr
  with Gr) lazily, and the first frames it decodes cost about a second of CPU while that cache fills:
  on a fresh recogniser that second falls on the doctor's first words, and the text lags behind for
  the rest of the utterance. So one recogniser is warmed on silence while the model loads (on the
  loading worker, behind the "loading" state); handing out the last idle one starts a background
  thread that warms the next (Vosk releases the GIL, so it takes the other core, not the audio
  thread's time); and a dropped stream's recogniser goes back to the pool.
"""

from __future__ import annotations

import json
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from audio.models import locate_vosk
from audio.transcriber import Recognition, Stream, Transcriber
from audio.vosk_config import low_latency_model
from audio.wavfile import SAMPLE_RATE, FloatArray
from clinicdesk.errors import SpeechError

#: idle recognisers kept for reuse (each holds its own graph cache, tens of MB at most)
IDLE_LIMIT = 2
#: silence decoded to warm a recogniser: past the model's look-ahead, so frames really get decoded
WARM_SECONDS = 1.0


def _pcm16(audio: FloatArray) -> bytes:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def _recognition(result_json: str) -> Recognition:
    result: dict[str, Any] = json.loads(result_json)
    text = str(result.get("text", "")).strip()
    words = result.get("result") or []
    confs = [float(w.get("conf", 1.0)) for w in words if isinstance(w, dict)]
    confidence = sum(confs) / len(confs) if confs else (1.0 if text else 0.0)
    return Recognition(text, confidence)


def _load_model(folder: Path) -> Any | None:
    import vosk

    try:
        return vosk.Model(str(folder))
    except Exception:  # vosk raises a bare Exception on a bad model folder
        return None


@dataclass
class _Recogniser:
    """A KaldiRecognizer and whether it is part-way through an utterance (so needs a reset to reuse)."""

    rec: Any
    in_utterance: bool = False


class VoskStream(Stream):
    def __init__(self, recogniser: _Recogniser) -> None:
        self._slot = recogniser
        self._rec = recogniser.rec
        self._partial = ""
        self._done: list[Recognition] = []

    def accept(self, audio: FloatArray) -> str | None:
        self._slot.in_utterance = True
        if self._rec.AcceptWaveform(_pcm16(audio)):
            # Vosk's own endpointer closed an utterance inside ours: keep its text for finish().
            done = _recognition(self._rec.Result())
            if done.text:
                self._done.append(done)
            partial = ""
        else:
            partial = str(json.loads(self._rec.PartialResult()).get("partial", "")).strip()
        shown = " ".join([*(d.text for d in self._done), partial]).strip()
        if shown != self._partial:
            self._partial = shown
            return shown
        return None

    def finish(self) -> Recognition:
        last = _recognition(self._rec.FinalResult())
        self._slot.in_utterance = False
        parts = [*self._done, last] if last.text else list(self._done)
        self._done = []
        self._partial = ""
        if not parts:
            return Recognition("", 0.0)
        text = " ".join(p.text for p in parts)
        conf = sum(p.confidence * len(p.text.split()) for p in parts) / max(1, len(text.split()))
        return Recognition(text, conf)

    def reset(self) -> None:
        self._rec.Reset()
        self._slot.in_utterance = False
        self._done = []
        self._partial = ""


class VoskTranscriber(Transcriber):
    engine = "vosk"

    def __init__(self, model_path: str | Path | None = None, *, low_latency: bool = True) -> None:
        info = locate_vosk(model_path)
        self.model = info.name
        self.path = info.path
        import vosk

        vosk.SetLogLevel(-1)
        overlay = low_latency_model(info.path) if low_latency else None
        model = _load_model(overlay) if overlay is not None else None
        # An overlay Kaldi cannot read (say, a cache path with a non-ASCII user name on Windows) must not
        # cost the user the model: its own folder, with its author's options, is the fallback.
        #: the folder Vosk actually read: the low-latency overlay, or the model's own folder
        self.decoding_path = overlay if overlay is not None and model is not None else info.path
        if model is None:
            model = _load_model(info.path)
        if model is None:
            raise SpeechError(
                f"The Vosk model in {info.path} could not be loaded: it is damaged or not a Vosk model. "
                "Unpack the model archive again or choose another folder in Settings or with --model PATH."
            )
        self._model = model
        self._idle_lock = threading.Lock()
        self._idle: list[_Recogniser] = [self._warm(self._new_recogniser())]
        self._refilling = False

    @property
    def vosk_model(self) -> Any:
        """The loaded ``vosk.Model``, for tools that need Vosk's own recogniser API (the benchmarks)."""
        return self._model

    @property
    def streaming(self) -> bool:
        return True

    def stream(self) -> VoskStream:
        with self._idle_lock:
            recogniser = self._idle.pop() if self._idle else None
            refill = not self._idle and not self._refilling
            self._refilling = self._refilling or refill
        if refill:
            threading.Thread(target=self._refill, name="clinicdesk-vosk-warm", daemon=True).start()
        stream = VoskStream(recogniser or self._new_recogniser())
        weakref.finalize(stream, self._release, stream._slot).atexit = False
        return stream

    def transcribe(self, audio: FloatArray) -> Recognition:
        stream = self.stream()
        step = SAMPLE_RATE // 5
        for i in range(0, len(audio), step):
            stream.accept(audio[i : i + step])
        return stream.finish()

    def _new_recogniser(self) -> _Recogniser:
        from vosk import KaldiRecognizer

        rec = KaldiRecognizer(self._model, SAMPLE_RATE)
        rec.SetWords(True)
        return _Recogniser(rec)

    def _warm(self, recogniser: _Recogniser) -> _Recogniser:
        recogniser.rec.AcceptWaveform(bytes(2 * int(WARM_SECONDS * SAMPLE_RATE)))
        recogniser.rec.FinalResult()
        return recogniser

    def _refill(self) -> None:
        try:
            self._release(self._warm(self._new_recogniser()))
        finally:
            with self._idle_lock:
                self._refilling = False

    def _release(self, recogniser: _Recogniser) -> None:
        """A warm recogniser (newly warmed, or from a dropped stream) is kept for the next stream."""
        if recogniser.in_utterance:
            recogniser.rec.Reset()  # what was heard must not leak into the next dictation
            recogniser.in_utterance = False
        with self._idle_lock:
            if len(self._idle) < IDLE_LIMIT:
                self._idle.append(recogniser)
