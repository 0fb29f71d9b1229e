"""Breaker findings on rnnlab.data.reading: CJK advice, UTF-16 without a mark, a mark against --encoding."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnlab.data.reading import decode_text

SETTINGS = settings(max_examples=40, deadline=None)
ASCII = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40)
# Words in each language, and a numeric column, as a user's CSV would hold them.
WORDS = {"shift_jis": ["日付", "気温", "東京", "観測"], "euc_kr": ["날짜", "온도", "서울", "관측"],
         "gbk": ["日期", "温度", "北京", "观测"]}


@SETTINGS
@given(codec=st.sampled_from(sorted(WORDS)), picks=st.lists(st.integers(0, 3), min_size=2, max_size=6),
       numbers=st.lists(st.floats(-100, 100, allow_nan=False).map(lambda x: f"{x:.2f}"), min_size=1, max_size=5))
def test_cjk_files_are_advised_their_own_encoding(codec, picks, numbers):
    header = ",".join(WORDS[codec][i] for i in picks)
    text = header + "\n" + "\n".join(numbers) + "\n"
    with pytest.raises(ValueError) as err:
        decode_text(text.encode(codec), name="f.csv", option="--csv")
    msg = str(err.value)
    assert "encoding='cp1252'" not in msg and "encoding='latin-1'" not in msg  # Western advice garbles it
    assert codec in msg and repr(header[:24]) in msg                     # the right reading is shown


@pytest.mark.parametrize("text, codec", [("日付,気温\n2021-01-01,1.5\n", "shift_jis"), ("날짜,온도\n", "euc_kr"),
                                         ("日期,温度\n", "gbk")])
def test_breaker_files_are_advised_their_encoding_first(text, codec):
    with pytest.raises(ValueError, match=f"encoding={codec!r} \\(on the command line --encoding {codec}\\)"):
        decode_text(text.encode(codec))


@SETTINGS
@given(prefix=ASCII, word=st.sampled_from(["café", "naïve", "Zürich", "señor"]))
def test_western_advice_names_other_languages(prefix, word):
    with pytest.raises(ValueError) as err:
        decode_text((prefix + " " + word + "\n").encode("latin-1"))
    msg = str(err.value)
    assert "encoding='latin-1'" in msg and "another language" in msg and "shift_jis" in msg


@SETTINGS
@given(text=ASCII, order=st.sampled_from(["utf-16-le", "utf-16-be"]))
def test_utf16_without_mark_is_read_in_its_byte_order(text, order):
    assert decode_text(text.encode(order)) == text


def test_utf16_without_mark_with_non_latin_text_names_the_right_order():
    for order in ("utf-16-le", "utf-16-be"):
        with pytest.raises(ValueError, match=f"--encoding {order}"):
            decode_text("date,€\n1,2\n".encode(order))


@SETTINGS
@given(text=ASCII, named=st.sampled_from(["cp1252", "latin-1", "utf-16-le"]))
def test_a_utf8_mark_against_the_named_encoding_is_refused(text, named):
    with pytest.raises(ValueError, match=f"UTF-8 byte-order mark.*drop --encoding {named}"):
        decode_text(codecs.BOM_UTF8 + text.encode("utf-8"), encoding=named)


@SETTINGS
@given(text=ASCII)
def test_compatible_named_encodings_still_follow_the_mark(text):
    assert decode_text(codecs.BOM_UTF8 + text.encode(), encoding="utf-8-sig") == text
    assert decode_text(codecs.BOM_UTF8 + text.encode(), encoding="utf-8") == text
    assert decode_text(codecs.BOM_UTF16_LE + text.encode("utf-16-le"), encoding="utf-16") == text


@SETTINGS
@given(text=ASCII)
def test_utf16_le_starting_with_nul_is_not_read_as_utf32(text):
    data = codecs.BOM_UTF16_LE + ("\x00" + text).encode("utf-16-le")
    assert decode_text(data) == "\x00" + text
