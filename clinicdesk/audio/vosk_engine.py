"""Vosk (Kaldi) streaming recognition: live partial text while the doctor speaks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from clinicdesk.audio.models import locate_vosk
from clinicdesk.audio.transcriber import Recognition, Stream, Transcriber
from clinicdesk.audio.wavfile import SAMPLE_RATE, FloatArray
from clinicdesk.errors import SpeechError


def _pcm16(audio: FloatArray) -> bytes:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def _recognition(result_json: str) -> Recognition:
    result: dict[str, Any] = json.loads(result_json)
    text = str(result.get("text", "")).strip()
    words = result.get("result") or []
    confs = [float(w.get("conf", 1.0)) for w in words if isinstance(w, dict)]
    confidence = sum(confs) / len(confs) if confs else (1.0 if text else 0.0)
    return Recognition(text, confidence)


class VoskStream(Stream):
    def __init__(self, model: Any) -> None:
        from vosk import KaldiRecognizer

        self._rec = KaldiRecognizer(model, SAMPLE_RATE)
        self._rec.SetWords(True)
        self._partial = ""
        self._done: list[Recognition] = []

    def accept(self, audio: FloatArray) -> str | None:
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
        self._done = []
        self._partial = ""


class VoskTranscriber(Transcriber):
    engine = "vosk"

    def __init__(self, model_path: str | Path | None = None) -> None:
        info = locate_vosk(model_path)
        self.model = info.name
        self.path = info.path
        import vosk

        vosk.SetLogLevel(-1)
        try:
            self._model = vosk.Model(str(info.path))
        except Exception:  # vosk raises a bare Exception on a bad model folder
            raise SpeechError(
                f"The Vosk model in {info.path} could not be loaded: it is damaged or not a Vosk model. "
                "Unpack the model archive again or choose another folder in Settings or with --model PATH."
            ) from None

    @property
    def streaming(self) -> bool:
        return True

    def stream(self) -> VoskStream:
        return VoskStream(self._model)

    def transcribe(self, audio: FloatArray) -> Recognition:
        stream = self.stream()
        step = SAMPLE_RATE // 5
        for i in range(0, len(audio), step):
            stream.accept(audio[i : i + step])
        return stream.finish()
