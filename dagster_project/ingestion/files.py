"""Landing files as bytes: discovery, content hash, encoding and header detection.

Everything here streams the file in fixed-size chunks, so memory does not grow
with the file; the per-byte work (hashing, UTF-8 validation, counting line
ends) is done by C code on whole chunks, never per row in Python.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import hashlib
import io
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from stat import S_ISREG

CHUNK_SIZE = 1 << 20
HEADER_PEEK_BYTES = 1 << 16

# The UTF-8 of characters common in the files we read: Latin-1 letters and signs
# (é is C3 A9, « C2 AB), œ, Greek, Cyrillic, typographic punctuation and € (E2 80-82 ..),
# CJK (two characters in a row) and full-width forms, emoji (F0 9F ..). Read as Windows-1252 each is an
# unlikely pair or triple (Ã©, â€™, Â«, ðŸ...), so finding one in a file that is
# not valid UTF-8 means a damaged UTF-8 file, not a Windows-1252 one. Not every
# UTF-8-shaped sequence: French Windows-1252 text holds some by chance, an
# accented letter before punctuation (é, no-break space, » is E9 A0 BB; É– is C9 96).
# So a capital Ä, Å, Î, Ï, Ð or Ñ (C4, C5, CE, CF, D0, D1) followed by what ends a
# word in French typography (no-break space, « », …, ’ “ ”, – —) counts for nothing
# (HAWAÏ, no-break space, ! is CF A0 21): a Greek or Cyrillic text has other letters.
_AFTER_A_WORD = rb"\xa0\xab\xbb\x85\x92-\x94\x96\x97"
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2\xc3][\x80-\xbf]|[\xc4\xc5\xce\xcf\xd0\xd1](?![" + _AFTER_A_WORD + rb"])[\x80-\xbf]"
    rb"|\xe2[\x80-\x82][\x80-\xbf]|\xe3[\x80-\xbf]{2}"
    rb"|\xef[\xbc-\xbf][\x80-\xbf]|\xf0\x9f[\x80-\xbf]{2}|(?:[\xe4-\xe9][\x80-\xbf]{2}){2}"
)
# Bytes that Windows-1252 leaves undefined: a file holding one is not Windows-1252 text.
_CP1252_UNDEFINED = bytes([0x81, 0x8D, 0x8F, 0x90, 0x9D])
_CP1252_PLAUSIBLE = bytes(b for b in range(0x80, 0x100) if b not in _CP1252_UNDEFINED)


class LandingFileError(Exception):
    """A landing file that cannot be read completely: rejected whole."""

    def __init__(self, path: str, message: str, line: int | None = None, column: str | None = None):
        self.path = path
        self.line = line
        self.column = column
        self.message = message
        super().__init__(self.describe())

    def describe(self) -> str:
        where = [self.path]
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}"


@dataclasses.dataclass(frozen=True)
class LandingEntry:
    """A regular file under the landing directory, as listed by a scan."""

    relative_path: str
    absolute_path: Path
    size_bytes: int
    mtime_ns: int


@dataclasses.dataclass(frozen=True)
class ScanResult:
    entries: list[LandingEntry]
    skipped: list[str]  # human-readable notes: links not followed, non-CSV files


def scan_landing(landing_dir: Path) -> ScanResult:
    """Every `*.csv` file under the landing directory, sorted by path.

    Symbolic links are never followed (a link could point outside the landing
    directory, or loop); hidden files and folders are the user's tools' own,
    not read but listed in the notes like every other file left out.
    """
    if not landing_dir.is_dir():
        raise FileNotFoundError(f"landing directory not found: {landing_dir}")
    entries: list[LandingEntry] = []
    skipped: list[str] = []
    for root, dirs, files in os.walk(landing_dir, followlinks=False):
        root_path = Path(root)
        for name in sorted(dirs):
            if (root_path / name).is_symlink():
                skipped.append(f"{(root_path / name).relative_to(landing_dir)}: symbolic link to a folder, not followed")
            elif name.startswith("."):
                skipped.append(f"{(root_path / name).relative_to(landing_dir).as_posix()}/: hidden folder, not read")
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not (root_path / d).is_symlink())
        for name in sorted(files):
            path = root_path / name
            relative = path.relative_to(landing_dir).as_posix()
            if name.startswith("."):
                # Editors' lock files, macOS resource forks (._export.csv), copies a tool hides: not
                # exports. A hidden .csv is said, so that an export saved under such a name is not lost unseen.
                if name.lower().endswith(".csv"):
                    skipped.append(f"{relative}: hidden file, not read")
                continue
            if path.is_symlink():
                skipped.append(f"{relative}: symbolic link, not followed")
                continue
            if not name.lower().endswith(".csv"):
                skipped.append(f"{relative}: not a .csv file, ignored")
                continue
            stat = path.stat()
            if not S_ISREG(stat.st_mode):
                # A named pipe would block the read forever; a device is not an export.
                skipped.append(f"{relative}: not a regular file (a pipe, socket or device), ignored")
                continue
            entries.append(LandingEntry(relative, path, stat.st_size, stat.st_mtime_ns))
    entries.sort(key=lambda entry: entry.relative_path)
    return ScanResult(entries, skipped)


@dataclasses.dataclass(frozen=True)
class FileInspection:
    """What one streaming pass over a file's bytes tells."""

    content_hash: str
    size_bytes: int
    encoding: str  # utf-8, utf-8-sig, utf-16, cp1252
    line_feeds: int
    has_carriage_returns: bool
    # The file's `,` and `;` bytes: with the records' field count, they tell whether DuckDB
    # dropped a record's extra empty fields (loader._TypedFile.delimiters_inside).
    commas: int = 0
    semicolons: int = 0

    def delimiters(self, delimiter: str) -> int:
        return self.commas if delimiter == "," else self.semicolons


