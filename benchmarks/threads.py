"""Which torch thread count is fastest for the course's models, alone and beside one busy process (issue 18)?

Times training steps (forward, backward, Adam step) of recurrent models of the sizes the notebooks train, with
1 and with 2 intra-op threads, once with nothing else running and once beside one single-threaded busy loop.
The answer sets `rnnlab.utils.COURSE_THREADS`.

Usage: python -m benchmarks.threads   (writes results/threads.json, prints a table)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

# name: (layer, input size, hidden size, batch, time steps) — sizes the notebooks train
MODELS = {
    "adding LSTM (03/04)": ("LSTM", 2, 32, 128, 100),
    "sentiment GRU (05)": ("GRU", 64, 64, 64, 60),
    "char LSTM (06)": ("LSTM", 64, 256, 64, 100),
    "seq2seq GRU (07)": ("GRU", 64, 128, 128, 20),
    "speech BiGRU (09)": ("GRU", 40, 96, 32, 100),
}

WORKER = r"""
import sys, time, torch
layer, n_in, hidden, batch, steps_t, threads, reps = sys.argv[1], *map(int, sys.argv[2:])
torch.set_num_threads(threads)
torch.manual_seed(0)
rnn = getattr(torch.nn, layer)(n_in, hidden, batch_first=True)
head = torch.nn.Linear(hidden, 1)
opt = torch.optim.Adam([*rnn.parameters(), *head.parameters()], lr=1e-3)
x = torch.randn(batch, steps_t, n_in)
def step():
    out, _ = rnn(x)
    loss = head(out[:, -1]).pow(2).mean()
    opt.zero_grad(); loss.backward(); opt.step()
for _ in range(3): step()
start = time.perf_counter()
for _ in range(reps): step()
print((time.perf_counter() - start) / reps)
"""


def time_step(spec: tuple, threads: int, reps: int = 20) -> float:
    """Seconds per training step, measured in a fresh process (so that thread pools do not carry over)."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    out = subprocess.run([sys.executable, "-c", WORKER, *map(str, spec), str(threads), str(reps)],
                         capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    rows = []
    for load in ("alone", "beside a busy process"):
        competitor = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if load != "alone" else None
        try:
            for name, spec in MODELS.items():
                one, two = time_step(spec, 1), time_step(spec, 2)
                rows.append({"model": name, "load": load, "ms_per_step_1_thread": round(one * 1e3, 1),
                             "ms_per_step_2_threads": round(two * 1e3, 1), "speedup_of_2": round(one / two, 2)})
                print(f"{name:<22} {load:<22} 1 thread {one * 1e3:7.1f} ms   2 threads {two * 1e3:7.1f} ms   "
                      f"2 threads are {one / two:4.2f}x as fast", flush=True)
        finally:
            if competitor is not None:
                competitor.kill()
                competitor.wait()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "threads.json").write_text(json.dumps({"cpus": os.cpu_count(), "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
