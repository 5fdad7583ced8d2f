"""Voice commands said while dictating. A command is never written into the note."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from audio.transcriber import Utterance
from models.enums import SOAP_SECTIONS

SECTIONS = SOAP_SECTIONS


@dataclass(frozen=True)
class Command:
    name: str  # new_paragraph, new_line, scratch_that, go_to, stop
    argument: str | None = None


_WHOLE: dict[str, Command] = {
    "new paragraph": Command("new_paragraph"),
    "next paragraph": Command("new_paragraph"),
    "new line": Command("new_line"),
    "next line": Command("new_line"),
    "scratch that": Command("scratch_that"),
    "undo that": Command("scratch_that"),
    "delete that": Command("scratch_that"),
    "stop dictation": Command("stop"),
    "stop dictating": Command("stop"),
    "end dictation": Command("stop"),
    **{f"go to {s}": Command("go_to", s) for s in SECTIONS},
    **{f"go to the {s}": Command("go_to", s) for s in SECTIONS},
}
_TRAILING = ("new paragraph", "new line", "scratch that", "undo that", "stop dictation")


def _plain(text: str) -> str:
    return " ".join(re.findall(r"[a-z]+", text.lower()))


def parse_command(text: str) -> tuple[str, Command | None]:
    """Splits an utterance into (text to keep, command). "... new paragraph" keeps the words before it."""
    plain = _plain(text)
    if plain in _WHOLE:
        return "", _WHOLE[plain]
    for phrase in _TRAILING:
        if plain.endswith(" " + phrase):
            words = len(phrase.split())
            kept = _strip_last_words(text, words)
            return kept, _WHOLE[phrase]
    return text, None


def _strip_last_words(text: str, n: int) -> str:
    matches = list(re.finditer(r"[A-Za-z]+", text))
    cut = matches[-n].start() if len(matches) >= n else 0
    return text[:cut].rstrip(" ,;:-").strip()


@dataclass
class Dictated:
    """Utterances after commands, and the section each was forced into by "go to ..." (or None)."""

    utterances: list[Utterance]
    sections: list[str | None]
    stopped: bool = False


class CommandState:
    """Applies commands one utterance at a time (shared by file dictation and the live session)."""

    def __init__(self) -> None:
        self.result = Dictated([], [])
        self.section: str | None = None

    def add(self, utterance: Utterance) -> Command | None:
        if self.result.stopped:
            return None
        kept, command = parse_command(utterance.text)
        if kept and command is not None and command.name == "scratch_that":
            return command  # "... scratch that" drops the utterance it ends
        if kept:
            self.result.utterances.append(replace(utterance, text=kept))
            self.result.sections.append(self.section)
        if command is None:
            return None
        if command.name == "scratch_that" and self.result.utterances:
            self.result.utterances.pop()
            self.result.sections.pop()
        elif command.name in ("new_paragraph", "new_line") and self.result.utterances:
            last = self.result.utterances[-1]
            mark = "\n\n" if command.name == "new_paragraph" else "\n"
            self.result.utterances[-1] = replace(last, text=last.text + mark)
        elif command.name == "go_to":
            self.section = command.argument
        elif command.name == "stop":
            self.result.stopped = True
        return command


def apply_commands(utterances: list[Utterance]) -> Dictated:
    state = CommandState()
    for u in utterances:
        state.add(u)
    return state.result
