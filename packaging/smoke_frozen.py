"""Smoke test of a frozen ClinicDesk build: loads, with the bundle alone, what breaks on a new system.

    python packaging/smoke_frozen.py EXE --work DIR [--whisper-model NAME] [--vosk]

EXE is the built executable (dist/clinicdesk/clinicdesk.exe on Windows,
dist/ClinicDesk.app/Contents/MacOS/clinicdesk on macOS, dist/clinicdesk/clinicdesk on Linux). The CI
jobs run it right after the build; the Linux frozen-build test runs it too, so its first real run is not
on a Windows or macOS runner. Steps, each printed as it passes (the first failure ends the run, exit 1):

1. ``--version``.
2. ``seed`` a profile, then ``schedule`` a day on which a patient with a non-ASCII name (the demo names
   include Wiśniewski, Côté, José) is booked, with PYTHONIOENCODING and PYTHONUTF8 removed from the
   environment: the output must be UTF-8 and hold the name. Piped from a Windows console, stdout is
   cp1252 unless the build runs in UTF-8 mode, and the name ends the command in an error.
3. ``transcribe`` a generated WAV with the bundled Whisper model (CTranslate2) and, with --vosk, the
   bundled Vosk model (libvosk); both engines load their native library and model when opened.
4. The microphone list through PortAudio: ``devices`` when the build has that command (a build without
   it gets a CI warning, as PortAudio is then only reached from the settings page below).
5. ``screenshot`` of the schedule and of the settings page (which lists the microphones) on Qt's
   offscreen platform, and ``gui`` up to the first paint of the schedule.

Only the standard library, so CI can run it with the runner's Python.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import struct
import subprocess
import sys
import wave
from datetime import date, timedelta
from pathlib import Path

PASSWORD = "smoke test password 1"
#: a Monday; the demo seeder books appointments on the days around it
DAY = date(2025, 3, 3)
PATIENTS = 1000
SAMPLE_RATE = 16_000
TIMEOUT = 600


class SmokeFailure(Exception):
    pass


class Frozen:
    """Runs the executable with a clean, non-UTF-8-forcing environment and a private data folder."""

    def __init__(self, exe: Path, work: Path) -> None:
        self.exe = exe
        self.work = work
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONIOENCODING", "PYTHONUTF8", "PYTHONPATH", "PYTHONHOME", "CLINICDESK_PASSWORD")
        }
        self.env.update(
            CLINICDESK_HOME=str(work / "home"),
            CLINICDESK_PASSWORD=PASSWORD,
            QT_QPA_PLATFORM="offscreen",
        )

    def run(self, step: str, *args: str, **env: str) -> str:
        """The command's standard output, decoded as UTF-8; SmokeFailure when it fails."""
        done = subprocess.run(
            [str(self.exe), *args],
            env={**self.env, **env},
            cwd=self.work,
            capture_output=True,
            timeout=TIMEOUT,
            check=False,
        )
        stderr = done.stderr.decode("utf-8", "replace").strip()
        if done.returncode != 0:
            raise SmokeFailure(f"{step}: exit code {done.returncode}: {stderr[-2000:]}")
        try:
            return done.stdout.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SmokeFailure(f"{step}: the output is not UTF-8 ({exc})") from None


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def passed(step: str, detail: str = "") -> None:
    say(f"smoke: ok   {step}{': ' + detail if detail else ''}")


def write_wav(path: Path, seconds: float = 3.0) -> Path:
    """A voiced, syllable-like signal (a 140 Hz buzz with vowel-ish harmonics, four bursts a second):
    loud and speech-shaped enough for the voice detector to hand it to the recogniser."""
    frames = bytearray()
    for n in range(int(SAMPLE_RATE * seconds)):
        t = n / SAMPLE_RATE
        envelope = max(0.0, math.sin(2 * math.pi * 2 * t)) ** 0.5
        voice = sum(math.sin(2 * math.pi * 140 * k * t) / k for k in (1, 2, 3, 5, 7))
        frames += struct.pack("<h", int(9000 * envelope * voice / 2.2))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(bytes(frames))
    return path


def check_version(app: Frozen) -> None:
    out = app.run("version", "--version").strip()
    if not out.startswith("clinicdesk "):
        raise SmokeFailure(f"version: unexpected output {out!r}")
    passed("version", out)


def non_ascii_names(schedule: dict[str, object]) -> list[str]:
    entries = schedule.get("entries")
    names = []
    for entry in entries if isinstance(entries, list) else []:
        patient = entry.get("patient") if isinstance(entry, dict) else None
        name = patient.get("name") if isinstance(patient, dict) else None
        if isinstance(name, str) and not name.isascii():
            names.append(name)
    return names


