import struct
from pathlib import Path

import numpy as np
import pytest

from audio.crypto import decrypt_audio, encrypt_audio, new_key
from audio.vad import StreamingVad, split_utterances
from audio.wavfile import SAMPLE_RATE, decode_wav, encode_wav, read_wav, to_mono_16k
from clinicdesk.errors import SpeechError

MALFORMED = Path(__file__).resolve().parents[3].parent / "shared" / "corpora" / "speech" / "malformed"


def _tone(seconds: float, rate: int = SAMPLE_RATE, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)


def _wav(samples: np.ndarray, rate: int, channels: int = 1, bits: int = 16) -> bytes:
    data = np.repeat(samples[:, None], channels, axis=1)
    payload = (data * 32767).astype("<i2").tobytes() if bits == 16 else data.astype("<f4").tobytes()
    tag = 1 if bits == 16 else 3
    block = channels * bits // 8
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(payload), b"WAVE", b"fmt ", 16, tag, channels, rate,
        rate * block, block, bits, b"data", len(payload),
    )  # fmt: skip
    return header + payload


def test_a_44k_stereo_file_is_resampled_to_16k_mono() -> None:
    samples, rate = decode_wav(_wav(_tone(1.0, 44_100), 44_100, channels=2))
    mono = to_mono_16k(samples, rate)
    assert rate == 44_100 and samples.shape[1] == 2
    assert abs(len(mono) - SAMPLE_RATE) <= 2


def test_float_wav_is_read() -> None:
    samples, rate = decode_wav(_wav(_tone(0.5, 8000), 8000, bits=32))
    assert rate == 8000 and samples.shape == (4000, 1)


def test_written_recording_reads_back() -> None:
    tone = _tone(0.5)
    samples, rate = decode_wav(encode_wav(tone))
    assert rate == SAMPLE_RATE and np.allclose(samples[:, 0], tone, atol=1e-3)


@pytest.mark.parametrize("name", ["bad.wav", "null.wav", "evil.wav", "awful.wav"])
def test_malformed_files_give_a_clear_error(name: str) -> None:
    if not MALFORMED.is_dir():
        pytest.skip("corpora not available at ../shared/corpora")
    with pytest.raises(SpeechError, match=name):
        read_wav(MALFORMED / name)


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match="does not exist"):
        read_wav(tmp_path / "nope.wav")


def test_text_is_not_a_wav() -> None:
    with pytest.raises(SpeechError, match="not a WAV"):
        decode_wav(b"hello world, not audio at all")


def test_silence_produces_no_utterances() -> None:
    assert split_utterances(np.zeros(SAMPLE_RATE * 3, dtype=np.float32)) == []


def test_steady_noise_produces_no_utterances() -> None:
    noise = (np.random.default_rng(0).standard_normal(SAMPLE_RATE * 3) * 0.003).astype(np.float32)
    assert split_utterances(noise) == []


def test_two_utterances_are_split_and_padded() -> None:
    gap = np.zeros(SAMPLE_RATE * 2, dtype=np.float32)
    audio = np.concatenate([gap, _tone(1.0), gap, _tone(1.0), gap])
    segments = split_utterances(audio)
    assert len(segments) == 2
    assert segments[0].start_seconds == pytest.approx(2.0 - 0.3, abs=0.05)
    assert segments[0].end_seconds == pytest.approx(3.0 + 0.3, abs=0.05)


def test_a_short_pause_does_not_split_an_utterance() -> None:
    audio = np.concatenate([_tone(1.0), np.zeros(SAMPLE_RATE // 4, dtype=np.float32), _tone(1.0)])
    assert len(split_utterances(np.concatenate([np.zeros(SAMPLE_RATE), audio, np.zeros(SAMPLE_RATE)]))) == 1


def test_streaming_vad_reports_start_and_end() -> None:
    vad = StreamingVad()
    audio = np.concatenate([np.zeros(SAMPLE_RATE), _tone(1.0), np.zeros(SAMPLE_RATE * 2, dtype=np.float32)])
    events = []
    for i in range(0, len(audio), 1600):
        events += [kind for kind, _ in vad.feed(audio[i : i + 1600])]
    assert events == ["start", "end"]


def test_recording_encryption_round_trips_and_detects_tampering() -> None:
    key = new_key()
    blob = encrypt_audio(key, b"RIFF audio bytes")
    assert b"audio" not in blob
    assert decrypt_audio(key, blob) == b"RIFF audio bytes"
    with pytest.raises(SpeechError, match="cannot be decrypted"):
        decrypt_audio(key, blob[:-1] + bytes([blob[-1] ^ 1]))
    with pytest.raises(SpeechError, match="cannot be decrypted"):
        decrypt_audio(new_key(), blob)
