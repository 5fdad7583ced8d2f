"""GUI-thread responsiveness of the real main window while a dictation and a sync run together.

What runs during each measured run:

* dictation: a 60-second recording of read speech (LibriVox) is dictated into a note through the real
  Whisper engine (faster-whisper, tiny.en by default), fed from the WAV file as fast as the engine
  takes it (``--realtime``: at microphone pace); the live words, the SOAP structuring after each
  utterance and the save of the note and its encrypted recording all happen as in the app;
* sync: the window's own sync controller syncs back to back (each sync starts as soon as the last
  one reported) against a real sync server (uvicorn + PostgreSQL + MongoDB-wire server, on this
  same machine: their CPU use competes with the window's, as it would not in a practice). The
  practice (patients, the doctor's appointments) was pushed to the server by a front-desk client
  and the workstation was set up from the server, as a practice's is, so the doctor's own changes
  (checking in, the encounter, the note, the recording's audio) are accepted when they go up;
* data flowing: another workstation (a separate process signed in as a nurse) creates patients,
  tasks and alerts and updates tasks at ``--colleague-rate`` changes a second and pushes them, so
  every sync pulls real records into the encrypted store; the run ends only after a sync that
  started after the dictation was saved, so that sync pushes the new note and uploads its recording.

A 10 ms QTimer ticks on the GUI thread throughout; the figure is the longest gap between ticks
(target: at most 50 ms), with the 99th percentile, over ``--runs`` runs in one window (the speech
model is loaded before the first run: loading is not what is measured). The machine's load average
is printed with the figure: other processes' CPU use shows in it.

``--trace-gaps MS`` explains gaps longer than MS: every thread's Python stack is sampled while a gap
lasts, garbage collections and modules first imported on the GUI thread are noted, and each long
gap is printed with what coincided with it (the sampling costs time itself: trace to explain, not to
measure). A GUI thread stuck for two minutes gets every thread's stack dumped (faulthandler).

With ``--no-server`` the profile is the demo seed and nothing syncs (dictation only).

    .venv/bin/python -m bench.ui_responsiveness [--runs 3] [--model tiny.en|base] [--seconds 60]
        [--no-server] [--realtime] [--colleague-rate 20] [--trace-gaps 25]
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.ui_practice import (
    DAYS,
    DOCTOR,
    FRONT_DESK,
    NURSE,
    PASSWORD,
    PATIENTS,
    SERVER_PASSWORD,
    colleague,
    colleague_trouble,
    set_up_practice,
    set_up_workstation,
    stop_colleague,
    tell,
)

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora" / "speech" / "librivox"
TARGET_MS = 50.0
TICK_MS = 10
#: the whole process's stacks are dumped and it exits if the GUI thread is stuck this long
HANG_SECONDS = 120


def make_wav(out: Path, seconds: float) -> Path:
    """Real read speech (LibriVox) repeated to ``seconds``; espeak-ng when the corpus is missing."""
    import numpy as np

    from audio.wavfile import encode_wav, read_wav

    clips = [read_wav(p) for p in sorted(CORPORA.glob("*.wav"))] if CORPORA.is_dir() else []
    if not clips:
        raw = out.with_suffix(".raw.wav")
        text = "The patient reports a cough for three days. Blood pressure is one twenty over eighty. " * 3
        subprocess.run(["espeak-ng", "-w", str(raw), text], check=True)
        clips = [read_wav(raw)]
    parts, total = [], 0
    while total < seconds * 16_000:
        for clip in clips:
            parts += [clip, np.zeros(8000, dtype=np.float32)]
            total += len(clip) + 8000
    audio = np.concatenate(parts)[: int(seconds * 16_000)]
    out.write_bytes(encode_wav(audio))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--no-server", action="store_true", help="skip the sync server (dictation only)")
    parser.add_argument("--realtime", action="store_true", help="feed the WAV at microphone pace")
    parser.add_argument(
        "--colleague-rate", type=float, default=20.0, help="changes a second another workstation pushes"
    )
    parser.add_argument("--trace-gaps", type=float, default=0.0, metavar="MS", help="explain gaps over MS")
    parser.add_argument("--gap-log", type=Path, help=argparse.SUPPRESS)  # CLOCK_MONOTONIC times, for perf
    parser.add_argument("--make-wav", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--colleague", nargs=2, metavar=("URL", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.colleague:
        return colleague(args.colleague[0], Path(args.colleague[1]), args.colleague_rate)
    if args.make_wav:
        make_wav(args.make_wav, args.seconds)
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-ui-"))
    os.environ["CLINICDESK_HOME"] = str(work / "home")
    try:
        return run(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path) -> int:
    from contextlib import ExitStack

    profile = work / "profile"
    # The WAV is made in a child process: numpy then loads in the window's process when the app
    # first needs it, as in the app, not before the window exists.
    wav = work / "dictation.wav"
    make = [
        sys.executable,
        "-m",
        "bench.ui_responsiveness",
        "--make-wav",
        str(wav),
        "--seconds",
        str(args.seconds),
    ]
    subprocess.run(make, cwd=ROOT, check=True)

    with ExitStack() as stack:
        server_url = ""
        colleague_proc: subprocess.Popen[str] | None = None
        if args.no_server:
            env = {**os.environ, "CLINICDESK_PASSWORD": PASSWORD}
            seed = ["seed", "--profile", str(profile), "--patients", str(PATIENTS), "--days", str(DAYS)]
            subprocess.run(
                [sys.executable, "-m", "clinicdesk", *seed], env=env, check=True, capture_output=True
            )
        else:
            from server.embedded import EmbeddedMongo, EmbeddedPostgres
            from tests.support.databases import create_database, prepare_database
            from tests.support.server_process import ServerProcess, server_settings
            from tests.support.sync_clients import create_user

            pg = stack.enter_context(EmbeddedPostgres(work / "pg"))
            mongo = stack.enter_context(EmbeddedMongo(work / "mongo"))
            db_url = create_database(pg.url, "bench_ui")
            prepare_database(db_url)
            doctor_id = create_user(db_url, username=DOCTOR, role="doctor", password=SERVER_PASSWORD)
            create_user(db_url, username=NURSE, role="nurse", password=SERVER_PASSWORD)
            create_user(db_url, username=FRONT_DESK, role="admin", password=SERVER_PASSWORD)
            settings = server_settings(database_url=db_url, mongodb_url=mongo.url, mongodb_db="bench_ui")
            server = ServerProcess(settings, work / "server.log").start()
            stack.callback(server.stop)
            server_url = server.url
            set_up_practice(server_url, work / "front-desk.db", doctor_id)
            set_up_workstation(server_url, profile)
            if args.colleague_rate > 0:
                (work / "colleague").mkdir()
                log = stack.enter_context((work / "colleague" / "log.txt").open("w"))
                colleague_proc = subprocess.Popen(
                    [sys.executable, "-m", "bench.ui_responsiveness", "--colleague", server_url,
                     str(work / "colleague"), "--colleague-rate", str(args.colleague_rate)],
                    cwd=ROOT, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, text=True,
                )  # fmt: skip
                stack.callback(stop_colleague, colleague_proc)
        return measure(args, profile, wav, server_url, colleague_proc)


# --- measuring --------------------------------------------------------------------------------------


@dataclass
class RunResult:
    gaps: list[float]
    seconds: float
    words: int
    syncs: int = 0
    pulled: int = 0
    pushed: int = 0
    uploaded: int = 0
    sync_errors: list[str] = field(default_factory=list)

    @property
    def max_gap(self) -> float:
        return max(self.gaps)

    @property
    def p99(self) -> float:
        return percentile(self.gaps, 99)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]


class GapTracer:
    """While the GUI thread is late by more than ``threshold_ms``, samples every thread's Python stack
    every 2 ms (sys._current_frames), so each long gap can be matched with what was running. The
    sampler needs the GIL itself: a sample that comes late is evidence of who held it."""

    def __init__(self, threshold_ms: float, last_tick: Callable[[], float]) -> None:
        self.threshold = threshold_ms
        self.last_tick = last_tick
        self.samples: list[tuple[float, float, dict[str, list[str]]]] = []
        self._stop = threading.Event()
        self._gui = threading.get_ident()
        self._named: set[int] = set()
        self.gui_imports: list[tuple[float, str]] = []
        sys.meta_path.insert(0, self)  # type: ignore[arg-type]
        self.collections: list[tuple[float, float, int, str]] = []  # start, ms, generation, thread
        self._gc_started = 0.0
        gc.callbacks.append(self._gc)
        self._thread = threading.Thread(target=self._run, name="gap-tracer", daemon=True)
        self._thread.start()

    def _name_threads(self) -> None:
        """Gives Python threads their names at the OS level too (Linux), so perf and /proc show them."""
        for thread in threading.enumerate():
            tid = thread.native_id
            if tid is not None and tid not in self._named:
                self._named.add(tid)
                name = "gui" if thread.ident == self._gui else thread.name.replace("clinicdesk-", "")
                with contextlib.suppress(OSError):
                    Path(f"/proc/self/task/{tid}/comm").write_text(name[:15])

    def _run(self) -> None:
        countdown = 0
        while not self._stop.wait(0.002):
            countdown -= 1
            if countdown <= 0:
                self._name_threads()
                countdown = 250
            last = self.last_tick()
            now = time.perf_counter() * 1000
            if last and now - last > self.threshold:
                self.samples.append((now, last, self._stacks()))

    def _stacks(self) -> dict[str, list[str]]:
        names = {t.ident: t.name for t in threading.enumerate()}
        out: dict[str, list[str]] = {}
        for ident, frame in sys._current_frames().items():
            if ident == threading.get_ident():
                continue
            stack: list[str] = []
            f: Any = frame
            while f is not None and len(stack) < 40:
                path = f.f_code.co_filename
                short = (
                    path.split("site-packages/")[-1].split("/lib/python3")[-1].replace(str(ROOT) + "/", "")
                )
                stack.append(f"{short}:{f.f_lineno} {f.f_code.co_name}")
                f = f.f_back
            name = "GUI" if ident == self._gui else names.get(ident, "pool/other")
            out[name] = stack
        return out

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        """On sys.meta_path while tracing: notes each module imported on the GUI thread."""
        if threading.get_ident() == self._gui:
            self.gui_imports.append((time.perf_counter() * 1000, name))

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        """Python's cyclic garbage collector holds the GIL for a whole collection, on any thread."""
        now = time.perf_counter() * 1000
        if phase == "start":
            self._gc_started = now
        else:
            self.collections.append(
                (
                    self._gc_started,
                    now - self._gc_started,
                    info["generation"],
                    threading.current_thread().name,
                )
            )

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._gc)
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)  # type: ignore[arg-type]

    def report(self, start: float, ticks: list[float]) -> list[str]:
        """Each gap longer than the threshold with the stacks sampled during it (none at all: one
        call held the GIL throughout, or the process did not run), then the long garbage
        collections and the modules first imported on the GUI thread."""
        by_gap: dict[float, list[tuple[float, dict[str, list[str]]]]] = {}
        for now, last, stacks in self.samples:
            by_gap.setdefault(last, []).append((now, stacks))
        lines = []
        for last, following in pairwise(ticks):
            if following - last <= self.threshold:
                continue
            samples = by_gap.get(last, [])
            lines.append(
                f"  gap {following - last:.0f} ms at +{(last - start) / 1000:.2f} s ({len(samples)} samples)"
                + (":" if samples else ": no sample, the tracer could not run either")
            )
            counts: Counter[str] = Counter()
            for _now, stacks in samples:
                for name, stack in stacks.items():
                    counts[f"{name}: {_summary(stack)}"] += 1
            for what, k in counts.most_common(8):
                lines.append(f"    {k:2d}x {what}")
        slow = [c for c in self.collections if c[1] >= 5]
        if slow:
            lines.append(
                f"  garbage collections of 5 ms or more ({len(self.collections)} in all): "
                + ", ".join(
                    f"gen {g} {ms:.0f} ms at +{(t - start) / 1000:.2f} s on {who}" for t, ms, g, who in slow
                )
            )
        if self.gui_imports:
            names = ", ".join(name for _t, name in self.gui_imports[:30])
            lines.append(f"  modules first imported on the GUI thread during the run: {names}")
        return lines


