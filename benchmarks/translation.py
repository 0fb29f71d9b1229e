"""Translation benchmark: time-to-target on the dates, BLEU per source-length bucket on the grammar, BLEU on
real interface strings (ui) against the word-by-word baseline.

    python -m benchmarks.translation [--date-steps 1500] [--grammar-steps 600] [--ui-steps 300] [--seed 0]

Targets (issue 5): exact match >= 95% on held-out dates; grammar BLEU with and without attention, per bucket of
source length. For comparison, the PyTorch seq2seq tutorial quotes ~40 minutes of CPU training for
"reasonable results" (and reports no BLEU). Writes benchmarks/results/translation.json. This reports; it does
not assert. Timings depend on the machine's load: the load average is recorded beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path

import torch

from rnnlab.experiments.translation import LENGTH_EDGES, TranslateConfig, run_translate
from rnnlab.metrics.translation import bucket_labels

SMALL = dict(hidden_size=64, embedding_dim=32, batch_size=64, n_test=500, baseline=False)  # the notebook's sizes


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date-steps", type=int, default=1500, help="step budget for the dates (stops at 95%%)")
    parser.add_argument("--grammar-steps", type=int, default=600, help="steps for each grammar model")
    parser.add_argument("--ui-steps", type=int, default=300, help="steps for the attention model on real pairs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "translation.json"))
    args = parser.parse_args(argv)
    record: dict = {"machine": {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                                "load_average_at_start": os.getloadavg(), "python": platform.python_version(),
                                "torch": torch.__version__}}
    # 1. dates: time to 95% exact match (greedy, on 200 held-out dates every 50 steps), then the full test set
    rows = []
    for attention in (True, False):
        r = run_translate(TranslateConfig(task="dates", attention=attention, steps=args.date_steps, seed=args.seed,
                                          eval_every=50, n_eval=200, stop_at=0.95, progress=False, **SMALL))
        rows.append({"attention": attention, "steps_run": r.metrics["steps"],
                     "reached_95": r.history.last("eval_exact_match") >= 0.95,
                     "train_seconds": round(r.metrics["train_seconds"], 1),
                     "test_exact_match": r.metrics["exact_match"], "test_char_bleu": r.metrics["bleu"]})
    record["dates_time_to_target"] = rows
    # 2. grammar: BLEU per bucket, with and without attention, same budget
    labels = bucket_labels(LENGTH_EDGES["grammar"])
    grammar = {}
    for attention in (False, True):
        r = run_translate(TranslateConfig(task="grammar", attention=attention, steps=args.grammar_steps,
                                          seed=args.seed, eval_every=args.grammar_steps, n_eval=100,
                                          progress=False, **SMALL))
        m = r.metrics
        grammar["attention" if attention else "no_attention"] = {
            "bleu": m["bleu"], "exact_match": m["exact_match"], "combos_bleu": m["combos_bleu"],
            "train_seconds": round(m["train_seconds"], 1),
            "bleu_by_length": {lab: m[f"bleu_len_{lab.replace('-', '_')}"] for lab in labels},
            "n_by_length": {lab: m[f"n_len_{lab.replace('-', '_')}"] for lab in labels}}
    record["grammar"] = grammar
    # 3. real pairs (JupyterLab's interface, English -> French): attention model against the word-by-word baseline
    r = run_translate(TranslateConfig(task="ui", steps=args.ui_steps, seed=args.seed, eval_every=args.ui_steps,
                                      hidden_size=128, embedding_dim=64, batch_size=64, n_test=300, n_eval=50,
                                      progress=False))
    record["ui"] = {k: r.metrics[k] for k in ("bleu", "baseline_bleu", "exact_match", "train_seconds")}
    record["config"] = {"sizes": SMALL, "date_steps": args.date_steps, "grammar_steps": args.grammar_steps,
                        "ui_steps": args.ui_steps, "seed": args.seed}
    print("dates: time to 95% exact match on held-out dates")
    print(f"{'model':<14}{'steps':>7}{'seconds':>9}{'reached':>9}{'test EM':>9}")
    for row in rows:
        print(f"{'attention' if row['attention'] else 'no attention':<14}{row['steps_run']:>7}"
              f"{row['train_seconds']:>9}{row['reached_95']!s:>9}{row['test_exact_match']:>9.1%}")
    print(f"\ngrammar BLEU by source length ({args.grammar_steps} steps each)")
    print(f"{'length':<10}{'n':>5}{'no attention':>14}{'attention':>11}")
    for lab in labels:
        print(f"{lab:<10}{grammar['attention']['n_by_length'][lab]:>5}"
              f"{grammar['no_attention']['bleu_by_length'][lab]:>14.1f}{grammar['attention']['bleu_by_length'][lab]:>11.1f}")
    print(f"{'all':<10}{'':>5}{grammar['no_attention']['bleu']:>14.1f}{grammar['attention']['bleu']:>11.1f}")
    print(f"\nreal pairs (ui), {args.ui_steps} steps: BLEU {record['ui']['bleu']:.1f}, word-by-word baseline "
          f"{record['ui']['baseline_bleu']:.1f}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(record, indent=2, default=float))
    return record


if __name__ == "__main__":
    main()
