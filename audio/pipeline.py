"""From audio to utterances with the chosen engine(s): Vosk, Whisper, or both (two-pass).

A file is split into utterances by the voice-activity step first, then each utterance is recognised;
that keeps Whisper within its 30-second window and silence away from every engine. In two-pass mode
Vosk's text is what the doctor sees live and Whisper's replaces it when the utterance is finished.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from audio.marks import DIAGNOSIS_ALIKE, TrackedText
from audio.medvocab import MedicalCorrector
from audio.second_opinion import PROMPT_COPY
from audio.transcriber import Recognition, Transcriber, Utterance
from audio.vad import VadConfig, split_utterances
from audio.wavfile import SAMPLE_RATE, FloatArray, read_wav
from audio.whisper_engine import DIAGNOSIS_HINT, WhisperTranscriber
from clinicdesk.errors import SpeechError

ENGINES = ("vosk", "whisper", "two-pass", "moonshine")


@dataclass
class SpeechEngine:
    """The engines one dictation uses. ``live`` streams (Vosk); ``accurate`` finishes (Whisper)."""

    mode: str
    live: Transcriber | None = None
    accurate: Transcriber | None = None
    corrector: MedicalCorrector | None = None
    #: a second engine whose text for the same audio checks the accurate one's (Moonshine)
    check: Transcriber | None = None
    #: whether the dictation is in its assessment now (after "Assessment", before "Plan")
    in_assessment: bool = False

    @property
    def model(self) -> str:
        names = [t.model for t in (self.live, self.accurate) if t is not None and t is not self.check]
        return "+".join(names)

    def recognise(self, audio: FloatArray, *, live_text: Recognition | None = None) -> Recognition:
        """Final text of one utterance; ``live_text`` is the live engine's, already heard, when streaming.

        Every pass after the engine is recorded (``audio.marks``): what it changed, and the words heard
        uncertainly, go with the text so the doctor can review them."""
        if self.accurate is not None:
            result = self.accurate.transcribe(audio)
        elif live_text is not None:
            result = live_text
        elif self.live is not None:
            result = self.live.transcribe(audio)
        else:  # pragma: no cover - open_engine always sets one
            raise SpeechError("No speech engine is loaded.")
        if not result.text:
            return result
        tracked = TrackedText(result.text, result.marks)
        whisper = self.accurate if isinstance(self.accurate, WhisperTranscriber) else None
        if whisper is not None:
            self._closed_set(audio, tracked, whisper)
        if self.corrector is not None:
            if whisper is not None:
                # Whisper is asked first, before any spelling guess: a guess from the full drug list
                # ("as it reminds in" -> "betaderm") would fill the slot with a name and hide it from
                # the recovery, which knows the commonly prescribed drugs and checks against the audio
                for name, fix in self.corrector.passes(names=False):
                    tracked.apply(name, fix)
                self._recover_drugs(audio, tracked, whisper)
            for name, fix in self.corrector.passes(sound=whisper is None):
                tracked.apply(name, fix)
            if whisper is not None:
                self._recover_diagnoses(audio, tracked, whisper)
        else:
            self._follow(tracked.text)
        other = self._second_opinion(audio, live_text)
        if other is not None and other.text:
            from audio.second_opinion import compare

            compare(tracked, other.text)
        return Recognition(tracked.text, result.confidence, tuple(tracked.marks))

    def begin(self, section: str | None = None) -> None:
        """A new dictation starts, in ``section`` if the doctor chose one (else in none yet)."""
        self.in_assessment = section == "assessment"

    def _second_opinion(self, audio: FloatArray, live_text: Recognition | None) -> Recognition | None:
        """The other engine's text for the same audio, when there is one to compare Whisper with."""
        if self.accurate is None or self.check is None:
            return None
        if live_text is not None and self.live is self.check:
            return live_text
        return self.check.transcribe(audio)

    def _closed_set(self, audio: FloatArray, tracked: TrackedText, whisper: WhisperTranscriber) -> None:
        """A short utterance put to Whisper as a choice among the headers and commands (``closed_set``).
        A short text that only repeats Whisper's own prompt ("Acute bronchitis." for a lone "Assessment")
        is not trusted at all: it is marked, gives the note no diagnosis or drug, and the choice does not
        weigh it."""
        from audio.closed_set import choose

        copied = whisper.copies_prompt(tracked.text)
        if copied:
            core = tracked.text.strip().rstrip(".!?")
            start = tracked.text.index(core) if core in tracked.text else 0
            tracked.flag(
                start, start + len(core), score=None, pass_name=PROMPT_COPY,
                note="Whisper wrote words of its own prompt here; the audio may have said something else",
            )  # fmt: skip
        choice = choose(tracked.text, lambda texts: whisper.score_texts(audio, texts), trust_heard=not copied)
        if choice is not None:
            tracked.replace_text(
                choice.text,
                "closed_set",
                score=choice.margin,
                note="a short utterance read as a header or command",
            )

    def _follow(self, text: str) -> None:
        from audio.diagnosis_rescore import follow_sections

        self.in_assessment = follow_sections(text, self.in_assessment).in_assessment

    def _recover_diagnoses(
        self, audio: FloatArray, tracked: TrackedText, whisper: WhisperTranscriber
    ) -> None:
        """Misheard diagnosis words in the assessment, asked of Whisper (``diagnosis_rescore``); the
        utterances are followed one by one so that only what is said after an assessment header counts."""
        from audio.diagnosis_rescore import follow_sections, recover_diagnoses

        step = follow_sections(tracked.text, self.in_assessment)
        self.in_assessment = step.in_assessment
        if step.content_start is None:
            return
        margins: list[float] = []
        heard = len(tracked.text)
        text = recover_diagnoses(
            tracked.text,
            score=lambda texts: whisper.score_texts(audio, texts),
            decode_with_hint=lambda hint: whisper.transcribe_with_hint(audio, hint, template=DIAGNOSIS_HINT),
            start=step.content_start,
            end=step.content_end,
            margins=margins,
        )
        tracked.replace_text(
            text, "diagnosis_recovery", score=min(margins) if margins else None,
            note="a misheard diagnosis chosen by Whisper against the audio",
        )  # fmt: skip
        self._doubt_sound_alikes(audio, tracked, whisper, step.content_start, step.content_end, heard)

    @staticmethod
    def _doubt_sound_alikes(
        audio: FloatArray,
        tracked: TrackedText,
        whisper: WhisperTranscriber,
        start: int,
        end: int | None,
        heard_length: int,
    ) -> None:
        """Diagnoses the audio does not tell apart from another alike in sound (``sound_alike``): shown
        as uncertain, and listed once the doctor accepts them."""
        from audio.sound_alike import sound_alikes

        if end is not None:
            end += len(tracked.text) - heard_length  # the recovery may have changed the length
        for doubt in sound_alikes(
            tracked.text, score=lambda texts: whisper.score_texts(audio, texts), start=start, end=end
        ):
            tracked.flag(
                doubt.start, doubt.end, score=doubt.gap, pass_name=DIAGNOSIS_ALIKE,
                note=f"the audio fits \"{doubt.alternative}\" as well; the diagnosis is listed once accepted",
            )  # fmt: skip

    def _recover_drugs(self, audio: FloatArray, tracked: TrackedText, whisper: WhisperTranscriber) -> None:
        from audio.drug_rescore import recover_drugs

        assert self.corrector is not None
        margins: list[float] = []
        text = recover_drugs(
            tracked.text,
            score=lambda texts: whisper.score_texts(audio, texts),
            decode_with_hint=lambda hint: whisper.transcribe_with_hint(audio, hint),
            known=self.corrector.snapper.names,
            near_miss=self.corrector.near_miss,
            margins=margins,
        )
        tracked.replace_text(
            text, "drug_recovery", score=min(margins) if margins else None,
            note="a misheard drug name before a dose, chosen by Whisper against the audio",
        )  # fmt: skip


