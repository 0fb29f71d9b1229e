"""Notebook 06 (text generation): its asserted claims re-run on another seed (see benchmarks/claims/__init__.py).

The seed sets the LSTMs' initial weights, the samples drawn from every model, and the untrained control
network; the text, its split and the counting models do not depend on it.
"""

from __future__ import annotations

import itertools

import numpy as np
import torch

from benchmarks.claims import record
from rnnlab.data.corpora import StatefulBatches, batchify, char_features, decode_ids, encode_text, load_names
from rnnlab.experiments.charlm import CharLMConfig, run_charlm
from rnnlab.metrics.language import bits_per_char, unit_correlations
from rnnlab.models.charlm import CharLM, detach_state, hidden_activations, stream_logits
from rnnlab.models.ngram import CharNGram
from rnnlab.utils import seed_everything
from rnnlab.widgets.textgen import generate_text

NB = "06"
PUNCTUATION = ".,;:!?'-\"()[]"


def _words(text: str) -> list[str]:
    return [w for w in (w.strip(PUNCTUATION).lower() for w in text.split()) if w]


def claims(seed: int) -> list[dict]:
    rows = []

    def rec(claim: str, value: float, relation: str, threshold: float) -> None:
        rows.append(record(NB, claim, seed, value, relation, threshold))

    config = CharLMConfig(corpus="shakespeare", seed=seed, hidden_size=128, seq_len=64, steps=400, eval_every=100,
                          progress=False)
    run = run_charlm(config)
    m, model, vocab = run.metrics, run.model, run.extras["vocab"]
    V, train_ids = len(vocab), run.extras["train_ids"]

    # section 3: the notebook's written-out loop equals the experiment's first 30 losses
    seed_everything(seed)
    lm = CharLM(V, 128, embedding_size=32)
    optimizer = torch.optim.AdamW(lm.parameters(), lr=3e-3, weight_decay=0.0)
    losses, state = [], None
    for _, (x, y, first) in zip(range(30), itertools.cycle(StatefulBatches(train_ids, 32, 64)), strict=False):
        if first:
            state = None
        logits, state = lm(x, state)
        state = detach_state(state)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lm.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    rec("largest gap between the notebook's 30 losses and the experiment's first 30",
        max(abs(a - b) for a, b in zip(losses, run.history.loss[:30], strict=True)), "<", 1e-6)

    held = run.extras["held_out_ids"]
    four = CharNGram(train_ids, V, order=4).bits_per_char(held)
    rec("LSTM held-out bits/char is below the trigram's", m["bits_per_char"], "<", m["trigram_bits_per_char"])
    rec("... and still above the 4-gram's", m["bits_per_char"], ">", four)
    held_bpc = run.history.metric("bits_per_char")[1]
    rec("held-out bits/char at the last evaluation is below the one before (still falling)", held_bpc[-1], "<",
        held_bpc[-2])
    print(f"seed {seed}: LSTM {m['bits_per_char']:.3f}, trigram {m['trigram_bits_per_char']:.3f}, 4-gram {four:.3f} "
          "bits/char", flush=True)

    streams = batchify(held, 8)
    inputs, targets = streams[:, :-1], streams[:, 1:]
    carried = bits_per_char(stream_logits(model, streams, chunk=64), targets)
    with torch.no_grad():
        reset = bits_per_char(torch.cat([model(inputs[:, s: s + 64])[0] for s in range(0, inputs.shape[1], 64)],
                                        dim=1), targets)
    rec("held-out bits/char with the state carried is below the one with the state reset every window",
        carried, "<", reset)
    tail = batchify(train_ids[-len(held):], 8)
    train_end = bits_per_char(stream_logits(model, tail), tail[:, 1:])
    rec("final weights: bits/char on the end of the training text is below the held-out one", train_end, "<",
        m["bits_per_char"])
    rec("held-out bits/char (final weights) is below the running training loss", m["bits_per_char"], "<",
        m["train_loss_bits"])
    # the last 20 training windows re-scored with the final weights (state carried from the start of their pass)
    batches = run.extras["batches"]
    last = [(s - 1) % len(batches) for s in range(m["steps"] - 19, m["steps"] + 1)]
    streams_tr = batches.streams[:, : (max(last) + 1) * 64 + 1]
    replay_logits = stream_logits(model, streams_tr, chunk=64)
    replay = float(np.mean([bits_per_char(replay_logits[:, k * 64: (k + 1) * 64],
                                          streams_tr[:, k * 64 + 1: (k + 1) * 64 + 1]) for k in last]))
    rec("the last 20 training windows re-scored with the final weights are below the running training loss",
        replay, "<", m["train_loss_bits"])
    rec("the last 20 training windows re-scored with the final weights are below the held-out bits/char",
        replay, "<", m["bits_per_char"])
    print(f"seed {seed}: running {m['train_loss_bits']:.3f}, replayed {replay:.3f}, train tail {train_end:.3f}, "
          f"held out {m['bits_per_char']:.3f}", flush=True)

    # section 5: sampling (the notebook draws with seeds 1, 2, 3; here they move with the seed)
    known = set(_words(decode_ids(vocab, train_ids)))
    prompt = "MACBETH:\n"

    def share(sample: str) -> float:
        return float(np.mean([w in known for w in _words(sample[len(prompt):])]))

    greedy = generate_text(model, vocab, prompt, 600, temperature=0.0)
    rec("position of the greedy sample's last 100 characters' first occurrence, before the end",
        greedy.find(greedy[-100:]), "<", len(greedy) - 100)
    shares = {tau: share(generate_text(model, vocab, prompt, 2000, temperature=tau, seed=seed))
              for tau in (0.5, 1.0, 1.5)}
    rec("real-word share at temperature 0.5 is above the one at 1.0", shares[0.5], ">", shares[1.0])
    rec("real-word share at temperature 1.0 is above the one at 1.5", shares[1.0], ">", shares[1.5])
    ngram_shares = {n: share(prompt + decode_ids(vocab, CharNGram(train_ids, V, order=n).sample(
        encode_text(vocab, prompt).tolist(), 2000, seed=seed))) for n in (3, 4)}
    rec("LSTM real-word share at temperature 1 is below the 4-gram's", shares[1.0], "<", ngram_shares[4])
    rec("LSTM real-word share at temperature 1 is not below the trigram's", shares[1.0], ">=", ngram_shares[3])
    print(f"seed {seed}: real-word share at temperature 1: LSTM {shares[1.0]:.3f}, trigram {ngram_shares[3]:.3f}, "
          f"4-gram {ngram_shares[4]:.3f}", flush=True)
    plain = generate_text(model, vocab, prompt, 300, temperature=1.0, seed=seed)
    top3 = generate_text(model, vocab, prompt, 300, temperature=1.0, top_k=3, seed=seed)
    rec("real-word share with top-3 is above plain sampling's", share(top3), ">", share(plain))

    # section 6: names
    names_run = run_charlm(CharLMConfig(corpus="names", seed=seed, hidden_size=64, batch_size=32, seq_len=32,
                                        steps=250, eval_every=50, progress=False))
    mn = names_run.metrics
    rec("names: LSTM held-out bits/char is below the bigram's", mn["bits_per_char"], "<", mn["bigram_bits_per_char"])
    rec("names: the bigram's is below the unigram's", mn["bigram_bits_per_char"], "<", mn["unigram_bits_per_char"])
    rec("names: the training loss is below the held-out bits/char", mn["train_loss_bits"], "<", mn["bits_per_char"])
    print(f"seed {seed}: names LSTM {mn['bits_per_char']:.3f}, trigram {mn['trigram_bits_per_char']:.3f}, "
          f"bigram {mn['bigram_bits_per_char']:.3f}", flush=True)
    invented = generate_text(names_run.model, names_run.extras["vocab"], "", 400, temperature=0.8, seed=seed).split()
    census = set(load_names("all"))
    rec("share of sampled names that are not in the census lists",
        sum(n not in census for n in invented) / len(invented), ">", 0.5)

    # section 7: units
    passage = run.extras["held_out_text"][:4000]
    acts = hidden_activations(model, encode_text(vocab, passage), "h")
    features = char_features(passage)
    seed_everything(seed)
    untrained = hidden_activations(CharLM(V, 128, embedding_size=32), encode_text(vocab, passage), "h")
    best, control = {}, {}
    for name, feature in features.items():
        r = unit_correlations(acts, feature)
        best[name] = (int(np.argmax(np.abs(r))), float(r[np.argmax(np.abs(r))]))
        control[name] = float(np.abs(unit_correlations(untrained, feature)).max())
    feature_name, (_, r_best) = max(best.items(), key=lambda kv: abs(kv[1][1]))
    print(f"seed {seed}: " + ", ".join(f"{k} trained {v[1]:+.2f} untrained {control[k]:.2f}" for k, v in best.items()),
          flush=True)
    rec("the most interpretable unit tracks 'inside a speaker name' (1 = yes)",
        float(feature_name == "inside a speaker name"), ">", 0.5)
    rec("|r| of the most interpretable unit", abs(r_best), ">", 0.6)
    rec("... against twice the untrained network's best |r|", abs(r_best), ">", 2 * control[feature_name])
    line_unit, r_line = best["position in line"]
    verse = features["inside a speaker name"] == 0
    r_verse = unit_correlations(acts[verse], features["position in line"][verse])[line_unit]
    control_verse = np.abs(unit_correlations(untrained[verse], features["position in line"][verse])).max()
    rec("line-position unit |r| against twice the untrained best", abs(r_line), ">", 2 * control["position in line"])
    rec("line-position unit |r| within ordinary lines", abs(r_verse), ">", 0.5)
    rec("... against twice the untrained best there", abs(r_verse), ">", 2 * control_verse)
    return rows
