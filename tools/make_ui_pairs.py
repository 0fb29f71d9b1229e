"""Extract English -> French pairs from JupyterLab's French language pack into rnnlab/data/files/jupyterlab_fr/.

Run once (it needs the wheel, which the course does not):
    pip download jupyterlab-language-pack-fr-fr==4.5.post3 --no-deps -d /tmp/lp
    python -m tools.make_ui_pairs /tmp/lp/jupyterlab_language_pack_fr_fr-4.5.post3-py2.py3-none-any.whl

Every `LC_MESSAGES/*.json` catalogue maps an English UI string to its French translation (gettext JSON:
{msgid: [msgstr, ...]}; a msgid "context\\x04text" carries a context before the \\x04, which we drop).
We keep strings whose translation is non-empty and differs from the English, put each string on one line
(newlines and tabs become spaces), drop duplicate English strings (first catalogue in name order wins) and
write `pairs.tsv` (english TAB french, sorted by english) and its SHA256SUMS.
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "rnnlab" / "data" / "files" / "jupyterlab_fr"


def one_line(text: str) -> str:
    return " ".join(text.split())


def extract(wheel: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    with zipfile.ZipFile(wheel) as z:
        for name in sorted(n for n in z.namelist() if n.endswith(".json") and "LC_MESSAGES" in n):
            for msgid, msgstr in json.loads(z.read(name)).items():
                if not msgid or not isinstance(msgstr, list) or not msgstr or not isinstance(msgstr[0], str):
                    continue
                en, fr = one_line(msgid.split("\x04")[-1]), one_line(msgstr[0])
                if en and fr and en != fr and en not in pairs:
                    pairs[en] = fr
    return pairs


def main(wheel: str) -> None:
    pairs = extract(wheel)
    text = "".join(f"{en}\t{fr}\n" for en, fr in sorted(pairs.items()))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "pairs.tsv").write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    (OUT / "SHA256SUMS").write_text(f"{digest}  pairs.tsv\n")
    print(f"{len(pairs)} pairs, sha256 {digest}")


if __name__ == "__main__":
    main(sys.argv[1])
