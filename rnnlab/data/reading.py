"""Reading a user's own files: paths with `~`, text in whatever encoding their tools saved it in.

Every error names the option the user typed (`option`, e.g. "csv" or "--csv") and the path, and says what to
change. Nothing here guesses silently: a file is decoded by its byte-order mark, by the encoding the user
named, or as strict UTF-8; anything else is refused with advice on which encoding the bytes look like.

- `resolve_path(path, option="path") -> Path`: `~` and `$VARS` expanded; a missing file raises
  FileNotFoundError, a folder IsADirectoryError, each a one-line message naming the option and the path.
- `read_text(path, *, encoding=None, option="path") -> str`: byte-order marks (UTF-8, UTF-16 LE/BE,
  UTF-32 LE/BE) recognised and removed; otherwise strict UTF-8. A file that does not decode raises ValueError
  naming the file, the byte offset and line, and the likely right encoding (Windows-1252 when the bytes decode
  as cp1252 and use its 0x80-0x9F characters such as curly quotes, latin-1 otherwise) with the option to pass
  (`encoding=...` / `--encoding`). A file with NUL bytes and no UTF-16/32 byte-order mark is refused as
  "not a text file", except UTF-16 whose every other byte is NUL (plain-ASCII text: BE when the NULs come
  first, LE when second), which is decoded. A byte-order mark that contradicts a named encoding is refused
  (drop the encoding). CJK bytes (Shift-JIS, EUC-KR, GBK, Big5) are recognised in the advice.
  Line endings are normalised to "\\n", as Python's `open()` does.
- `decode_text(data, *, encoding=None, name="<bytes>", option="path") -> str`: the same for bytes already read.
- `detect_bom(data) -> (codec, bom_length) | None`.
"""

from __future__ import annotations

import codecs
import errno
import os
from pathlib import Path

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)

# The characters Windows-1252 puts at 0x80-0x9F, where latin-1 has invisible control codes: curly quotes,
# dashes, the euro sign, the ellipsis... Their presence is what tells the two encodings apart.
_CP1252_ONLY = frozenset(range(0x80, 0xA0)) - {0x81, 0x8D, 0x8F, 0x90, 0x9D}


def detect_bom(data: bytes) -> tuple[str, int] | None:
    """-> (Python codec name, length of the mark in bytes) when `data` starts with a byte-order mark, else None."""
    for bom, codec, _ in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    return None


def _bom_label(codec: str) -> str:
    return next(label for _, c, label in _BOMS if c == codec)


