"""From a trained model to something people use (notebook 12): save and load with a record, export to ONNX with
the recurrent state as inputs and outputs, stream, quantize, and the same layer in Keras.

- `rnnlab.deploy.checkpoint`: `save`, `load`, `read_record` (state dict + record.json with sha256, loaded with
  `weights_only=True`; optimizer and training state to resume exactly).
- `rnnlab.deploy.onnx`: `export_onnx`, `onnx_session`, `run_onnx`, `stream_onnx`, `quantize_int8`,
  `export_charlm` (what `python -m rnnlab.deploy export` writes), `load_exported`, `generate`.
- `rnnlab.deploy.keras`: a trained nn.LSTM / nn.GRU's weights in keras.layers.LSTM / GRU (optional: keras).

Importing this package imports torch only; onnx and onnxruntime load when a function needs them
(`pip install "rnnlab[deploy]"`).
"""

from rnnlab.deploy.checkpoint import load, read_record, save, sha256_file

__all__ = ["load", "read_record", "save", "sha256_file"]
