"""extract.decode on the real corpus re-encoded to every supported encoding, and on bad bytes."""

from __future__ import annotations

from functools import cache

import pytest

from extract.decode import decode
from extract.errors import InputError
from versions.sources.corpus import load_corpus

VERSIONS = [v for doc in load_corpus() for v in doc.versions]
IDS = [v.key for v in VERSIONS]
# Python codec → the name decode() reports
ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp932": "cp932", "euc_jp": "euc-jp"}
STAND_IN = "〓"  # GETA MARK: what converters print for a character the target cannot hold


@cache
def corpus_text(index: int) -> str:
    return VERSIONS[index].file.read_text(encoding="utf-8")


def representable(text: str, codec: str) -> str:
    """``text`` with characters the codec cannot encode replaced, as a real converter would."""
    if codec.startswith("euc"):
        text = text.replace("～", "〜")  # FULLWIDTH TILDE is WAVE DASH in EUC-JP
    out = []
    for ch in text:
        try:
            ch.encode(codec)
        except UnicodeEncodeError:
            ch = STAND_IN
        out.append(ch)
    return "".join(out)


@pytest.mark.parametrize("codec", ENCODINGS)
@pytest.mark.parametrize("index", range(len(VERSIONS)), ids=IDS)
def test_corpus_reencoded_decodes_to_same_text(index: int, codec: str) -> None:
    text = representable(corpus_text(index), codec)
    got, encoding = decode(text.encode(codec), "doc.txt")
    assert encoding == ENCODINGS[codec]
    assert got == text


@pytest.mark.parametrize("codec", ["cp932", "euc_jp"])
def test_every_corpus_line_alone_is_detected(codec: str) -> None:
    """Short inputs are the hard case for detection: every non-ASCII line of the corpus."""
    wrong = []
    for index in range(len(VERSIONS)):
        for line in corpus_text(index).splitlines():
            line = representable(line.strip(), codec)
            if len(line) < 2 or line.isascii():
                continue
            got, encoding = decode(line.encode(codec), "line.txt")
            if (got, encoding) != (line, ENCODINGS[codec]):
                wrong.append((line, encoding))
    assert wrong == []


def test_euc_jp_with_nec_extras_uses_jis_x_0213() -> None:
    """EUC-JP files written on Windows hold ① and Ⅰ (NEC row 13), which plain EUC-JP lacks."""
    text = next(t for t in map(corpus_text, range(len(VERSIONS))) if "①" in t)
    text = representable(text, "euc_jis_2004")
    got, encoding = decode(text.encode("euc_jis_2004"), "nec.txt")
    assert (got, encoding) == (text, "euc-jis-2004")


def test_iso_2022_jp() -> None:
    text = representable(corpus_text(0), "iso2022_jp")
    assert decode(text.encode("iso2022_jp"), "jis.txt") == (text, "iso-2022-jp")


@pytest.mark.parametrize("codec", ENCODINGS)
@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_line_endings_become_lf(codec: str, newline: str) -> None:
    text = representable(corpus_text(0), codec)
    got, _ = decode(text.replace("\n", newline).encode(codec), "crlf.txt")
    assert got == text


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b" \n\t\r\n", "blank"),
        (b"\xef\xbb\xbf", "blank"),
        ("\u3000\n".encode(), "blank"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (bytes(range(1, 9)) * 50 + "第1条".encode(), "binary"),
        ("第1条".encode("utf-16"), "UTF-16"),
        (b"abc\xff\xfe\x80\x81 def", "cannot decode"),
        ("第1条（目的）".encode("cp932") + b"\xa0", "cannot decode"),
    ],
)
def test_bad_bytes_raise_input_error_naming_the_file(data: bytes, words: str) -> None:
    with pytest.raises(InputError) as info:
        decode(data, "bad/file.txt")
    assert info.value.path == "bad/file.txt"
    assert words in info.value.message
    assert str(info.value).startswith("bad/file.txt")


def test_undecodable_reports_line() -> None:
    data = "第1条\n第2条\n".encode() + b"bad \xff byte\n"
    with pytest.raises(InputError) as info:
        decode(data, "x.txt")
    assert info.value.line == 3


def test_form_feed_and_tab_are_text() -> None:
    """PDF extractions separate pages with form feeds; that is text, not binary."""
    text = "第1条\t本文\n\x0c第2条\n" * 20
    assert decode(text.encode(), "ff.txt") == (text, "utf-8")
