"""A user's own recording and model in notebook 09 (issues 23 and 24): WAV files of every common kind, any
sample rate and channel count, resampled to the model's rate and said so; `recognise` and its terminal
command; labelled clips as a data set; a student's model checked against the contract `run_speech` relies on;
intervals that resample recordings, not strings."""

import struct

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from rnnlab.data.audio import example_recording_path, load_allison_digit, read_wav, write_wav
from rnnlab.data.features import prepare_wave, resample
from rnnlab.data.speech import label_from_name, load_labelled_clips, real_digit_strings, trim_silence
from rnnlab.experiments.speech import (
    SpeechResult,
    check_model_contract,
    load_shipped_model,
    main,
    recognise,
    transcribe,
)
from rnnlab.metrics.edit_distance import (
    digit_error_rate,
    edit_distance,
    error_rate_by_recording_interval,
    error_rate_interval,
    errors_per_reference,
)
from rnnlab.models.ctc import AcousticConfig, CTCAcousticModel

RATES = (8000, 11025, 16000, 22050, 44100, 48000)


@pytest.fixture(scope="module")
def shipped():
    return load_shipped_model()[0]


@pytest.fixture(scope="module")
def spoken_6685():
    """A real '6685' at 8 kHz (Allison Smith's digits, joined with pauses), like cases/turn3/digits_16k.wav."""
    clips = [trim_silence(load_allison_digit(d)[0]) for d in (6, 6, 8, 5)]
    parts = [np.zeros(2000, np.float32)]
    for c in clips:
        parts += [c, np.zeros(1600, np.float32)]
    wave = np.concatenate(parts)
    return (wave / np.abs(wave).max() * 0.7).astype(np.float32)


# ------------------------------------------------------------------ reading WAV files
@pytest.mark.parametrize("bits", [8, 16, 24, 32, -32])
@pytest.mark.parametrize("channels", [1, 2, 3])
def test_read_wav_reads_every_common_depth_and_channel_count(tmp_path, bits, channels):
    t = np.arange(800) / 8000
    x = np.stack([0.5 * np.sin(2 * np.pi * 300 * (k + 1) * t) for k in range(channels)], axis=1)
    path = write_wav(tmp_path / "a.wav", x, 8000, bits)
    rec = read_wav(path)
    assert rec.sample_rate == 8000 and rec.channels == channels and rec.samples.shape == (800, channels)
    assert rec.bits == abs(bits) and rec.encoding == ("IEEE float" if bits < 0 else "PCM")
    tolerance = {8: 1 / 100, 16: 1e-4, 24: 1e-6, 32: 1e-7, -32: 1e-7}[bits]   # float32 out
    assert np.abs(rec.samples - x).max() < tolerance
    assert f"{channels} channel" in rec.describe() and "8000 Hz" in rec.describe()


def test_wave_format_extensible_is_read(tmp_path):
    x = (np.sin(np.arange(1000) / 7) * 0.3).astype("<f4")
    guid_float = struct.pack("<H", 3) + bytes.fromhex("000000001000800000aa00389b71")
    fmt = struct.pack("<HHIIHH", 0xFFFE, 1, 16000, 16000 * 4, 4, 32) + struct.pack("<HHI", 22, 32, 4) + guid_float
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", x.nbytes) + x.tobytes()
    (tmp_path / "ext.wav").write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    rec = read_wav(tmp_path / "ext.wav")
    assert rec.encoding == "IEEE float" and rec.sample_rate == 16000
    assert np.array_equal(rec.samples[:, 0], x)


@pytest.mark.parametrize("data, words", [
    (b"ID3\x03\x00" + bytes(40), "an MP3 file"),
    (b"OggS" + bytes(40), "an Ogg file"),
    (b"hello, this is text" + bytes(20), "not a WAV file"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00" + struct.pack("<HHIIHH", 7, 1, 8000, 8000, 1, 8), "data"),
])
def test_files_that_are_not_readable_wavs_are_named(tmp_path, data, words):
    path = tmp_path / "clip.wav"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=words) as err:
        read_wav(path)
    assert "clip.wav" in str(err.value)


