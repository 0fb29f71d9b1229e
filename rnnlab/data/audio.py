"""Audio read from WAV files: the recordings shipped in the repo (with checksums) and a user's own files.

`read_wav` reads what people's tools write: PCM integers of 8, 16, 24 or 32 bits, IEEE floats of 32 or 64
bits, plain or in a WAVE_FORMAT_EXTENSIBLE header, any number of channels. It returns a `Recording` that says
what the file held; `load_wav` keeps the old shape (mono samples, rate) and averages the channels.
The real recordings of the digits 0-9 are by Allison Smith (Asterisk core sounds, CC-BY-SA-3.0; see
rnnlab/data/files/allison_digits/README.md).
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from rnnlab.validate import check_int

DIGITS_DIR = "allison_digits"
PCM, IEEE_FLOAT, EXTENSIBLE = 1, 3, 0xFFFE          # WAV format tags (Microsoft's RIFF/WAVE specification)
FORMAT_NAMES = {1: "PCM", 3: "IEEE float", 6: "A-law", 7: "mu-law", 2: "ADPCM", 0x55: "MP3", 0xFFFE: "extensible"}


@dataclass(frozen=True)
class Recording:
    """What a WAV file held, as float32 samples in [-1, 1]."""

    samples: np.ndarray       # (samples, channels) float32; integer PCM scaled by 2**(bits-1), floats as stored
    sample_rate: int          # samples per second (Hz)
    bits: int                 # bits per sample in the file: 8, 16, 24, 32 or 64
    encoding: str             # "PCM" (integers) or "IEEE float"
    path: str                 # where it was read from

    @property
    def channels(self) -> int:
        return int(self.samples.shape[1])

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate

    def describe(self) -> str:
        """One line: '1.6 s, 16000 Hz, 2 channels, 16-bit PCM'."""
        return (f"{self.seconds:.2f} s, {self.sample_rate} Hz, {self.channels} channel"
                f"{'s' if self.channels > 1 else ''}, {self.bits}-bit {self.encoding}")

    def mono(self) -> np.ndarray:
        """The channels averaged: (samples,) float32."""
        return self.samples.mean(axis=1).astype(np.float32)


def _chunks(data: bytes, path: Path) -> dict[bytes, bytes]:
    if len(data) < 12 or data[:4] not in (b"RIFF", b"RIFX", b"RF64") or data[8:12] != b"WAVE":
        kind = ("an MP3 file" if data[:3] == b"ID3" or data[:2] in (b"\xff\xfb", b"\xff\xf3") else
                "an Ogg file" if data[:4] == b"OggS" else "a FLAC file" if data[:4] == b"fLaC" else
                "an MP4/M4A file" if data[4:8] == b"ftyp" else "not a WAV file")
        raise ValueError(f"{path} is {kind} (a WAV file starts with RIFF....WAVE); convert it to WAV, e.g. "
                         f"`ffmpeg -i {path.name} -ar 8000 -ac 1 out.wav` or export as WAV from your recorder")
    if data[:4] != b"RIFF":
        raise ValueError(f"{path} is a {data[:4].decode()} WAV file (big-endian or 64-bit header), which is not "
                         f"supported; re-save it as a plain WAV (e.g. `ffmpeg -i {path.name} out.wav`)")
    chunks, pos = {}, 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size]
        chunks.setdefault(cid, body)
        pos += 8 + size + (size & 1)                    # chunks are padded to an even length
    return chunks


def read_wav(path: str | Path) -> Recording:
    """Read a WAV file of any common kind: PCM 8/16/24/32-bit, float 32/64-bit, plain or extensible header,
    any channel count. Returns a `Recording` (samples (n, channels) float32).

    Raises FileNotFoundError for a missing file (after expanding ~), ValueError naming the file and what it
    is for anything else: not a WAV file (MP3, Ogg, FLAC...), a compressed WAV (A-law, mu-law, ADPCM), a
    missing fmt or data chunk, or no samples, each with how to convert it.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no WAV file at {path}" + (" (it is a folder)" if path.is_dir() else ""))
    data = path.read_bytes()
    chunks = _chunks(data, path)
    if b"fmt " not in chunks or len(chunks[b"fmt "]) < 16:
        raise ValueError(f"{path} has no readable 'fmt ' chunk: the file is truncated or not a WAV file")
    if b"data" not in chunks:
        raise ValueError(f"{path} has no 'data' chunk: the file is truncated or not a WAV file")
    fmt = chunks[b"fmt "]
    tag, channels, rate, _, block, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == EXTENSIBLE:
        if len(fmt) < 40:
            raise ValueError(f"{path}: WAVE_FORMAT_EXTENSIBLE header is too short ({len(fmt)} bytes, need 40)")
        tag = struct.unpack("<H", fmt[24:26])[0]       # the first two bytes of the sub-format GUID
    if tag not in (PCM, IEEE_FLOAT):
        name = FORMAT_NAMES.get(tag, f"format {tag}")
        raise ValueError(f"{path} holds {name} audio, not PCM or float samples; convert it, e.g. "
                         f"`ffmpeg -i {path.name} -acodec pcm_s16le out.wav`")
    if channels < 1 or rate < 1:
        raise ValueError(f"{path}: the header says {channels} channels at {rate} Hz; the file is damaged")
    width = block // channels if block else bits // 8
    supported = {PCM: (1, 2, 3, 4), IEEE_FLOAT: (4, 8)}[tag]
    if width not in supported:
        raise ValueError(f"{path}: {8 * width}-bit {FORMAT_NAMES[tag]} samples are not supported (supported: "
                         f"{', '.join(f'{8 * w}-bit' for w in supported)}); convert with "
                         f"`ffmpeg -i {path.name} -acodec pcm_s16le out.wav`")
    raw = chunks[b"data"]
    n = len(raw) // (width * channels)
    if n == 0:
        raise ValueError(f"{path} holds no samples")
    raw = raw[:n * width * channels]
    if tag == IEEE_FLOAT:
        x = np.frombuffer(raw, dtype="<f4" if width == 4 else "<f8").astype(np.float32)
        if not np.isfinite(x).all():
            raise ValueError(f"{path}: {int((~np.isfinite(x)).sum())} samples are NaN or infinite")
    elif width == 1:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0   # 8-bit PCM is unsigned
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = (np.where(v >= 1 << 23, v - (1 << 24), v) / float(1 << 23)).astype(np.float32)
    else:
        x = (np.frombuffer(raw, dtype=f"<i{width}").astype(np.float64) / float(1 << (8 * width - 1))).astype(np.float32)
    return Recording(samples=x.reshape(n, channels), sample_rate=int(rate), bits=8 * width,
                     encoding=FORMAT_NAMES[tag], path=str(path))


