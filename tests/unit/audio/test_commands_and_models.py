import sys
from pathlib import Path

import pytest

from audio.commands import apply_commands, parse_command
from audio.models import check_vosk_dir, check_whisper_dir, locate_vosk, locate_whisper
from audio.transcriber import Utterance
from clinicdesk.errors import SpeechError


def _u(text: str) -> Utterance:
    return Utterance(text, 0.0, 1.0, 0.9, "test")


def test_scratch_that_drops_the_last_utterance() -> None:
    out = apply_commands([_u("cough for a week"), _u("fever"), _u("Scratch that."), _u("no fever")])
    assert [u.text for u in out.utterances] == ["cough for a week", "no fever"]


def test_undo_that_is_scratch_that() -> None:
    assert parse_command("undo that")[1] == parse_command("scratch that")[1]


def test_go_to_plan_forces_the_following_utterances_into_plan() -> None:
    out = apply_commands([_u("cough"), _u("Go to plan."), _u("rest and fluids"), _u("recheck in a week")])
    assert out.sections == [None, "plan", "plan"]


def test_commands_never_appear_as_text() -> None:
    out = apply_commands(
        [_u("lungs clear new paragraph"), _u("new line"), _u("stop dictation"), _u("after stop")]
    )
    texts = " ".join(u.text for u in out.utterances).lower()
    assert "paragraph" not in texts and "stop" not in texts and "after" not in texts
    assert out.utterances[0].text.endswith("\n\n\n")
    assert out.stopped


def test_a_missing_whisper_folder_says_how_to_add_one(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match=r"tiny\.en or --model base"):
        check_whisper_dir(tmp_path / "none")


def test_an_incomplete_whisper_folder_names_the_missing_files(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"x")
    with pytest.raises(SpeechError, match=r"config\.json, tokenizer\.json"):
        check_whisper_dir(tmp_path)


def test_an_unknown_whisper_name_is_refused() -> None:
    with pytest.raises(SpeechError, match=r"Unknown Whisper model 'large'"):
        locate_whisper("large")


def test_no_vosk_model_configured_says_how_to_add_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLINICDESK_VOSK_MODEL", raising=False)
    monkeypatch.setenv("CLINICDESK_MODEL_CACHE", str(tmp_path))
    with pytest.raises(SpeechError, match=r"No Vosk speech model is configured.*Settings"):
        locate_vosk()


def test_a_folder_that_is_not_a_vosk_model_names_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "am").mkdir()
    with pytest.raises(SpeechError, match=r"am/final\.mdl.*graph/HCLG\.fst"):
        check_vosk_dir(tmp_path)


def test_whisper_base_is_assembled_once_into_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINICDESK_MODEL_CACHE", str(tmp_path))
    info = locate_whisper("base")
    assert info.path == tmp_path / "whisper-base"
    assert (info.path / "model.bin").stat().st_size == 94_371_840 + 50_845_767
    assert [p.name for p in tmp_path.iterdir()] == ["whisper-base"]  # no temporary folder left behind
    mtime = (info.path / "model.bin").stat().st_mtime_ns
    assert locate_whisper("base").path == info.path
    assert (info.path / "model.bin").stat().st_mtime_ns == mtime


def test_a_lone_word_that_sounds_like_a_header_is_that_header() -> None:
    from audio.medvocab import lone_header

    assert lone_header("Assignment.") == "Assessment."
    assert lone_header("Plant.") == "Plan."
    assert lone_header("Payment.") is None
    assert lone_header("Assignment is due.") is None


def test_moonshine_is_unavailable_when_onnxruntime_cannot_be_imported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The frozen bundle leaves onnxruntime out: Whisper then works alone instead of failing to load."""
    from audio import models

    for name in models.MOONSHINE_FILES:
        (tmp_path / name).write_bytes(b"x")
    monkeypatch.setenv(models.ENV_MOONSHINE_MODEL, str(tmp_path))
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now raises ImportError
    assert not models.moonshine_available()
    monkeypatch.delitem(sys.modules, "onnxruntime")
    assert models.moonshine_available()  # the same folder counts once onnxruntime imports