# inspect_file() counts these bytes of a file: line feeds, delimiters, carriage returns, NUL.
_NOT_COUNTED = bytes(byte for byte in range(256) if byte not in b"\n,;\r\x00")


def hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def inspect_file(entry: LandingEntry) -> FileInspection:
    """Hash the file and detect its encoding in one pass; raise LandingFileError if undecodable."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    first_invalid: int | None = None
    nul_offset: int | None = None
    line_feeds = 0
    commas = semicolons = 0
    carriage_returns = False
    implausible_offset: int | None = None
    head = b""
    with entry.absolute_path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            digest.update(chunk)
            if not head:
                head = chunk[:4]
            # The bytes counted, kept apart in one pass (a few percent of the chunk), are counted
            # there: three counts over the whole chunk took twice as long.
            counted = chunk.translate(None, _NOT_COUNTED)
            line_feeds += counted.count(b"\n")
            commas += counted.count(b",")
            semicolons += counted.count(b";")
            carriage_returns = carriage_returns or b"\r" in counted
            if nul_offset is None and b"\x00" in counted:
                nul_offset = offset + chunk.index(b"\x00")
            if first_invalid is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    first_invalid = offset + error.start
            if implausible_offset is None:
                stripped = chunk.translate(None, _CP1252_PLAUSIBLE + bytes(range(0x80)))
                if stripped:
                    implausible_offset = offset + chunk.index(stripped[:1])
            offset += len(chunk)
    if first_invalid is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            first_invalid = offset - 1

    relative = entry.relative_path
    if offset == 0:
        raise LandingFileError(relative, "the file is empty (expected a header row and data rows)", line=1)
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        encoding = "utf-16"
    elif nul_offset is not None:
        line = _line_at(entry.absolute_path, nul_offset)
        raise LandingFileError(
            relative,
            "NUL byte found: binary data, or UTF-16 text without a byte-order mark "
            "(expected UTF-8, UTF-16 with a BOM or Windows-1252 text)",
            line=line,
        )
    elif head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
        if first_invalid is not None:
            _raise_undecodable(entry, first_invalid, "UTF-8 (it starts with a UTF-8 byte-order mark)")
    elif first_invalid is None:
        encoding = "utf-8"
    else:
        damaged_utf8 = _holds_common_utf8(entry.absolute_path)
        if not damaged_utf8 and implausible_offset is None:
            encoding = "cp1252"
        else:
            bad = first_invalid if damaged_utf8 or implausible_offset is None else implausible_offset
            _raise_undecodable(entry, bad, "UTF-8, UTF-16 with a byte-order mark, or Windows-1252 text")
    return FileInspection(digest.hexdigest(), offset, encoding, line_feeds, carriage_returns, commas, semicolons)


def _holds_common_utf8(path: Path) -> bool:
    """Whether a file that is not valid UTF-8 holds the UTF-8 of a common character: then it is damaged UTF-8.

    A second pass, for such files only (Windows-1252 ones, or damaged): the
    search costs about 20 ms a megabyte, which a valid UTF-8 file is spared.
    """
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            if _UTF8_MULTIBYTE.search(tail + chunk):
                return True
            tail = chunk[-5:]  # a sequence across two chunks: at most 6 bytes
    return False


def count_byte(path: Path, byte: bytes) -> int:
    """How many times `byte` occurs in the file (a UTF-8 copy's delimiters: one byte each, never inside another character)."""
    total = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_SIZE):
            total += chunk.count(byte)
    return total