def resolve_path(path: str | os.PathLike, option: str = "path") -> Path:
    """The path the user typed, with `~` and environment variables expanded, checked to be an existing file.

    path: a str or path-like. option: the name the user typed it under (an argument name such as "csv", or
    a command-line option such as "--csv"); every message names it.
    Raises TypeError (not a path), ValueError (empty), FileNotFoundError (no such file, or an unset variable),
    IsADirectoryError (a folder) — each a one-line message naming `option` and the path.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{option} must be a path (a str or pathlib.Path), got {type(path).__name__} ({path!r})")
    raw = os.fspath(path)
    if isinstance(raw, bytes):
        raw = os.fsdecode(raw)
    if not raw.strip():
        raise ValueError(f"{option} is empty: give the path of a file")
    expanded = os.path.expanduser(os.path.expandvars(raw))
    resolved = Path(expanded)
    shown = f"{raw!r}" if expanded == raw else f"{raw!r} (= {expanded!r})"
    if not resolved.exists() and os.path.islink(expanded):
        try:
            os.stat(expanded)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise FileNotFoundError(f"{option}: {shown} is a symbolic link that leads back to itself (a link "
                                        "loop): point it at a file, or give the file's own path") from None
        target = os.readlink(expanded)
        raise FileNotFoundError(f"{option}: {shown} is a symbolic link to {target!r}, which does not exist (a "
                                "dangling link): give the file's own path, or fix the link")
    if not resolved.exists():
        hint = ""
        if "$" in expanded:
            hint = "; an environment variable in it is not set"
        elif not resolved.parent.exists():
            hint = f"; its folder {str(resolved.parent)!r} does not exist either"
        raise FileNotFoundError(f"{option}: no such file {shown}{hint} (current folder: {os.getcwd()})")
    if resolved.is_dir():
        raise IsADirectoryError(f"{option}: {shown} is a folder, not a file: give the path of a file in it")
    return resolved


_OTHER_LANGUAGE = ("; if the file is in another language, pass its encoding instead, e.g. shift_jis (Japanese), "
                   "gbk (Chinese), euc_kr (Korean)")
# Legacy East-Asian encodings, each with a test that its strict decoding is the plausible one: Korean and Chinese
# bytes read as Shift-JIS come out as half-width katakana; Chinese bytes read as EUC-KR come out as a mix of
# hangul and hanja where Korean text is almost all hangul.
_CJK = (("shift_jis", "Japanese"), ("euc_kr", "Korean"), ("gbk", "Chinese, simplified"),
        ("big5", "Chinese, traditional"))


def _cjk_candidates(data: bytes) -> list[tuple[str, str, str]]:
    """-> [(codec, language, sample of the decoded text)] for the East-Asian encodings that read `data` strictly
    and plausibly, most plausible first; [] when the bytes do not look like a double-byte encoding."""
    high = [i for i, b in enumerate(data) if b >= 0x80]
    if not high:
        return []
    paired = sum(1 for i in high if (i > 0 and data[i - 1] >= 0x80) or (i + 1 < len(data) and data[i + 1] >= 0x80))
    if paired < 0.5 * len(high):                        # Western text: accented letters stand alone among ASCII
        return []
    found, weak = [], []
    for codec, language in _CJK:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        wide = [c for c in text if ord(c) >= 0x80]
        line = next(line for line in text.splitlines() if any(ord(c) >= 0x80 for c in line))
        entry = (codec, language, line[:24])
        if codec == "shift_jis" and any("\uff61" <= c <= "\uff9f" for c in wide):
            continue                                    # half-width katakana: someone else's double bytes
        if codec == "euc_kr" and sum("\uac00" <= c <= "\ud7a3" for c in wide) < 0.9 * len(wide):
            weak.append(entry)                          # hanja-heavy: more likely Chinese read as Korean
            continue
        found.append(entry)
    return found + weak


def _advice(data: bytes) -> tuple[str, str]:
    """-> (encoding to suggest, why) for bytes that are not UTF-8."""
    cjk = _cjk_candidates(data)
    if cjk:
        codec, language, sample = cjk[0]
        others = "".join(f"; as {c} ({lang}) it reads {s!r}" for c, lang, s in cjk[1:])
        western = "cp1252" if {b for b in data if b >= 0x80} & _CP1252_ONLY else "latin-1"
        line = next(line for line in data.splitlines() if any(b >= 0x80 for b in line))
        others += f"; as {western} it reads {line.decode(western, errors='replace')[:24]!r}"
        return codec, f"it looks like {codec} ({language}): read so it starts {sample!r}{others}"
    high = {b for b in data if b >= 0x80}
    if high & _CP1252_ONLY:
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            pass
        else:
            sample = sorted({chr(b).encode("latin-1").decode("cp1252") for b in high & _CP1252_ONLY})[:4]
            return "cp1252", (f"it looks like Windows-1252 (bytes 0x80-0x9F used as {' '.join(sample)}, "
                              f"as Word and Excel on Windows write)")
    return "latin-1", "it looks like latin-1 (ISO-8859-1)"


def _line_of(data: bytes, offset: int, codec: str) -> int:
    return data[:offset].decode(codec, errors="replace").count("\n") + 1


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def decode_text(data: bytes, *, encoding: str | None = None, name: str = "<bytes>", option: str = "path") -> str:
    """Decode the bytes of a text file (see the module docstring for the rules); `name` names it in messages."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"{option}: expected bytes, got {type(data).__name__}")
    data = bytes(data)
    bom = detect_bom(data)
    if encoding is not None:
        if not isinstance(encoding, str):
            raise TypeError(f"encoding must be a str such as 'utf-8' or 'cp1252', got {type(encoding).__name__}")
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise ValueError(f"encoding={encoding!r} (--encoding {encoding}) is not an encoding Python knows "
                             f"(for {name}); try 'utf-8', 'utf-16', 'cp1252' or 'latin-1'") from None
        skip = 0
        own = next((b for b, c, _ in _BOMS if c == codec), None)
        if own is not None and data.startswith(own):
            skip = len(own)                                   # the mark of the named encoding: not part of the text
        elif (bom is not None and not bom[0].startswith(codec.removesuffix("-sig"))
              and not (bom[0] == "utf-32-le" and codec == "utf-16")):
            # e.g. --encoding cp1252 on a UTF-8 file with a mark: the header would read 'ï»¿date'
            raise ValueError(f"{name} starts with a {_bom_label(bom[0])} byte-order mark, so it is "
                             f"{_bom_label(bom[0])}, not {encoding}: leave encoding unset (drop --encoding {encoding}) "
                             "and the mark says how to read it") from None
        try:
            return _normalise_newlines(data[skip:].decode(codec))
        except UnicodeDecodeError as err:
            at = err.start + skip
            guess = f"; it starts with a {_bom_label(bom[0])} byte-order mark: leave encoding unset" if bom else ""
            raise ValueError(f"{name} cannot be read as {encoding} (encoding={encoding!r}): byte "
                             f"0x{data[at]:02x} at offset {at} (line {_line_of(data, at, codec)}) is not "
                             f"{encoding}{guess}") from None
    if bom is not None:
        codec, skip = bom
        try:
            return _normalise_newlines(data[skip:].decode(codec))
        except UnicodeDecodeError as err:
            if codec == "utf-32-le":                          # FF FE 00 00: UTF-16 LE whose first character is NUL
                try:
                    return _normalise_newlines(data[2:].decode("utf-16-le"))
                except UnicodeDecodeError:
                    pass
            at = err.start + skip
            raise ValueError(f"{name} starts with a {_bom_label(codec)} byte-order mark but is not valid "
                             f"{_bom_label(codec)}: bytes at offset {at} (line {_line_of(data, at, codec)}) "
                             "cannot be decoded; save the file again from its program, as UTF-8") from None
    if b"\x00" in data:
        at = data.index(b"\x00")
        even, odd = data[0::2], data[1::2]
        # UTF-16 without a mark: the high byte of every ASCII character is NUL, first (BE) or second (LE).
        codec = "utf-16-be" if even.count(0) > odd.count(0) else "utf-16-le"
        nuls, others = (even, odd) if codec == "utf-16-be" else (odd, even)
        if len(data) % 2 == 0 and not nuls.strip(b"\x00") and 0 not in others:
            try:                                              # every other byte NUL, none between: unambiguous
                return _normalise_newlines(data.decode(codec))
            except UnicodeDecodeError:
                pass
        raise ValueError(f"{name} is not a text file: it has a NUL byte at offset {at} (a binary file, or UTF-16 "
                         f"without a byte-order mark: then pass encoding={codec!r} (--encoding {codec}))")
    try:
        return _normalise_newlines(data.decode("utf-8"))
    except UnicodeDecodeError as err:
        at = err.start
        suggest, why = _advice(data)
        raise ValueError(f"{name} is not UTF-8: byte 0x{data[at]:02x} at offset {at} (line "
                         f"{_line_of(data, at, 'latin-1')}) cannot be decoded; {why}: pass encoding={suggest!r} "
                         f"(on the command line --encoding {suggest}), or save the file as UTF-8"
                         f"{'' if suggest in dict(_CJK) else _OTHER_LANGUAGE}") from None


def read_text(path: str | os.PathLike, *, encoding: str | None = None, option: str = "path") -> str:
    """The text of the file at `path` (`~` expanded), decoded as the module docstring says.

    encoding: None (byte-order mark, else strict UTF-8) or a Python codec name the user chose.
    option: what the user typed the path under; errors name it.
    Raises FileNotFoundError / IsADirectoryError (see `resolve_path`), ValueError (not text, not decodable:
    names the file, byte offset, line and the encoding to pass), TypeError (not a path).
    """
    resolved = resolve_path(path, option=option)
    try:
        data = resolved.read_bytes()
    except PermissionError:
        raise PermissionError(f"{option}: {str(resolved)!r} cannot be read (permission denied)") from None
    return decode_text(data, encoding=encoding, name=f"{option} file {str(resolved)!r}", option=option)
