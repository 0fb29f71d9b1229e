"""tools.make_speech_dataset: one split's arrays from its clips (the synthetic and the joined splits share it)."""

import numpy as np

from tools.make_speech_dataset import split_arrays


def test_split_arrays_keeps_every_clip_in_order_with_its_counts():
    clips = [(np.full((3, 2), 5, np.uint8), [1, 2], "en+m1", 120, 40, 10.5),
             (np.zeros((2, 2), np.uint8), [7], "flite+awb", 95, -1, 99.0)]
    d = split_arrays(clips)
    assert d["feats"].shape == (5, 2) and d["feats"].dtype == np.uint8 and d["feats"][:3].min() == 5
    assert d["frame_counts"].tolist() == [3, 2] and d["labels"].tolist() == [1, 2, 7]
    assert d["label_counts"].tolist() == [2, 1] and d["voices"].tolist() == ["en+m1", "flite+awb"]
    assert d["rates"].tolist() == [120, 95] and d["pitches"].tolist() == [40, -1]
    assert d["snr_db"].dtype == np.float32 and d["snr_db"].tolist() == [10.5, 99.0]
