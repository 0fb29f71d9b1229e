"""`make claims`: execute each notebook itself on other seeds and collect every claim it asserts.

A notebook's first cell reads its seed with `rnnlab.utils.notebook_seed(0)`: 0 on the page, `RNNLAB_SEED` when
set. `python -m benchmarks.claims --notebooks 01 03 --seeds 21` executes `notebooks/01_*.ipynb` and
`notebooks/03_*.ipynb` top to bottom (nbclient, a fresh kernel each) with `RNNLAB_SEED=21`; every `claim()` and
`measure()` the notebook evaluates is written as one row to a file (`RNNLAB_CLAIMS_OUT`), and in that mode a
failing claim is recorded instead of raised, so one miss does not hide the claims after it. The rows of each
notebook go to `results/claims/nbNN.json` (rows of the seeds just run replace the old ones; other seeds stay),
all notebooks' rows are merged into `results/claims.json`, and the run ends with the count of its own pairs:
`41 of 42 (claim, seed) pairs hold`.

The committed results hold seed 0 (the page's run) and seeds 11-13 (seeds no notebook uses); a notebook shows
their range beside its own number with `rnnlab.claims.measure` and `claim`. Target: at least 95% of
(claim, seed) pairs hold on seeds 11-13.
"""

from __future__ import annotations

SEEDS = (0, 11, 12, 13)  # the page's seed and three seeds no notebook uses
OTHER_SEEDS = (11, 12, 13)
