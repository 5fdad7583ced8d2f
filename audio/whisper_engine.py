"""faster-whisper on the CPU (int8): the accurate engine for finished utterances.

The decoder is primed with medical vocabulary (``initial_prompt``) because Whisper otherwise
hears drug names as ordinary English words; a post-correction pass (``medvocab``) catches the rest.
"""

from __future__ import annotations

import collections
import hashlib
import logging
import math
import os
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from audio.marks import UNCERTAIN, WHISPER_UNSURE, Mark, TrackedText
from audio.models import ModelInfo, locate_whisper
from audio.transcriber import Recognition, Transcriber
from audio.wavfile import FloatArray
from audio.wordlists import hotword_drugs
from clinicdesk.errors import SpeechError

#: a short sample dictation in the register the app expects: section headers said alone, vitals and
#: doses written the clinical way. Whisper continues the style of its prompt, so this is what makes it
#: write "blood pressure 134/86" and "20 milligrams by mouth twice daily" rather than prose.
#: (Its content is generic; it names no patient and is not taken from any benchmark.)
MEDICAL_PROMPT = (
    "Subjective. 47-year-old man with a cough for 5 days. Objective. Vitals: blood pressure 134/86, "
    "heart rate 78, respiratory rate 16, temperature 99.1, oxygen saturation 97%, weight 84 kilograms. "
    "Lungs are clear. Assessment. Acute bronchitis. Plan. Start benzonatate 100 milligrams by mouth "
    "three times daily as needed. Continue lisinopril 20 milligrams by mouth once daily. "
    "Follow up in 2 weeks."
)

#: the short prompt for tiny models: the register and a few common drug names, nothing to imitate
SHORT_MEDICAL_PROMPT = (
    "Clinical dictation. Subjective. Objective. Vitals: blood pressure, heart rate, respiratory rate, "
    "temperature, oxygen saturation. Assessment. Plan. Medications: metformin, lisinopril, atorvastatin, "
    "amlodipine, metoprolol, losartan, levothyroxine, omeprazole, albuterol, gabapentin, sertraline, "
    "hydrochlorothiazide, amoxicillin, ibuprofen, acetaminophen, prednisone, furosemide, insulin glargine."
)

#: generic names of the drugs most often prescribed in primary care (roughly the top of the US outpatient
#: prescription counts), given to the decoder as hot words (as many as fit in Whisper's 223-token half
#: of the prompt); marked ``| hot N`` in resources/vocab/common_drugs.txt, the one drug list. The full
#: drug vocabulary is used afterwards by the post-correction (``medvocab``).
COMMON_DRUGS = hotword_drugs()
HOTWORDS = "Medications: " + ", ".join(COMMON_DRUGS) + "."

#: gzip compression ratio above which a decoded segment is a loop, not speech (faster-whisper's own
#: threshold for falling back to a higher temperature)
LOOP_COMPRESSION = 2.4

#: the prompt that primes one drug name (``{}``) for the confirmation decoding of drug recovery
DRUG_HINT = "Start {} 10 milligrams by mouth once daily."
#: the prompt that primes one diagnosis for the confirmation decoding of diagnosis recovery
DIAGNOSIS_HINT = "Assessment. {}."

#: sentences scored per forced-alignment call
SCORE_BATCH = 2
#: mel frames in Whisper's 30-second window, the only input length its encoder was trained on
WINDOW_FRAMES = 3000
#: changes when ``score_texts`` scores differently (benchmark memos key on it)
SCORE_REVISION = 3
#: a stretch Whisper decoded with less mean token probability than this is shown as uncertain (word
#: probabilities would need word timestamps, which make faster-whisper decode the silence after the
#: last word again, where it writes "Thank you very much.")
UNCERTAIN_SEGMENT = 0.4


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


class _LastEncoding:
    """The encoder's output for the last few windows it was given, reused.

    One utterance is encoded again and again: for its decoding, the closed set's scoring, the drug and
    diagnosis recovery's scoring and each primed decoding, and the 30-second window costs about 0.5 s on
    two cores every time. The output does not depend on the prompt, so it is the same each time."""

    def __init__(self, encode: Callable[..., Any], size: int = 2) -> None:
        self._encode = encode
        self._size = size
        self._kept: collections.OrderedDict[bytes, Any] = collections.OrderedDict()
        self.hits = 0

    def __call__(self, features: np.ndarray) -> Any:
        window = np.ascontiguousarray(features, dtype=np.float32)
        key = hashlib.blake2b(window.tobytes(), digest_size=16).digest() + repr(window.shape).encode()
        if key in self._kept:
            self.hits += 1
            self._kept.move_to_end(key)
            return self._kept[key]
        encoded = self._encode(window)
        self._kept[key] = encoded
        while len(self._kept) > self._size:
            self._kept.popitem(last=False)
        return encoded


