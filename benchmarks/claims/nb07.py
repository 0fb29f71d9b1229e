"""Notebook 07's claims re-checked on another training seed (same data and test sets, the notebook's configs)."""

from __future__ import annotations

import numpy as np
import torch

from benchmarks.claims import record
from rnnlab.experiments.translation import (
    LENGTH_EDGES,
    TranslateConfig,
    evaluate_translations,
    load_task,
    run_translate,
)
from rnnlab.metrics.translation import bucket_labels
from rnnlab.models.seq2seq import translate_ids

N_TEST = 300
SMALL = dict(hidden_size=64, embedding_size=32, batch_size=64, bucket=8, n_test=N_TEST, n_eval=100, baseline=False,
             progress=False)
NO_ATT_STEPS, ATT_STEPS, DATE_STEPS, UI_STEPS = 900, 300, 200, 300
UI = {**SMALL, "baseline": True}


def padding_share(sample, n: int = 16) -> float:
    """Share of the source and target positions that are <pad>, over n batches (the notebook's function)."""
    pads = total = 0
    for _ in range(n):
        b = sample()
        for t in (b.src, b.tgt_out):
            pads, total = pads + int((t == 0).sum()), total + t.numel()
    return pads / total


def _position_accuracy(model, data, pairs, teacher_forcing):
    b = data.batch(pairs)
    model.eval()
    with torch.no_grad():
        logits, _ = model(b.src, b.src_lengths, b.tgt_in, teacher_forcing=teacher_forcing)
    real = b.tgt_out != 0
    return (((logits.argmax(-1) == b.tgt_out) & real).sum(0) / real.sum(0)).numpy()


def claims(seed: int) -> list[dict]:
    rows = []

    def add(claim, value, relation, threshold):
        rows.append(record("07", claim, seed, value, relation, threshold))

    grammar = load_task("grammar", 10_000, N_TEST, 0)
    add("batches grouped by length hold less padding than random ones (share of positions)",
        padding_share(grammar.batch_sampler(64, seed, bucket=8)), "<", padding_share(grammar.batch_sampler(64, seed)))
    no_att = run_translate(TranslateConfig(task="grammar", attention=False, steps=NO_ATT_STEPS,
                                           eval_every=NO_ATT_STEPS, seed=seed, **SMALL))
    forced = _position_accuracy(no_att.model, grammar, grammar.test, 1.0)
    free = _position_accuracy(no_att.model, grammar, grammar.test, 0.0)
    add("free running is less accurate than teacher forcing (accuracy averaged over positions)", np.mean(free), "<",
        np.mean(forced))

    dates = run_translate(TranslateConfig(task="dates", attention=True, steps=DATE_STEPS, eval_every=DATE_STEPS,
                                          seed=seed, **SMALL))
    add("additive attention reads unseen dates exactly (exact match)", dates.metrics["exact_match"], ">=", 0.95)

    att = run_translate(TranslateConfig(task="grammar", attention=True, steps=ATT_STEPS, eval_every=ATT_STEPS,
                                        seed=seed, **SMALL))
    labels = bucket_labels(LENGTH_EDGES["grammar"])
    bleu = {name: {lab: r.metrics[f"bleu_len_{lab.replace('-', '_')}"] for lab in labels}
            for name, r in (("no", no_att), ("att", att))}
    counts = {lab: att.metrics[f"n_len_{lab.replace('-', '_')}"] for lab in labels}
    short = labels[0]
    long_buckets = [lab for lab in labels[-3:] if counts[lab] >= 10]
    add(f"the fixed-context model translates short sentences well (BLEU on {short} words)", bleu["no"][short], ">",
        80)
    for lab in long_buckets:
        add(f"attention beats the fixed context on {lab}-word sentences (BLEU difference)",
            bleu["att"][lab] - bleu["no"][lab], ">", 5)
    add("the fixed-context model degrades on long sentences (BLEU lost from short to longest)",
        bleu["no"][short] - bleu["no"][long_buckets[-1]], ">", 10)
    add("attention also does better on held-out combinations (BLEU)", att.metrics["combos_bleu"], ">",
        no_att.metrics["combos_bleu"])

    subset = grammar.test[:100]
    src, src_len = grammar.encode_sources([s for s, _ in subset])
    greedy = translate_ids(att.model, src, src_len, method="greedy")
    beam5 = translate_ids(att.model, src, src_len, method="beam", beam_width=5, length_penalty=1.0)
    add("beam 5 finds translations the model scores at least as high as greedy's",
        beam5.score(1.0).mean().item(), ">=", greedy.score(1.0).mean().item() - 1e-6)
    g = evaluate_translations(att.model, grammar, subset, method="greedy")[0]["bleu"]
    b = evaluate_translations(att.model, grammar, subset, method="beam", beam_width=5)[0]["bleu"]
    add("beam search changes BLEU by less than 5 points here (absolute difference)", abs(b - g), "<", 5)

    return rows + ui_claims(seed)


def ui_claims(seed: int) -> list[dict]:
    """The real-language claim of section 9 (attention model against the word-by-word baseline)."""
    real = run_translate(TranslateConfig(task="ui", attention=True, steps=UI_STEPS, eval_every=UI_STEPS, seed=seed,
                                         **UI))
    return [record("07", "the attention model beats the word-by-word baseline on real pairs (BLEU)", seed,
                   real.metrics["bleu"], ">", real.metrics["baseline_bleu"])]