def _line_at(path: Path, byte_offset: int) -> int:
    line = 1
    remaining = byte_offset
    with path.open("rb") as handle:
        while remaining > 0 and (chunk := handle.read(min(CHUNK_SIZE, remaining))):
            line += chunk.count(b"\n")
            remaining -= len(chunk)
    return line


def _raise_undecodable(entry: LandingEntry, byte_offset: int, expected: str) -> None:
    with entry.absolute_path.open("rb") as handle:
        handle.seek(byte_offset)
        byte = handle.read(1)
    raise LandingFileError(
        entry.relative_path,
        f"undecodable byte 0x{byte.hex().upper()} at byte offset {byte_offset} (expected {expected})",
        line=_line_at(entry.absolute_path, byte_offset),
        column=_column_at(entry.absolute_path, byte_offset),
    )


# How much of a record the error path reads to tell which field a byte or an unclosed quote is in.
_COLUMN_SEARCH_BYTES = 1 << 20


def _field_states(text: str, delimiter: str) -> tuple[int, int | None]:
    """Walk a record's text as CSV: (the field reached at its end, the field whose quote is still open there, if any)."""
    field, open_quote, at_field_start, index = 0, None, True, 0
    while index < len(text):
        character = text[index]
        if open_quote is not None:
            if character == '"':
                if text.startswith('"', index + 1):
                    index += 1  # "" inside quotes: one quote character
                else:
                    open_quote = None
        elif character == delimiter:
            field, at_field_start = field + 1, True
            index += 1
            continue
        elif character == '"' and at_field_start:
            open_quote = field
        at_field_start = False
        index += 1
    return field, open_quote


def _likeliest_header(candidates: list[Header]) -> Header | None:
    """The header split the most ways, for an error's column name (the file's format is not known yet)."""
    return candidates[0] if candidates else None


def _column_at(path: Path, byte_offset: int) -> str | None:
    """The header name of the field holding the byte at `byte_offset`; None when it cannot be told.

    The records before it are parsed as CSV (Python's csv module, over the file
    decoded leniently, line by line with each line's byte offset), so a field
    with line breaks before it does not mislead; only on the error path.
    """
    header = _likeliest_header(read_header_candidates(path))
    if header is None:
        return None
    names, delimiter = header.columns, header.delimiter

    starts: list[int] = []  # the byte offset of each physical line read so far
    consumed = [0]  # bytes read so far: the end of the last record returned

    def lines(handle):
        for raw in handle:
            starts.append(consumed[0])
            consumed[0] += len(raw)
            yield raw.decode("utf-8", errors="replace")

    with path.open("rb") as handle:
        record_start = None
        try:
            for _row in csv.reader(lines(handle), delimiter=delimiter):
                first_line = len(starts) - 1 if record_start is None else record_start
                if byte_offset < consumed[0]:
                    record_start = first_line
                    break
                record_start = len(starts)
        except csv.Error:
            pass
        if record_start is None or record_start >= len(starts):
            return None
        length = byte_offset - starts[record_start]
        if not 0 <= length <= _COLUMN_SEARCH_BYTES:
            return None
        handle.seek(starts[record_start])
        prefix = handle.read(length).decode("utf-8", errors="replace")
    field, _open = _field_states(prefix.lstrip("\ufeff"), delimiter)
    return names[field] if field < len(names) else None