class Waveform(np.ndarray):
    """Mono float32 samples that remember their sample rate: `wave.sample_rate` (Hz). `load_wav` returns one,
    so that `rnnlab.data.features.log_mel` / `speech_features` can refuse a wave at another rate than their
    FeatureConfig's (a 16 kHz recording read as 8 kHz is half as fast and an octave low: silently wrong)."""

    sample_rate: int | None

    def __new__(cls, samples: np.ndarray, sample_rate: int) -> Waveform:
        obj = np.asarray(samples, dtype=np.float32).view(cls)
        obj.sample_rate = int(sample_rate)
        return obj

    def __array_finalize__(self, obj: object) -> None:
        self.sample_rate = getattr(obj, "sample_rate", None)


def load_wav(path: str | Path) -> tuple[Waveform, int]:
    """Read a WAV file (any kind `read_wav` reads): (mono samples as float32 in [-1, 1], shape (n,), a
    `Waveform` that remembers its rate), sample rate in Hz. Several channels are averaged into one (use
    `read_wav` to see them)."""
    recording = read_wav(path)
    return Waveform(recording.mono(), recording.sample_rate), recording.sample_rate


def write_wav(path: str | Path, samples: np.ndarray, sample_rate: int, bits: int = 16) -> Path:
    """Write float samples in [-1, 1], (n,) or (n, channels), as a PCM WAV file of `bits` 8/16/24/32 bits (or
    a float WAV with bits=-32). Values outside [-1, 1] are clipped. Returns the path."""
    x = np.asarray(samples, dtype=np.float64)
    x = x[:, None] if x.ndim == 1 else x
    channels = x.shape[1]
    if bits == -32:
        tag, width, raw = IEEE_FLOAT, 4, x.astype("<f4").tobytes()
    else:
        width, tag = check_int(bits, "bits", minimum=8, maximum=32) // 8, PCM
        scale = float(1 << (8 * width - 1))
        v = np.clip(np.round(np.clip(x, -1, 1) * scale), -scale, scale - 1).astype(np.int64)
        if width == 1:
            raw = (v + 128).astype(np.uint8).tobytes()
        elif width == 3:
            u = (v & 0xFFFFFF).astype(np.uint32)
            raw = np.stack([u & 0xFF, (u >> 8) & 0xFF, (u >> 16) & 0xFF], -1).astype(np.uint8).tobytes()
        else:
            raw = v.astype(f"<i{width}").tobytes()
    fmt = struct.pack("<HHIIHH", tag, channels, int(sample_rate), int(sample_rate) * width * channels,
                      width * channels, 8 * width)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(raw)) + raw
    if len(raw) & 1:
        body += b"\0"
    path = Path(path).expanduser()
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def example_recording_path() -> Path:
    """A recording that ships as an example of a user's own file: 'four eight two six' at 16 kHz, two channels,
    16-bit (rnnlab/data/files/speech_examples/README.md says how it was made). Raises FileNotFoundError when
    it is missing."""
    path = Path(str(resources.files("rnnlab.data") / "files" / "speech_examples" / "4826_16k_stereo.wav"))
    if not path.is_file():
        raise FileNotFoundError(f"the example recording {path} is missing; restore it from git")
    return path


def _digits_folder() -> Path:
    return Path(str(resources.files("rnnlab.data") / "files" / DIGITS_DIR))


def expected_checksums() -> dict[str, str]:
    """{file name: sha256} of the shipped digit recordings, from SHA256SUMS."""
    lines = (_digits_folder() / "SHA256SUMS").read_text().split("\n")
    return {name: digest for digest, name in (line.split() for line in lines if line.strip())}


def load_allison_digit(digit: int) -> tuple[np.ndarray, int]:
    """One real recording of a spoken digit 0-9 (8 kHz), after checking its sha256 checksum."""
    digit = check_int(digit, "digit", minimum=0, maximum=9)
    path = _digits_folder() / f"{digit}.wav"
    if not path.is_file():
        raise FileNotFoundError(f"the recording {path} is missing; reinstall rnnlab or restore it from git")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected_checksums()[path.name]:
        raise ValueError(f"{path} is corrupt: its sha256 {digest[:12]}... does not match SHA256SUMS")
    return load_wav(path)
