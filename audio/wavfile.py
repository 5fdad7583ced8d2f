"""WAV files in, 16 kHz mono float32 out.

A small RIFF parser rather than the standard ``wave`` module: it accepts the formats recorders really
write (PCM 8/16/24/32-bit, IEEE float, WAVE_FORMAT_EXTENSIBLE) and turns every kind of damage
(truncated headers, absurd chunk sizes, no data) into a SpeechError the user can act on.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clinicdesk.errors import SpeechError

SAMPLE_RATE = 16_000
FloatArray = npt.NDArray[np.float32]

_PCM = 1
_FLOAT = 3
_EXTENSIBLE = 0xFFFE
_MAX_CHANNELS = 32


def _bad(path: Path | str, why: str) -> SpeechError:
    return SpeechError(
        f"The audio file {Path(path).name} cannot be read: {why}. Record or export it again as a WAV file."
    )


def decode_wav(data: bytes, *, name: str = "audio") -> tuple[FloatArray, int]:
    """Returns (samples as float32 in [-1, 1], shape (frames, channels)), sample rate."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise _bad(name, "it is not a WAV (RIFF/WAVE) file")
    pos = 12
    fmt: tuple[int, int, int, int] | None = None
    payload: bytes | None = None
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4]
        (size,) = struct.unpack_from("<I", data, pos + 4)
        body_start = pos + 8
        if chunk_id == b"fmt ":
            if size < 16 or body_start + size > len(data):
                raise _bad(name, "its format header is damaged")
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", data, body_start)
            if tag == _EXTENSIBLE and size >= 40:
                (tag,) = struct.unpack_from("<H", data, body_start + 24)
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data":
            available = len(data) - body_start
            # A recorder that crashed leaves the size unset or too big: keep what is there.
            payload = data[body_start : body_start + min(size, available)]
            break
        elif body_start + size > len(data):
            raise _bad(name, "it is truncated or has a damaged chunk")
        pos = body_start + size + (size & 1)
    if fmt is None:
        raise _bad(name, "it has no format header")
    if payload is None:
        raise _bad(name, "it has no audio data")
    tag, channels, rate, bits = fmt
    if not 1 <= channels <= _MAX_CHANNELS or not 1000 <= rate <= 768_000:
        raise _bad(name, "its format header is damaged")
    return _samples(payload, tag=tag, channels=channels, bits=bits, name=name), rate


def _samples(payload: bytes, *, tag: int, channels: int, bits: int, name: str) -> FloatArray:
    width = bits // 8
    if bits % 8 or width == 0:
        raise _bad(name, f"{bits}-bit samples are not supported")
    frame = width * channels
    payload = payload[: len(payload) - len(payload) % frame]
    if not payload:
        raise _bad(name, "it contains no audio samples")
    if tag == _FLOAT and width in (4, 8):
        out = np.frombuffer(payload, dtype="<f4" if width == 4 else "<f8").astype(np.float32)
        out = np.nan_to_num(out, nan=0.0, posinf=1.0, neginf=-1.0)
    elif tag == _PCM and width == 1:
        out = (np.frombuffer(payload, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif tag == _PCM and width == 2:
        out = np.frombuffer(payload, dtype="<i2").astype(np.float32) / 32768.0
    elif tag == _PCM and width == 3:
        raw = np.frombuffer(payload, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        out = value.astype(np.float32) / float(1 << 23)
    elif tag == _PCM and width == 4:
        out = (np.frombuffer(payload, dtype="<i4").astype(np.float64) / float(1 << 31)).astype(np.float32)
    else:
        raise _bad(name, f"its encoding (format {tag}, {bits}-bit) is not supported; use PCM or float WAV")
    return np.clip(out, -1.0, 1.0).reshape(-1, channels)


def to_mono_16k(samples: FloatArray, rate: int) -> FloatArray:
    """Averages the channels and resamples with soxr (high quality, fast enough for long files)."""
    mono = samples.mean(axis=1, dtype=np.float32) if samples.ndim == 2 else samples.astype(np.float32)
    if rate == SAMPLE_RATE:
        return np.ascontiguousarray(mono, dtype=np.float32)
    import soxr

    resampled = soxr.resample(mono, rate, SAMPLE_RATE, quality="HQ")
    return np.ascontiguousarray(resampled, dtype=np.float32)


def read_wav(path: str | Path) -> FloatArray:
    """Reads any common WAV as 16 kHz mono float32."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SpeechError(f"The audio file {path} does not exist. Check the path.") from None
    except IsADirectoryError:
        raise SpeechError(f"{path} is a folder, not an audio file. Give the path of a WAV file.") from None
    except OSError as exc:
        raise SpeechError(
            f"The audio file {path} cannot be opened ({exc.strerror}). Check its permissions."
        ) from None
    samples, rate = decode_wav(data, name=path.name)
    return to_mono_16k(samples, rate)


def encode_wav(samples: FloatArray, rate: int = SAMPLE_RATE) -> bytes:
    """16-bit PCM mono WAV bytes, for keeping a recording with its note."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(pcm),
        b"WAVE",
        b"fmt ",
        16,
        _PCM,
        1,
        rate,
        rate * 2,
        2,
        16,
        b"data",
        len(pcm),
    )
    return header + pcm