def open_engine(
    engine: str = "whisper",
    *,
    model: str | None = None,
    vosk_model: str | Path | None = None,
    medical: bool = True,
    second_opinion: bool = True,
) -> SpeechEngine:
    """Loads the engines for a mode: ``model`` is the Vosk folder for vosk, else a Whisper name or folder.

    With Whisper alone, Moonshine (when installed) gives the live words and checks each finished
    utterance (``second_opinion``: where the two engines disagree the words are marked uncertain);
    ``moonshine`` mode uses Moonshine alone, for both."""
    if engine not in ENGINES:
        raise SpeechError(f"Unknown speech engine {engine!r}. Use one of: {', '.join(ENGINES)}.")
    from audio.vosk_engine import VoskTranscriber
    from audio.whisper_engine import HOTWORDS, MEDICAL_PROMPT, WhisperTranscriber

    live: Transcriber | None = None
    accurate: Transcriber | None = None
    check: Transcriber | None = None
    if engine == "vosk":
        live = VoskTranscriber(model or vosk_model)
    elif engine == "moonshine":
        from audio.moonshine_engine import MoonshineTranscriber

        live = MoonshineTranscriber(model)
    else:
        accurate = WhisperTranscriber(
            model, initial_prompt=MEDICAL_PROMPT if medical else None, hotwords=HOTWORDS if medical else None
        )
        if engine == "two-pass":
            live = VoskTranscriber(vosk_model)
        elif second_opinion:
            live = check = _moonshine_if_installed()
    corrector = MedicalCorrector.load() if medical and accurate is not None else None
    return SpeechEngine(engine, live, accurate, corrector, check=check)


