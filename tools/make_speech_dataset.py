"""Generate the synthetic spoken-digit data set committed under rnnlab/data/files/speech_digits/.

Run once (needs the optional extra `speech-data`: `pip install espeakng-loader==0.2.4`, and for the voices
made from recordings of real speakers the Debian packages `flite festival festvox-kallpc16k festvox-kdlpc16k
festvox-us-slt-hts`):

    python tools/make_speech_dataset.py            # writes speech_digits.npz and SHA256SUMS

Two kinds of training clips:
- connected strings: the eSpeak NG synthesiser (GPL-3, bundled in the espeakng-loader wheel) speaks strings of
1-7 digits ("three seven one") in many voices: an English accent (en, en-us, en-gb-scotland, ...) combined with a voice
variant (m1, f3, klatt4, Andy, ...), at random speaking rates and pitches, sometimes split into chunks with
pauses between them. Each clip is resampled from 22,050 Hz to 8 kHz (the rate of the real test recordings),
scaled to a random loudness, mixed with white or low-passed noise at a random signal-to-noise ratio, and
turned into a 32-band log-mel spectrogram (rnnlab.data.features.log_mel, 50 frames per second), stored as
uint8 with a step of 0.2 (natural-log units). The test split uses voice variants that never occur in
training. A small 'demo' split keeps the clean 8 kHz audio (8-bit mu-law) of held-out voices at three
speaking rates, for listening in the notebook and for the widget, which adds noise at run time.
- isolated words joined: a bank of single spoken digits from Flite (CMU voices awb, rms, slt, kal: awb, rms
  and slt are statistical voices trained on recordings of three real speakers, CMU ARCTIC), Festival (the
  diphone voices kal and ked, made from recordings of two real speakers, and the HTS voice slt) and eSpeak NG
  (training variants only), each at several speaking rates and pitches, joined with random pauses of
  0-0.6 s that are digital silence or noise, with augmentation: speed (resampling by 0.85-1.2, which moves the
  pitch with it), gain, reverberation (an exponentially decaying noise impulse response, 0.1-0.5 s), a
  telephone band-pass, and noise at 5-40 dB SNR or none.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import shutil
import subprocess
import tempfile
import wave as wavfile
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
FLITE_VOICES = ["awb", "rms", "slt", "kal", "kal16"]                           # flite -lv
FESTIVAL_VOICES = ["kal_diphone", "ked_diphone", "cmu_us_slt_arctic_hts"]      # Debian festvox-* packages


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


def quantized_log_mel(wave: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """The clip's log-mel features, (frames, n_mels), quantised to uint8 steps of Q_STEP from Q_MIN."""
    return np.clip(np.round((log_mel(wave, config).numpy() - Q_MIN) / Q_STEP), 0, 255).astype(np.uint8)


def split_arrays(clips: list[tuple[np.ndarray, list[int], str, int, int, float]]) -> dict[str, np.ndarray]:
    """The arrays of a split from its clips, each (quantised features, digits, voice, rate, pitch, snr in dB)."""
    feats, digits, voices, rates, pitches, snrs = zip(*clips, strict=True)
    return {"feats": np.concatenate(feats), "frame_counts": np.array([len(q) for q in feats], np.int32),
            "labels": np.array([d for ds in digits for d in ds], np.uint8),
            "label_counts": np.array([len(ds) for ds in digits], np.int32),
            "voices": np.array(voices), "rates": np.array(rates, np.int16), "pitches": np.array(pitches, np.int16),
            "snr_db": np.array(snrs, np.float32)}


