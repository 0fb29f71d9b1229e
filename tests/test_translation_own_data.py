"""Your own pairs (--pairs), BLEU on short strings and in one form, beam search's finished hypotheses, and the
contract of models and step functions passed in (issue 24, cases beam_toy / bleu_short / own_pairs_bleu)."""

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from rnnlab.data.real_pairs import load_ui_pairs
from rnnlab.data.translation import ParallelData, load_pairs, read_pairs
from rnnlab.experiments import EXPERIMENTS
from rnnlab.experiments.registry import Result
from rnnlab.experiments.translation import (
    TranslateConfig,
    TranslateResult,
    check_model_contract,
    config_data,
    evaluate_translations,
    make_model,
    run_translate,
)
from rnnlab.metrics.translation import bleu_order, corpus_bleu, scores_by_length
from rnnlab.models.seq2seq import Seq2Seq, Seq2SeqConfig, beam_search, check_log_probs, greedy_search

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "rnnlab" / "data" / "files" / "examples" / "en_fr_pairs.tsv"
TINY = dict(steps=3, eval_every=3, hidden_size=8, embedding_dim=8, batch_size=8, n_eval=5, progress=False)

# ------------------------------------------------------------------------------------------ beam search
BOS, EOS, A, B, Y, Z1, Z2, W, V = 2, 3, 4, 5, 6, 7, 8, 9, 10
TABLE = {BOS: {A: 0.5, B: 0.5}, A: {EOS: 0.6, Y: 0.4}, B: {Y: 0.99, EOS: 0.01}, Y: {Z1: 0.5, Z2: 0.5},
         Z1: {W: 0.99, EOS: 0.01}, Z2: {W: 0.99, EOS: 0.01}, W: {W: 0.99, EOS: 0.01}, EOS: {EOS: 1.0}}


def toy_step(tokens, state, table=TABLE, log=True):
    out = torch.full((len(tokens), V), -1e9)
    for i, t in enumerate(tokens.tolist()):
        for nxt, p in table.get(t, {EOS: 1.0}).items():
            out[i, nxt] = math.log(p)
    out = out.log_softmax(-1)
    return (out if log else out.exp()), state, None


@pytest.mark.parametrize("K, alpha", [(2, 1.0), (2, 0.0), (5, 1.0), (3, 0.5)])
def test_a_hypothesis_that_never_ends_never_outranks_a_finished_one(K, alpha):
    r = beam_search(toy_step, torch.zeros(K, 1), 1, bos_id=BOS, eos_id=EOS, max_len=25, beam_width=K,
                    length_penalty=alpha)
    tokens = r.tokens[0, : int(r.length[0])].tolist()
    assert tokens[-1] == EOS and bool(r.finished[0])
    assert tokens == [A, EOS] and abs(float(r.log_prob[0]) - math.log(0.5 * 0.6)) < 1e-5


def test_cut_off_hypothesis_is_flagged_when_none_finished():
    never = {BOS: {A: 1.0}, A: {A: 1.0}}           # EOS impossible (log-prob -1e9 before renormalising)
    r = beam_search(lambda t, s: toy_step(t, s, never), torch.zeros(2, 1), 1, bos_id=BOS, eos_id=EOS, max_len=6,
                    beam_width=2)
    assert not bool(r.finished[0]) and int(r.length[0]) == 6
    g = greedy_search(lambda t, s: toy_step(t, s, never), torch.zeros(1, 1), 1, bos_id=BOS, eos_id=EOS, max_len=6)
    assert not bool(g.finished[0])


def test_beam_one_is_greedy_and_batches_are_independent():
    table = {**TABLE, BOS: {A: 0.45, B: 0.55}, Y: {Z1: 0.6, Z2: 0.4}}  # no ties: greedy goes B Y Z1 W W ..
    step = lambda t, s: toy_step(t, s, table)  # noqa: E731
    g = greedy_search(step, torch.zeros(3, 1), 3, bos_id=BOS, eos_id=EOS, max_len=10)
    b = beam_search(step, torch.zeros(3, 1), 3, bos_id=BOS, eos_id=EOS, max_len=10, beam_width=1)
    assert not bool(g.finished[0]) and not bool(b.finished[0])
    assert torch.equal(g.tokens, b.tokens) and torch.allclose(g.log_prob, b.log_prob)


@pytest.mark.parametrize("search", ["greedy", "beam"])
def test_search_refuses_outputs_that_are_not_log_probabilities(search):
    def probs(t, s):
        return toy_step(t, s, log=False)

    def logits(t, s):
        return toy_step(t, s)[0] + 3.0, s, None

    for fn, words in [(probs, "probabilities (rows sum to 1)"), (logits, "log_softmax")]:
        with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")):
            if search == "greedy":
                greedy_search(fn, torch.zeros(1, 1), 1, bos_id=BOS, eos_id=EOS, max_len=5)
            else:
                beam_search(fn, torch.zeros(2, 1), 1, bos_id=BOS, eos_id=EOS, max_len=5, beam_width=2)
    with pytest.raises(ValueError, match="rows=2"):
        check_log_probs(torch.zeros(3, 4).log_softmax(-1), 2)
    with pytest.raises(ValueError, match="tuple"):
        greedy_search(lambda t, s: toy_step(t, s)[0], torch.zeros(1, 1), 1, bos_id=BOS, eos_id=EOS, max_len=5)


