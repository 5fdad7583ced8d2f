"""The audio thread of a dictation keeps everything the doctor said before pressing stop."""

from __future__ import annotations

import numpy as np

from app.dictation import CHUNK, Chunks, DictationFeed, DictationResult, FeedCallbacks
from audio.pipeline import SpeechEngine


def _silence(count: int) -> Chunks:
    for _ in range(count):
        yield np.zeros(CHUNK, dtype=np.float32)


def _run(*, live: bool, chunks: int) -> DictationResult:
    done: list[DictationResult] = []
    # silence never reaches an engine (the voice-activity step finds no utterance), so none is loaded
    feed = DictationFeed(
        SpeechEngine("whisper"),
        lambda _stop: _silence(chunks),
        FeedCallbacks(on_done=done.append),
        live=live,
    )
    feed.stop()  # pressed before the audio thread took a single chunk: the transcription is behind
    feed.start()
    feed.join(timeout=30)
    assert len(done) == 1
    return done[0]


def test_audio_captured_before_stop_is_kept_when_transcription_is_behind_the_microphone() -> None:
    result = _run(live=True, chunks=50)
    assert result.error is None
    assert result.audio.seconds == 50 * CHUNK / 16_000


def test_a_file_stops_where_it_is_when_stop_is_pressed() -> None:
    result = _run(live=False, chunks=50)
    assert result.audio.seconds == 0


def test_the_microphone_source_hands_over_its_queue_after_stop() -> None:
    from audio.microphone import MicrophoneSource

    mic = MicrophoneSource()
    for _ in range(7):
        mic._queue.put_nowait(np.ones(CHUNK, dtype=np.float32))
    drained = list(mic.drain())
    assert len(drained) == 7
    assert list(mic.drain()) == []