def make_split(tts: Espeak, n: int, variants: list[str], rng: np.random.Generator,
               config: FeatureConfig) -> dict[str, np.ndarray]:
    clips = []
    for _ in range(n):
        digits = [int(d) for d in rng.integers(0, 10, int(rng.integers(1, 8)))]
        voice = f"{rng.choice(ACCENTS)}+{rng.choice(variants)}"
        rate, pitch, pitch_range = int(rng.integers(110, 261)), int(rng.integers(15, 86)), int(rng.integers(20, 91))
        wave = speak_digits(tts, digits, voice, rate, pitch, pitch_range, rng, gaps=True)
        snr = float(rng.uniform(5, 40))
        wave = add_noise(wave * rng.uniform(0.1, 0.9), snr, rng)
        clips.append((quantized_log_mel(wave, config), digits, voice, rate, pitch, snr))
    return split_arrays(clips)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wavfile.open(str(path), "rb") as f:
        raw, rate = f.readframes(f.getnframes()), f.getframerate()
    return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0, rate


def flite_words(stretches: list[float], f0s: list[int]) -> list[tuple[str, int, np.ndarray]]:
    """(voice, digit, 8 kHz trimmed wave) for each Flite voice, duration stretch and mean pitch."""
    if shutil.which("flite") is None:
        raise SystemExit("flite is missing: apt-get install flite")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for voice in FLITE_VOICES:
            for stretch in stretches:
                for f0 in f0s:
                    for d, word in enumerate(WORDS):
                        path = Path(tmp) / "w.wav"
                        subprocess.run(["flite", "-voice", voice, "--setf", f"duration_stretch={stretch}",
                                        "--setf", f"int_f0_target_mean={f0}", "-t", word, "-o", str(path)],
                                       check=True, capture_output=True)
                        w, rate = read_wav(path)
                        out.append((f"flite+{voice}", d, trim(resample(w, rate, RATE_OUT))))
    return out


def festival_words(stretches: list[float]) -> list[tuple[str, int, np.ndarray]]:
    """(voice, digit, 8 kHz trimmed wave) for each Festival voice and duration stretch (one festival run)."""
    if shutil.which("festival") is None:
        raise SystemExit("festival is missing: apt-get install festival festvox-kallpc16k festvox-kdlpc16k "
                         "festvox-us-slt-hts")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        script, names = [], []
        for voice in FESTIVAL_VOICES:
            script.append(f"(voice_{voice})")
            for k, stretch in enumerate(stretches):
                script.append(f"(Parameter.set 'Duration_Stretch {stretch})")
                for d, word in enumerate(WORDS):
                    path = Path(tmp) / f"{voice}_{k}_{d}.wav"
                    script.append(f'(utt.save.wave (utt.synth (Utterance Text "{word}")) "{path}" \'riff)')
                    names.append((voice, d, path))
        (Path(tmp) / "run.scm").write_text("\n".join(script) + "\n")
        subprocess.run(["festival", "-b", str(Path(tmp) / "run.scm")], check=True, capture_output=True)
        for voice, d, path in names:
            w, rate = read_wav(path)
            out.append((f"festival+{voice}", d, trim(resample(w, rate, RATE_OUT))))
    return out


def espeak_words(tts: Espeak, variants: list[str], n_voices: int,
                 rng: np.random.Generator) -> list[tuple[str, int, np.ndarray]]:
    """Ten isolated digits in each of `n_voices` random eSpeak voices (training variants only)."""
    out = []
    for _ in range(n_voices):
        voice = f"{rng.choice(ACCENTS)}+{rng.choice(variants)}"
        rate, pitch, pitch_range = int(rng.integers(110, 261)), int(rng.integers(15, 86)), int(rng.integers(20, 91))
        for d, word in enumerate(WORDS):
            raw = tts.speak(word, voice, rate, pitch, pitch_range)
            out.append((voice, d, trim(resample(raw.astype(np.float32) / 32768.0, tts.rate, RATE_OUT))))
    return out


