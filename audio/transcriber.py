"""The Transcriber interface every speech engine implements, and the results they share.

Two capabilities, kept apart because the engines differ: every engine turns one finished utterance
into text (``transcribe``); a streaming engine (Vosk) also opens a ``Stream`` that gives partial text
while the doctor is still speaking. Callers never need to know which engine they hold.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, replace

from audio.marks import CORRECTION, UNCERTAIN, Mark, shift
from audio.wavfile import FloatArray
from clinicdesk.errors import SpeechError


@dataclass(frozen=True)
class Recognition:
    """One engine's text for one stretch of audio; confidence is in [0, 1]. ``marks``: the automatic
    corrections made to the heard words and the words heard uncertainly (``audio.marks``)."""

    text: str
    confidence: float
    marks: tuple[Mark, ...] = ()


@dataclass(frozen=True)
class Utterance:
    """A finished utterance: times are seconds from the start of the recording."""

    text: str
    start: float
    end: float
    confidence: float
    engine: str
    #: corrections and uncertain words, with character spans of ``text``
    marks: tuple[Mark, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "confidence": round(self.confidence, 4),
            "corrections": [m.to_json() for m in self.marks if m.kind == CORRECTION],
            "uncertain": [m.to_json() for m in self.marks if m.kind == UNCERTAIN],
        }

    def sliced(self, start: int, end: int) -> Utterance:
        """The part of this utterance at characters ``start:end`` (a voice command split it), with the
        marks that fall inside it."""
        piece = self.text[start:end]
        lead = len(piece) - len(piece.lstrip())
        text = piece.strip()
        marks = shift(self.marks, -(start + lead), limit=(start + lead, start + lead + len(text)))
        return replace(self, text=text, marks=tuple(marks))


class Stream(ABC):
    """A live recognition: feed audio as it arrives, read partial text, finish the utterance."""

    @abstractmethod
    def accept(self, audio: FloatArray) -> str | None:
        """Feeds 16 kHz mono audio; returns the new partial text when it changed, else None."""

    @abstractmethod
    def finish(self) -> Recognition:
        """Ends the utterance and returns its final text; the stream is ready for the next one."""

    @abstractmethod
    def reset(self) -> None:
        """Drops everything heard since the last finish (used by "scratch that" mid-utterance)."""

    def hold(self, held: bool) -> None:  # noqa: B027 - most streams decode cheaply and ignore it
        """While ``held``, the final engine is at work on the last utterance: a stream whose decoding is
        costly decodes as little as it can (the first words of an utterance still), so the two do not
        slow each other down on a machine with two cores. Audio is still taken in full."""


class Transcriber(ABC):
    """A speech engine with a loaded model. Not thread-safe: one caller at a time."""

    engine: str
    model: str

    @property
    def streaming(self) -> bool:
        return False

    @abstractmethod
    def transcribe(self, audio: FloatArray) -> Recognition:
        """Text of one finished utterance (16 kHz mono)."""

    def stream(self) -> Stream:
        """Live recognition; callers check ``streaming`` first (Whisper only hears finished utterances)."""
        raise SpeechError(
            f"The {self.engine} engine has no live text; choose Vosk or two-pass to see words as spoken."
        )
