"""Windows over several aligned series: the table forms of `rnnlab.data.windows` (one pipeline; see there).

Kept so that `from rnnlab.data.frames import ...` goes on working: `FrameScaler` (per-column scaler fitted on the
training part), `frame_windows` (the window cutter), `FrameWindows` (training windows inside [start, end)) and
`walk_forward_frame` (walk-forward evaluation) all live in `rnnlab.data.windows`.
"""

from rnnlab.data.windows import FrameScaler, FrameWindows, frame_windows, walk_forward_frame

__all__ = ["FrameScaler", "FrameWindows", "frame_windows", "walk_forward_frame"]