def write_utf8_copy(source: Path, encoding: str, target: Path, normalise_line_ends: bool) -> None:
    """Stream `source` into `target` as UTF-8 (no BOM), optionally with every CRLF/CR made LF.

    `target` appears whole or not at all: the copy is written aside and renamed
    when complete, so a file that fails to decode half-way leaves no partial
    copy for a later reader to take for the whole file.
    """
    partial = target.with_name(f"{target.name}.{os.getpid()}-{threading.get_ident()}.partial")
    try:
        _stream_utf8(source, encoding, partial, normalise_line_ends)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _stream_utf8(source: Path, encoding: str, target: Path, normalise_line_ends: bool) -> None:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    pending_cr = False
    with source.open("rb") as reader, target.open("w", encoding="utf-8", newline="") as writer:
        while True:
            chunk = reader.read(CHUNK_SIZE)
            text = decoder.decode(chunk, final=not chunk)
            if normalise_line_ends:
                if pending_cr:
                    text = "\r" + text
                pending_cr = bool(chunk) and text.endswith("\r")
                if pending_cr:
                    text = text[:-1]
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            writer.write(text.lstrip("\ufeff") if writer.tell() == 0 else text)
            if not chunk:
                break


@dataclasses.dataclass(frozen=True)
class Header:
    columns: list[str]
    delimiter: str


def read_header_candidates(readable_path: Path) -> list[Header]:
    """The header row split by `,` and by `;`, most fields first: the caller keeps the one that names a format."""
    with readable_path.open("rb") as handle:
        head = handle.read(HEADER_PEEK_BYTES)
    return header_candidates(head.decode("utf-8", errors="replace"))


def header_candidates(text: str) -> list[Header]:
    """read_header_candidates() of a text that begins with the header row."""
    text = text.lstrip("\ufeff")
    candidates = []
    for delimiter in (",", ";"):
        try:
            # newline="": the csv module then ends a row at CR alone too (Excel's "Macintosh" CSV).
            row = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True))
        except (StopIteration, csv.Error):
            continue
        candidates.append(Header([name.strip().strip("\ufeff") for name in row], delimiter))
    candidates.sort(key=lambda header: -len(header.columns))
    return candidates


def header_row_problem(readable_path: Path, delimiter: str) -> str | None:
    """What is wrong with the quoting of the header row, if anything.

    DuckDB skips a header row whose quotes do not balance by swallowing the
    rows after it, and then reads no row at all without an error: the header
    is checked here so that such a file is rejected instead of loaded empty.
    """
    with readable_path.open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
        try:
            next(reader)
        except StopIteration:
            return None
        except csv.Error as error:
            return f"malformed quoting in the header row ({error})"
        if reader.line_num != 1:
            return "a quote opened in the header row is not closed on that line"
        handle.seek(0)
        stray = _stray_quote(handle.readline().lstrip("\ufeff").rstrip("\r\n"), delimiter)
    if stray is not None:
        # Python's csv module reads it as a character of the name; DuckDB opens a quoted
        # field there, which swallows the rows after the header without an error.
        return f"a quote inside the unquoted column name {stray!r} of the header row (quote the whole name, doubling its quotes)"
    return None


def _stray_quote(line: str, delimiter: str) -> str | None:
    """The first field of a CSV line that holds a quote without being quoted, if any."""
    position = 0
    while position <= len(line):
        if line.startswith('"', position):
            position += 1
            while position < len(line):  # a quoted field: up to its closing quote ("" is a quote)
                if line[position] == '"':
                    if line.startswith('""', position):
                        position += 2
                        continue
                    break
                position += 1
            end = line.find(delimiter, position)
        else:
            end = line.find(delimiter, position)
            field = line[position:] if end < 0 else line[position:end]
            if '"' in field:
                return field
        if end < 0:
            return None
        position = end + 1
    return None


