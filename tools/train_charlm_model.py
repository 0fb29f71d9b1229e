"""Train the Shakespeare character model that ships with rnnlab (notebook 06 loads it) and record how it was made.

    python -m tools.train_charlm_model            # train (one CPU thread), write the files below
    python -m tools.train_charlm_model --check    # re-measure the shipped model; exit 1 if a number differs

It trains with `rnnlab.experiments.charlm.run_charlm` (`RECIPE` below: the notebook's configuration, seed 0,
with more steps; notebook 06 proves its own model class and training loop equal to run_charlm's), rounds the
weights to float16, measures the rounded model, and writes into rnnlab/data/files/charlm_model/:
- charlm_model.pt: the float16 state dict of the `CharLM` (embedding -> LSTM -> linear head);
- charlm_model.json: the CharLMConfig fields, the command, the minutes it took (wall clock and CPU time of its
  one thread), torch's version, the vocabulary (characters by id), the weights' sha256 and the metrics:
  held-out bits per character, and the real-word share of samples at temperature 1 (SAMPLE_SEEDS, SAMPLE_CHARS
  characters each after PROMPT) next to the 4-gram's sampled the same way;
- SHA256SUMS: the weights' checksum (checked by `load_shipped_charlm` on every load and by the tests).
Training is seeded and uses one thread, so the same machine, torch and numpy give the same weights; another
CPU may round differently and end a little elsewhere (the record keeps what this run measured).
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import torch

from rnnlab.data.corpora import batchify, build_char_vocab, decode_ids, encode_text, load_corpus, split_ids
from rnnlab.experiments.charlm import (
    SHIPPED_INFO,
    SHIPPED_WEIGHTS,
    CharLMConfig,
    load_shipped_charlm,
    run_charlm,
    shipped_charlm_dir,
)
from rnnlab.metrics.language import bits_per_char, real_word_share, words_of
from rnnlab.models.charlm import sample_ids, stream_logits
from rnnlab.models.ngram import CharNGram
from tools.shipped_model import main as shipped_main
from tools.shipped_model import round_to_float16, train_timed, write_weights

COMMAND = "python -m tools.train_charlm_model"
RECIPE = dict(corpus="shakespeare", seed=0, hidden_size=128, seq_len=64, steps=4000, eval_every=500)
PROMPT, SAMPLE_CHARS, SAMPLE_SEEDS = "MACBETH:\n", 2000, (0, 1, 2)


def measure(model: torch.nn.Module, config: CharLMConfig) -> dict:
    """Held-out bits per character (8 streams, the state carried) and the real-word shares at temperature 1."""
    text = load_corpus(config.corpus)
    vocab = build_char_vocab(text)
    train_ids, held_ids = split_ids(encode_text(vocab, text), config.held_out_fraction)
    held = batchify(held_ids, config.eval_streams)
    known = set(words_of(decode_ids(vocab, train_ids)))
    prompt = encode_text(vocab, PROMPT).tolist()
    lstm = [real_word_share(decode_ids(vocab, sample_ids(model, prompt, SAMPLE_CHARS, temperature=1.0, seed=s,
                                                         exclude=[vocab.unk_id])), known) for s in SAMPLE_SEEDS]
    four = CharNGram(train_ids, len(vocab), order=4)
    fourgram = [real_word_share(decode_ids(vocab, four.sample(prompt, SAMPLE_CHARS, seed=s)), known)
                for s in SAMPLE_SEEDS]
    return {"bits_per_char": bits_per_char(stream_logits(model, held), held[:, 1:]),
            "fourgram_bits_per_char": four.bits_per_char(held),
            "real_word_share": float(np.mean(lstm)), "real_word_share_by_seed": lstm,
            "fourgram_real_word_share": float(np.mean(fourgram)), "fourgram_real_word_share_by_seed": fourgram}


def train(folder: Path) -> dict:
    result, minutes, cpu_minutes = train_timed(lambda: run_charlm(CharLMConfig(**RECIPE, progress=False)))
    half = round_to_float16(result.model)                                     # measure what ships: the fp16 weights
    metrics = measure(result.model.eval(), result.config)
    digest = write_weights(folder, SHIPPED_WEIGHTS, half)
    info = {"command": COMMAND, "config": dataclasses.asdict(result.config), "steps": result.metrics["steps"],
            "minutes": round(minutes, 1), "cpu_minutes": round(cpu_minutes, 1), "threads": 1,
            "torch": torch.__version__, "sha256": digest, "vocab": list(result.vocab.itos),
            "prompt": PROMPT, "sample_chars": SAMPLE_CHARS, "sample_seeds": list(SAMPLE_SEEDS),
            "metrics": metrics,
            "metrics_before_float16": {k: result.metrics[k] for k in ("bits_per_char", "trigram_bits_per_char",
                                                                      "bigram_bits_per_char", "train_loss_bits")},
            "held_out_curve": [[e["step"], e["bits_per_char"]] for e in result.history.evals]}
    (folder / SHIPPED_INFO).write_text(json.dumps(info, indent=1) + "\n")
    return info


def check(folder: Path) -> int:
    model, _, info = load_shipped_charlm(folder)
    metrics = measure(model, CharLMConfig(**info["config"]))
    bad = {}
    for k, v in metrics.items():
        recorded = info["metrics"][k]
        if np.max(np.abs(np.subtract(v, recorded))) > 1e-6:
            bad[k] = (v, recorded)
        print(f"{k}: measured {v}, recorded {recorded}")
    print("all metrics match the record" if not bad else f"differ from the record: {bad}")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    return shipped_main(__doc__, shipped_charlm_dir, train, check, ("minutes", "cpu_minutes", "sha256", "metrics"),
                        argv)


if __name__ == "__main__":
    sys.exit(main())
