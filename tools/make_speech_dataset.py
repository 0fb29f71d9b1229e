"""Generate the synthetic spoken-digit data set committed under rnnlab/data/files/speech_digits/.

Run once (needs the optional extra `speech-data`: `pip install espeakng-loader==0.2.4`):

    python tools/make_speech_dataset.py            # writes speech_digits.npz and SHA256SUMS

The eSpeak NG synthesiser (GPL-3, bundled in the espeakng-loader wheel) speaks strings of 1-7 digits
("three seven one") in many voices: an English accent (en, en-us, en-gb-scotland, ...) combined with a voice
variant (m1, f3, klatt4, Andy, ...), at random speaking rates and pitches, sometimes split into chunks with
pauses between them. Each clip is resampled from 22,050 Hz to 8 kHz (the rate of the real test recordings),
scaled to a random loudness, mixed with white or low-passed noise at a random signal-to-noise ratio, and
turned into a 32-band log-mel spectrogram (rnnlab.data.features.log_mel, 50 frames per second), stored as
uint8 with a step of 0.2 (natural-log units). The test split uses voice variants that never occur in
training. A small 'demo' split keeps the clean 8 kHz audio (8-bit mu-law) of held-out voices at three
speaking rates, for listening in the notebook and for the widget, which adds noise at run time.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
from pathlib import Path

import numpy as np

from rnnlab.data.features import FeatureConfig, log_mel, mu_law_encode, resample

OUT_DIR = Path(__file__).resolve().parents[1] / "rnnlab" / "data" / "files" / "speech_digits"
WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
ACCENTS = ["en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us-nyc", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd"]
TEST_VARIANTS = ["f2", "m4", "klatt3", "Annie", "david", "steph2", "max", "linda"]  # never seen in training
DEMO_RATES = [120, 175, 250]    # words per minute of the demo clips (slow, normal, fast)
Q_MIN, Q_STEP = -14.0, 0.2      # stored value q means log-mel = Q_MIN + Q_STEP * q
RATE_OUT = 8000


class Espeak:
    """The eSpeak NG C library through ctypes, in synchronous mode: `speak(text) -> int16 samples`."""

    def __init__(self) -> None:
        import espeakng_loader

        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self.lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                          ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        synchronous = 2  # AUDIO_OUTPUT_SYNCHRONOUS: samples arrive through the callback during espeak_Synth
        self.rate = self.lib.espeak_Initialize(synchronous, 0, espeakng_loader.get_data_path().encode(), 0)
        if self.rate <= 0:
            raise RuntimeError(f"espeak_Initialize failed ({self.rate})")
        self.chunks: list[np.ndarray] = []
        callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                         ctypes.c_void_p)
        self._callback = callback_type(self._collect)   # keep a reference: the C library holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)
        self.variants = sorted(p.name for p in (Path(espeakng_loader.get_data_path()) / "voices" / "!v").iterdir())

    def _collect(self, wav: ctypes.POINTER(ctypes.c_short), n: int, events: ctypes.c_void_p) -> int:
        if n > 0:
            self.chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0  # 0 = go on synthesising

    def speak(self, text: str, voice: str, rate: int, pitch: int, pitch_range: int) -> np.ndarray:
        """int16 samples at self.rate Hz."""
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"eSpeak has no voice {voice!r}")
        self.lib.espeak_SetParameter(1, int(rate), 0)         # espeakRATE, words per minute
        self.lib.espeak_SetParameter(3, int(pitch), 0)        # espeakPITCH, 0-100
        self.lib.espeak_SetParameter(4, int(pitch_range), 0)  # espeakRANGE, 0-100
        self.chunks = []
        data = text.encode()
        self.lib.espeak_Synth(data, len(data) + 1, 0, 1, 0, 0, None, None)  # POS_CHARACTER, espeakCHARS_AUTO
        self.lib.espeak_Synchronize()
        return np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int16)


def trim(wave: np.ndarray, threshold: float = 0.01) -> np.ndarray:
    """Cut leading and trailing near-silence."""
    loud = np.where(np.abs(wave) > threshold * np.abs(wave).max())[0]
    return wave[loud[0]:loud[-1] + 1] if len(loud) else wave


def speak_digits(tts: Espeak, digits: list[int], voice: str, rate: int, pitch: int, pitch_range: int,
                 rng: np.random.Generator, gaps: bool) -> np.ndarray:
    """Clean 8 kHz float waveform of the digit string, with optional random pauses between chunks."""
    pieces: list[list[int]] = [[digits[0]]]
    for d in digits[1:]:
        if gaps and rng.random() < 0.3:
            pieces.append([d])
        else:
            pieces[-1].append(d)
    out = [np.zeros(int(rng.uniform(0.05, 0.4) * RATE_OUT), np.float32)]
    for i, piece in enumerate(pieces):
        raw = tts.speak(" ".join(WORDS[d] for d in piece), voice, rate, pitch, pitch_range)
        wave = trim(resample(raw.astype(np.float32) / 32768.0, tts.rate, RATE_OUT))
        out.append(wave)
        pause = rng.uniform(0.05, 0.5) if i < len(pieces) - 1 else rng.uniform(0.05, 0.4)
        out.append(np.zeros(int(pause * RATE_OUT), np.float32))
    wave = np.concatenate(out)
    return wave / (np.abs(wave).max() + 1e-9)


def add_noise(wave: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Mix in white or low-passed (smoothed) Gaussian noise at the given signal-to-noise ratio in dB."""
    noise = rng.standard_normal(len(wave)).astype(np.float32)
    if rng.random() < 0.5:
        noise = np.convolve(noise, np.ones(4, np.float32) / 4, mode="same")  # darker noise
    speech_power = np.mean(wave[np.abs(wave) > 0.02] ** 2) if np.any(np.abs(wave) > 0.02) else 1e-4
    noise *= np.sqrt(speech_power / 10 ** (snr_db / 10) / np.mean(noise**2))
    return wave + noise