def _summary(stack: list[str]) -> str:
    """The innermost frames that say what a thread does: its own code first, then a library's."""
    own = [s for s in stack if s.startswith(("clinicdesk/", "bench/"))]
    inner = [s for s in stack[:3] if "threading.py" not in s]
    parts = inner[:2] + [s for s in own[:2] if s not in inner]
    return " < ".join(parts) if parts else (stack[0] if stack else "?")


def measure(
    args: argparse.Namespace,
    profile: Path,
    wav: Path,
    server_url: str,
    colleague_proc: subprocess.Popen[str] | None,
) -> int:
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from app.dictation import DictationResult
    from app.ops import schedule as schedule_ops
    from app.settings import WorkstationSettings
    from app.workspace import Workspace
    from models.enums import AppointmentStatus as S
    from ui.app import application
    from ui.main_window import MainWindow

    faulthandler.enable()  # a crash in native code (Qt, a C extension) prints every thread's stack
    app = application()
    settings = WorkstationSettings(speech_engine="whisper", whisper_model=args.model, server_url=server_url)
    workspace = Workspace.unlock(profile, PASSWORD)
    window = MainWindow(workspace, settings=settings, sync_interval=3600)
    window.resize(1280, 800)
    window.show()

    # A GUI thread stuck for HANG_SECONDS dumps every thread's stack and ends the process, so a hang
    # is diagnosed rather than waited on. Re-armed each second from the GUI thread.
    def rearm() -> None:
        faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)

    watchdog = QTimer()
    watchdog.setInterval(1000)
    watchdog.timeout.connect(rearm)
    watchdog.start()
    rearm()

    def spin_until(done: Callable[[], object], timeout_s: float = 600) -> None:
        deadline = time.monotonic() + timeout_s
        while not done() and time.monotonic() < deadline:
            loop = QEventLoop()
            QTimer.singleShot(20, loop.quit)
            loop.exec()
        if not done():
            faulthandler.dump_traceback(all_threads=True)
            raise SystemExit("timed out; the stacks of all threads are above")

    spin_until(lambda: window.schedule.schedule is not None and window.runner.pending == 0)
    reports: list[Any] = []
    errors: list[str] = []
    window.sync.synced.connect(reports.append)
    window.sync.failed.connect(lambda e: errors.append(type(e).__name__))
    if server_url:
        window.sync.sync_now()  # a first sync settles what the window's opening wrote; not measured
        spin_until(lambda: bool(reports or errors))
    day = workspace.today()
    entries = [
        e
        for d in (day + timedelta(days=i) for i in range(14))
        for e in schedule_ops.day(workspace, clinician_id=workspace.user.id, day=d).entries
        if e.kind == "appointment" and e.status in (S.SCHEDULED, S.CONFIRMED)
    ]
    if len(entries) < args.runs:
        raise SystemExit(f"only {len(entries)} appointments to dictate into")

    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter() * 1000))
    syncing = {"on": False}

    def next_sync(_payload: object = None) -> None:  # back to back, through the window's controller
        if syncing["on"]:
            QTimer.singleShot(0, window.sync.sync_now)

    window.sync.synced.connect(next_sync)
    window.sync.failed.connect(next_sync)
    finished: list[object] = []
    window.encounter.dictation_finished.connect(finished.append)
    window.encounter.failed.connect(lambda e: finished.append(e))  # a failed dictation ends the run too

    results: list[RunResult] = []
    for number, entry in enumerate(entries[: args.runs], start=1):
        window.schedule.load(entry.start.date())
        spin_until(
            lambda e=entry: (
                window.schedule.select_appointment(e.appointment_id) and window.runner.pending == 0
            )
        )
        window.schedule.request_encounter()
        spin_until(lambda: window.encounter.editable)
        # loaded before measuring: loading is not the test
        window.encounter.dictation.controller.ensure_engine()
        spin_until(
            lambda: (
                window.encounter.dictation.controller.engine is not None
                and window.encounter.dictation.controller.state == "idle"
                and window.runner.pending == 0
            )
        )
        finished.clear()
        ticks.clear()
        first_report, first_error = len(reports), len(errors)
        tracer = GapTracer(args.trace_gaps, lambda: ticks[-1] if ticks else 0.0) if args.trace_gaps else None
        timer.start()
        started = time.perf_counter()
        if server_url:
            tell(colleague_proc, "go")
            syncing["on"] = True
            window.sync.sync_now()
        window.encounter.dictate_file(wav, realtime=args.realtime)
        spin_until(lambda: bool(finished))
        seconds = time.perf_counter() - started
        if not any(isinstance(f, DictationResult) for f in finished):
            raise SystemExit(f"run {number}: the dictation failed: {finished}")
        if server_url:  # until a sync that started after the save has reported: it sends the note
            saved_at = len(reports) + len(errors)
            spin_until(lambda at=saved_at: len(reports) + len(errors) >= at + 2)
            syncing["on"] = False
            tell(colleague_proc, "pause")
        timer.stop()
        if tracer is not None:
            tracer.stop()
        spin_until(lambda: not window.sync.syncing and window.runner.pending == 0)
        editor = window.encounter.editor
        words = sum(
            len(editor.section_text(s).split()) for s in ("subjective", "objective", "assessment", "plan")
        )
        mine = reports[first_report:]
        result = RunResult(
            gaps=[b - a for a, b in pairwise(ticks)],
            seconds=seconds,
            words=words,
            syncs=len(mine) + len(errors) - first_error,
            pulled=sum(r.pulled for r in mine),
            pushed=sum(r.pushed for r in mine),
            uploaded=sum(r.uploaded for r in mine),
            sync_errors=errors[first_error:] + [e for r in mine for e in r.errors],
        )
        results.append(result)
        if args.gap_log:
            with args.gap_log.open("a") as log:
                print("gui_tid", threading.get_native_id(), file=log)
                for a, b in pairwise(ticks):
                    if b - a > 2 * TICK_MS:
                        print(f"{a / 1000:.6f} {b / 1000:.6f} {b - a:.1f}", file=log)
        print(
            f"run {number}: max gap {result.max_gap:.1f} ms, p99 {result.p99:.1f} ms, "
            f"median {statistics.median(result.gaps):.1f} ms over {len(result.gaps)} ticks; dictation "
            f"{result.seconds:.1f} s ({result.words} words); "
            + (
                f"{result.syncs} syncs: {result.pulled} records pulled, {result.pushed} pushed, "
                f"{result.uploaded} recording(s) uploaded"
                + (f", errors: {', '.join(sorted(set(result.sync_errors)))}" if result.sync_errors else "")
                + colleague_trouble(colleague_proc, profile.parent / "colleague" / "log.txt")
                if server_url
                else "no server"
            ),
            flush=True,
        )
        if tracer is not None:
            print("\n".join(tracer.report(started * 1000, ticks)), flush=True)

    faulthandler.cancel_dump_traceback_later()
    window.close()
    _ = app
    maxima = [r.max_gap for r in results]
    pooled = [g for r in results for g in r.gaps]
    load = os.getloadavg()
    colleague_note = (
        f", another workstation pushing {args.colleague_rate:g} changes/s"
        if server_url and colleague_proc
        else ""
    )
    print(
        f"gui_max_gap: {max(maxima):.1f} ms (runs: {', '.join(f'{m:.1f}' for m in maxima)}; median "
        f"{statistics.median(maxima):.1f}), p99 {percentile(pooled, 99):.1f} ms over {len(pooled)} ticks of "
        f"{TICK_MS} ms; {args.seconds:.0f} s WAV dictated with whisper {args.model}"
        f"{' at real-time pace' if args.realtime else ''}, "
        + ("back-to-back syncs against a real server" + colleague_note if server_url else "no sync server")
        + f"; target max gap <= {TARGET_MS:.0f} ms; load average {load[0]:.2f} {load[1]:.2f}"
        + "   (command: .venv/bin/python -m bench.ui_responsiveness "
        + " ".join(sys.argv[1:])
        + ")"
    )
    return 0 if max(maxima) <= TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
