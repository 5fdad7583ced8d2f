"""Voice commands said while dictating, wherever they fall in an utterance. A command is never written
into the note.

"... lungs are clear new paragraph heart is regular", "heart rate 92 scratch that heart rate 82" and
"go to plan follow up in two weeks" are each one utterance to the engine: the words around a command
are split into pieces that go into the note in order, each with the marks (corrections, uncertain
words) that fall inside it. "Scratch that" drops what was said before it in the same utterance, or the
previous utterance when it starts one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from audio.marks import CORRECTION, KEPT_FROM_SCRATCH, PLACED_BY_COMMAND, UNCERTAIN, Mark
from audio.spoken import SECTIONS, find_commands
from audio.transcriber import Utterance

__all__ = ["SECTIONS", "Command", "CommandState", "Dictated", "apply_commands", "parse_command"]


@dataclass(frozen=True)
class Command:
    name: str  # new_paragraph, new_line, scratch_that, go_to, stop
    argument: str | None = None
    #: the automatic change that made these words a command ("Scratch relax." read as "Scratch that."),
    #: if one did
    read_from: Mark | None = None


def split_commands(utterance: Utterance) -> list[Utterance | Command]:
    """The utterance as pieces of text and the commands between them, in order."""
    out: list[Utterance | Command] = []
    pos = 0
    for found in find_commands(utterance.text):
        piece = utterance.sliced(pos, found.start)
        if _has_words(piece.text):
            out.append(piece)
        changed = [
            m for m in utterance.marks if m.kind == CORRECTION and m.start < found.end and found.start < m.end
        ]
        out.append(Command(found.name, found.argument, changed[0] if changed else None))
        pos = found.end
    rest = utterance.sliced(pos, len(utterance.text))
    if _has_words(rest.text):
        out.append(rest)
    return out


def _has_words(text: str) -> bool:
    return any(c.isalnum() for c in text)


def parse_command(text: str) -> tuple[str, Command | None]:
    """(the words to keep, the first command) of a text: the short form for callers with plain text."""
    pieces = split_commands(Utterance(text, 0.0, 0.0, 1.0, ""))
    kept = " ".join(p.text for p in pieces if isinstance(p, Utterance))
    command = next((p for p in pieces if isinstance(p, Command)), None)
    return kept, command


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
        #: a "go to" the closed set read from other words: the next words it places carry a mark
        self._moved_by: Command | None = None

    def add(self, utterance: Utterance) -> list[Command]:
        """Takes one recognised utterance; returns the commands it said, in order."""
        commands: list[Command] = []
        for piece in split_commands(utterance):
            if self.result.stopped:
                break
            if isinstance(piece, Utterance):
                if self._moved_by is not None:
                    piece, self._moved_by = _placed_by(piece, self._moved_by), None
                self.result.utterances.append(piece)
                self.result.sections.append(self.section)
                continue
            commands.append(piece)
            self._apply(piece)
        return commands

    def _apply(self, command: Command) -> None:
        done = self.result
        if command.name == "scratch_that" and done.utterances and command.read_from is not None:
            done.utterances[-1] = _kept_from_scratch(done.utterances[-1], command.read_from)
        elif command.name == "scratch_that" and done.utterances:
            done.utterances.pop()
            done.sections.pop()
        elif command.name in ("new_paragraph", "new_line") and done.utterances:
            last = done.utterances[-1]
            mark = "\n\n" if command.name == "new_paragraph" else "\n"
            done.utterances[-1] = replace(last, text=last.text + mark)
        elif command.name == "go_to":
            self.section = command.argument
            self._moved_by = command if command.read_from is not None else None
        elif command.name == "stop":
            done.stopped = True


def _kept_from_scratch(last: Utterance, read_from: Mark) -> Utterance:
    """The words a "scratch that" read from other words would drop, kept and marked instead: a command
    the doctor may not have said must not delete what they did say. Their drugs, diagnoses and vitals
    wait for the doctor like any doubtful words."""
    note = (
        f'"scratch that" was read from words heard otherwise ("{read_from.original}"): these words '
        "were kept; delete them if that is what you said"
    )
    return _marked_whole(last, read_from, KEPT_FROM_SCRATCH, note)


def _placed_by(piece: Utterance, command: Command) -> Utterance:
    """The first words a "go to" read from other words placed, marked so the doctor sees why they are in
    that section. The words themselves are as heard, so the mark holds nothing back."""
    assert command.read_from is not None
    note = (
        f'placed in the {command.argument} by "go to {command.argument}", read from words heard otherwise '
        f'("{command.read_from.original}"); move them if that is not what you said'
    )
    return _marked_whole(piece, command.read_from, PLACED_BY_COMMAND, note)


def _marked_whole(piece: Utterance, read_from: Mark, pass_name: str, note: str) -> Utterance:
    """``piece`` with all its words marked uncertain by ``pass_name``, scored as the command's reading."""
    words = piece.text.rstrip()
    start = len(words) - len(words.lstrip())
    if not words.strip():
        return piece
    said = words[start:]
    mark = Mark(UNCERTAIN, start, len(words), said, said, read_from.score, pass_name, note)
    return replace(piece, marks=(*piece.marks, mark))


def apply_commands(utterances: list[Utterance]) -> Dictated:
    state = CommandState()
    for u in utterances:
        state.add(u)
    return state.result
