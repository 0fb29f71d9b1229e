"""Audio read from WAV files shipped in the repo, with checksums.

The real recordings of the digits 0-9 are by Allison Smith (Asterisk core sounds, CC-BY-SA-3.0; see
rnnlab/data/files/allison_digits/README.md).
"""

from __future__ import annotations

import hashlib
import wave
from importlib import resources
from pathlib import Path

import numpy as np

from rnnlab.validate import check_int

DIGITS_DIR = "allison_digits"


def load_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a 16-bit PCM WAV file: (samples as float32 in [-1, 1], mono, shape (n,)), sample rate in Hz."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no WAV file at {path}")
    try:
        with wave.open(str(path), "rb") as f:
            width, channels, rate, frames = f.getsampwidth(), f.getnchannels(), f.getframerate(), f.getnframes()
            raw = f.readframes(frames)
    except (wave.Error, EOFError) as err:
        raise ValueError(f"{path} is not a readable WAV file: {err}") from err
    if width != 2:
        raise ValueError(f"{path}: expected 16-bit PCM samples, got {8 * width}-bit")
    if frames == 0:
        raise ValueError(f"{path} holds no samples")
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    return samples.reshape(-1, channels).mean(axis=1), rate


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
