"""Exercise checks for notebook 11 (tagging): the CRF's Viterbi decoding and its forward algorithm (log Z).

Conventions (those of `rnnlab.models.crf`): emissions `(time, tags)`, the score of each tag at each step;
transitions `(tags, tags)`, `transitions[i, j]` the score of tag i followed by tag j; a path's score is the sum of
its emissions and of the transitions between its consecutive tags. Viterbi returns the best path; the forward
algorithm returns log Z, the log-sum-exp of the scores of every path (Lafferty et al. 2001; the same dynamic
programme as CTC's alpha recursion in notebook 09).

Usage, in the notebook::

    from rnnlab.checks.tagging import check_log_partition, check_viterbi

    def viterbi(emissions, transitions):          # (time, tags), (tags, tags) -> list of `time` tag ids
        ...
    check_viterbi(viterbi)                         # prints "✅ Viterbi decoding: passed" or names the mistake

    def log_partition(emissions, transitions):     # -> log Z, a 0-dim tensor (differentiable)
        ...
    check_log_partition(log_partition)

Each answer is compared with brute force (every path scored) and with `rnnlab.models.crf` on seeded cases: one
step, one tag, a case where reading the transitions changes the answer, only negative scores, large scores and
a 40-step sentence. A wrong answer is compared with what each known mistake gives, and the verdict names the
mistake in words (each is a unit test in tests/test_tagging_checks.py):

- Viterbi: the argmax of each step's emissions (transitions ignored), greedy left to right, transitions read as
  [j, i], log-sum-exp in place of max (the forward algorithm's path), step t's emissions added for the previous
  tag, backpointers read one step off, the path left reversed, the last tag taken from the last emissions only,
  the scores started at zeros (first emissions left out), the max taken over dim 1 (the next tag), a missing or
  extra tag, an empty path, the best score returned instead of the path, (path, score) returned, tag ids as
  floats, tags out of range, the inputs modified in place.
- log Z: max in place of log-sum-exp (the Viterbi score), the transitions forgotten, exp-sum-log overflowing to
  inf or NaN on large scores, step t's emissions added for the previous tag, the first or the last step's
  emissions left out, the sum or the max over the last step's alphas in place of their log-sum-exp, transitions
  read as [j, i], the log-sum-exp over dim 1 (the next tag), Z returned instead of log Z, the vector alpha
  returned, a float instead of a differentiable tensor (or code that fails on scores that require gradients,
  e.g. numpy inside), the inputs modified in place.

A right path passes in any form: a list or tuple of ints (Python, numpy or 0-dim tensors), a 1-D integer tensor
or numpy array, or a batch of one ((1, time), [[...]], or a (time, 1) column). A right log Z passes as a 0-dim or
1-element tensor, in float32 or float64.

An answer that calls `rnnlab.models.crf` (its `viterbi`, `log_partition`, `path_score` or the `CRF` layer) is
refused by name: the exercise is to write the recursion.
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from rnnlab.checks.core import ExerciseFailure, StudentCodeError, call_student, check_exercise
from rnnlab.models import crf

Case = tuple[str, torch.Tensor, torch.Tensor]


# ---- the cases ----------------------------------------------------------------------------------------------

def _random(seed: int, time: int, tags: int, *, scale: float = 1.0, transition_scale: float = 2.0,
            shift: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    emissions = (torch.randn(time, tags, generator=g, dtype=torch.float64) * scale + shift).float()
    transitions = (torch.randn(tags, tags, generator=g, dtype=torch.float64) * transition_scale * scale
                   + shift).float()
    return emissions, transitions


def _brute_force(emissions: torch.Tensor, transitions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Every path's score, (paths, time) ints and (paths,) float64 scores, in lexicographic order."""
    time, tags = emissions.shape
    paths = torch.tensor(list(itertools.product(range(tags), repeat=time)), dtype=torch.long)  # (paths, time)
    e, tr = emissions.double(), transitions.double()
    scores = e[torch.arange(time), paths].sum(1) + tr[paths[:, :-1], paths[:, 1:]].sum(1)
    return paths, scores


def _margin(emissions: torch.Tensor, transitions: torch.Tensor) -> float:
    """The gap between the best and the second-best path's score (no near-ties: one right answer)."""
    _, scores = _brute_force(emissions, transitions)
    if len(scores) < 2:
        return math.inf
    top = scores.topk(2).values
    return float(top[0] - top[1])