def test_compressed_wav_names_its_codec_and_the_conversion(tmp_path):
    fmt = struct.pack("<HHIIHH", 7, 1, 8000, 8000, 1, 8)
    body = b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", 4) + bytes(4)
    (tmp_path / "ulaw.wav").write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    with pytest.raises(ValueError, match="mu-law audio, not PCM.*ffmpeg"):
        read_wav(tmp_path / "ulaw.wav")


def test_missing_file_and_tilde(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    write_wav(tmp_path / "mine.wav", np.zeros(100) + 0.1, 8000)
    assert read_wav("~/mine.wav").sample_rate == 8000
    with pytest.raises(FileNotFoundError, match="no WAV file at"):
        read_wav(tmp_path / "absent.wav")


# ------------------------------------------------------------------ to the model's rate, saying so
@pytest.mark.parametrize("rate", RATES)
def test_resample_keeps_a_tone_and_the_duration(rate):
    t = np.arange(rate) / rate
    y = resample(np.sin(2 * np.pi * 440 * t).astype(np.float32), rate, 8000)
    assert len(y) == 8000
    expected = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)
    assert np.abs(y - expected)[400:-400].max() < 0.02                      # away from the clip's ends


def test_resample_removes_what_the_new_rate_cannot_hold():
    t = np.arange(16000) / 16000
    y = resample(np.sin(2 * np.pi * 6000 * t).astype(np.float32), 16000, 8000)   # above 4 kHz: gone, not aliased
    assert np.abs(y[400:-400]).max() < 0.02


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("channels", [1, 2])
def test_prepare_wave_says_what_it_did(rate, channels):
    x = np.sin(np.arange(rate // 2) / 5.0) * 0.3
    x = np.stack([x] * channels, axis=1) if channels > 1 else x
    wave, steps = prepare_wave(x, rate)
    assert wave.dtype == np.float32 and abs(len(wave) - 4000) <= 1 and np.abs(wave).max() == pytest.approx(0.7)
    text = " ".join(steps)
    assert ("averaged its 2 channels" in text) == (channels == 2)
    assert (f"resampled from {rate} Hz to the model's 8000 Hz" in text) == (rate != 8000)


def test_prepare_wave_refuses_silence_and_crumbs_and_notes_clipping():
    with pytest.raises(ValueError, match="silent"):
        prepare_wave(np.zeros(8000), 8000)
    with pytest.raises(ValueError, match="at least 0.1 s"):
        prepare_wave(np.ones(100) * 0.3, 8000)
    _, steps = prepare_wave(np.clip(np.sin(np.arange(8000) / 3.0) * 3, -1, 1), 8000)
    assert any("clipped" in s for s in steps)


@pytest.mark.slow
@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("channels, bits", [(1, 16), (2, 16), (2, 24), (1, -32)])
def test_a_recording_at_any_rate_and_layout_reads_as_at_8k(tmp_path, shipped, spoken_6685, rate, channels, bits):
    """cases/turn3/digits_16k.wav: a real '6685' at 16 kHz decoded as '762781' before resampling."""
    x = resample(spoken_6685, 8000, rate)
    path = write_wav(tmp_path / "mine.wav", np.stack([x] * channels, 1) if channels > 1 else x, rate, bits)
    result = transcribe(path, shipped)
    assert edit_distance(result.digits, "6685") <= 1, result.digits     # the shipped model may slip on one digit
    assert any(f"{rate} Hz" in s for s in result.steps)
    reference = prepare_wave(spoken_6685, 8000)[0]
    assert len(result.wave) == pytest.approx(len(reference), abs=2)       # the same duration at 8 kHz
    n = min(len(result.wave), len(reference))
    assert np.corrcoef(result.wave[:n], reference[:n])[0, 1] > 0.9        # and the same sound


def test_the_example_recording_is_recognised(shipped):
    rec = read_wav(example_recording_path())
    assert (rec.sample_rate, rec.channels, rec.bits) == (16000, 2, 16)
    assert recognise(example_recording_path(), shipped) == "4826"
    unresampled = prepare_wave(rec.samples, 8000)[0]                         # read as if it were 8 kHz
    from rnnlab.data.features import speech_features
    from rnnlab.models.ctc import decode, predict_log_probs
    wrong = "".join(map(str, decode(predict_log_probs(shipped, [speech_features(unresampled)]))[0]))
    assert wrong != "4826"                                                   # why resampling matters


def test_the_terminal_command_prints_digits_and_steps(capsys, tmp_path):
    assert main([str(example_recording_path())]) == 0
    out = capsys.readouterr().out
    assert ": 4826" in out and "resampled from 16000 Hz to the model's 8000 Hz" in out and "averaged its 2" in out
    (tmp_path / "bad.wav").write_bytes(b"not audio at all, sorry" * 3)
    assert main([str(tmp_path / "bad.wav"), str(tmp_path / "absent.wav")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "bad.wav is not a WAV file" in err[0] and "absent.wav" in err[1]
    assert "Traceback" not in "".join(err)


# ------------------------------------------------------------------ your own labelled clips
def test_labelled_clips_from_names_and_from_labels_csv(tmp_path):
    waves, labels, rate = real_digit_strings(3, seed=4, max_digits=3)
    for k, (w, y) in enumerate(zip(waves, labels, strict=True)):
        write_wav(tmp_path / f"{''.join(map(str, y))}_{k}.wav", np.stack([w, w], 1), rate, 24)
    clips = load_labelled_clips(tmp_path)
    assert sorted(clips.labels) == sorted(labels) and len(clips) == 3
    assert all(f.shape[1] == 32 for f in clips.feats) and "averaged its 2 channels" in " ".join(clips.steps[0])
    (tmp_path / "labels.csv").write_text("file,digits\n" + f"{next(tmp_path.glob('*.wav')).name},12x\n")
    with pytest.raises(ValueError, match=r"labels.csv, line 2: expected 'file.wav,digits'"):
        load_labelled_clips(tmp_path)
    (tmp_path / "labels.csv").write_text("missing.wav,12\n")
    with pytest.raises(ValueError, match="line 1: missing.wav is not in"):
        load_labelled_clips(tmp_path)


def test_label_from_name():
    assert label_from_name("6685.wav") == [6, 6, 8, 5] and label_from_name("dir/301_take2.wav") == [3, 0, 1]
    assert label_from_name("12-anna.wav") == [1, 2]
    with pytest.raises(ValueError, match="must start with the digits said"):
        label_from_name("hello.wav")


# ---------------------------------------- a student's model (cases/turn3/speech_student_models.py)
class NoLogSoftmax(CTCAcousticModel):
    def forward(self, x, lengths=None):
        log_probs, out_lengths = super().forward(x, lengths)
        return log_probs.exp() * 7.0, out_lengths


class TimeFirstGRU(nn.Module):
    def __init__(self, batch_first=False):
        super().__init__()
        self.rnn = nn.GRU(32, 16, bidirectional=True, batch_first=batch_first)
        self.head = nn.Linear(32, 11)

    def forward(self, x, lengths):
        out, _ = self.rnn(x)
        return self.head(out).log_softmax(-1), lengths


def feats():
    g = torch.Generator().manual_seed(0)
    return [torch.randn(n, 32, generator=g) for n in (30, 21, 12)]


def test_a_model_without_log_softmax_is_refused():
    torch.manual_seed(0)
    with pytest.raises(ValueError, match=r"must return log-probabilities.*log_softmax"):
        check_model_contract(NoLogSoftmax(AcousticConfig(subsample=1, num_layers=1, hidden_size=8)), feats())


def test_a_model_that_mixes_the_batch_is_caught():
    torch.manual_seed(0)
    with pytest.raises(ValueError, match=r"mixes the examples of a batch.*batch_first=True"):
        check_model_contract(TimeFirstGRU(batch_first=False), feats())


def test_good_models_pass_the_contract_check():
    torch.manual_seed(0)
    check_model_contract(TimeFirstGRU(batch_first=True), feats())          # no packing: the longest clip is exact
    check_model_contract(CTCAcousticModel(AcousticConfig(hidden_size=8, num_layers=2)), feats())


def test_wrong_shapes_are_named():
    class Single(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(32, 11)

        def forward(self, x, lengths):
            return self.lin(x).log_softmax(-1)

    with pytest.raises(TypeError, match=r"must return \(log_probs, lengths\)"):
        check_model_contract(Single(), feats())


def test_speech_result_is_typed():
    names = {f for f in SpeechResult.__dataclass_fields__}
    assert {"test_labels", "test_log_probs", "test_hypotheses", "real_labels", "real_features", "real_waves",
            "real_hypotheses", "real_hypotheses_beam", "feature_config", "train_features"} <= names


# ------------------------------------------------------------------ intervals over recordings, not strings
@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 3), max_size=6), st.lists(st.integers(0, 3), max_size=6))
def test_errors_per_reference_adds_up_to_the_edit_distance(hyp, ref):
    charged = errors_per_reference(hyp, ref)
    assert len(charged) == len(ref) and all(c >= 0 for c in charged)
    assert sum(charged) == (edit_distance(hyp, ref) if ref else 0)


def test_errors_are_charged_to_the_digit_they_hit():
    assert errors_per_reference([6, 6, 8, 9], [6, 6, 8, 5]) == [0, 0, 0, 1]
    assert errors_per_reference([5, 7, 9, 2, 0], [5, 7, 9, 0]) == [0, 0, 0, 1]   # the inserted 2 before the 0
    assert errors_per_reference([], [1, 2]) == [1, 1]


def test_an_interval_over_recordings_is_wider_when_one_recording_carries_the_errors():
    rng = np.random.default_rng(0)
    refs = [list(rng.integers(0, 10, 5)) for _ in range(120)]
    hyps = [[9 if d == 5 else d for d in r] for r in refs]                 # the one "five" always read as 9
    rate = digit_error_rate(hyps, refs)
    by_string = error_rate_interval(hyps, refs)
    by_recording = error_rate_by_recording_interval(hyps, refs)
    assert by_recording[0] <= rate <= by_recording[1]
    assert by_recording[1] - by_recording[0] > 3 * (by_string[1] - by_string[0])
    assert error_rate_by_recording_interval(refs, refs) == (0.0, 0.0)
    low, high = error_rate_by_recording_interval(hyps, refs, compare=refs)  # paired: rate(hyps) - rate(refs)
    assert low <= rate <= high and low >= 0


def test_a_wave_from_load_wav_remembers_its_rate_and_features_refuse_another(tmp_path, spoken_6685):
    """cases/turn3/recognise.py: load_wav, then speech_features without resampling, decoded '762781' silently."""
    from rnnlab.data.audio import load_wav
    from rnnlab.data.features import speech_features

    path = write_wav(tmp_path / "16k.wav", resample(spoken_6685, 8000, 16000), 16000)
    wave, rate = load_wav(path)
    assert rate == 16000 and wave.sample_rate == 16000 and (wave * 0.5).sample_rate == 16000
    with pytest.raises(ValueError, match=r"sampled at 16000 Hz but the features are for 8000 Hz.*"
                                         r"resample\(wave, 16000, 8000\)"):
        speech_features(wave)
    assert speech_features(resample(wave, rate, 8000)).shape[1] == 32        # resampled: accepted
    eight, _ = load_wav(write_wav(tmp_path / "8k.wav", spoken_6685, 8000))
    assert speech_features(eight).shape[1] == 32