class WhisperTranscriber(Transcriber):
    engine = "whisper"

    def __init__(
        self,
        model: str | None = None,
        *,
        beam_size: int = 5,
        initial_prompt: str | None = MEDICAL_PROMPT,
        hotwords: str | None = None,
        cpu_threads: int | None = None,
    ) -> None:
        info: ModelInfo = locate_whisper(model)
        self.model = info.name
        self.path = info.path
        self.beam_size = beam_size
        self.initial_prompt = initial_prompt
        self.hotwords = hotwords
        if "tiny" in info.name and initial_prompt == MEDICAL_PROMPT:
            # tiny models lose the thread with a long prompt: they loop on a hot word ("lisinopololol...")
            # or bend ordinary speech towards the sample ("ill disposed" -> "old supposed"); they get the
            # short vocabulary prompt and no hot words
            self.initial_prompt, self.hotwords = SHORT_MEDICAL_PROMPT, None
        logging.getLogger("faster_whisper").setLevel(logging.ERROR)
        try:
            from faster_whisper import WhisperModel

            self._model = WhisperModel(
                str(info.path), device="cpu", compute_type="int8", cpu_threads=cpu_threads or _threads()
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise SpeechError(
                f"The Whisper model in {info.path} could not be loaded ({type(exc).__name__}); it is damaged "
                "or not a faster-whisper model. Reinstall ClinicDesk or choose another model folder."
            ) from None
        self._multilingual = bool(self._model.model.is_multilingual)
        self._model.encode = _LastEncoding(self._model.encode)

    def transcribe(self, audio: FloatArray) -> Recognition:
        if len(audio) == 0 or not np.any(audio):
            return Recognition("", 0.0)
        samples = np.ascontiguousarray(audio, dtype=np.float32)
        # Every attempt is a beam search at temperature 0 (no sampling), so the same audio always gives
        # the same text. faster-whisper's own fallback (re-decoding at temperature 0.2, 0.4
        # when a decoding loops) samples at random, which made the dictation figures differ run to run.
        # A decoding that loops instead (the prompt can lead Whisper into "Assalamu'alaikum.
        # Assalamu'alaikum. ..." for a lone "Assessment") is retried with less priming: hot words dropped
        # first, then the prompt too. The first attempt that does not loop is kept.
        attempts = [(self.initial_prompt, self.hotwords)]
        if self.hotwords is not None:
            attempts.append((self.initial_prompt, None))
        if self.initial_prompt is not None:
            attempts.append((None, None))
        result = Recognition("", 0.0)
        looped = False
        for prompt, hotwords in attempts:
            result, looped = self._decode(samples, prompt, hotwords)
            looped = looped or repeated_tail(result.text) is not None
            if not looped:
                break
        cut = repeated_tail(result.text) if looped else None
        if cut is not None:
            # every attempt ended in the same phrase over and over ("Dr. Pariet, Dr. Pariet, ..."): that
            # is no speech; it is cut off, and the cut is shown to the doctor like any correction
            kept = result.text[:cut].rstrip(" ,;")
            tracked = TrackedText(result.text, result.marks)
            tracked.replace_text(kept, "loop", note="a phrase Whisper repeated over and over was cut off")
            return Recognition(kept, result.confidence if kept else 0.0, tuple(tracked.marks) if kept else ())
        return result

    def _decode(
        self, samples: FloatArray, prompt: str | None, hotwords: str | None
    ) -> tuple[Recognition, bool]:
        """One deterministic decoding, and whether it looped (a segment too repetitive to be speech)."""
        segments, _ = self._model.transcribe(
            samples,
            language="en" if self._multilingual else None,
            beam_size=self.beam_size,
            initial_prompt=prompt,
            hotwords=hotwords,
            condition_on_previous_text=False,
            vad_filter=False,
            temperature=0.0,
        )
        texts: list[str] = []
        weights: list[float] = []
        logprobs: list[float] = []
        doubtful: list[tuple[str, float]] = []
        looped = False
        for seg in segments:
            if seg.no_speech_prob > 0.8 and seg.avg_logprob < -1.0:
                continue  # Whisper's own "this was not speech": drop it rather than invent words
            looped = looped or seg.compression_ratio > LOOP_COMPRESSION
            text = seg.text.strip()
            if text:
                texts.append(text)
                weights.append(max(1.0, seg.end - seg.start))
                logprobs.append(seg.avg_logprob)
                if math.exp(seg.avg_logprob) < UNCERTAIN_SEGMENT:
                    doubtful.append((text, math.exp(seg.avg_logprob)))
        if not texts:
            return Recognition("", 0.0), looped
        mean_lp = sum(w * lp for w, lp in zip(weights, logprobs, strict=True)) / sum(weights)
        text = " ".join(texts)
        return Recognition(text, min(1.0, math.exp(mean_lp)), _doubtful(text, doubtful)), looped

    def copies_prompt(self, text: str) -> bool:
        """Whether a short text (four words at most) is nothing but words of the prompt or hot words,
        which Whisper copies when it hears little ("Acute bronchitis." for a lone "Assessment")."""
        words = re.findall(r"[a-z0-9]+", text.lower())
        if not words or len(words) > 4:
            return False
        primed = " ".join(
            re.findall(r"[a-z0-9]+", f"{self.initial_prompt or ''} {self.hotwords or ''}".lower())
        )
        said = " ".join(words)
        headers = {"subjective", "objective", "assessment", "plan", "vitals"}
        return f" {said} " in f" {primed} " and not set(words) <= headers

    def score_texts(self, audio: FloatArray, texts: list[str]) -> list[float]:
        """Log-probability of each text given the audio (Whisper's forced alignment), for choosing
        between readings of one utterance; comparable between texts, not between utterances."""
        if not texts:
            return []
        import ctranslate2
        from faster_whisper.audio import pad_or_trim
        from faster_whisper.tokenizer import Tokenizer

        model = self._model
        tokenizer = Tokenizer(
            model.hf_tokenizer,
            self._multilingual,
            task="transcribe",
            language="en" if self._multilingual else None,
        )
        # the window exactly as the decoding builds it (its last frame is padding), so the encoding
        # already made for the decoding is reused (``_LastEncoding``)
        features = model.feature_extractor(np.ascontiguousarray(audio, dtype=np.float32))[..., :-1]
        frames = min(int(features.shape[-1]), WINDOW_FRAMES)
        # the encoder was trained on 30-second windows only: given the bare utterance it hears next to
        # nothing (a clear "Subjective" scored below "Plan"), so the features are padded as the decoding
        # pads them, and the alignment covers the utterance's own frames
        encoded = np.asarray(model.encode(pad_or_trim(features, WINDOW_FRAMES)))
        scores: list[float] = []
        for i in range(0, len(texts), SCORE_BATCH):
            batch = [tokenizer.encode(" " + t.strip()) for t in texts[i : i + SCORE_BATCH]]
            view = ctranslate2.StorageView.from_array(np.repeat(encoded, len(batch), axis=0))
            results = model.model.align(view, tokenizer.sot_sequence, batch, [frames] * len(batch))
            for result in results:
                probs = np.maximum(np.asarray(result.text_token_probs, dtype=np.float64), 1e-12)
                scores.append(float(np.log(probs).sum()))
        return scores

    def transcribe_with_hint(self, audio: FloatArray, hint: str, *, template: str = DRUG_HINT) -> str:
        """The utterance decoded again with one word or phrase primed (the confirmation step of drug and
        diagnosis recovery): ``template`` with ``{}`` in place of the hint is the prompt."""
        segments, _ = self._model.transcribe(
            np.ascontiguousarray(audio, dtype=np.float32),
            language="en" if self._multilingual else None,
            beam_size=self.beam_size,
            initial_prompt=template.format(hint),
            condition_on_previous_text=False,
            vad_filter=False,
            temperature=0.0,
        )
        return " ".join(seg.text.strip() for seg in segments)


def repeated_tail(text: str, *, times: int = 3) -> int | None:
    """Where a phrase of one to five words that ends the text, said ``times`` times or more in a row,
    first starts (a decoding loop), else None."""
    words = list(re.finditer(r"[A-Za-z0-9']+", text))
    lowered = [w.group(0).lower() for w in words]
    for size in range(1, 6):
        unit = lowered[-size:]
        if len(unit) < size:
            break
        count = 1
        while lowered[-size * (count + 1) : len(lowered) - size * count] == unit:
            count += 1
        if count >= times and count * size >= 4:
            return words[len(words) - size * count].start()
    return None


def _doubtful(text: str, stretches: list[tuple[str, float]]) -> tuple[Mark, ...]:
    """Uncertain marks for the stretches (segments) Whisper gave little probability."""
    marks: list[Mark] = []
    pos = 0
    for stretch, probability in stretches:
        at = text.find(stretch, pos)
        if at < 0:
            continue
        pos = at + len(stretch)
        core = stretch.strip(" .,;:!?")
        start = at + stretch.index(core)
        note = "Whisper was unsure of these words; a drug or diagnosis here is listed once accepted"
        marks.append(Mark(UNCERTAIN, start, start + len(core), core, core, probability, WHISPER_UNSURE, note))
    return tuple(marks)
