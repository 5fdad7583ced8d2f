"""Render a dictation set to 16 kHz mono WAV files with several voices, rates, noises and pacings.

    .venv/bin/python -m bench.dictation_synth --set dev            # reads bench/dictation_sets/dev.json
    .venv/bin/python -m bench.dictation_synth --set old --input tests/data/dictation/dictations.json
    .venv/bin/python -m bench.dictation_synth --set dev --passes 2 # every dictation under two conditions
    .venv/bin/python -m bench.dictation_synth --set dev --plan     # the planned conditions, as JSON lines
    .venv/bin/python -m bench.dictation_synth --set dev --voice piper-joe --rate 180 --pacing continuous
                                                                   # every dictation under one condition

Output: ``bench/out/dictation_audio/<set>/<voice>/<id>-<rate>wpm-<noise>-<pacing>.wav`` and
``bench/out/dictation_audio/<set>/manifest.json``, which lists per file: set, dictation id, voice, target
and measured words a minute, noise kind and SNR in dB (or none) with the SNR measured in the file
written, and pacing (continuous or paused). ``--out DIR`` puts the sets elsewhere.
A file already rendered from the same words under the same condition is kept (the manifest holds a key).

Why a plan: a set is judged under every condition only if every condition is in it. Dictation i of the set
gets voice i mod 9, rate i mod 5, noise i mod 11 and pacing i mod 2; the four cycle lengths share no
factor, so the combinations rotate and each set covers every voice, rate, noise and pacing.
``--passes N`` adds N - 1 more conditions per dictation: pass p takes the slots of index i + 7p, which
changes the voice, the rate, the noise and the pacing whatever the set's size.

- Voices (`bench.dictation_voices`): espeak-ng en-us, en-us+m3, en-us+f3, en-gb-x-rp; Debian flite awb,
  slt, rms; festival with festvox-us-slt-hts; Piper en_US-joe-medium.
- Rates 140, 150, 160, 170, 180 words a minute, reached through each engine's own rate control: the
  dictation is rendered, its words per minute of speech (edge silences trimmed) measured, and the speed
  corrected until it is within 2 % (at most three renders).
- Noise: none (6 of 11), or pink, brown, or babble (six espeak-ng voices of small talk) at 15-25 dB SNR,
  measured against the active speech level (20 ms frames within 40 dB of the loudest). The noise files
  are made once from fixed seeds under ``bench/out/dictation_audio/_noise``.
- Pacing: ``paused`` says the utterances one at a time with 0.4-1.0 s between them; ``continuous`` joins
  them into one run-on text, so headers and commands fall inside the stretch with no pause around them.
  Both have 0.5 s of silence at each end.

Deterministic: the same input gives the same WAV bytes (sox -D, seeds taken from the set name and the
dictation id, fixed noise files, Piper seeded).

Needs (Debian): ``apt-get install espeak-ng sox flite festival festvox-us-slt-hts``; (PyPI, benchmark only,
piper-tts is GPL-3.0 and never shipped): ``.venv/bin/pip install -e '.[speechbench]'``. A missing tool is
reported in one line naming what to install; ``--skip-missing`` renders the rest.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
import wave
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from bench.dictation_voices import BABBLE_TEXT, BABBLE_VOICES, RATE, VOICES, EspeakVoice, FloatArray

ROOT = Path(__file__).resolve().parents[1]
SETS = ROOT / "bench" / "dictation_sets"
OUT = ROOT / "bench" / "out" / "dictation_audio"
COMMAND = ".venv/bin/python -m bench.dictation_synth"
VERSION = 1  # bump when the rendering changes, so cached files are made again

RATES = [140, 150, 160, 170, 180]
# 11 slots: six clean, five noisy (kind, SNR dB).
NOISES: list[tuple[str, int] | None] = [
    None, ("pink", 20), None, ("babble", 18), None, ("brown", 15),
    None, ("babble", 22), None, ("pink", 25), None,
]  # fmt: skip
PACINGS = ["paused", "continuous"]
NOISE_SECONDS = 60
EDGE_PAD = 0.5
PEAK = 0.7


@dataclass(frozen=True)
class Condition:
    voice: str
    rate_wpm: int
    noise: str | None
    snr_db: int | None
    pacing: str


def plan(count: int, *, passes: int = 1) -> list[tuple[int, Condition]]:
    """(dictation index, condition) for every render of a set of ``count`` dictations."""
    voices = list(VOICES)
    out = []
    for p in range(passes):
        for i in range(count):
            k = i + 7 * p
            noise = NOISES[k % len(NOISES)]
            out.append(
                (
                    i,
                    Condition(
                        voice=voices[k % len(voices)],
                        rate_wpm=RATES[k % len(RATES)],
                        noise=noise[0] if noise else None,
                        snr_db=noise[1] if noise else None,
                        pacing=PACINGS[k % len(PACINGS)],
                    ),
                )
            )
    return out


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256(json.dumps(parts).encode()).digest()[:4], "big")


def _frame_energy(audio: FloatArray, frame: int) -> FloatArray:
    n = len(audio) // frame
    if n == 0:
        return np.zeros(0, dtype=np.float64)
    frames: FloatArray = np.mean(audio[: n * frame].astype(np.float64).reshape(n, frame) ** 2, axis=1)
    return frames


def trim(audio: FloatArray) -> FloatArray:
    """Edge silence off (10 ms frames more than 50 dB under the loudest), keeping 30 ms either side."""
    energy = _frame_energy(audio, RATE // 100)
    if len(energy) == 0 or energy.max() <= 0:
        return audio[:0]
    loud = np.flatnonzero(energy > energy.max() * 1e-5)
    start = max(0, (loud[0] - 3) * (RATE // 100))
    end = min(len(audio), (loud[-1] + 4) * (RATE // 100))
    return audio[start:end]


def active_power(audio: FloatArray) -> float:
    """Mean power over the speech frames (20 ms, within 40 dB of the loudest): the level SNR refers to."""
    energy = _frame_energy(audio, RATE // 50)
    if len(energy) == 0 or energy.max() <= 0:
        return 0.0
    return float(energy[energy > energy.max() * 1e-4].mean())


def _speak(words: list[str], condition: Condition, seed: int) -> tuple[list[FloatArray], float]:
    """The trimmed pieces at the target rate, and the words a minute measured on them."""
    voice = VOICES[condition.voice]
    count = sum(len(w.split()) for w in words)
    speed = condition.rate_wpm / 160.0
    pieces: list[FloatArray] = []
    measured = 0.0
    for _ in range(3):
        pieces = [trim(a) for a in voice.render(words, speed=speed, seed=seed)]
        seconds = sum(len(a) for a in pieces) / RATE
        measured = count * 60.0 / seconds if seconds else 0.0
        if measured <= 0 or abs(measured - condition.rate_wpm) <= 0.02 * condition.rate_wpm:
            break
        speed *= condition.rate_wpm / measured
    return pieces, measured


class Rendered(NamedTuple):
    wav: bytes
    seconds: float
    measured_wpm: float
    #: the signal-to-noise ratio of the written file (16-bit samples) against the speech in it
    snr_db: float | None


def render_dictation(utterances: list[str], condition: Condition, *, seed: int, noise_dir: Path) -> Rendered:
    """The WAV file's bytes and what was measured on it."""
    rng = np.random.default_rng(seed)
    texts = [" ".join(utterances)] if condition.pacing == "continuous" else list(utterances)
    pieces, wpm = _speak(texts, condition, seed)
    edge = np.zeros(int(EDGE_PAD * RATE), dtype=np.float32)
    parts = [edge]
    for i, piece in enumerate(pieces):
        if i:
            parts.append(np.zeros(int(rng.uniform(0.4, 1.0) * RATE), dtype=np.float32))
        parts.append(piece)
    parts.append(edge)
    speech = np.concatenate(parts).astype(np.float64)
    peak = float(np.abs(speech).max()) or 1.0
    speech *= PEAK / peak
    if not (condition.noise and condition.snr_db is not None):
        return Rendered(_wav_bytes(speech), len(speech) / RATE, wpm, None)
    noise = _noise(noise_dir, condition.noise)
    start = int(rng.integers(0, len(noise)))
    reps = (start + len(speech)) // len(noise) + 1
    clip = np.tile(noise, reps)[start : start + len(speech)].astype(np.float64)
    gain = np.sqrt(active_power(speech) / (np.mean(clip**2) * 10 ** (condition.snr_db / 10)))
    mixed = speech + gain * clip
    top = float(np.abs(mixed).max())
    if top > 0.99:
        mixed *= 0.99 / top
        speech *= 0.99 / top
    data = _wav_bytes(mixed)
    heard = _samples(data) - speech
    snr = 10 * np.log10(active_power(speech) / float(np.mean(heard**2)))
    return Rendered(data, len(mixed) / RATE, wpm, float(snr))