def reverberate(wave: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Convolve with an exponentially decaying noise impulse response (a small room, 0.1-0.5 s to -60 dB)."""
    rt60 = rng.uniform(0.1, 0.5)
    t = np.arange(int(rt60 * RATE_OUT)) / RATE_OUT
    ir = rng.standard_normal(len(t)) * np.exp(-6.9 * t / rt60)
    ir[0] = 1.0 / rng.uniform(0.2, 0.8)                                         # the direct sound
    out = np.convolve(wave, ir / np.abs(ir).sum() * 4)[:len(wave)]
    return (out / (np.abs(out).max() + 1e-9)).astype(np.float32)


def band_pass(wave: np.ndarray, low: float = 300.0, high: float = 3400.0) -> np.ndarray:
    """Telephone band: zero the spectrum outside low-high Hz."""
    spectrum = np.fft.rfft(wave)
    freqs = np.fft.rfftfreq(len(wave), 1 / RATE_OUT)
    spectrum[(freqs < low) | (freqs > high)] = 0
    return np.fft.irfft(spectrum, n=len(wave)).astype(np.float32)


def joined_clip(bank: dict[str, list[list[np.ndarray]]], digits: list[int], voice: str,
                rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Isolated words of one voice joined with random pauses, augmented; returns (wave, snr_db or inf)."""
    speed = rng.uniform(0.85, 1.2)                                              # > 1: faster and higher
    silent_pauses = rng.random() < 0.5
    parts = [np.zeros(int(rng.uniform(0.05, 0.4) * RATE_OUT), np.float32)]
    for d in digits:
        takes = bank[voice][d]
        parts += [takes[int(rng.integers(len(takes)))] * rng.uniform(0.6, 1.0),
                  np.zeros(int(rng.uniform(0.0, 0.6) * RATE_OUT), np.float32)]
    parts[-1] = np.zeros(int(rng.uniform(0.05, 0.4) * RATE_OUT), np.float32)
    wave = np.concatenate(parts)
    wave = resample(wave, int(round(RATE_OUT * speed)), RATE_OUT)
    if rng.random() < 0.3:
        wave = reverberate(wave, rng)
    if rng.random() < 0.3:
        wave = band_pass(wave)
    wave = wave / (np.abs(wave).max() + 1e-9) * rng.uniform(0.1, 0.9)
    if silent_pauses and rng.random() < 0.5:
        return wave.astype(np.float32), float("inf")                            # digital silence in the pauses
    snr = float(rng.uniform(5, 40))
    return add_noise(wave, snr, rng).astype(np.float32), snr


def make_joined_split(bank: dict[str, list[list[np.ndarray]]], n: int, rng: np.random.Generator,
                      config: FeatureConfig) -> dict[str, np.ndarray]:
    """`n` clips of isolated words joined (see joined_clip), in the same arrays as make_split; 60% in the
    Flite and Festival voices, 40% in the eSpeak voices of the bank."""
    clips = []
    recorded = sorted(v for v in bank if v.split("+")[0] in ("flite", "festival"))  # voices from real speakers
    espeak = sorted(v for v in bank if v not in recorded)
    for _ in range(n):
        digits = [int(d) for d in rng.integers(0, 10, int(rng.integers(1, 8)))]
        names = recorded if rng.random() < 0.6 else espeak
        voice = names[int(rng.integers(len(names)))]
        wave, snr = joined_clip(bank, digits, voice, rng)
        rate = int(round(60 * len(digits) / (len(wave) / RATE_OUT)))          # words per minute of the clip
        # pitch -1: not an eSpeak pitch setting; snr 99: no noise added
        clips.append((quantized_log_mel(wave, config), digits, voice, rate, -1, min(snr, 99.0)))
    return split_arrays(clips)


def concat_splits(a: dict[str, np.ndarray], b: dict[str, np.ndarray], rng: np.random.Generator
                  ) -> dict[str, np.ndarray]:
    """Both splits' clips in one random order."""
    clips = []
    for part in (a, b):
        f = np.split(part["feats"], np.cumsum(part["frame_counts"])[:-1])
        y = np.split(part["labels"], np.cumsum(part["label_counts"])[:-1])
        clips += [(f[i], y[i], part["voices"][i], part["rates"][i], part["pitches"][i], part["snr_db"][i])
                  for i in range(len(f))]
    order = rng.permutation(len(clips))
    clips = [clips[i] for i in order]
    return {"feats": np.concatenate([c[0] for c in clips]), "frame_counts": np.array([len(c[0]) for c in clips],
                                                                                       np.int32),
            "labels": np.concatenate([c[1] for c in clips]), "label_counts": np.array([len(c[1]) for c in clips],
                                                                                        np.int32),
            "voices": np.array([str(c[2]) for c in clips]), "rates": np.array([c[3] for c in clips], np.int16),
            "pitches": np.array([c[4] for c in clips], np.int16), "snr_db": np.array([c[5] for c in clips],
                                                                                     np.float32)}


def keep_connected(old: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The connected eSpeak training clips of an earlier file (those with an eSpeak pitch, >= 0)."""
    f = np.split(old["train_feats"], np.cumsum(old["train_frame_counts"])[:-1])
    y = np.split(old["train_labels"], np.cumsum(old["train_label_counts"])[:-1])
    keep = [i for i in range(len(f)) if old["train_pitches"][i] >= 0]
    return {"feats": np.concatenate([f[i] for i in keep]), "frame_counts": old["train_frame_counts"][keep],
            "labels": np.concatenate([y[i] for i in keep]), "label_counts": old["train_label_counts"][keep],
            "voices": old["train_voices"][keep], "rates": old["train_rates"][keep],
            "pitches": old["train_pitches"][keep], "snr_db": old["train_snr_db"][keep]}


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
    parser.add_argument("--train", type=int, default=1400, help="connected eSpeak training clips")
    parser.add_argument("--joined", type=int, default=1600, help="training clips of isolated words joined")
    parser.add_argument("--espeak-word-voices", type=int, default=60, help="eSpeak voices in the word bank")
    parser.add_argument("--test", type=int, default=250, help="held-out-voice test clips")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--keep-connected", type=Path, default=None, metavar="NPZ",
                        help="take the connected eSpeak clips (train clips with an eSpeak pitch, the test and demo "
                             "splits) from this earlier speech_digits.npz instead of synthesising them again")
    args = parser.parse_args()
    tts = Espeak()
    missing = [v for v in TEST_VARIANTS if v not in tts.variants]
    if missing:
        raise SystemExit(f"eSpeak NG lacks the voice variants {missing}")
    train_variants = [v for v in tts.variants if v not in TEST_VARIANTS]
    config = FeatureConfig()
    rng = np.random.default_rng(args.seed)
    arrays: dict[str, np.ndarray] = {}
    words = (flite_words([0.8, 0.95, 1.1, 1.3], [95, 130, 170]) + festival_words([0.8, 1.0, 1.25])
             + espeak_words(tts, train_variants, args.espeak_word_voices, rng))
    bank: dict[str, list[list[np.ndarray]]] = {}
    for voice, d, w in words:
        bank.setdefault(voice, [[] for _ in WORDS])[d].append(w)
    print(f"word bank: {len(words)} words in {len(bank)} voices")
    if args.keep_connected:
        with np.load(args.keep_connected) as z:
            old = {k: z[k] for k in z.files}
        connected = keep_connected(old)
        for key in [k for k in old if k.startswith(("test_", "demo_"))]:
            arrays[key] = old[key]
    else:
        connected = make_split(tts, args.train, train_variants, rng, config)
        for key, value in make_split(tts, args.test, TEST_VARIANTS, rng, config).items():
            arrays[f"test_{key}"] = value
    joined = make_joined_split(bank, args.joined, rng, config)
    for key, value in concat_splits(connected, joined, rng).items():
        arrays[f"train_{key}"] = value
    for split in ("train", "test"):
        print(f"{split}: {len(arrays[f'{split}_frame_counts'])} clips, {len(arrays[f'{split}_feats'])} frames")
    if not args.keep_connected:
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
