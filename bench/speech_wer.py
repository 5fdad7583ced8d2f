"""Word error rate and real-time factor of the speech pipeline on the real read speech in
corpora/speech/librivox, for whisper base and tiny.en (VAD splitting included).

    .venv/bin/python -m bench.speech_wer
"""

from __future__ import annotations

from audio.pipeline import open_engine, transcribe_file
from bench.speech_common import librivox, wer

COMMAND = ".venv/bin/python -m bench.speech_wer"


def main() -> int:
    files = librivox()
    figures = []
    for model in ("base", "tiny.en"):
        engine = open_engine("whisper", model=model)
        refs, hyps, audio, proc = [], [], 0.0, 0.0
        for wav, ref in files:
            t = transcribe_file(wav, engine)
            refs.append(ref)
            hyps.append(t.text)
            audio += t.audio_seconds
            proc += t.processing_seconds
        figures.append(f"wer[{model}]={wer(refs, hyps):.3f} rtf[{model}]={proc / audio:.3f}")
    print(" ".join(figures) + f"  files={len(files)}  (command: {COMMAND})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
