"""Speech: features, CTC model and decoders, edit distance, the data set and its loaders, the widget, checks."""

import math
import shutil

import numpy as np
import pytest
import torch

from rnnlab.checks.speech import check_ctc_collapse, check_edit_distance
from rnnlab.data import speech
from rnnlab.data.features import (
    FeatureConfig,
    hz_to_mel,
    log_mel,
    mel_filterbank,
    mel_to_hz,
    mu_law_decode,
    mu_law_encode,
    normalize_features,
    resample,
    speech_features,
    stft_power,
)
from rnnlab.metrics.edit_distance import digit_error_rate, edit_distance
from rnnlab.models.ctc import (
    NUM_CLASSES,
    AcousticConfig,
    CTCAcousticModel,
    collapse,
    decode,
    digits_to_tokens,
    greedy_decode,
    pad_features,
    predict_log_probs,
    prefix_beam_search,
    tokens_to_digits,
)
from rnnlab.widgets.speech import MAX_NOISE_DB, analyse_clip, make_speech_widget


def tone(freq: float, seconds: float = 0.5, rate: int = 8000) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


# ---------------------------------------------------------------- features
def test_mel_scale_round_trip_and_anchor():
    assert hz_to_mel(1000.0) == pytest.approx(1000.0, abs=0.5)   # the mel scale's anchor: 1 kHz is ~1000 mel
    f = np.array([0.0, 100.0, 3999.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(f)), f, atol=1e-9)


def test_filterbank_shape_peaks_and_triangles():
    bank = mel_filterbank(32, 256, 8000, 60.0, 3800.0)
    assert bank.shape == (32, 129)
    assert float(bank.max()) <= 1.0 and float(bank.min()) >= 0.0
    peaks = bank.argmax(1)
    assert torch.all(peaks[1:] >= peaks[:-1]), "filter centres must rise with the filter index"
    widths = (bank > 0).sum(1)
    assert widths[-1] > widths[0], "high filters must be wider than low ones"
    # hand computation for a tiny bank: 1 filter over 0..4000 Hz, n_fft 8 (bins every 1000 Hz)
    edges = mel_to_hz(np.linspace(0, hz_to_mel(4000), 3))
    small = mel_filterbank(1, 8, 8000, 0.0, 4000.0)[0].numpy()
    freqs = np.arange(5) * 1000.0
    expected = np.clip(np.minimum((freqs - edges[0]) / (edges[1] - edges[0]),
                                  (edges[2] - freqs) / (edges[2] - edges[1])), 0, None)
    np.testing.assert_allclose(small, expected, atol=1e-6)


def test_filterbank_bad_input():
    with pytest.raises(ValueError, match="f_max"):
        mel_filterbank(10, 256, 8000, 0.0, 5000.0)
    with pytest.raises(ValueError, match="n_mels"):
        mel_filterbank(0, 256, 8000)