def _records(readable_path: Path, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Each record after the header, with the physical line it starts on (csv.Error at malformed quoting: `.line`)."""
    with readable_path.open("r", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
        record_start = 1
        try:
            for row in reader:
                if reader.line_num > 1:
                    yield record_start, row
                record_start = reader.line_num + 1
        except csv.Error as error:
            error.line = record_start
            raise


def locate_csv_structure_error(readable_path: Path, delimiter: str, expected_fields: int) -> tuple[int, str, str | None] | None:
    """Find the physical line of the first malformed record (only called after DuckDB refused the file).

    Python's csv module is used here because it counts physical lines; this runs
    once per rejected file, on the error path only.
    """
    try:
        for line, row in _records(readable_path, delimiter):
            if len(row) != expected_fields and row:
                return line, f"expected {expected_fields} fields, found {len(row)}", None
    except csv.Error as error:
        return error.line, f"malformed quoting ({error}); a quoted field is not closed", _unclosed_field(
            readable_path, error.line, delimiter
        )
    return None


def _unclosed_field(readable_path: Path, line: int, delimiter: str) -> str | None:
    """The header name of the field whose quote opens in the record starting at `line` and is never closed."""
    header = _likeliest_header(read_header_candidates(readable_path))
    if header is None:
        return None
    names = header.columns
    with readable_path.open("r", encoding="utf-8", newline="") as handle:
        for _ in range(line - 1):
            if not handle.readline():
                return None
        text = handle.read(_COLUMN_SEARCH_BYTES)
    _field, open_quote = _field_states(text, delimiter)
    return names[open_quote] if open_quote is not None and open_quote < len(names) else None


def locate_extra_fields(readable_path: Path, delimiter: str, expected_fields: int) -> tuple[int, str] | None:
    """The physical line of the first record with more fields than the header, and what it holds (the error path only).

    DuckDB reads such a record without a word when its extra fields are empty,
    dropping them: the values before them are then shifted by one column.
    """
    try:
        for line, row in _records(readable_path, delimiter):
            if len(row) > expected_fields:
                extra = row[expected_fields:]
                problem = f"expected {expected_fields} fields (the header's), found {len(row)}"
                if not any(extra):
                    problem += (
                        f"; the last {len(extra)} are empty: a value split in two by an unquoted {delimiter!r} "
                        f"(such as a count written 1{delimiter}234 without quotes), or a {delimiter!r} at the end of the line"
                    )
                return line, problem
    except csv.Error:
        return None
    return None


def locate_undecodable_text(path: Path, encoding: str) -> tuple[int | None, str | None]:
    """The line and column of the first character `encoding` cannot decode (a UTF-16 file cut in the middle of a
    character, a lone surrogate), found by decoding leniently; (None, None) when nothing is found. The error path only."""
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    line, line_text, header = 1, "", None
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(CHUNK_SIZE)
            text = decoder.decode(chunk, final=not chunk)  # the UTF-16 decoder takes the byte-order mark
            bad = text.find("\ufffd")
            upto = text if bad < 0 else text[:bad]
            breaks = upto.count("\n")
            if header is None and breaks:
                header = (line_text + upto).split("\n", 1)[0]
            line += breaks
            line_text = (line_text + upto).rsplit("\n", 1)[-1] if breaks else line_text + upto
            if len(line_text) > _COLUMN_SEARCH_BYTES:
                line_text = line_text[-_COLUMN_SEARCH_BYTES:]
            if bad >= 0:
                break
            if not chunk:
                return None, None
    found = _likeliest_header(header_candidates(header if header is not None else line_text))
    if found is None:
        return line, None
    names, delimiter = found.columns, found.delimiter
    field, _open = _field_states(line_text, delimiter)
    return line, names[field] if field < len(names) else None
