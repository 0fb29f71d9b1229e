"""Spoken digit strings: a synthetic data set shipped in the repo, and real recordings made into strings.

Synthetic: `rnnlab/data/files/speech_digits/speech_digits.npz`, made once by `tools/make_speech_dataset.py`
with the eSpeak NG, Flite and Festival synthesisers (many voices, speaking rates, pitches, noise levels,
rooms and pauses), stored as 8 kHz log-mel features (see the README beside it; the test split's voices never
occur in training).
Real: one human speaker's isolated digits (Allison Smith, CC-BY-SA-3.0, `rnnlab.data.audio`), joined with
random pauses into connected strings.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from rnnlab.data.audio import load_allison_digit
from rnnlab.data.features import FeatureConfig, mu_law_decode
from rnnlab.validate import check_choice, check_float, check_int

DATA_DIR = "speech_digits"
DATA_FILE = "speech_digits.npz"
SPLITS = ("train", "test")


@dataclass
class SpeechDigits:
    """One split of the synthetic data set: clip i has features feats[i] and reference digits labels[i]."""

    feats: list[torch.Tensor]     # log-mel features, each (frames, n_mels) float32
    labels: list[list[int]]       # the spoken digits 0-9 of each clip
    voices: list[str]             # "accent+variant" (eSpeak) or "flite+awb", "festival+kal_diphone", ...
    rates: np.ndarray             # speaking rate in words per minute, (clips,)
    pitches: np.ndarray           # eSpeak pitch 0-100, -1 for the other synthesisers, (clips,)
    snr_db: np.ndarray            # signal-to-noise ratio of the added noise in dB (99: none), (clips,)

    def __len__(self) -> int:
        return len(self.feats)


@dataclass
class DemoClip:
    """A clean clip of a held-out voice, kept as audio (for listening and for the widget)."""

    wave: np.ndarray              # float32 samples in [-1, 1], (samples,)
    sample_rate: int              # Hz
    digits: list[int]             # what is said
    voice: str                    # eSpeak voice "accent+variant"
    rate: int                     # words per minute


def data_path() -> Path:
    """Where the synthetic data set lives inside the installed package."""
    return Path(str(resources.files("rnnlab.data") / "files" / DATA_DIR / DATA_FILE))


def verify_checksum(path: Path | None = None) -> None:
    """Raise FileNotFoundError when the data file is missing, ValueError when its sha256 is not in SHA256SUMS."""
    path = Path(path) if path is not None else data_path()
    if not path.is_file():
        raise FileNotFoundError(f"the speech data set {path} is missing; restore it from git or regenerate it "
                                f"with `python tools/make_speech_dataset.py` (needs pip install rnnlab[speech-data])")
    sums = path.parent / "SHA256SUMS"
    if not sums.is_file():
        raise FileNotFoundError(f"{sums} is missing; cannot check {path.name}")
    expected = {name: digest for digest, name in (line.split() for line in sums.read_text().splitlines()
                                                  if line.strip())}
    if path.name not in expected:
        raise ValueError(f"{sums} lists no checksum for {path.name}")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != expected[path.name]:
        raise ValueError(f"{path} is corrupt: its sha256 {digest[:12]}... does not match SHA256SUMS "
                         f"({expected[path.name][:12]}...); restore it from git")


@lru_cache(maxsize=2)
def _arrays(path: str) -> dict[str, np.ndarray]:
    verify_checksum(Path(path))
    try:
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError) as err:  # a truncated or non-zip file
        raise ValueError(f"{path} is not a readable .npz file: {err}") from err


def feature_config(path: Path | None = None) -> FeatureConfig:
    """The FeatureConfig the stored features were computed with (use it for any new audio)."""
    z = _arrays(str(path or data_path()))
    sr, n_fft, hop, n_mels, f_min, f_max = z["feature_config"].tolist()
    return FeatureConfig(int(sr), int(n_fft), int(hop), int(n_mels), float(f_min), float(f_max))


def _split(counts: np.ndarray, flat: np.ndarray) -> list[np.ndarray]:
    return np.split(flat, np.cumsum(counts)[:-1])


def load_speech_digits(split: str, path: Path | None = None) -> SpeechDigits:
    """The synthetic 'train' split (training voices) or 'test' split (held-out voices), checksum checked."""
    check_choice(split, "split", SPLITS)
    z = _arrays(str(path or data_path()))
    q = _split(z[f"{split}_frame_counts"], z[f"{split}_feats"])
    feats = [torch.from_numpy(z["q_min"] + z["q_step"] * f.astype(np.float32)) for f in q]  # (frames, n_mels)
    labels = [[int(d) for d in ds] for ds in _split(z[f"{split}_label_counts"], z[f"{split}_labels"])]
    return SpeechDigits(feats=feats, labels=labels, voices=[str(v) for v in z[f"{split}_voices"]],
                        rates=z[f"{split}_rates"].astype(int), pitches=z[f"{split}_pitches"].astype(int),
                        snr_db=z[f"{split}_snr_db"].astype(float))


def load_demo_clips(path: Path | None = None) -> list[DemoClip]:
    """Clean audio of held-out voices, each voice saying one digit string at several speaking rates."""
    z = _arrays(str(path or data_path()))
    waves = _split(z["demo_sample_counts"], z["demo_audio"])
    labels = _split(z["demo_label_counts"], z["demo_labels"])
    return [DemoClip(wave=mu_law_decode(w), sample_rate=int(z["sample_rate"]), digits=[int(d) for d in ds],
                     voice=str(v), rate=int(r))
            for w, ds, v, r in zip(waves, labels, z["demo_voices"], z["demo_rates"], strict=True)]


def trim_silence(wave: np.ndarray, threshold: float = 0.02) -> np.ndarray:
    """Cut the leading and trailing samples quieter than threshold * peak."""
    loud = np.where(np.abs(wave) > threshold * np.abs(wave).max())[0]
    return wave[loud[0]:loud[-1] + 1] if len(loud) else wave


def real_digit_strings(n: int = 120, *, min_digits: int = 1, max_digits: int = 7, seed: int = 0,
                       max_gap: float = 0.5, background_snr_db: float | None = 40.0
                       ) -> tuple[list[np.ndarray], list[list[int]], int]:
    """`n` real spoken digit strings: Allison Smith's recordings of single digits, trimmed and joined with
    random pauses of 0.02-`max_gap` seconds. Returns (waves, digit lists, sample rate).

    background_snr_db: faint white noise this many dB below the speech (40 dB: like the quietest noisy training
    clips), so that the pauses hiss faintly like most training clips' pauses; None adds nothing, leaving the
    pauses digital silence (exact zeros), which some training clips also have (noise-free clips, and the
    silent gaps of some joined clips: see the data set's README).
    """
    n = check_int(n, "n", minimum=1)
    min_digits = check_int(min_digits, "min_digits", minimum=1)
    max_digits = check_int(max_digits, "max_digits", minimum=min_digits)
    max_gap = check_float(max_gap, "max_gap", minimum=0.02)
    recordings = [load_allison_digit(d) for d in range(10)]
    rate = recordings[0][1]
    clips = [trim_silence(w) for w, _ in recordings]
    rng = np.random.default_rng(seed)
    waves, labels = [], []
    for _ in range(n):
        digits = [int(d) for d in rng.integers(0, 10, int(rng.integers(min_digits, max_digits + 1)))]
        parts = [np.zeros(int(rng.uniform(0.05, 0.3) * rate), np.float32)]
        for d in digits:
            parts += [clips[d], np.zeros(int(rng.uniform(0.02, max_gap) * rate), np.float32)]
        wave = np.concatenate(parts)
        noise_seed = int(rng.integers(2**31))            # drawn either way: the same seed gives the same strings
        if background_snr_db is not None:
            wave = add_noise(wave, background_snr_db, seed=noise_seed)
        waves.append((wave / np.abs(wave).max() * 0.7).astype(np.float32))
        labels.append(digits)
    return waves, labels, rate


def add_noise(wave: np.ndarray, snr_db: float, seed: int = 0) -> np.ndarray:
    """Add white Gaussian noise at `snr_db` dB below the power of the speech (samples above 2% of peak)."""
    snr_db = check_float(snr_db, "snr_db", minimum=-100.0, maximum=200.0)
    wave = np.asarray(wave, dtype=np.float32)
    loud = np.abs(wave) > 0.02 * (np.abs(wave).max() + 1e-12)
    power = float(np.mean(wave[loud] ** 2)) if loud.any() else 1e-6
    noise = np.random.default_rng(seed).standard_normal(len(wave)).astype(np.float32)
    return wave + noise * np.float32(np.sqrt(power / 10 ** (snr_db / 10)))


@dataclass
class LabelledClips:
    """Your own labelled recordings as a data set the training loop reads like the synthetic one."""

    feats: list[torch.Tensor]     # what the model reads: normalised log-mel, each (frames, n_mels) float32
    labels: list[list[int]]       # the digits 0-9 said in each clip
    paths: list[str]              # the WAV file of each clip
    steps: list[list[str]]        # what was done to each file (mono, resampling, level), in words

    def __len__(self) -> int:
        return len(self.feats)


def label_from_name(path: str | Path) -> list[int]:
    """The digits a clip's file name says: '6685.wav', '6685_take2.wav', '6685-anna.wav' -> [6, 6, 8, 5].

    Raises ValueError naming the file when its name does not start with the digits said (rename it, or give
    the labels in a labels.csv: see `load_labelled_clips`)."""
    stem = Path(path).stem
    head = stem.replace("-", "_").split("_")[0].replace(" ", "")
    if not head or not head.isdigit() or not head.isascii():
        raise ValueError(f"{Path(path).name}: the file name must start with the digits said, e.g. "
                         f"'6685.wav' or '6685_take2.wav' (or list the labels in labels.csv: file,digits)")
    return [int(c) for c in head]


def load_labelled_clips(folder: str | Path, config: FeatureConfig | None = None) -> LabelledClips:
    """Every WAV file of `folder` (any sample rate, channels and bit depth `rnnlab.data.audio.read_wav` reads)
    as features at the model's rate (`prepare_wave`, then `speech_features`), with its digits.

    The digits come from `folder/labels.csv` when it exists (lines `file.wav,6685`; a header line
    `file,digits` is allowed), else from each file name (`label_from_name`). Raises FileNotFoundError for a
    missing folder, ValueError naming the file (and the line of labels.csv) for an unreadable WAV, a label
    that is not digits, a file listed but missing, or a folder with no WAV file.
    """
    from rnnlab.data.audio import read_wav
    from rnnlab.data.features import prepare_wave, speech_features

    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder at {folder}")
    config = config or feature_config()
    table = folder / "labels.csv"
    if table.is_file():
        wanted: dict[str, list[int]] = {}
        for number, line in enumerate(table.read_text(encoding="utf-8-sig").splitlines(), start=1):
            if not line.strip() or (number == 1 and line.lower().startswith("file")):
                continue
            name, _, digits = line.partition(",")
            digits = digits.strip().replace(" ", "")
            if not digits.isdigit() or not digits.isascii():
                raise ValueError(f"{table}, line {number}: expected 'file.wav,digits' (e.g. 6685.wav,6685), "
                                 f"got {line!r}")
            if not (folder / name.strip()).is_file():
                raise ValueError(f"{table}, line {number}: {name.strip()} is not in {folder}")
            wanted[name.strip()] = [int(c) for c in digits]
        files = [(folder / name, digits) for name, digits in wanted.items()]
    else:
        files = [(path, label_from_name(path)) for path in sorted(folder.iterdir())
                 if path.suffix.lower() == ".wav"]
    if not files:
        raise ValueError(f"{folder} has no .wav file; put your recordings there, named by what they say "
                         f"(6685.wav)")
    clips = LabelledClips([], [], [], [])
    for path, digits in files:
        try:
            recording = read_wav(path)
            wave, steps = prepare_wave(recording.samples, recording.sample_rate, config)
        except ValueError as err:
            raise ValueError(f"{path.name}: {err}") from err
        clips.feats.append(speech_features(wave, config))
        clips.labels.append(digits)
        clips.paths.append(str(path))
        clips.steps.append([f"read {recording.describe()}", *steps])
    return clips
