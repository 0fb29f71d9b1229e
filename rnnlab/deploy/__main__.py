"""Command line: export a trained model for use outside PyTorch, and check an exported folder.

    python -m rnnlab.deploy export --model charlm --out DIR   # DIR/model.onnx (+ .data), model.int8.onnx, model.json
    python -m rnnlab.deploy check --dir DIR [--prompt TEXT]    # verify every file's sha256, generate a line

`export --out DIR`: DIR is created if needed; other files in it are left alone; an earlier export there is replaced
(said on stderr, and a stale model.onnx.data removed); model.onnx / model.int8.onnx / model.json / model.onnx.data
that no earlier export wrote (no model.json of ours) are never overwritten: the command refuses. An empty --out
or --dir is refused (it would mean the current folder). `export` prints the record (model.json) as JSON on its
last line. `check` loads both files after checking their
sha256 against model.json and prints greedy text from each. Every error is one line on stderr,
`python -m rnnlab.deploy CMD: error: ...`, naming the option to change, with exit code 2; set RNNLAB_DEBUG=1
for the traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

DEBUG_ENV = "RNNLAB_DEBUG"
PROG = "python -m rnnlab.deploy"
MODELS = ("charlm",)


class OneLineParser(argparse.ArgumentParser):
    """Errors on one line (no usage block), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def _writable_folder(path: Path, option: str) -> Path:
    """The folder, created if needed; OSError with the option's name when it cannot be made or written."""
    path = path.expanduser()
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"{option} {str(path)!r} is a file, not a folder: give a folder to write into")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OSError(f"{option} {str(path)!r} cannot be created ({err.strerror or err}): choose a folder you "
                      "can write to") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise PermissionError(f"{option} {str(path)!r} is not writable: choose a folder you can write to")
    return path


OUTPUTS = ("model.onnx", "model.onnx.data", "model.int8.onnx", "model.json")


def _earlier_export(path: Path) -> bool:
    """Whether path/model.json is the record of an earlier `export` (then its files may be replaced)."""
    from rnnlab.deploy.onnx import FORMAT

    try:
        return json.loads((path / "model.json").read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def export(args: argparse.Namespace) -> dict:
    """--out: a new or empty folder, a folder with other files (left alone), or an earlier export's folder (its
    files are replaced, said on stderr). Files named like ours that no earlier export wrote are not overwritten."""
    from rnnlab.deploy.onnx import export_charlm

    out = _writable_folder(Path(args.out), "--out")
    present = [name for name in OUTPUTS if (out / name).exists()]
    if present and not _earlier_export(out):
        raise FileExistsError(f"--out {str(out)!r} already holds {', '.join(present)}, not written by this command "
                              "(no model.json of an earlier export): choose another folder, or delete them")
    if present:
        print(f"{PROG} export: replacing the earlier export in {str(out)!r} ({', '.join(present)})",
              file=sys.stderr, flush=True)
    return export_charlm(out, dynamo=not args.torchscript, held_out_chars=args.held_out_chars)


def check(args: argparse.Namespace) -> dict:
    from rnnlab.deploy.onnx import generate, load_exported

    folder = Path(args.dir).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"--dir {str(folder)!r} is not a folder: give the folder `export --out` wrote")
    report = {}
    for kind in ("float32", "int8"):
        try:
            session, record = load_exported(folder, kind)
        except (ValueError, FileNotFoundError) as err:
            raise type(err)(f"--dir {str(folder)!r}: {err}") from None
        try:
            report[kind] = generate(session, record["vocab"], args.prompt, args.length)
        except ValueError as err:
            raise ValueError(f"--prompt {args.prompt!r}: {err}") from None
    return {"dir": str(folder), "verified": True, "prompt": args.prompt, "greedy": report}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    top = OneLineParser(prog=PROG,
                        description=f"Export a trained model to ONNX, or check an export. Errors are one line; "
                                    f"set {DEBUG_ENV}=1 for a traceback.")
    sub = top.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    ex = sub.add_parser("export", help="write DIR/model.onnx, DIR/model.int8.onnx and DIR/model.json")
    ex.add_argument("--model", required=True, help=f"which trained model: {', '.join(MODELS)}")
    ex.add_argument("--out", required=True, help="folder to write into (created if needed; an earlier export "
                    "there is replaced, other files are left alone)")
    ex.add_argument("--held-out-chars", type=int, default=20_000,
                    help="held-out characters to measure bits per character on (default 20000)")
    ex.add_argument("--torchscript", action="store_true",
                    help="use the deprecated TorchScript exporter (dynamo=False) instead of the default")
    ch = sub.add_parser("check", help="verify an exported folder's files and generate from both models")
    ch.add_argument("--dir", required=True, help="the folder `export --out` wrote")
    ch.add_argument("--prompt", default="ROMEO:\n", help="text to continue (default 'ROMEO:\\n')")
    ch.add_argument("--length", type=int, default=60, help="characters to generate (default 60)")
    args = top.parse_args(argv)
    if args.command is None:
        top.print_help()
        return 2
    parser = ex if args.command == "export" else ch
    if args.command == "export" and args.model not in MODELS:
        parser.error(f"--model {args.model!r} is not a model this command can export; choose one of: "
                     f"{', '.join(MODELS)}")
    for option in ("out", "dir"):
        if not str(getattr(args, option, "x")).strip():     # Path("") is the current folder: never a silent guess
            parser.error(f"--{option} is empty: give a folder (write '.' for the current one)")
    if args.command == "export" and args.held_out_chars < 16:
        parser.error(f"--held-out-chars must be >= 16, got {args.held_out_chars}")
    if args.command == "check" and args.length < 0:
        parser.error(f"--length must be >= 0, got {args.length}")
    from rnnlab.utils import choose_threads

    choose_threads()
    try:
        result = export(args) if args.command == "export" else check(args)
    except KeyboardInterrupt:
        top.exit(130, f"{top.prog} {args.command}: interrupted\n")
    except Exception as err:  # noqa: BLE001 - one line naming the option; traceback opt-in
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            raise
        message = " ".join(str(err).split()) or type(err).__name__
        top.exit(2, f"{top.prog} {args.command}: error: {message} (set {DEBUG_ENV}=1 for the traceback)\n")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
