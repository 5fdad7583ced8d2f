"""Voice-activity detection: where utterances start and end.

Energy-based on 20 ms frames, relative to the recording's own noise floor, so it works for a quiet
exam room and a noisy ward alike. Utterances are padded and short pauses merged because cutting a word
or splitting a sentence costs Whisper far more accuracy than a little extra silence does; pure silence
or steady noise yields no utterance at all, so an engine never gets a chance to hallucinate words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audio.wavfile import SAMPLE_RATE, FloatArray

FRAME = 320  # 20 ms at 16 kHz
#: below this level (dBFS, per frame RMS) nothing is speech, however quiet the room
ABSOLUTE_FLOOR_DB = -50.0
#: speech must be this much louder than the noise floor
MARGIN_DB = 12.0


@dataclass(frozen=True)
class VadConfig:
    pad_seconds: float = 0.3
    merge_gap_seconds: float = 0.6
    min_speech_seconds: float = 0.15
    max_utterance_seconds: float = 25.0


@dataclass(frozen=True)
class Segment:
    """Sample offsets (16 kHz) of one utterance, padding included."""

    start: int
    end: int

    @property
    def start_seconds(self) -> float:
        return self.start / SAMPLE_RATE

    @property
    def end_seconds(self) -> float:
        return self.end / SAMPLE_RATE


def frame_levels_db(audio: FloatArray) -> FloatArray:
    """RMS level of each 20 ms frame in dBFS (silence is -120)."""
    usable = len(audio) - len(audio) % FRAME
    if usable <= 0:
        return np.zeros(0, dtype=np.float32)
    frames = audio[:usable].reshape(-1, FRAME).astype(np.float64)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    levels: FloatArray = (20.0 * np.log10(np.maximum(rms, 1e-6))).astype(np.float32)
    return levels


def level_db(chunk: FloatArray) -> float:
    """One level for a UI meter (dBFS, -120 for digital silence)."""
    if len(chunk) == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(chunk, dtype=np.float64))))
    return 20.0 * float(np.log10(max(rms, 1e-6)))


def speech_threshold_db(levels: FloatArray) -> float:
    floor = float(np.percentile(levels, 10)) if len(levels) else -120.0
    return max(floor + MARGIN_DB, ABSOLUTE_FLOOR_DB)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def split_utterances(audio: FloatArray, config: VadConfig | None = None) -> list[Segment]:
    """Utterances in a finished recording (files, or a whole dictation after the fact)."""
    cfg = config or VadConfig()
    levels = frame_levels_db(audio)
    if len(levels) == 0:
        return []
    mask = levels > speech_threshold_db(levels)
    return _segments_from_mask(mask, levels, len(audio), cfg)


def _segments_from_mask(mask: np.ndarray, levels: FloatArray, total: int, cfg: VadConfig) -> list[Segment]:
    frames_per_s = SAMPLE_RATE / FRAME
    runs = [r for r in _runs(mask) if r[1] - r[0] >= 2]  # a single loud frame is a click
    merged: list[list[int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] <= cfg.merge_gap_seconds * frames_per_s:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    merged = [m for m in merged if m[1] - m[0] >= cfg.min_speech_seconds * frames_per_s]
    pad = int(cfg.pad_seconds * SAMPLE_RATE)
    out: list[Segment] = []
    for a, b in merged:
        for sa, sb in _limit_length(a, b, levels, int(cfg.max_utterance_seconds * frames_per_s)):
            start = max(0, sa * FRAME - pad)
            end = min(total, sb * FRAME + pad)
            if out and start < out[-1].end:
                start = out[-1].end
            out.append(Segment(start, end))
    return out


def _limit_length(a: int, b: int, levels: FloatArray, max_frames: int) -> list[tuple[int, int]]:
    """Cuts over-long speech at its quietest point, because Whisper sees at most 30 s at a time."""
    if b - a <= max_frames:
        return [(a, b)]
    lo, hi = a + max_frames // 3, a + max_frames
    cut = lo + int(np.argmin(levels[lo:hi]))
    return [(a, cut), *_limit_length(cut, b, levels, max_frames)]


class StreamingVad:
    """The live version: fed chunk by chunk, it says when an utterance starts and ends.

    The noise floor adapts slowly upward and quickly downward, so a fan switched on mid-dictation
    does not become speech for long, and speech never drags the floor up.
    """

    def __init__(self, config: VadConfig | None = None) -> None:
        self.config = config or VadConfig()
        self._floor = -70.0
        self._buffer = np.zeros(0, dtype=np.float32)
        self._in_speech = False
        self._silent_frames = 0
        self._speech_frames = 0
        self._frames_in_utterance = 0

    def reset(self) -> None:
        self.__init__(self.config)  # type: ignore[misc]

    def feed(self, chunk: FloatArray) -> list[tuple[str, int]]:
        """Events ('start'|'end', frame offset within this chunk in samples); 'start' is already padded."""
        data = np.concatenate([self._buffer, chunk.astype(np.float32)])
        usable = len(data) - len(data) % FRAME
        self._buffer = data[usable:]
        events: list[tuple[str, int]] = []
        levels = frame_levels_db(data[:usable])
        frames_per_s = SAMPLE_RATE / FRAME
        hang = self.closing_silence_samples // FRAME
        start_frames = max(2, int(self.config.min_speech_seconds * frames_per_s / 2))
        max_frames = int(self.config.max_utterance_seconds * frames_per_s)
        offset_base = -(len(data) - len(chunk))
        for i, lvl in enumerate(levels):
            threshold = max(self._floor + MARGIN_DB, ABSOLUTE_FLOOR_DB)
            speech = float(lvl) > threshold
            if not speech:
                rate = 0.2 if lvl < self._floor else 0.01
                self._floor += rate * (float(lvl) - self._floor)
            offset = offset_base + (i + 1) * FRAME
            if not self._in_speech:
                self._speech_frames = self._speech_frames + 1 if speech else 0
                if self._speech_frames >= start_frames:
                    self._in_speech = True
                    self._silent_frames = 0
                    self._frames_in_utterance = self._speech_frames
                    events.append(("start", offset - self._speech_frames * FRAME))
            else:
                self._frames_in_utterance += 1
                self._silent_frames = 0 if speech else self._silent_frames + 1
                if self._silent_frames >= hang or self._frames_in_utterance >= max_frames:
                    self._in_speech = False
                    self._speech_frames = 0
                    events.append(("end", offset))
        return events

    @property
    def in_speech(self) -> bool:
        return self._in_speech

    @property
    def silent_samples(self) -> int:
        """Samples of silence judged since the last voiced frame of the utterance in progress (0 outside
        one): the live session starts recognising early once enough of it has been heard."""
        return self._silent_frames * FRAME if self._in_speech else 0

    @property
    def closing_silence_samples(self) -> int:
        """The silence (whole frames of ``merge_gap_seconds``) after which an utterance is over."""
        return int(self.config.merge_gap_seconds * (SAMPLE_RATE / FRAME)) * FRAME

    @property
    def unjudged_samples(self) -> int:
        """Samples fed but not yet judged (less than one frame, kept for the next chunk)."""
        return len(self._buffer)
