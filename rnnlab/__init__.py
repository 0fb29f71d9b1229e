"""rnnlab: the helper package of an interactive course on recurrent neural networks.

Importing `rnnlab` is cheap: it loads no data, trains nothing and imports no submodule. Use the submodules
(`rnnlab.data`, `rnnlab.models`, `rnnlab.train`, `rnnlab.metrics`, `rnnlab.viz`, `rnnlab.widgets`,
`rnnlab.checks`, `rnnlab.experiments`) directly.
"""

__version__ = "0.2.0"
