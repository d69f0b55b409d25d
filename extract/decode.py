"""Bytes → text: detect UTF-8 (± BOM), Shift_JIS/CP932 and EUC-JP; refuse binary input.

A strict try-decode cascade, not a statistical guess: valid UTF-8 is UTF-8; otherwise every
Japanese codec that decodes the bytes without error is a candidate and the one whose text
looks most like Japanese (kana and Japanese punctuation) wins. Line endings become ``\\n``.

Known limit: text made only of half-width katakana and ASCII (no kana, no kanji from a real
document) is ambiguous between CP932 and EUC-JP and may be misread; real documents always hold
hiragana or punctuation, which settles it.

Reported encodings (``Source.encoding``): ``utf-8``, ``utf-8-sig``, ``cp932``, ``euc-jp``,
plus ``euc-jis-2004`` (EUC-JP with NEC/JIS X 0213 extras such as ①) and ``iso-2022-jp``.
"""

from __future__ import annotations

import re

from extract.errors import InputError

# Bytes below 0x20 that plain text may hold: tab, LF, VT, FF (PDF page breaks), CR, and
# ESC (ISO-2022-JP). None of them occur inside a multi-byte character of these encodings.
_TEXT_CONTROLS = b"\t\n\x0b\x0c\r\x1b"
_CONTROL_BYTES = bytes(b for b in range(32) if b not in _TEXT_CONTROLS) + b"\x7f"
_NOT_CONTROL = bytes(b for b in range(256) if b not in _CONTROL_BYTES)
MAX_CONTROL_RATIO = 0.01  # more than 1 % stray control bytes: binary, not text

# Japanese codecs tried when the input is not UTF-8, in order of preference on a tie.
_JAPANESE = (("cp932", "cp932"), ("euc_jp", "euc-jp"), ("euc_jis_2004", "euc-jis-2004"))
_KANA_PUNCT = re.compile(r"[\u3040-\u30ff\u3000-\u303f\uff01-\uff0f\uff1a-\uff20]")
_HALFWIDTH_KANA = re.compile(r"[\uff61-\uff9f]")
_NEWLINES = re.compile(r"\r\n?")
# What stray single bytes decode to (C1 controls; CP932 maps 0xA0, 0xFD-0xFF to U+F8F0-U+F8F3):
# never in real Japanese text, so a decoding that yields them is wrong.
_STRAY_BYTE_CHARS = re.compile(r"[\x80-\x9f\uf8f0-\uf8f3]")


def decode(data: bytes, path: str) -> tuple[str, str]:
    """Return ``(text, encoding)``; raise ``InputError`` for empty, binary or undecodable data."""
    _check_text_bytes(data, path)
    text, encoding = _decode(data, path)
    if not text.strip():
        raise InputError(path, "blank file (no text to parse)")
    if "\r" in text:
        text = _NEWLINES.sub("\n", text)
    return text, encoding


def _check_text_bytes(data: bytes, path: str) -> None:
    if not data.strip():
        raise InputError(path, "empty file (no text to parse)" if not data else "blank file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(path, "UTF-16 text is not supported; save it as UTF-8")
    nul = data.find(b"\0")
    if nul >= 0:
        raise InputError(path, f"binary file (NUL byte at offset {nul}), not text")
    stray = len(data.translate(None, _NOT_CONTROL))  # delete all but control bytes
    if stray > len(data) * MAX_CONTROL_RATIO:
        raise InputError(path, f"binary file ({stray} control bytes in {len(data)}), not text")


def _decode(data: bytes, path: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _undecodable(data, path, "UTF-8 (with BOM)", exc) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    else:
        if b"\x1b$" in data:  # ISO-2022-JP escape sequences are valid ASCII
            try:
                return data.decode("iso2022_jp"), "iso-2022-jp"
            except UnicodeDecodeError:
                pass
        return text, "utf-8"
    return _decode_japanese(data, path, utf8_error)


def _decode_japanese(data: bytes, path: str, utf8_error: UnicodeDecodeError) -> tuple[str, str]:
    candidates: list[tuple[str, str]] = []
    furthest = utf8_error
    for codec, name in _JAPANESE:
        if name == "euc-jis-2004" and any(n == "euc-jp" for _, n in candidates):
            break  # plain EUC-JP already decodes: no need for its superset
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            if exc.start > furthest.start:
                furthest = exc
            continue
        if not _STRAY_BYTE_CHARS.search(text):
            candidates.append((text, name))
    if not candidates:
        raise _undecodable(data, path, "UTF-8, Shift_JIS/CP932 or EUC-JP", furthest)
    if len(candidates) == 1:
        return candidates[0]
    return max(candidates, key=lambda c: japanese_score(c[0]))  # first wins a tie


def japanese_score(text: str) -> int:
    """How Japanese a decoding looks: kana and punctuation count, half-width kana count against.

    Mis-decoded EUC-JP read as CP932 turns into half-width katakana and rare kanji, with no
    hiragana at all; this score separates the two reliably on real documents.
    """
    return len(_KANA_PUNCT.findall(text)) - 2 * len(_HALFWIDTH_KANA.findall(text))


def _undecodable(data: bytes, path: str, tried: str, exc: UnicodeDecodeError) -> InputError:
    line = data.count(b"\n", 0, exc.start) + 1
    byte = data[exc.start : exc.start + 1].hex()
    return InputError(path, f"cannot decode as {tried} (byte 0x{byte} is invalid)", line=line)