# ------------------------------------------------------------------------------------------------- BLEU
def test_perfect_short_translations_score_100_and_say_the_order():
    refs = ["enregistrer", "fermer l' onglet", "redémarrer le noyau", "ouvrir", "copier le chemin"]
    with pytest.warns(UserWarning, match="BLEU-3"):
        assert corpus_bleu(list(refs), refs) == pytest.approx(100.0)
    with pytest.warns(UserWarning, match="BLEU-1"):
        assert corpus_bleu(["ouvrir", "fermer"], ["ouvrir", "fermer"]) == pytest.approx(100.0)
    assert bleu_order(refs) == 3 and bleu_order(["a b c d e"]) == 4 and bleu_order(["2026-11-25"], tokenize="char") == 4
    with pytest.warns(UserWarning):
        assert corpus_bleu([*refs[:4], "copier le chemin d' accès"], refs) > 50        # one too long: not 0
    rows = scores_by_length(list(refs), refs, [1, 3, 3, 1, 3], (3, 12))
    assert rows["1-3"]["bleu"] == pytest.approx(100.0) and rows["1-3"]["order"] == 3 and rows["4-12"]["n"] == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")                                                # long references: no warning
        assert corpus_bleu(["a b c d e"], ["a b c d e"]) == pytest.approx(100.0)


def test_lower_cased_hypotheses_against_cased_references_warn():
    with pytest.warns(UserWarning, match="lower-case"):
        corpus_bleu(["redémarrer le noyau"], ["Redémarrer le noyau"])


def test_a_perfect_model_on_raw_pairs_scores_100_under_any_task_name():
    raw = [p for p in load_ui_pairs() if len(p[1].split()) <= 12][:400]
    data = ParallelData("mine", "text", raw[100:], raw[:100])           # any task name
    refs = [data.normalize_target(t) for _, t in data.test]

    class Perfect(nn.Module):                 # translate_texts is replaced: what matters is how BLEU is computed
        pass

    import rnnlab.experiments.translation as tr
    original = tr.translate_texts
    tr.translate_texts = lambda model, d, sources, **kw: (refs[: len(sources)], [])
    try:
        metrics, _ = evaluate_translations(Perfect(), data, data.test)
    finally:
        tr.translate_texts = original
    assert metrics["bleu"] == pytest.approx(100.0) and metrics["exact_match"] == 1.0
    m = Seq2Seq(Seq2SeqConfig(len(data.src_vocab), len(data.tgt_vocab), embedding_dim=8, hidden_size=8,
                              attention_size=8))
    metrics, hyps = evaluate_translations(m, data, data.test[:5])                    # no KeyError: 'mine'
    assert len(hyps) == 5 and "n_len_1_3" in metrics


# ------------------------------------------------------------------------------------------- own pairs
def _write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


GOOD = "".join(f"Sentence number {i}\tPhrase numéro {i}\n" for i in range(30))


def test_read_pairs_good_file_with_bom_blank_lines_and_crlf(tmp_path):
    path = _write(tmp_path, "p.tsv", "\ufeff" + GOOD.replace("\n", "\r\n") + "\r\n\r\n")
    pairs = read_pairs(path)
    assert len(pairs) == 30 and pairs[0] == ("Sentence number 0", "Phrase numéro 0")


@pytest.mark.parametrize("bad, words", [
    ("a\tb\tc\n", "line 31: 3 tab-separated columns"),
    ("just one column\n", "line 31: 1 tab-separated columns"),
    ("source only\t  \n", "line 31: the target (second column) is empty"),
    ("\tcible\n", "line 31: the source (first column) is empty"),
])
def test_read_pairs_names_the_bad_line(tmp_path, bad, words):
    path = _write(tmp_path, "p.tsv", GOOD + bad)
    with pytest.raises(ValueError, match=words.replace("(", r"\(").replace(")", r"\)")) as err:
        read_pairs(path)
    assert str(err.value).startswith("path file") and "--pairs" not in str(err.value)  # Python names its argument
    with pytest.raises(ValueError, match="pairs \\(--pairs\\) file"):                 # an experiment names both
        config_data(TranslateConfig(pairs=str(path)))


def test_read_pairs_encodings_and_missing_files(tmp_path):
    cp = _write(tmp_path, "w.tsv", GOOD + "Don’t save\tNe pas enregistrer\n", encoding="cp1252")
    with pytest.raises(ValueError, match="cp1252"):
        read_pairs(cp)
    assert read_pairs(cp, encoding="cp1252")[-1] == ("Don’t save", "Ne pas enregistrer")
    utf16 = _write(tmp_path, "u.tsv", "\ufeff" + GOOD, encoding="utf-16-le")
    assert len(read_pairs(utf16)) == 30
    with pytest.raises(FileNotFoundError, match="path"):
        read_pairs(tmp_path / "nope.tsv")
    with pytest.raises(ValueError, match="at least 10"):
        read_pairs(_write(tmp_path, "few.tsv", "a\tb\n"))