def make_split(tts: Espeak, n: int, variants: list[str], rng: np.random.Generator,
               config: FeatureConfig) -> dict[str, np.ndarray]:
    feats, labels, frame_counts, label_counts, voices, rates, pitches, snrs = [], [], [], [], [], [], [], []
    for _ in range(n):
        digits = [int(d) for d in rng.integers(0, 10, int(rng.integers(1, 8)))]
        voice = f"{rng.choice(ACCENTS)}+{rng.choice(variants)}"
        rate, pitch, pitch_range = int(rng.integers(110, 261)), int(rng.integers(15, 86)), int(rng.integers(20, 91))
        wave = speak_digits(tts, digits, voice, rate, pitch, pitch_range, rng, gaps=True)
        snr = float(rng.uniform(5, 40))
        wave = add_noise(wave * rng.uniform(0.1, 0.9), snr, rng)
        q = np.clip(np.round((log_mel(wave, config).numpy() - Q_MIN) / Q_STEP), 0, 255).astype(np.uint8)
        feats.append(q)
        labels.extend(digits)
        frame_counts.append(len(q))
        label_counts.append(len(digits))
        voices.append(voice)
        rates.append(rate)
        pitches.append(pitch)
        snrs.append(snr)
    return {"feats": np.concatenate(feats), "frame_counts": np.array(frame_counts, np.int32),
            "labels": np.array(labels, np.uint8), "label_counts": np.array(label_counts, np.int32),
            "voices": np.array(voices), "rates": np.array(rates, np.int16), "pitches": np.array(pitches, np.int16),
            "snr_db": np.array(snrs, np.float32)}


def make_demo(tts: Espeak, variants: list[str], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Clean audio of held-out voices, one digit string per voice, spoken at each of DEMO_RATES."""
    audio, sample_counts, labels, label_counts, voices, rates = [], [], [], [], [], []
    for variant in variants[:4]:
        voice = f"{ACCENTS[len(voices) % len(ACCENTS)]}+{variant}"
        digits = [int(d) for d in rng.integers(0, 10, 4)]
        for rate in DEMO_RATES:
            wave = speak_digits(tts, digits, voice, rate, 50, 50, np.random.default_rng(0), gaps=False) * 0.7
            audio.append(mu_law_encode(wave))
            sample_counts.append(len(wave))
            labels.extend(digits)
            label_counts.append(len(digits))
            voices.append(voice)
            rates.append(rate)
    return {"audio": np.concatenate(audio), "sample_counts": np.array(sample_counts, np.int32),
            "labels": np.array(labels, np.uint8), "label_counts": np.array(label_counts, np.int32),
            "voices": np.array(voices), "rates": np.array(rates, np.int16)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--train", type=int, default=1400, help="training clips")
    parser.add_argument("--test", type=int, default=250, help="held-out-voice test clips")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    tts = Espeak()
    missing = [v for v in TEST_VARIANTS if v not in tts.variants]
    if missing:
        raise SystemExit(f"eSpeak NG lacks the voice variants {missing}")
    train_variants = [v for v in tts.variants if v not in TEST_VARIANTS]
    config = FeatureConfig()
    rng = np.random.default_rng(args.seed)
    arrays: dict[str, np.ndarray] = {}
    for split, n, variants in (("train", args.train, train_variants), ("test", args.test, TEST_VARIANTS)):
        for key, value in make_split(tts, n, variants, rng, config).items():
            arrays[f"{split}_{key}"] = value
        print(f"{split}: {n} clips, {len(arrays[f'{split}_feats'])} frames")
    for key, value in make_demo(tts, TEST_VARIANTS, rng).items():
        arrays[f"demo_{key}"] = value
    arrays["q_min"], arrays["q_step"] = np.float32(Q_MIN), np.float32(Q_STEP)
    arrays["sample_rate"] = np.int32(RATE_OUT)
    arrays["feature_config"] = np.array([config.sample_rate, config.n_fft, config.hop_length, config.n_mels,
                                         config.f_min, config.f_max], np.float64)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "speech_digits.npz"
    np.savez_compressed(path, **arrays)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (args.out / "SHA256SUMS").write_text(f"{digest}  {path.name}\n")
    print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB), sha256 {digest}")


if __name__ == "__main__":
    main()
