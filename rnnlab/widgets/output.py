"""Show figures and text in an ipywidgets Output by setting its contents, never by capturing the cell's output.

`with out: display(fig)` routes the cell's output into the widget through the kernel's message ids; a headless
runner (nbclient, hence nbmake and nbconvert) then mimics a front end and writes back to the kernel while it
waits for the cell to finish, which can block for good (jupyter/nbclient#312). Setting `out.outputs` directly
shows the same thing in JupyterLab and never blocks a runner.
"""

from __future__ import annotations

import base64
import io
from typing import Any


def show(out: Any, *items: Any) -> None:
    """Replace what the Output widget `out` shows by `items`: strings as text, anything else (a matplotlib
    figure, IPython.display.HTML or Audio, ...) as rich display data."""
    from IPython.core.formatters import format_display_data
    from matplotlib.figure import Figure

    outputs = []
    for item in items:
        if isinstance(item, str):
            outputs.append({"output_type": "stream", "name": "stdout", "text": item.rstrip("\n") + "\n"})
        elif isinstance(item, Figure):  # rendered here, so it shows the same inside a kernel or not
            buffer = io.BytesIO()
            item.savefig(buffer, format="png", bbox_inches="tight")
            png = base64.b64encode(buffer.getvalue()).decode("ascii")
            outputs.append({"output_type": "display_data", "metadata": {},
                            "data": {"image/png": png, "text/plain": repr(item)}})
        else:
            data, metadata = format_display_data(item)
            outputs.append({"output_type": "display_data", "data": data, "metadata": metadata})
    out.outputs = tuple(outputs)
