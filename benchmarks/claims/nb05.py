"""Notebook 05 (sentiment): its asserted claims re-run on another seed (see benchmarks/claims/__init__.py).

The seed sets the validation split, the initial weights, the batches and dropout of every model, and the
contrast sentences.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from benchmarks.claims import record
from rnnlab.data.sentiment import sentiment_splits
from rnnlab.data.vocab import tokenize_words
from rnnlab.experiments.sentiment import SentimentConfig, batch_sampler, predict_proba, prepare_data, run_sentiment
from rnnlab.models.classifier import RNNClassifier
from rnnlab.utils import seed_everything

NB = "05"


def _probe_summary(result) -> dict[str, float]:
    probs = predict_proba(result.model, result.extras["probe_set"]).numpy().reshape(-1, 2)   # (pairs, 2)
    return {"probe accuracy": result.metrics["probe_accuracy"],
            "pairs ordered right": float(np.mean(probs[:, 0] > probs[:, 1])),
            "max gap": float(np.abs(probs[:, 0] - probs[:, 1]).max()),
            "mean gap": float(np.abs(probs[:, 0] - probs[:, 1]).mean())}


def claims(seed: int) -> list[dict]:
    rows = []

    def rec(claim: str, value: float, relation: str, threshold: float) -> None:
        rows.append(record(NB, claim, seed, value, relation, threshold))

    splits = sentiment_splits(seed=seed)
    lengths = np.array([len(tokenize_words(t)) for t in splits.train["text"]])
    rec("share of training reviews longer than 100 tokens (about one in four)", np.mean(lengths > 100), ">", 0.15)
    rec("... and not more than about one in three", np.mean(lengths > 100), "<", 0.35)

    # section 5: the written-out step against the experiment
    config = SentimentConfig(model="gru", seed=seed, progress=False)
    data = prepare_data(config)
    seed_everything(seed)
    gru = RNNClassifier(len(data.vocab), config.embed_dim, config.hidden_size, dropout=config.dropout)
    optimizer = torch.optim.AdamW(gru.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    next_batch = batch_sampler(data.train_set, config.batch_size, seed=seed)
    losses = []
    for _ in range(20):
        ids, lens, labels = next_batch()
        x = gru.dropout(gru.embedding(ids))
        _, h = gru.rnn(pack_padded_sequence(x, lens, batch_first=True, enforce_sorted=False))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(gru.head(gru.dropout(h[-1])).squeeze(-1), labels)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(gru.parameters(), config.clip_grad_norm)
        optimizer.step()
        losses.append(loss.item())

    results = {kind: run_sentiment(SentimentConfig(model=kind, seed=seed, progress=False))
               for kind in ("bow", "gru", "bigru")}
    rec("largest gap between the notebook's 20 losses and the experiment's first 20",
        max(abs(a - b) for a, b in zip(losses, results["gru"].history.loss[:20], strict=True)), "<", 1e-6)
    for kind, r in results.items():
        rec(f"{kind}: test accuracy is above the majority baseline + 0.03", r.metrics["accuracy"], ">",
            r.metrics["majority_accuracy"] + 0.03)

    # section 6: the probe
    summary = {kind: _probe_summary(r) for kind, r in results.items()}
    rec("bag of words: largest |p(great) difference| within a probe pair (identical bags)",
        summary["bow"]["max gap"], "<", 1e-6)
    rec("bag of words: probe accuracy (exactly one of each pair right)", summary["bow"]["probe accuracy"], "<=", 0.5)
    rec("bag of words: pairs ordered right (every pair is a tie)", summary["bow"]["pairs ordered right"], "<=", 0.0)
    for kind in ("gru", "bigru"):
        rec(f"{kind}: mean |p(a) - p(b)| in a pair (reacts to word order)", summary[kind]["mean gap"], ">", 0.01)
    bigru = results["bigru"].model.eval()
    ids, lens, _ = results["bigru"].extras["probe_set"].batch(range(250))
    with torch.no_grad():
        _, h = bigru.rnn(pack_padded_sequence(bigru.embedding(ids), lens, batch_first=True, enforce_sorted=False))
        w, H = bigru.head.weight[0], bigru.rnn.hidden_size
        forward, backward = (h[0] @ w[:H]).reshape(-1, 2), (h[1] @ w[H:]).reshape(-1, 2)
    ordered = {name: float((p[:, 0] > p[:, 1]).float().mean()) for name, p in (("f", forward), ("b", backward))}

    contrast = run_sentiment(SentimentConfig(model="gru", seed=seed, contrast_examples=400, progress=False))
    gc = _probe_summary(contrast)
    rec("gru + contrast: pairs ordered right", gc["pairs ordered right"], ">=", 0.7)
    rec("gru + contrast: probe accuracy, well above the bag of words' 0.5", gc["probe accuracy"], ">=", 0.6)
    rec("gru + contrast: probe accuracy minus the plain GRU's", gc["probe accuracy"] - summary["gru"]["probe accuracy"],
        ">", 0.1)
    rec("gru + contrast: test accuracy above the majority baseline", contrast.metrics["accuracy"], ">",
        results["gru"].metrics["majority_accuracy"])

    # section 7: attribution on the long test reviews
    test_set = results["gru"].extras["test_set"]
    n_test = np.array([len(x) for x in test_set.ids])
    long_ids, long_lengths, _ = test_set.batch(np.flatnonzero(n_test >= 60).tolist())
    share = {}
    for kind in ("bow", "gru"):
        scores = results[kind].model.contributions(long_ids, long_lengths).abs()
        last10 = torch.stack([scores[i, n - 10: n].sum() for i, n in enumerate(long_lengths.tolist())])
        share[kind] = float((last10 / scores.sum(1)).mean())
    rec("GRU: mean share of |gradient x input| on the last 10 words of long reviews", share["gru"], ">", 0.4)
    rec("... against twice the bag of words' share", share["gru"], ">", 2 * share["bow"])

    print(f"seed {seed}: test accuracy " + ", ".join(f"{k} {r.metrics['accuracy']:.3f}" for k, r in results.items())
          + f", gru + contrast {contrast.metrics['accuracy']:.3f}", flush=True)
    print(f"seed {seed}: pairs ordered right gru {summary['gru']['pairs ordered right']:.2f}, bigru "
          f"{summary['bigru']['pairs ordered right']:.2f} (forward part {ordered['f']:.2f}, "
          f"backward {ordered['b']:.2f}),"
          f" gru + contrast {gc['pairs ordered right']:.2f}; probe accuracy gru {summary['gru']['probe accuracy']:.2f},"
          f" gru + contrast {gc['probe accuracy']:.2f}; last-10 share gru {share['gru']:.2f} bow {share['bow']:.2f}",
          flush=True)
    return rows