def check_profile_and_encoding(app: Frozen) -> Path:
    profile = app.work / "home" / "profiles" / "smoke"
    args = (
        "--profile",
        str(profile),
        "--patients",
        str(PATIENTS),
        "--days",
        "14",
        "--today",
        DAY.isoformat(),
    )
    app.run("seed", "seed", *args)
    passed("seed", f"{PATIENTS} patients")
    days = [DAY + timedelta(days=d) for off in range(8) for d in sorted({off, -off})]
    for day in (d for d in days if d.isoweekday() <= 5):
        when = ("--profile", str(profile), "--date", day.isoformat())
        schedule = json.loads(app.run("schedule (json)", "schedule", *when, "--format", "json"))
        names = non_ascii_names(schedule)
        if names:
            text = app.run("schedule (text)", "schedule", *when)
            if names[0] not in text:
                raise SmokeFailure(f"schedule: the text output of {day} lacks a name its JSON output has")
            passed("schedule prints non-ASCII names as UTF-8", f"{len(names)} on {day}")
            return profile
    raise SmokeFailure("schedule: no patient with a non-ASCII name is booked around the seeded day")


def check_speech(app: Frozen, *, whisper: str, vosk: bool) -> None:
    wav = write_wav(app.work / "generated.wav")
    out = json.loads(
        app.run("transcribe (whisper)", "transcribe", str(wav), "--model", whisper, "--format", "json")
    )
    if out.get("engine") != "whisper" or out.get("model") != whisper or not out.get("audio_seconds"):
        raise SmokeFailure(f"transcribe (whisper): unexpected result {out!r}")
    passed("transcribe with the bundled Whisper model (CTranslate2)", whisper)
    if vosk:
        out = json.loads(
            app.run("transcribe (vosk)", "transcribe", str(wav), "--engine", "vosk", "--format", "json")
        )
        if out.get("engine") != "vosk" or not out.get("audio_seconds"):
            raise SmokeFailure(f"transcribe (vosk): unexpected result {out!r}")
        passed("transcribe with the bundled Vosk model (libvosk)", str(out.get("model")))


def check_microphones(app: Frozen) -> None:
    help_text = app.run("help", "--help")
    if " devices " not in help_text:
        say(
            "::warning::smoke: this build has no 'clinicdesk devices' command, so PortAudio is only "
            "reached from the settings page, where a failure is silent"
        )
        return
    out = app.run("devices", "devices")
    passed("devices lists the microphones through PortAudio", f"{len(out.splitlines())} lines")


def check_window(app: Frozen, profile: Path) -> None:
    for view in ("schedule", "settings"):
        png = app.work / f"{view}.png"
        when = ("--date", DAY.isoformat()) if view == "schedule" else ()
        app.run(
            f"screenshot {view}",
            "screenshot",
            "--profile",
            str(profile),
            "--view",
            view,
            *when,
            "--out",
            str(png),
        )
        header = png.read_bytes()[:24] if png.is_file() else b""
        if header[:8] != b"\x89PNG\r\n\x1a\n" or struct.unpack(">II", header[16:24]) != (1280, 800):
            raise SmokeFailure(f"screenshot {view}: {png} is not a 1280x800 PNG")
        passed(f"screenshot of the {view} view (Qt offscreen)", f"{png.stat().st_size} bytes")
    out = app.run(
        "gui",
        "gui",
        "--profile",
        str(profile),
        "--date",
        DAY.isoformat(),
        CLINICDESK_EXIT_AFTER_FIRST_PAINT="1",
    )
    if "first-paint " not in out:
        raise SmokeFailure(f"gui: no first paint reported: {out[-500:]!r}")
    passed("gui paints the schedule")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("exe", type=Path, help="the frozen clinicdesk executable")
    parser.add_argument("--work", type=Path, required=True, help="an empty folder for profiles and files")
    parser.add_argument("--whisper-model", default="base", help="the bundled Whisper model's name (base)")
    parser.add_argument("--vosk", action="store_true", help="the build bundles a Vosk model: test it too")
    args = parser.parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):  # a child's message may not fit this console's code page
        sys.stdout.reconfigure(errors="backslashreplace")
    if not args.exe.is_file():
        sys.stderr.write(f"smoke: {args.exe} not found\n")
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    app = Frozen(args.exe.resolve(), args.work.resolve())
    try:
        check_version(app)
        profile = check_profile_and_encoding(app)
        check_speech(app, whisper=args.whisper_model, vosk=args.vosk)
        check_microphones(app)
        check_window(app, profile)
    except (SmokeFailure, subprocess.TimeoutExpired, json.JSONDecodeError, OSError) as exc:
        say(f"smoke: FAILED {exc}")
        return 1
    say("smoke: all steps passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