def _wav_bytes(audio: np.ndarray[Any, Any]) -> bytes:
    pcm = np.clip(np.round(audio * 32767.0), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.tobytes())
    return buffer.getvalue()


def _pcm(data: bytes) -> np.ndarray[Any, Any]:
    with wave.open(io.BytesIO(data), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")


def _samples(data: bytes) -> np.ndarray[Any, Any]:
    """The samples of WAV bytes as _wav_bytes scaled them."""
    return _pcm(data).astype(np.float64) / 32767.0


def _read(path: Path) -> FloatArray:
    return (_pcm(path.read_bytes()).astype(np.float32) / 32768.0).astype(np.float32)


def _noise(noise_dir: Path, kind: str) -> FloatArray:
    """A minute of the noise, made once from a fixed seed and kept as a file."""
    path = noise_dir / f"{kind}-v{VERSION}.wav"
    if not path.exists():
        noise_dir.mkdir(parents=True, exist_ok=True)
        audio = _make_noise(kind)
        audio = audio / (float(np.abs(audio).max()) or 1.0) * 0.5
        tmp = path.with_suffix(".part")
        tmp.write_bytes(_wav_bytes(audio))
        tmp.replace(path)
    return _read(path)


def _make_noise(kind: str) -> np.ndarray[Any, Any]:
    n = NOISE_SECONDS * RATE
    rng = np.random.default_rng(_seed("noise", kind))
    if kind == "pink":
        spectrum = np.fft.rfft(rng.standard_normal(n))
        freqs = np.fft.rfftfreq(n, 1 / RATE)
        spectrum[1:] /= np.sqrt(freqs[1:])
        spectrum[0] = 0
        return np.fft.irfft(spectrum, n)
    if kind == "brown":
        walk = np.cumsum(rng.standard_normal(n))
        # A random walk drifts; taking off its slow trend (a 50 ms running mean) keeps the rumble audible.
        trend = np.convolve(walk, np.ones(800) / 800, mode="same")
        return walk - trend
    if kind == "babble":
        total = np.zeros(n)
        for i, name in enumerate(BABBLE_VOICES):
            lines = BABBLE_TEXT[i:] + BABBLE_TEXT[:i]
            pieces = EspeakVoice(f"babble-{i}", voice=name).render(lines, speed=1.0, seed=0)
            gap = np.zeros(RATE // 4, np.float32)
            talk = np.concatenate([np.concatenate([trim(p), gap]) for p in pieces])
            talk = talk / (float(np.sqrt(np.mean(talk.astype(np.float64) ** 2))) or 1.0)
            offset = int(rng.integers(0, len(talk)))
            total += np.tile(talk, n // len(talk) + 2)[offset : offset + n]
        return total
    raise ValueError(f"unknown noise kind {kind!r}: pink, brown or babble")


def missing_tools(conditions: list[Condition]) -> dict[str, str]:
    """voice name -> the line saying what to install, for the voices (and noises) that cannot run."""
    out: dict[str, str] = {}
    for name in sorted({c.voice for c in conditions}):
        if line := VOICES[name].missing():
            out[name] = line
    if any(c.noise == "babble" for c in conditions) and (line := EspeakVoice("babble").missing()):
        out["babble"] = line
    return out


def _key(utterances: list[str], condition: Condition, seed: int) -> str:
    blob = json.dumps([VERSION, utterances, asdict(condition), seed])
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def file_name(dictation_id: str, condition: Condition) -> str:
    noise = f"{condition.noise}{condition.snr_db}db" if condition.noise else "clean"
    return f"{condition.voice}/{dictation_id}-{condition.rate_wpm}wpm-{noise}-{condition.pacing}.wav"


def planned(
    count: int, *, passes: int = 1, condition: Condition | None = None
) -> list[tuple[int, Condition]]:
    """The plan, or every dictation under the one ``condition`` given."""
    return [(i, condition) for i in range(count)] if condition else plan(count, passes=passes)


def render_set(
    name: str,
    source: Path,
    *,
    out_root: Path = OUT,
    passes: int = 1,
    skip_missing: bool = False,
    condition: Condition | None = None,
) -> dict[str, Any]:
    """Render (or reuse) every planned file of the set and write its manifest; returns the manifest."""
    dictations = json.loads(source.read_text())["dictations"]
    items = planned(len(dictations), passes=passes, condition=condition)
    missing = missing_tools([c for _, c in items])
    for line in missing.values():
        print(line, file=sys.stderr)
    if missing and not skip_missing:
        raise SystemExit(2)
    folder = out_root / name
    manifest_path = folder / "manifest.json"
    old = {}
    if manifest_path.exists():
        old = {r["file"]: r for r in json.loads(manifest_path.read_text()).get("renders", [])}
    renders, skipped = [], []
    started = time.perf_counter()
    made = 0
    for index, wanted in items:
        d = dictations[index]
        rel = file_name(d["id"], wanted)
        if wanted.voice in missing or (wanted.noise == "babble" and "babble" in missing):
            skipped.append({"file": rel, "id": d["id"], "voice": wanted.voice})
            continue
        seed = _seed(name, d["id"], asdict(wanted))
        key = _key(d["utterances"], wanted, seed)
        path = folder / rel
        entry = old.get(rel)
        if not (entry and entry.get("key") == key and path.exists()):
            rendered = render_dictation(d["utterances"], wanted, seed=seed, noise_dir=out_root / "_noise")
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(rendered.wav)
            tmp.replace(path)
            made += 1
            entry = {
                "file": rel, "set": name, "id": d["id"], **asdict(wanted),
                "measured_wpm": round(rendered.measured_wpm, 1), "seconds": round(rendered.seconds, 2),
                "key": key,
            }  # fmt: skip
            if rendered.snr_db is not None:
                entry["measured_snr_db"] = round(rendered.snr_db, 2)
        renders.append(entry)
    manifest_source = str(source.relative_to(ROOT) if source.is_relative_to(ROOT) else source)
    manifest: dict[str, Any] = {
        "set": name,
        "source": manifest_source,
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "made_by": f"{COMMAND} --set {name}"
        + ("" if source == SETS / f"{name}.json" else f" --input {manifest_source}")
        + ("" if out_root == OUT else f" --out {out_root}")
        + (f" --passes {passes}" if passes != 1 else "")
        + (condition_options(condition) if condition else ""),
        "renders": renders,
        "skipped": skipped,
    }
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    manifest["_rendered"] = made
    manifest["_path"] = manifest_path
    manifest["_render_seconds"] = time.perf_counter() - started
    return manifest


def summary(manifest: dict[str, Any]) -> str:
    renders = manifest["renders"]
    audio = sum(r["seconds"] for r in renders)
    lines = [
        f"set {manifest['set']}: {len(renders)} files, {audio / 60:.1f} min of audio, "
        f"{manifest['_rendered']} rendered now in {manifest['_render_seconds']:.0f} s "
        f"({len(renders) - manifest['_rendered']} reused), {len(manifest['skipped'])} skipped",
    ]
    for field in ("voice", "rate_wpm", "noise", "pacing"):
        counts = Counter(str(r[field]) for r in renders)
        lines.append(f"  {field}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    wpm = [r["measured_wpm"] for r in renders]
    if wpm:
        lines.append(f"  measured words a minute: {min(wpm):.0f} to {max(wpm):.0f}")
    snr = [r["measured_snr_db"] for r in renders if "measured_snr_db" in r]
    if snr:
        lines.append(f"  measured SNR: {min(snr):.1f} to {max(snr):.1f} dB")
    path: Path = manifest["_path"]
    lines.append(f"  manifest: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    lines.append(f"  command: {manifest['made_by']}")
    return "\n".join(lines)


def condition_options(condition: Condition) -> str:
    """The command-line options that ask for ``condition``."""
    noise = f" --noise {condition.noise} --snr {condition.snr_db}" if condition.noise else ""
    return f" --voice {condition.voice} --rate {condition.rate_wpm} --pacing {condition.pacing}{noise}"


def _condition(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Condition | None:
    """The one condition the options ask for, or None for the plan."""
    given = [args.voice, args.rate, args.pacing]
    if not any(given) and args.noise is None:
        return None
    if not all(given) or (args.noise is None) != (args.snr is None):
        parser.error("one condition needs --voice, --rate and --pacing, and --snr with --noise")
    return Condition(args.voice, args.rate, args.noise, args.snr, args.pacing)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", required=True, help="reads bench/dictation_sets/SET.json unless --input")
    parser.add_argument("--input", type=Path, help="another dictation file of the same shape")
    parser.add_argument(
        "--out", type=Path, default=OUT, help=f"where sets go (default {OUT.relative_to(ROOT)})"
    )
    parser.add_argument("--passes", type=int, default=1, help="conditions per dictation (default 1)")
    parser.add_argument("--skip-missing", action="store_true", help="render the voices that can run")
    parser.add_argument("--plan", action="store_true", help="print the planned renders as JSON lines only")
    one = parser.add_argument_group("one condition for every dictation, instead of the plan")
    one.add_argument("--voice", choices=sorted(VOICES))
    one.add_argument("--rate", type=int, metavar="WPM")
    one.add_argument("--pacing", choices=PACINGS)
    one.add_argument("--noise", choices=["pink", "brown", "babble"])
    one.add_argument("--snr", type=int, metavar="DB")
    args = parser.parse_args(argv)
    condition = _condition(parser, args)
    source = (args.input or SETS / f"{args.set}.json").resolve()
    if not source.exists():
        print(f"no dictation set at {source}", file=sys.stderr)
        return 2
    if args.plan:
        dictations = json.loads(source.read_text())["dictations"]
        for index, wanted in planned(len(dictations), passes=args.passes, condition=condition):
            print(json.dumps({"id": dictations[index]["id"], **asdict(wanted)}))
        return 0
    manifest = render_set(
        args.set,
        source,
        out_root=args.out.resolve(),
        passes=args.passes,
        skip_missing=args.skip_missing,
        condition=condition,
    )
    print(summary(manifest))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
