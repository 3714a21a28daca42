"""Turning uploaded bytes into text: UTF-8 (with or without BOM) or CP932, refusing binary and oversize input."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import NamedTuple

from charset_normalizer import from_bytes

from sales_growth.analysis.errors import (
    EmptyRecordError,
    RecordTooLargeError,
    UndecodableRecordError,
    UnsupportedFormatError,
)

MAX_RECORD_BYTES = 1_000_000
SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".vtt", ".srt"})
_BOM = b"\xef\xbb\xbf"
# Control characters other than tab, newline, carriage return and form feed mark binary data.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def check_suffix(filename: str) -> None:
    """Refuse file names whose extension is not a supported record format."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnsupportedFormatError(suffix)


class DecodedRecord(NamedTuple):
    text: str
    encoding: str  # "utf-8", "utf-8-sig", "cp932" or what charset-normalizer found


def decode_record(data: bytes, *, limit: int = MAX_RECORD_BYTES) -> str:
    """Decode a record file. Line endings become ``\\n``; the BOM is dropped.

    Raises an :class:`~sales_growth.analysis.errors.AnalysisInputError` with a Japanese message
    for oversize, empty, binary or undecodable input.
    """
    return decode_record_with_encoding(data, limit=limit).text


def decode_record_with_encoding(data: bytes, *, limit: int = MAX_RECORD_BYTES) -> DecodedRecord:
    """Like :func:`decode_record`, also telling which encoding the bytes were in."""
    if len(data) > limit:
        raise RecordTooLargeError(len(data), limit)
    text, encoding = _decode(data.removeprefix(_BOM))
    if data.startswith(_BOM):
        encoding = "utf-8-sig"
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return DecodedRecord(check_text(text), encoding)


def check_text(text: str) -> str:
    """Refuse text that is empty, only whitespace, or binary; return it unchanged otherwise."""
    if not text.strip():
        raise EmptyRecordError
    if "\x00" in text or len(_CONTROL.findall(text)) > max(2, len(text) // 1000):
        raise UndecodableRecordError
    return text


def _decode(data: bytes) -> tuple[str, str]:
    if b"\x00" in data:
        raise UndecodableRecordError
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None:
        raise UndecodableRecordError
    return str(best), best.encoding