def _clear_case(seed: int, time: int, tags: int, **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """A random case whose best path is unique by a margin of 0.05 at least, and where reading the transitions
    changes the answer (the greedy path is not the best one): the first seed from `seed` on that gives one."""
    for s in range(seed, seed + 200):
        emissions, transitions = _random(s, time, tags, **kwargs)
        if _margin(emissions, transitions) < 0.05:
            continue
        if tags > 1 and time > 1 and torch.equal(emissions.argmax(-1), crf.viterbi(emissions.double(),
                                                                                  transitions.double())[0]):
            continue
        return emissions, transitions
    raise RuntimeError("no clear case found")  # pragma: no cover - the seeds above give one


def viterbi_cases() -> list[Case]:
    """The seeded cases the Viterbi check runs, (name, emissions, transitions), small enough for brute force but
    the last (40 steps, compared with rnnlab.models.crf.viterbi)."""
    cases = [
        ("a sentence of 5 words and 3 tags", *_clear_case(0, 5, 3)),
        ("4 words and 4 tags, transitions that matter", *_clear_case(10, 4, 4, transition_scale=3.0)),
        ("one word", *_random(20, 1, 4)),
        ("one tag", *_random(21, 5, 1)),
        ("only negative scores", *_clear_case(30, 5, 3, shift=-6.0)),
        ("large scores (about 100)", *_clear_case(40, 4, 3, scale=100.0)),
        ("two words", *_clear_case(50, 2, 5)),
    ]
    g = torch.Generator().manual_seed(60)
    long_e, long_t = torch.randn(40, 5, generator=g), torch.randn(5, 5, generator=g) * 2
    return [*cases, ("a sentence of 40 words and 5 tags", long_e, long_t)]


def log_partition_cases() -> list[Case]:
    """The seeded cases the log Z check runs, (name, emissions, transitions), float32 like a tagger's output."""
    g = torch.Generator().manual_seed(70)
    return [
        ("a sentence of 5 words and 3 tags", *_random(0, 5, 3)),
        ("4 words and 4 tags", *_random(1, 4, 4, transition_scale=1.0)),
        ("one word", *_random(2, 1, 4)),
        ("one tag", *_random(3, 5, 1)),
        ("two words", *_random(4, 2, 5)),
        ("only negative scores", *_random(5, 5, 3, shift=-6.0)),
        ("a sentence of 30 words and 5 tags", torch.randn(30, 5, generator=g), torch.randn(5, 5, generator=g)),
    ]


def overflow_cases() -> list[Case]:
    """Scores a trained tagger reaches, where exp() overflows float32 (above 88): log-sum-exp is the lesson."""
    g = torch.Generator().manual_seed(80)
    return [
        ("large scores (emissions about 100, like a confident tagger's logits)",
         *_random(6, 4, 3, scale=1.0, shift=100.0)),
        ("a sentence of 60 words whose path scores add up to about 400",
         torch.randn(60, 5, generator=g) + 6.0, torch.randn(5, 5, generator=g)),
    ]


# ---- the right answers and the known mistakes -----------------------------------------------------------------

def reference_viterbi(emissions: torch.Tensor, transitions: torch.Tensor) -> list[int]:
    """The best path (float64): brute force where it is small, else rnnlab.models.crf.viterbi."""
    if emissions.shape[1] ** emissions.shape[0] <= 100_000:
        paths, scores = _brute_force(emissions, transitions)
        return paths[int(scores.argmax())].tolist()
    return crf.viterbi(emissions.double(), transitions.double())[0].tolist()


def reference_log_partition(emissions: torch.Tensor, transitions: torch.Tensor) -> float:
    """log Z in float64: the log-sum-exp over every path where that is small, else rnnlab.models.crf's forward."""
    if emissions.shape[1] ** emissions.shape[0] <= 100_000:
        return float(torch.logsumexp(_brute_force(emissions, transitions)[1], 0))
    return float(crf.log_partition(emissions.double(), transitions.double()))


def score_of(path: list[int], emissions: torch.Tensor, transitions: torch.Tensor) -> float:
    """The score of `path` (float64): its emissions plus the transitions between its consecutive tags."""
    e, tr = emissions.double(), transitions.double()
    return float(sum(e[t, k] for t, k in enumerate(path)) + sum(tr[a, b] for a, b in itertools.pairwise(path)))


def _decode(emissions: torch.Tensor, transitions: torch.Tensor, *, combine: str = "max", last: str = "best",
            shift: bool = False, from_emission: bool = False, first: bool = True, dim: int = 0) -> list[int]:
    """Viterbi in float64 with one known mistake switched on: combine="logsumexp" (the forward algorithm's
    alphas, backpointers from their argmax), last="emissions" (the last tag from the last emissions only),
    shift (the backpointers of step t read for step t - 1), from_emission (step t's emissions added for the
    previous tag i, not for the tag j), first=False (the path scores start at zeros, not emissions[0]), dim=1
    (the max and argmax over the next tag, dim 1 of (from, to), instead of the previous one)."""
    e, tr = emissions.double(), transitions.double()
    time, tags = e.shape
    score = e[0] if first else torch.zeros_like(e[0])
    back = [torch.arange(tags)]                                   # back[t][j]: best tag before j at step t
    for t in range(1, time):
        candidates = score[:, None] + tr                          # (from, to)
        if from_emission:
            candidates = candidates + e[t][:, None] - e[t][None, :]
        back.append(candidates.argmax(dim))
        reduced = candidates.logsumexp(dim) if combine == "logsumexp" else candidates.max(dim).values
        score = reduced + e[t]
    tag = int(score.argmax()) if last == "best" else int(e[-1].argmax())
    path = [tag]
    for t in range(time - 1, 0, -1):
        tag = int(back[t - 1 if shift else t][tag])
        path.append(tag)
    return path[::-1]


def _greedy_with_transitions(emissions: torch.Tensor, transitions: torch.Tensor) -> list[int]:
    e, tr = emissions.double(), transitions.double()
    path = [int(e[0].argmax())]
    for t in range(1, e.shape[0]):
        path.append(int((tr[path[-1]] + e[t]).argmax()))
    return path


def _forward_argmax(emissions: torch.Tensor, transitions: torch.Tensor) -> list[int]:
    e, tr = emissions.double(), transitions.double()
    alpha, path = e[0], [int(e[0].argmax())]
    for t in range(1, e.shape[0]):
        alpha = (alpha[:, None] + tr).logsumexp(0) + e[t]
        path.append(int(alpha.argmax()))
    return path


def viterbi_mistakes(emissions: torch.Tensor, transitions: torch.Tensor) -> list[tuple[list[int], str]]:
    """(the path a known Viterbi mistake returns, the message that names it), for one case."""
    best = _decode(emissions, transitions)
    return [
        (emissions.argmax(-1).tolist(),
         "your path is the argmax of each step's emissions: the transitions are ignored (a greedy tagger). Keep, "
         "for each tag, the best score of a path ending in it, score[j] = max_i(prev[i] + transitions[i, j]) + "
         "emissions[t, j], and backpointers to the i that gave it"),
        (_greedy_with_transitions(emissions, transitions),
         "you choose each tag given the one chosen just before it (greedy, left to right): an early choice is "
         "never revised. Viterbi keeps, for EVERY tag at each step, the best score of a path ending in it, and "
         "decides only at the end, by backtracking from the best last tag"),
        (_forward_argmax(emissions, transitions),
         "your path is the argmax of the forward algorithm's alphas at each step (log-sum-exp, no backtracking): "
         "Viterbi takes the MAX over the previous tag and backtracks from the best last tag through the "
         "backpointers"),
        (_decode(emissions, transitions.T),
         "you read the transitions as [j, i]: transitions[i, j] is the score of tag i FOLLOWED by tag j, so the "
         "step from the previous tag i to tag j adds transitions[i, j] (prev[:, None] + transitions, then the max "
         "over dim 0, the previous tag)"),
        (_decode(emissions, transitions, combine="logsumexp"),
         "your path follows the forward algorithm's log-sum-exp scores: Viterbi keeps the MAX over the previous "
         "tag (the best single path), not the log-sum-exp (all paths together, which gives log Z)"),
        (_decode(emissions, transitions, from_emission=True),
         "each step adds emissions[t] for the PREVIOUS tag i (emissions[t][:, None]): the emission at step t "
         "belongs to the tag j the path arrives at, so add emissions[t][None, :] (or add emissions[t] after the "
         "max over i)"),
        (_decode(emissions, transitions, shift=True),
         "the backtracking reads the backpointers one step off: the backpointer saved at step t gives the tag at "
         "step t - 1 (path[t - 1] = back[t][path[t]])"),
        (best[::-1],
         "your path is reversed: backtracking collects the tags from the last step to the first; reverse the "
         "list (path[::-1]) before returning it"),
        (_decode(emissions, transitions, last="emissions"),
         "the last tag is the argmax of the last step's emissions only: it must be the argmax of the last step's "
         "best path scores (which include everything before it); then follow the backpointers from it"),
        (_decode(emissions, transitions, first=False),
         "the first step's emissions are missing: the best scores start as emissions[0] (a path of one word), "
         "not zeros"),
        (_decode(emissions, transitions, dim=1),
         "you take the max (and argmax) over dim 1 of prev[:, None] + transitions, which is (previous tag, next "
         "tag): that is over the NEXT tag. Reduce over dim 0, the previous tag i, to get one score per tag j"),
    ]


def _forward(emissions: torch.Tensor, transitions: torch.Tensor, *, combine: str = "logsumexp",
             final: str = "logsumexp", first: bool = True, last: bool = True,
             from_emission: bool = False, dim: int = 0) -> torch.Tensor:
    """The forward algorithm in float64 with one known mistake switched on; returns the final alphas reduced by
    `final` ("logsumexp", "sum", "max" or "none": the vector); dim=1 reduces over the next tag (a mistake)."""
    e, tr = emissions.double(), transitions.double()
    alpha = e[0] if first else torch.zeros_like(e[0])
    for t in range(1, e.shape[0] if last else e.shape[0] - 1):
        candidates = alpha[:, None] + tr + (e[t][:, None] - e[t][None, :] if from_emission else 0.0)
        alpha = (candidates.logsumexp(dim) if combine == "logsumexp" else candidates.max(dim).values) + e[t]
    if final == "none":
        return alpha
    return {"logsumexp": alpha.logsumexp(0), "sum": alpha.sum(), "max": alpha.max()}[final]


def log_partition_mistakes(emissions: torch.Tensor, transitions: torch.Tensor) -> list[tuple[float, str]]:
    """(the log Z a known mistake returns, the message that names it), for one case."""
    e = emissions.double()
    right = float(_forward(emissions, transitions))
    out = [
        (float(_forward(emissions, transitions, combine="max", final="max")),
         "you returned the best path's score (the Viterbi score): the forward algorithm takes the log-sum-exp over "
         "the previous tag, alpha[j] = logsumexp_i(prev[i] + transitions[i, j]) + emissions[t, j], not the max; "
         "and log Z = logsumexp(alpha) at the end"),
        (float(e.logsumexp(1).sum()),
         "the transitions are missing: you summed each step's log-sum-exp of the emissions, which is log Z "
         "without transitions; add transitions[i, j] to every step from tag i to tag j"),
        (float(_forward(emissions, transitions.T)),
         "you read the transitions as [j, i]: transitions[i, j] is the score of tag i FOLLOWED by tag j "
         "(prev[:, None] + transitions, then the log-sum-exp over dim 0, the previous tag)"),
        (float(_forward(emissions, transitions, from_emission=True)),
         "each step adds emissions[t] for the PREVIOUS tag i (emissions[t][:, None]): the emission at step t "
         "belongs to the tag j the path arrives at, so add emissions[t][None, :] (or add emissions[t] after the "
         "log-sum-exp over i)"),
        (float(_forward(emissions, transitions, first=False)),
         "the first step's emissions are missing: start with alpha = emissions[0], not zeros"),
        (float(_forward(emissions, transitions, last=False)),
         "the last step is missing: the loop over time must run to the last step (for t in range(1, time))"),
        (float(_forward(emissions, transitions, final="sum")),
         "the end sums the final alphas: log Z is their log-sum-exp (alpha holds log-scores; adding logs "
         "multiplies the path sums)"),
        (float(_forward(emissions, transitions, final="max")),
         "the end takes the max of the final alphas: log Z is their log-sum-exp (every path counts, whatever tag "
         "it ends on)"),
        (float(_forward(emissions, transitions, dim=1)),
         "you take the log-sum-exp over dim 1 of prev[:, None] + transitions, which is (previous tag, next tag): "
         "that sums over the NEXT tag. Reduce over dim 0, the previous tag i, to get one alpha per tag j"),
        (math.exp(right) if right < 700 else math.inf,
         "you returned Z, the sum of exp(score) over paths: return its logarithm, log Z (keep everything in log "
         "space)"),
    ]
    return out


# ---- refusing the package's own answer ------------------------------------------------------------------------

_FORBIDDEN = {crf.viterbi.__code__: "rnnlab.models.crf.viterbi", crf.log_partition.__code__:
              "rnnlab.models.crf.log_partition", crf.path_score.__code__: "rnnlab.models.crf.path_score",
              crf.CRF.decode.__code__: "rnnlab.models.crf.CRF", crf.CRF.loss.__code__: "rnnlab.models.crf.CRF"}


@contextmanager
def _watch_reference() -> Iterator[list[str]]:
    """Record (in the list yielded) which of rnnlab.models.crf's functions run inside the block, whatever name
    they were imported under (a profile hook sees every Python call)."""
    used: list[str] = []
    previous = sys.getprofile()

    def hook(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code in _FORBIDDEN and _FORBIDDEN[frame.f_code] not in used:
            used.append(_FORBIDDEN[frame.f_code])
        if previous is not None:
            previous(frame, event, arg)

    sys.setprofile(hook)
    try:
        yield used
    finally:
        sys.setprofile(previous)


def _call(fn: Callable[..., Any], emissions: torch.Tensor, transitions: torch.Tensor, what: str,
          where: str) -> Any:
    """Call the student's fn on copies of the inputs; refuse the reference; name inputs modified in place."""
    e_in, t_in = emissions.clone(), transitions.clone()
    with _watch_reference() as used:
        out = call_student(fn, e_in, t_in)
    if used:
        raise ExerciseFailure(f"your function calls {' and '.join(used)}: that is the package's answer, refused "
                              f"here; write the {what} yourself with torch operations")
    for name, given, kept in (("emissions", e_in, emissions), ("transitions", t_in, transitions)):
        if given.shape != kept.shape or not torch.equal(given, kept):
            raise ExerciseFailure(f"{where}: your function changed its input `{name}` in place (e.g. `+=`, "
                                  f"`add_`, or writing into a slice of it); the caller's scores must stay as they "
                                  f"were: compute into new tensors (x = x + y, or clone() first)")
    return out


# ---- Viterbi -------------------------------------------------------------------------------------------------

def _shown(path: list[int], limit: int = 12) -> str:
    return str(path) if len(path) <= limit else f"[{', '.join(map(str, path[:limit]))}, ...]"


def _as_path(out: Any, emissions: torch.Tensor, transitions: torch.Tensor, where: str) -> list[int]:
    """The student's answer as a list of ints, or ExerciseFailure naming what is wrong with its type or shape."""
    time, tags = emissions.shape
    best = reference_viterbi(emissions, transitions)
    first = out[0] if isinstance(out, tuple) and len(out) == 2 else None
    # (path, score): a first item holding several tags (a path of two 1-element tensors is not a pair)
    if (isinstance(first, list | tuple) and len(first) > 1
            or isinstance(first, torch.Tensor | np.ndarray) and first.ndim >= 1
            and (first.numel() if isinstance(first, torch.Tensor) else first.size) > 1):
        raise ExerciseFailure(f"{where}: you returned a tuple of two things (a path and its score, like "
                              f"rnnlab.models.crf.viterbi?); return the path only: a list of {time} tag ids")
    if isinstance(out, float | int | np.number) or (isinstance(out, torch.Tensor | np.ndarray) and out.ndim == 0):
        value = float(out.item() if hasattr(out, "item") else out)
        hint = (" It equals the best path's score: return the path itself, by following the backpointers from "
                "the best last tag") if math.isclose(value, score_of(best, emissions, transitions),
                                                     rel_tol=1e-4, abs_tol=1e-4) else ""
        raise ExerciseFailure(f"{where}: you returned one number ({value:.4g}), expected the best path: a list of "
                              f"{time} tag ids.{hint}")
    if isinstance(out, torch.Tensor):
        if out.is_floating_point() or out.is_complex():
            raise ExerciseFailure(f"{where}: your path is a {out.dtype} tensor: tag ids are integers, used as "
                                  f"indices; return a list of ints or an integer tensor (torch.long)")
        array = out.detach().cpu().numpy()
    elif isinstance(out, np.ndarray):
        array = out
    elif isinstance(out, list | tuple):
        if len(out) == 1 and (isinstance(out[0], list | tuple)
                              or isinstance(out[0], torch.Tensor | np.ndarray) and out[0].ndim >= 1):
            return _as_path(out[0], emissions, transitions, where)   # a batch of one: [[tag, tag, ...]]
        if not out:
            raise ExerciseFailure(f"{where}: your path is empty; expected {time} tag ids, one per step")
        items = []
        for item in out:
            if isinstance(item, torch.Tensor) and item.numel() == 1:
                item = item.item()
            elif isinstance(item, np.ndarray | np.generic) and item.size == 1:
                item = item.item()
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise ExerciseFailure(f"{where}: your path should be a list of tag ids (ints), but it holds a "
                                      f"{type(item).__name__}")
            items.append(item)
        if all(isinstance(item, int) for item in items):
            bad = [v for v in items if not 0 <= v < tags]
            if bad:
                raise ExerciseFailure(f"{where}: your path holds tag id {bad[0]}, but tags run from 0 to "
                                      f"{tags - 1} (ids, not scores or backpointer offsets)")
        array = np.asarray(items)
    else:
        raise ExerciseFailure(f"{where}: return the path as a list of ints or a 1-D integer tensor, not a "
                              f"{type(out).__name__}")
    if array.dtype.kind in "fc":
        raise ExerciseFailure(f"{where}: your path holds floats ({array.dtype}): tag ids are integers, used as "
                              f"indices; return a list of ints or an integer tensor (torch.long)")
    if array.dtype.kind == "b":
        raise ExerciseFailure(f"{where}: your path holds booleans (True/False, a mask?): return tag ids, ints "
                              f"from 0 to {tags - 1}")
    if array.dtype.kind not in "iu":
        raise ExerciseFailure(f"{where}: your path should hold integer tag ids, its dtype is {array.dtype}")
    if array.ndim == 2 and 1 in array.shape and array.size == time:
        array = array.reshape(time)                  # a batch of one, (1, time), or a column (time, 1): one path
    if array.shape == (time, tags) and time != tags or array.shape == (tags, time) and time != tags:
        raise ExerciseFailure(f"{where}: you returned an array of shape {array.shape} (scores or one-hot "
                              f"tags?); return the path: {time} tag ids, one per step")
    if array.ndim != 1:
        raise ExerciseFailure(f"{where}: your path has shape {array.shape}, expected ({time},): one tag id per "
                              f"step")
    path = [int(v) for v in array]
    if len(path) != time:
        if path == best[:-1]:
            hint = "the last step's tag is missing: start the path with the best last tag, then backtrack"
        elif path == best[1:]:
            hint = ("the first step's tag is missing: backtracking must run down to step 0 (one backpointer per "
                    "step after the first, time - 1 of them, and the best last tag: time tags in all)")
        elif len(path) == time + 1:
            hint = "one tag too many: time - 1 backpointers and the best last tag make exactly `time` tags"
        else:
            hint = "return one tag id per step"
        raise ExerciseFailure(f"{where}: your path has {len(path)} tags for {time} "
                              f"step{'s' if time > 1 else ''}: {hint}")
    bad = [v for v in path if not 0 <= v < tags]
    if bad:
        raise ExerciseFailure(f"{where}: your path holds tag id {bad[0]}, but tags run from 0 to {tags - 1} "
                              f"(ids, not scores or backpointer offsets)")
    return path


def _best(path: list[int], emissions: torch.Tensor, transitions: torch.Tensor) -> bool:
    """Whether `path` scores as well as the best path (to 1e-4 relative): a tie broken either way is right."""
    best = score_of(reference_viterbi(emissions, transitions), emissions, transitions)
    return math.isclose(score_of(path, emissions, transitions), best, rel_tol=1e-4, abs_tol=1e-4)


def check_viterbi(fn: Callable[[torch.Tensor, torch.Tensor], Any]) -> bool:
    """Check a student's `fn(emissions (time, tags), transitions (tags, tags)) -> best path` (a list of `time`
    ints, or a 1-D integer tensor; a batch of one, (1, time), is read as its one path) against brute force and
    rnnlab.models.crf.viterbi on seeded cases; print a verdict naming the mistake (see the module docstring) and
    return whether it passed.

    A path is right when its score equals the best score (to 1e-4 relative): a tie broken either way passes."""

    def test() -> None:
        runs = []                                      # (where, emissions, transitions, the student's path)
        for name, emissions, transitions in viterbi_cases():
            where = f"{name} (time {emissions.shape[0]}, tags {emissions.shape[1]})"
            out = _call(fn, emissions, transitions, "Viterbi recursion", where)
            runs.append((where, emissions, transitions, _as_path(out, emissions, transitions, where)))
        wrong = [run for run in runs if not _best(run[3], run[1], run[2])]
        if not wrong:
            return
        where, emissions, transitions, path = wrong[0]
        mistakes = [viterbi_mistakes(e, tr) for _, e, tr, _ in runs]
        for k, (_, message) in enumerate(mistakes[0]):
            # the mistake that gives the student's path on every case (a right path counts where it is right)
            if all(p == ms[k][0] or (_best(p, e, tr) and _best(ms[k][0], e, tr))
                   for (_, e, tr, p), ms in zip(runs, mistakes, strict=True)):
                raise ExerciseFailure(f"{where}: {message}")
        best = reference_viterbi(emissions, transitions)
        got, want = score_of(path, emissions, transitions), score_of(best, emissions, transitions)
        first = next(t for t in range(len(path)) if path[t] != best[t])
        raise ExerciseFailure(f"{where}: your path {_shown(path)} scores {got:.4f}, the best path "
                              f"{_shown(best)} scores {want:.4f}; they first differ at t={first}. Keep, for "
                              f"each tag, the best score of a path ending in it and a backpointer to the "
                              f"previous tag that gave it; backtrack from the best last tag")

    return check_exercise("Viterbi decoding", test)


# ---- the forward algorithm (log Z) -----------------------------------------------------------------------------

def _as_scalar(out: Any, emissions: torch.Tensor, transitions: torch.Tensor, where: str) -> float:
    """The student's log Z as a float, or ExerciseFailure naming what is wrong with its type or shape."""
    time, tags = emissions.shape
    size = out.numel() if isinstance(out, torch.Tensor) else out.size if isinstance(out, np.ndarray) else 1
    if size != 1:
        shape = tuple(out.shape)
        if shape == (tags,):
            alpha = _forward(emissions, transitions, final="none")
            values = torch.as_tensor(out.detach().cpu().numpy() if isinstance(out, torch.Tensor) else out)
            hint = (" (it is the vector of final alphas: log Z is their log-sum-exp, torch.logsumexp(alpha, 0))"
                    if values.dtype.is_floating_point and torch.allclose(values.double(), alpha, rtol=1e-4,
                                                                         atol=1e-4)
                    else " (the last step's alphas? log Z is their log-sum-exp)")
        elif shape == (time,):
            hint = " (one number per step? log Z is one number for the whole sentence)"
        else:
            hint = ""
        raise ExerciseFailure(f"{where}: you returned an array of shape {shape}; log Z is one number{hint}")
    if isinstance(out, torch.Tensor | np.ndarray | np.number):
        if (out.is_complex() if isinstance(out, torch.Tensor) else np.iscomplexobj(out)):
            raise ExerciseFailure(f"{where}: you returned a complex number; log Z is real")
        return float(out.item())
    if isinstance(out, bool) or not isinstance(out, int | float):
        raise ExerciseFailure(f"{where}: return log Z, one number (a 0-dim tensor), not a {type(out).__name__}")
    return float(out)


OVERFLOW = ("your forward algorithm exponentiates the scores (exp, then a sum, then log), and exp of anything "
            "above 88.7 overflows float32 (here log Z is {big:.0f}), so log Z comes out {got}. Scores this large are "
            "what a trained tagger produces. Keep alpha in log space and combine with "
            "torch.logsumexp(prev[:, None] + transitions, dim=0), which subtracts the max before exponentiating")


def _close(a: float, b: float) -> bool:
    return math.isfinite(a) and math.isfinite(b) and math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-4)


def _log_z_verdict(runs: list[tuple[str, torch.Tensor, torch.Tensor, float]]) -> None:
    """Pass when every log Z is right; else name the mistake that gives the student's value on every case, at the
    first wrong case, or say what differs there."""
    wanted = [reference_log_partition(e, tr) for _, e, tr, _ in runs]
    wrong = [k for k, (run, want) in enumerate(zip(runs, wanted, strict=True)) if not _close(run[3], want)]
    if not wrong:
        return
    where, emissions, transitions, got = runs[wrong[0]]
    want = wanted[wrong[0]]
    if not math.isfinite(got):
        raise ExerciseFailure(f"{where}: you returned {got}, expected {want:.4f}; log Z is finite whenever the "
                              f"scores are: work in log space with torch.logsumexp (no exp of the scores)")
    mistakes = [log_partition_mistakes(e, tr) for _, e, tr, _ in runs]
    for k, (_, message) in enumerate(mistakes[0]):
        if all(_close(run[3], ms[k][0]) for run, ms in zip(runs, mistakes, strict=True)):
            raise ExerciseFailure(f"{where}: you returned {got:.4f}, expected {want:.4f}; {message}")
    raise ExerciseFailure(f"{where}: you returned {got:.4f}, expected log Z = {want:.4f}; start with alpha = "
                          f"emissions[0], then for each later step alpha = logsumexp over the previous tag of "
                          f"(alpha[:, None] + transitions) + emissions[t], and end with logsumexp(alpha)")


def check_log_partition(fn: Callable[[torch.Tensor, torch.Tensor], Any]) -> bool:
    """Check a student's `fn(emissions (time, tags), transitions (tags, tags)) -> log Z` (a 0-dim tensor) against
    the log-sum-exp over every path and rnnlab.models.crf.log_partition on seeded cases, then on scores large
    enough to overflow exp() in float32 (refused by name), then its gradient (the CRF is trained through it:
    d log Z / d emissions[t, j] is the probability of tag j at step t). Prints a verdict naming the mistake (see
    the module docstring) and returns whether it passed."""

    def test() -> None:
        runs = []
        for name, emissions, transitions in log_partition_cases():
            where = f"{name} (time {emissions.shape[0]}, tags {emissions.shape[1]})"
            out = _call(fn, emissions, transitions, "forward algorithm", where)
            runs.append((where, emissions, transitions, _as_scalar(out, emissions, transitions, where)))
        _log_z_verdict(runs)
        for name, emissions, transitions in overflow_cases():
            where = f"{name} (time {emissions.shape[0]}, tags {emissions.shape[1]})"
            try:
                out = _call(fn, emissions, transitions, "forward algorithm", where)
            except StudentCodeError as err:               # a crash on large scores is this mistake too
                raise ExerciseFailure(f"{where}: your code raised {err}; " + OVERFLOW.format(
                    big=reference_log_partition(emissions, transitions), got="as an error")) from err
            got = _as_scalar(out, emissions, transitions, where)
            if not math.isfinite(got):
                raise ExerciseFailure(f"{where}: " + OVERFLOW.format(
                    big=reference_log_partition(emissions, transitions), got=str(got)))
            _log_z_verdict([(where, emissions, transitions, got)])
        # the gradient: training backpropagates through log Z
        name, emissions, transitions = log_partition_cases()[0]
        e, tr = emissions.clone().requires_grad_(True), transitions.clone().requires_grad_(True)
        with _watch_reference() as used:
            try:
                out = call_student(fn, e, tr)
            except StudentCodeError as err:           # right values, but it cannot run on tensors needing grad
                raise ExerciseFailure(
                    f"your log Z is right on every case, but your code raised {err} when the scores require "
                    f"gradients (requires_grad=True, as in training: the CRF is trained by backpropagating "
                    f"through log Z). Write it with torch operations on the tensors themselves (no .numpy(), "
                    f".tolist() or .item() on the way)") from err
        if used:
            raise ExerciseFailure(f"your function calls {' and '.join(used)}: refused; write the forward "
                                  f"algorithm yourself")
        if not isinstance(out, torch.Tensor) or out.grad_fn is None:
            raise ExerciseFailure("your log Z does not keep the autograd graph (a Python float, .item(), numpy, "
                                  "or .detach() inside): the CRF is trained by backpropagating through log Z; "
                                  "return the 0-dim tensor that torch operations give")
        out.reshape(()).backward()
        e_ref, tr_ref = emissions.double().requires_grad_(True), transitions.double().requires_grad_(True)
        crf.log_partition(e_ref, tr_ref).backward()
        for label, got, want in (("emissions", e.grad, e_ref.grad), ("transitions", tr.grad, tr_ref.grad)):
            if got is None or not torch.allclose(got.double(), want, rtol=1e-4, atol=1e-5):
                raise ExerciseFailure(f"the gradient of your log Z with respect to the {label} differs from the "
                                      f"reference's (d log Z / d emissions[t, j] is the probability that a path "
                                      f"has tag j at step t); an in-place write or a detach() on the way?")

    return check_exercise("forward algorithm (log Z)", test)
