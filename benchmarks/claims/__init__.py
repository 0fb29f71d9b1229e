"""`make claims`: re-run the experiments behind every asserted notebook claim on seeds the notebooks do not use.

One module per notebook, `benchmarks/claims/nbXX.py`, defines `claims(seed: int) -> list[dict]`: it re-runs the
notebook's experiments with the notebook's own configs on `seed` and returns one `record(...)` per asserted
claim. `python -m benchmarks.claims` runs them all on seeds 11, 12 and 13 (`--notebooks 03 04`,
`--seeds 11 12 13` choose), writes each notebook's rows to `results/claims/nbXX.json`, merges every
notebook's file into `results/claims.json` and prints the table. Target: at least 95% of (claim, seed)
pairs hold.
"""

from __future__ import annotations

import math
import operator

SEEDS = (11, 12, 13)  # seeds no notebook uses
_RELATIONS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def record(notebook: str, claim: str, seed: int, value: float, relation: str, threshold: float) -> dict:
    """One row of results/claims.json: {"notebook", "claim", "seed", "value", "threshold", "relation", "holds"}."""
    value, threshold = float(value), float(threshold)
    holds = math.isfinite(value) and _RELATIONS[relation](value, threshold)
    return {"notebook": notebook, "claim": claim, "seed": int(seed), "value": value,
            "threshold": threshold, "relation": relation, "holds": bool(holds)}