def test_stft_and_log_mel_shapes():
    wave = np.zeros(8000, np.float32)
    assert stft_power(wave, 256, 160).shape == (1 + 8000 // 160, 129)
    assert log_mel(wave).shape == (51, 32)
    assert log_mel(np.zeros((3, 1600), np.float32)).shape == (3, 11, 32)
    assert torch.allclose(log_mel(wave), torch.full((51, 32), math.log(1e-6)))   # silence hits the floor
    with pytest.raises(ValueError, match="wave"):
        log_mel(np.zeros((2, 2, 2), np.float32))
    with pytest.raises(TypeError, match="floating"):
        log_mel(np.zeros(100, np.int16))


def test_stft_matches_numpy_fft():
    wave = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    power = stft_power(wave, 256, 160).numpy()
    frame = 3   # centred frames: frame t covers samples t*hop - 128 .. t*hop + 127
    seg = wave[frame * 160 - 128: frame * 160 + 128] * np.hanning(257)[:-1]   # periodic Hann
    np.testing.assert_allclose(power[frame], np.abs(np.fft.rfft(seg)) ** 2, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("freq", [300.0, 1000.0, 2500.0])
def test_pure_tone_lands_in_the_right_mel_band(freq):
    config = FeatureConfig()
    feats = log_mel(tone(freq), config)
    band = int(feats[5:-5].mean(0).argmax())
    bank = mel_filterbank(config.n_mels, config.n_fft, config.sample_rate, config.f_min, config.f_max)
    freq_bin = int(round(freq / (config.sample_rate / config.n_fft)))
    assert band == int(bank[:, freq_bin].argmax()), f"a {freq} Hz tone peaked in band {band}"
    centres = mel_to_hz(np.linspace(hz_to_mel(config.f_min), hz_to_mel(config.f_max), config.n_mels + 2))[1:-1]
    assert abs(centres[band] - freq) < 0.2 * freq


def test_normalize_resample_and_mu_law():
    x = torch.randn(50, 4) * 3 + 7
    y = normalize_features(x)
    assert torch.allclose(y.mean(0), torch.zeros(4), atol=1e-5)
    assert torch.allclose(y.std(0, unbiased=False), torch.ones(4), atol=1e-2)
    assert speech_features(tone(500.0)).shape == (26, 32)
    t = tone(440.0, 1.0, 22050)
    r = resample(t, 22050, 8000)
    assert r.shape == (8000,)
    np.testing.assert_allclose(r[100:-100], tone(440.0, 1.0, 8000)[100:-100], atol=2e-2)
    w = np.linspace(-1, 1, 1001).astype(np.float32)
    codes = mu_law_encode(w)
    assert codes.dtype == np.uint8 and codes[0] == 0 and codes[-1] == 255
    assert np.abs(mu_law_decode(codes) - w).max() < 0.03   # coarsest step near +-1
    assert np.abs(mu_law_decode(codes) - w)[np.abs(w) < 0.05].max() < 1e-3  # fine steps near 0


# ---------------------------------------------------------------- CTC
def posteriors(path: list[int], confidence: float = 0.9) -> torch.Tensor:
    """Hand-made (time, 11) log-probabilities whose best path is `path`."""
    p = torch.full((len(path), NUM_CLASSES), (1 - confidence) / (NUM_CLASSES - 1))
    p[torch.arange(len(path)), torch.tensor(path)] = confidence
    return p.log()


def test_collapse_and_greedy_decoding_on_hand_made_posteriors():
    assert collapse([0, 4, 4, 0, 4, 8, 8, 0]) == [4, 4, 8]
    assert collapse([]) == [] and collapse([0, 0]) == []
    assert greedy_decode(posteriors([0, 4, 4, 0, 4, 8, 8, 0])) == [4, 4, 8]
    assert greedy_decode(torch.zeros(0, NUM_CLASSES)) == []
    assert tokens_to_digits(digits_to_tokens([0, 9, 3])) == [0, 9, 3]
    with pytest.raises(ValueError, match="0-9"):
        digits_to_tokens([10])


def test_prefix_beam_search_sums_paths_where_greedy_does_not():
    # Two frames. Best single path is "blank blank" (0.4 * 0.4 = 0.16 -> empty string), but the string "1"
    # has paths (1,_), (_,1), (1,1): 0.3*0.4 + 0.4*0.3 + 0.3*0.3 = 0.33 > 0.16.
    p = torch.full((2, NUM_CLASSES), 1e-9)
    p[:, 0], p[:, 2] = 0.4, 0.3
    p[:, 3] = 0.3 - 9e-9
    lp = (p / p.sum(1, keepdim=True)).log()
    assert greedy_decode(lp) == []
    p2 = torch.full((2, NUM_CLASSES), 1e-9)
    p2[:, 0], p2[:, 2] = 0.4, 0.6 - 9e-9
    lp2 = (p2 / p2.sum(1, keepdim=True)).log()
    assert prefix_beam_search(lp2, beam_width=4) == [2]
    # with a real CTC loss reference: the beam picks the string of highest total probability
    lp3 = torch.log_softmax(torch.randn(6, NUM_CLASSES, generator=torch.Generator().manual_seed(1)) * 2, -1)
    best = prefix_beam_search(lp3, beam_width=50)
    def nll(labels):
        if not labels:
            return -float(lp3[:, 0].sum())
        return float(torch.nn.functional.ctc_loss(lp3[:, None], torch.tensor([labels]), torch.tensor([6]),
                                                  torch.tensor([len(labels)]), reduction="sum"))
    candidates = [[], *[[c] for c in range(1, 11)], *[[a, b] for a in range(1, 11) for b in range(1, 11)]]
    assert nll(best) <= min(nll(c) for c in candidates) + 1e-6


def test_beam_of_one_equals_greedy_on_clear_posteriors():
    lp = posteriors([0, 3, 3, 0, 5, 0, 5, 5])
    assert prefix_beam_search(lp, 1) == greedy_decode(lp) == [3, 5, 5]
    assert decode([lp], beam_width=1) == decode([lp], beam_width=5) == [[2, 4, 4]]


def test_acoustic_model_shapes_lengths_and_padding():
    torch.manual_seed(0)
    for cell in ("gru", "lstm"):
        model = CTCAcousticModel(AcousticConfig(n_mels=8, hidden_size=6, num_layers=1, cell=cell)).eval()
        x, lengths = pad_features([torch.randn(9, 8), torch.randn(4, 8)])
        assert x.shape == (2, 9, 8)
        lp, out_lengths = model(x, lengths)
        assert lp.shape == (2, 5, NUM_CLASSES) and out_lengths.tolist() == [5, 2]
        torch.testing.assert_close(lp.exp().sum(-1), torch.ones(2, 5))
        alone, _ = model(x[1:, :4], lengths[1:])               # padding must not change the result
        torch.testing.assert_close(lp[1, :2], alone[0], atol=1e-5, rtol=1e-5)
        assert [t.shape for t in predict_log_probs(model, [torch.randn(9, 8), torch.randn(4, 8)])] == [(5, 11),
                                                                                                     (2, 11)]
    with pytest.raises(ValueError, match="cell"):
        CTCAcousticModel(AcousticConfig(cell="rnn"))
    with pytest.raises(ValueError, match="x must have shape"):
        model(torch.randn(2, 9, 7))


# ---------------------------------------------------------------- edit distance
def test_edit_distance_by_hand():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance([], [1, 2]) == 2 and edit_distance([1, 2], []) == 2
    assert edit_distance([1, 2, 3], [1, 3]) == 1 and edit_distance([1, 3], [1, 2, 3]) == 1
    assert edit_distance([1, 2, 3], [1, 2, 3]) == 0
    assert digit_error_rate([[1, 2], [5]], [[1, 2, 3], [4]]) == pytest.approx(2 / 4)
    with pytest.raises(ValueError, match="hypotheses"):
        digit_error_rate([[1]], [[1], [2]])
    with pytest.raises(ValueError, match="undefined"):
        digit_error_rate([[1]], [[]])
    with pytest.raises(TypeError, match="sequence"):
        edit_distance(5, [1])


# ---------------------------------------------------------------- data set and loaders
def test_dataset_checksum_and_loaders():
    speech.verify_checksum()
    train, test = speech.load_speech_digits("train"), speech.load_speech_digits("test")
    assert len(train) >= 1000 and len(test) >= 200
    config = speech.feature_config()
    assert config == FeatureConfig()
    for split in (train, test):
        assert all(f.shape[1] == config.n_mels and f.dtype == torch.float32 for f in split.feats)
        assert all(1 <= len(y) <= 7 and all(0 <= d <= 9 for d in y) for y in split.labels)
        assert len(split.voices) == len(split.feats) == len(split.labels) == len(split.rates)
    train_variants = {v.split("+")[1] for v in train.voices}
    test_variants = {v.split("+")[1] for v in test.voices}
    assert not train_variants & test_variants, "test voices must be held out of training"
    clips = speech.load_demo_clips()
    assert clips and all(c.sample_rate == 8000 and np.abs(c.wave).max() <= 1 for c in clips)
    assert {c.voice.split("+")[1] for c in clips} <= test_variants
    with pytest.raises(ValueError, match="split"):
        speech.load_speech_digits("validation")


def test_loader_errors_on_missing_or_corrupt_file(tmp_path):
    src = speech.data_path()
    with pytest.raises(FileNotFoundError, match="missing"):
        speech.verify_checksum(tmp_path / "speech_digits.npz")
    shutil.copy(src, tmp_path / src.name)
    with pytest.raises(FileNotFoundError, match="SHA256SUMS"):
        speech.verify_checksum(tmp_path / src.name)
    shutil.copy(src.parent / "SHA256SUMS", tmp_path / "SHA256SUMS")
    speech.verify_checksum(tmp_path / src.name)
    data = bytearray((tmp_path / src.name).read_bytes())
    data[1000] ^= 0xFF
    (tmp_path / src.name).write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt"):
        speech.load_speech_digits("test", tmp_path / src.name)


def test_real_digit_strings():
    quiet, quiet_labels, _ = speech.real_digit_strings(5, seed=3, background_snr_db=None)
    assert np.sum(quiet[0] == 0) > 100, "without background noise the pauses are digital silence"
    waves, labels, rate = speech.real_digit_strings(5, seed=3)
    assert np.sum(waves[0] == 0) < 10 and labels == quiet_labels
    assert rate == 8000 and len(waves) == len(labels) == 5
    assert all(w.dtype == np.float32 and len(w) > 0.3 * rate * len(y) for w, y in zip(waves, labels, strict=True))
    again, labels2, _ = speech.real_digit_strings(5, seed=3)
    assert labels == labels2 and all(np.array_equal(a, b) for a, b in zip(waves, again, strict=True))
    with pytest.raises(ValueError, match="n"):
        speech.real_digit_strings(0)


def test_add_noise_sets_the_snr():
    w = tone(500.0, 2.0)
    noisy = speech.add_noise(w, 10.0, seed=0)
    loud = np.abs(w) > 0.02 * np.abs(w).max()          # speech power is measured where the signal is not silent
    snr = 10 * np.log10(np.mean(w[loud] ** 2) / np.mean((noisy - w) ** 2))
    assert snr == pytest.approx(10.0, abs=0.3)


# ---------------------------------------------------------------- widget and checks
@pytest.fixture(scope="module")
def small_model():
    torch.manual_seed(0)
    return CTCAcousticModel(AcousticConfig(hidden_size=8, num_layers=1)).eval()


def test_analyse_clip_ordinary_and_extreme(small_model):
    clips = speech.load_demo_clips()
    c = clips[0]
    result = analyse_clip(small_model, clips, c.voice, c.rate, -MAX_NOISE_DB)
    assert result["message"] == "" and result["reference"] == c.digits
    assert result["wave"].shape == c.wave.shape and 0 < np.abs(result["wave"] - c.wave).max() < 0.05
    assert result["feats"].shape[1] == 32 and result["log_probs"].shape[1] == NUM_CLASSES
    assert result["errors"] == edit_distance(result["decoded"], c.digits)
    loud = analyse_clip(small_model, clips, c.voice, c.rate, 1e5)
    assert "clipped" in loud["message"] and np.abs(loud["wave"]).max() <= 0.9 + 1e-6
    missing = analyse_clip(small_model, clips, "nobody", 1, 0.0)
    assert "no clip" in missing["message"]


def test_speech_widget_reacts_to_sliders(small_model):
    clips = speech.load_demo_clips()
    box = make_speech_widget(small_model, clips)
    voice, speed, noise, _out = box.children
    first = next(c for c in clips if c.voice == sorted({c.voice for c in clips})[0] and c.rate == speed.value)
    assert voice.value == first.voice and box.state["reference"] == first.digits
    voice.value = voice.options[-1]
    assert box.state["reference"] == next(c.digits for c in clips if c.voice == voice.value)
    noise.value = noise.max
    assert box.state["noise_db"] == noise.max and "louder" in box.state["message"]
    speed.value = speed.options[0]
    assert len(box.state["wave"]) == len(next(c.wave for c in clips
                                             if c.voice == voice.value and c.rate == speed.value))


def test_exercise_checks(monkeypatch):
    monkeypatch.delenv("RNNLAB_STRICT_CHECKS", raising=False)
    assert check_ctc_collapse(collapse)
    assert not check_ctc_collapse(lambda path, blank: [s for s in path if s != blank])
    assert check_edit_distance(edit_distance)
    assert not check_edit_distance(lambda a, b: abs(len(a) - len(b)))

    def stub(path, blank):
        raise NotImplementedError("merge repeats")

    assert not check_ctc_collapse(stub)


# ---------------------------------------------------------------- experiment
@pytest.mark.slow
def test_speech_experiment_reports_the_issue_metrics():
    from rnnlab.experiments import EXPERIMENTS
    from rnnlab.experiments.speech import SpeechConfig

    config = SpeechConfig(steps=2, hidden_size=8, batch_size=4, n_real=3, beam_width=2, eval_every=2,
                          progress=False)
    result = EXPERIMENTS["speech"].run(config)
    for name in ("digit_error_rate", "real_digit_error_rate", "digit_error_rate_beam", "chance_digit_error_rate"):
        assert name in result.metrics and result.metrics[name] >= 0.0
    assert result.metrics["steps"] == 2 and len(result.real_labels) == 3 and not result.extras
    again = EXPERIMENTS["speech"].run(config)
    assert again.metrics == result.metrics, "the same seed must give the same result"