def _moonshine_if_installed() -> Transcriber | None:
    """Moonshine, or None when it is not installed (Whisper then works alone, as before)."""
    from audio.models import moonshine_available

    if not moonshine_available():
        return None
    from audio.moonshine_engine import MoonshineTranscriber

    return MoonshineTranscriber()


@dataclass
class Transcript:
    utterances: list[Utterance]
    audio_seconds: float
    processing_seconds: float
    engine: str
    model: str
    partials: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(u.text for u in self.utterances if u.text)

    def to_json(self) -> dict[str, object]:
        """The ``clinicdesk transcribe --format json`` contract."""
        return {
            "text": self.text,
            "utterances": [u.to_json() for u in self.utterances],
            "audio_seconds": round(self.audio_seconds, 3),
            "processing_seconds": round(self.processing_seconds, 3),
            "engine": self.engine,
            "model": self.model,
        }


def transcribe_audio(
    audio: FloatArray,
    engine: SpeechEngine,
    *,
    vad: VadConfig | None = None,
    on_partial: Callable[[str], None] | None = None,
) -> Transcript:
    """Recognises every utterance of a finished recording (16 kHz mono)."""
    started = time.perf_counter()
    engine.begin()
    utterances: list[Utterance] = []
    partials: list[str] = []
    step = SAMPLE_RATE // 10
    # one stream for all utterances (finish() readies it for the next): opening one is not free. A file
    # needs no live words from an engine that only checks Whisper: it is asked once per utterance.
    wanted = engine.live is not None and engine.live.streaming
    wanted = wanted and (engine.live is not engine.check or on_partial is not None)
    stream = engine.live.stream() if wanted and engine.live is not None else None
    for seg in split_utterances(audio, vad):
        chunk = audio[seg.start : seg.end]
        live_text: Recognition | None = None
        if stream is not None:
            for i in range(0, len(chunk), step):
                partial = stream.accept(chunk[i : i + step])
                if partial is not None:
                    partials.append(partial)
                    if on_partial is not None:
                        on_partial(partial)
            live_text = stream.finish()
        result = engine.recognise(chunk, live_text=live_text)
        if result.text:
            utterances.append(
                Utterance(
                    result.text,
                    seg.start_seconds,
                    seg.end_seconds,
                    result.confidence,
                    engine.mode,
                    result.marks,
                )
            )
    return Transcript(
        utterances,
        audio_seconds=len(audio) / SAMPLE_RATE,
        processing_seconds=time.perf_counter() - started,
        engine=engine.mode,
        model=engine.model,
        partials=partials,
    )


def transcribe_file(path: str | Path, engine: SpeechEngine, *, vad: VadConfig | None = None) -> Transcript:
    started = time.perf_counter()
    audio = read_wav(path)
    transcript = transcribe_audio(audio, engine, vad=vad)
    transcript.processing_seconds = time.perf_counter() - started
    return transcript
