import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from IPython.display import HTML  # noqa: E402

from rnnlab.widgets.output import show  # noqa: E402


def test_show_replaces_the_contents_without_capturing():
    out = widgets.Output()
    fig, ax = plt.subplots()
    ax.plot([1, 2])
    show(out, "first line", fig, HTML("<b>bold</b>"))
    kinds = [o["output_type"] for o in out.outputs]
    assert kinds == ["stream", "display_data", "display_data"]
    assert out.outputs[0]["text"] == "first line\n"
    assert "image/png" in out.outputs[1]["data"] and "text/html" in out.outputs[2]["data"]
    assert out.msg_id == ""  # nothing was captured through the kernel's message ids
    show(out, "only this")
    assert len(out.outputs) == 1 and out.outputs[0]["text"] == "only this\n"
    plt.close(fig)