def test_load_pairs_splits_held_out_sources_and_normalises_typography(tmp_path):
    data = load_pairs(EXAMPLE, seed=3)
    assert data.task == "en_fr_pairs" and len(data.test) == 59
    assert len(data.train) + len(data.test) == 598  # two sources repeat once tokenised
    assert not {s for s, _ in data.test} & {s for s, _ in data.train}
    assert data.tokenize("Don’t\u00a0close") == data.tokenize("Don't close")   # curly apostrophe, no-break space
    assert data.normalize_target("Redémarrer le noyau…") == "redémarrer le noyau . . ."
    with pytest.raises(ValueError, match="n_test"):
        load_pairs(EXAMPLE, n_test=10_000)


def test_run_translate_on_own_pairs_returns_a_typed_result():
    r = run_translate(TranslateConfig(pairs=str(EXAMPLE), **TINY))
    assert isinstance(r, TranslateResult) and isinstance(r, Result)
    assert {"bleu", "baseline_bleu", "exact_match", "n_train", "n_test"} <= set(r.metrics)
    assert r.data.task == "en_fr_pairs" and len(r.test_translations) == len(r.references) == r.metrics["n_test"]
    assert r.baseline_translations is not None and r.extras == {}
    steps, loss = r.history.metric("eval_loss")
    assert steps.tolist() == [3] and 0 < loss[0] < 20


@pytest.mark.slow  # trains from the command line in a subprocess: ~40 s on a loaded 2-core machine
def test_command_line_pairs_option(tmp_path):
    env = {"OMP_NUM_THREADS": "1", "RNNLAB_PROGRESS": "0", "PATH": "/usr/bin:/bin"}
    cmd = [sys.executable, "-m", "rnnlab.experiments", "translate", "--pairs", str(EXAMPLE), "--steps", "2",
           "--hidden-size", "8", "--embedding-dim", "8", "--batch-size", "8", "--eval-every", "2", "--n-eval", "5"]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    record = json.loads(done.stdout.strip().splitlines()[-1])
    assert "bleu" in record["metrics"] and "baseline_bleu" in record["metrics"]
    bad = _write(tmp_path, "bad.tsv", GOOD + "x\ty\tz\n")
    done = subprocess.run([*cmd[:4], "--pairs", str(bad)], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=300)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "line 31" in last and "--pairs" in last and "Traceback" not in done.stderr


def test_translate_is_registered_with_the_pairs_option():
    fields = TranslateConfig.__dataclass_fields__
    assert "pairs" in fields and "encoding" in fields and EXPERIMENTS["translate"].config_class is TranslateConfig


# ------------------------------------------------------------------------------------- model contract
class TimeMajor(Seq2Seq):
    """A student's model whose encoder GRU runs time-major by mistake (batch_first=False)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.encoder.rnn.batch_first = False

    def encode(self, src, lengths):
        emb = self.encoder.embedding(src)                   # (batch, S, E) read as (time, batch, E)
        out, h = self.encoder.rnn(emb)
        out = out[:, : src.shape[1]] if out.shape[1] >= src.shape[1] else out
        from rnnlab.models.seq2seq import Memory, lengths_to_mask
        final = torch.cat(list(h), -1)[: src.shape[0]] if h.shape[1] >= src.shape[0] else torch.cat(list(h), -1)
        final = final.expand(src.shape[0], -1) if final.shape[0] == 1 else final
        outputs = out if out.shape[0] == src.shape[0] else out.transpose(0, 1)
        mask = lengths_to_mask(lengths, src.shape[1])
        return Memory(outputs, mask, final, self.attention.project_keys(outputs)), torch.tanh(self.bridge(final))


class NoMask(Seq2Seq):
    """A student's model whose attention ignores the padding mask."""

    def step(self, y_prev, h, memory):
        from rnnlab.models.seq2seq import Memory
        full = Memory(memory.outputs, torch.ones_like(memory.mask), memory.final, memory.projected)
        return super().step(y_prev, h, full)


@pytest.mark.parametrize("cls", [TimeMajor, NoMask])
def test_models_that_mix_the_sentences_of_a_batch_are_refused(cls):
    from rnnlab.experiments.translation import load_task
    config = TranslateConfig(task="grammar", n_test=20, **TINY)
    data = load_task("grammar", config.n_train, config.n_test, config.data_seed)
    good = make_model(config, data)
    bad = cls(good.config, bos_id=good.bos_id, eos_id=good.eos_id)
    check_model_contract(good, data)
    with pytest.raises(ValueError, match="mixes the sentences of a batch"):
        check_model_contract(bad, data)
    with pytest.raises(ValueError, match="mixes the sentences"):
        run_translate(config, model=bad)
    wrong_ids = make_model(config, data)
    wrong_ids.eos_id = 1
    with pytest.raises(ValueError, match="eos_id"):
        check_model_contract(wrong_ids, data)
