"""The ``clinicdesk`` command: picks the subcommand, imports only what it needs, runs it.

Lives outside the layers because it routes to both ``app`` (command-line work) and ``ui`` (the
window), and app may not import ui. Subcommands are modules with ``configure(parser)`` and
``run(args) -> int``; they are imported lazily so ``clinicdesk schedule`` never pays for Qt or
speech models. User errors (ClinicDeskError) print one line to stderr; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import signal
import sys

from clinicdesk import __version__
from clinicdesk.errors import ClinicDeskError

#: name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "gui": ("ui.cmd_gui", "start the desktop app"),
    "screenshot": ("ui.cmd_screenshot", "render a view of the real window to a PNG"),
    "seed": ("app.cli.cmd_seed", "create an encrypted profile with demo data"),
    "demo-profile": (
        "app.cli.cmd_demo_profile",
        "create the demo profile if missing; print its path",
    ),
    "schedule": ("app.cli.cmd_schedule", "print a day's appointments and time blocks"),
    "patients": ("app.cli.cmd_patients", "search patients"),
    "passwd": ("app.cli.cmd_passwd", "change a profile's password"),
    "transcribe": ("app.cli.cmd_transcribe", "transcribe a WAV file"),
    "devices": ("app.cli.cmd_devices", "list the microphones (PortAudio)"),
    "soap": ("app.cli.cmd_soap", "structure a transcript (stdin) into a SOAP note"),
    "dictate": ("app.cli.cmd_dictate", "transcribe a WAV file and structure it into a SOAP note"),
    "sync": ("app.cli.cmd_sync", "run one sync with the central server"),
    "export-fhir": ("app.cli.cmd_export_fhir", "export signed notes as a FHIR R4 Bundle (US Core)"),
    "import-patients": ("app.cli.cmd_import_patients", "import patients from a CSV file or a FHIR bundle"),
}


def _available() -> dict[str, tuple[str, str]]:
    """Commands whose module exists (features land one issue at a time)."""
    found = {}
    for name, (module, text) in COMMANDS.items():
        if importlib.util.find_spec(module) is not None:
            found[name] = (module, text)
    return found


def build_parser(commands: dict[str, tuple[str, str]]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clinicdesk", description="ClinicDesk for clinicians.")
    parser.add_argument("--version", action="version", version=f"clinicdesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, text) in commands.items():
        sub.add_parser(name, help=text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    commands = _available()
    if not argv:
        argv = ["gui"]
    if argv[0] not in commands:
        build_parser(commands).parse_args(argv)  # prints usage / version and exits
        return 2
    name = argv[0]
    module = importlib.import_module(commands[name][0])
    parser = argparse.ArgumentParser(prog=f"clinicdesk {name}", description=commands[name][1])
    module.configure(parser)
    args = parser.parse_args(argv[1:])
    try:
        code = int(module.run(args))
        sys.stdout.flush()  # here, not at exit: a reader that went away is answered below
        return code
    except BrokenPipeError:
        return _reader_gone()
    except ClinicDeskError as exc:
        print(f"clinicdesk {name}: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"clinicdesk {name}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: one line, no traceback, no patient data
        print(
            f"clinicdesk {name}: internal error ({type(exc).__name__}); please report it",
            file=sys.stderr,
        )
        return 70


def _reader_gone() -> int:
    """The program reading the output stopped early (``clinicdesk patients ... | head``): end quietly,
    as Unix tools do, with the status of a process ended by SIGPIPE. What is still buffered for the
    closed pipe goes nowhere, so the interpreter's own flush at exit cannot complain either."""
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), sys.stdout.fileno())
    return 128 + int(getattr(signal, "SIGPIPE", 13))


if __name__ == "__main__":
    sys.exit(main())
