"""Bytes to text: UTF-8 (BOM allowed), UTF-16 with a BOM, and legacy charsets such as EUC-KR / CP949.

A file is UTF-8 unless its UTF-8 reading is broken. A few stray bytes among good UTF-8 characters are
replaced with U+FFFD and reported (re-reading the whole file in another charset would garble its good
UTF-8). Otherwise the charset charset-normalizer detects is used and named in a warning, so the analyst
can check it: a double-byte East Asian charset (CP949 / EUC-KR, Shift-JIS, GBK, Big5...) as soon as most
non-ASCII bytes are not UTF-8 (stray bytes do not form valid double-byte pairs by chance); a single-byte
charset (Windows-1251...) only when the UTF-8 reading is mostly replacement characters, since any bytes
decode in one. Data that no charset reads as plausible text (binary, random bytes) is refused.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

from charset_normalizer import from_bytes

BINARY_SHARE = 0.10  # more control bytes (NUL included) than this in the first 64 KiB: a binary file
NOT_UTF8_SHARE = 0.30  # more invalid UTF-8 than this: a binary file or another encoding
DETECT_SAMPLE = 1 << 20  # charset-normalizer reads at most this many bytes (it samples within them)
LEGACY_REPLACED_SHARE = 0.001  # a legacy reading may replace this share of characters at most
MIN_ASCII_SHARE = 0.01  # of bytes: real text has spaces, newlines, digits or punctuation; random high bytes none
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")  # a byte outside valid UTF-8, as errors="surrogateescape" gives it
_HIGH_BYTES = [bytes([b]) for b in range(0x80, 0x100)]
# Codecs whose byte pairs rarely form by accident (normalised codec names, as codecs.lookup gives them)
DOUBLE_BYTE = {"cp949", "euc_kr", "johab", "iso2022_kr", "shift_jis", "cp932", "euc_jp", "iso2022_jp", "gb2312",
               "gbk", "gb18030", "big5", "cp950", "big5hkscs", "hz"}


def decode_bytes(data: bytes) -> tuple[str | None, str | None]:
    """Decode a file's bytes. Returns (text, warning or None), or (None, reason) when it is not text.

    Every warning and reason names UTF-8 or says "binary", so reports can group them.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace"), None
    sample = data[:65536]
    if sample and _control_share(sample) > BINARY_SHARE:
        return None, "looks like a binary file, not text"
    text = data.decode("utf-8-sig", errors="replace")
    bad = text.count("\ufffd") - data.decode("utf-8-sig", errors="ignore").count("\ufffd")
    if bad == 0:
        return text, None
    mostly_broken = bad > NOT_UTF8_SHARE * max(1, len(text) - text.count(" "))
    legacy = _legacy_reading(data, double_byte_only=not mostly_broken) if _many_bytes_not_utf8(data) else None
    if legacy is not None:
        decoded, encoding = legacy
        return decoded, f"not UTF-8: read as {encoding} (detected); convert the file to UTF-8 if that is wrong"
    if mostly_broken:
        return None, f"not UTF-8 text ({bad} invalid byte sequences): a binary file or another encoding; convert it to UTF-8"
    return text, f"invalid UTF-8: {bad} byte sequence(s) replaced with U+FFFD"


def _control_share(sample: bytes) -> float:
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls / len(sample)


def _many_bytes_not_utf8(data: bytes) -> bool:
    """Many non-ASCII bytes (a third) fall outside valid UTF-8 sequences: about a tenth at most in UTF-8 with
    stray bytes; a half to three quarters in EUC-KR, whose byte pairs are sometimes valid UTF-8 by accident.
    (Each invalid byte decodes to a lone surrogate.)"""
    invalid = len(_ESCAPED_BYTE.findall(data.decode("utf-8", errors="surrogateescape")))
    non_ascii = sum(data.count(byte) for byte in _HIGH_BYTES)
    return invalid > non_ascii / 3


def _legacy_reading(data: bytes, double_byte_only: bool) -> tuple[str, str] | None:
    """The text in the charset charset-normalizer finds, with the charset's name; None if none fits.

    Real text has some ASCII bytes (spaces, newlines, digits, punctuation), which an ASCII-compatible
    charset keeps as they are; random high bytes have none, and EBCDIC-like charsets would turn them into
    letters, so both are refused.
    """
    if len(data) - sum(data.count(byte) for byte in _HIGH_BYTES) < MIN_ASCII_SHARE * len(data):
        return None
    match = from_bytes(data[:DETECT_SAMPLE]).best()
    if match is None:
        return None
    try:
        encoding = codecs.lookup(match.encoding).name.replace("-", "_")
    except LookupError:
        return None
    if encoding.startswith("utf") or (double_byte_only and encoding not in DOUBLE_BYTE) or not _ascii_compatible(encoding):
        return None
    text = data.decode(encoding, errors="replace")
    if text.count("\ufffd") > LEGACY_REPLACED_SHARE * len(text):
        return None
    return text, encoding


@lru_cache(maxsize=None)
def _ascii_compatible(encoding: str) -> bool:
    """Printable ASCII and whitespace decode to themselves (not so in EBCDIC, UTF-7, HZ...)."""
    ascii_text = bytes(range(32, 127)) + b"\t\n\r"
    try:
        return ascii_text.decode(encoding) == ascii_text.decode("ascii")
    except UnicodeDecodeError:
        return False
