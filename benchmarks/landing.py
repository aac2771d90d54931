"""Which landing file holds what: the header sniffing shared by the floor and the pandas implementation.

Both reference implementations read the same files as the pipeline
(`../shared/spec/LANDING.md`): every `*.csv` under the landing directory, its
format recognised from its header row. This module only looks at each file's
first bytes (BOM, header line); it never reads a whole file, so it costs
nothing next to the work it is shared by.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
import os
from pathlib import Path

HEADER_PEEK_BYTES = 1 << 16

# Signature columns of LANDING.md section 2 and 3, most specific first.
SIGNATURES = (
    ("instagram_posts", ("post id", "account username", "publish time", "post type")),
    ("x_tweet_activity", ("tweet id", "tweet permalink", "time")),
    ("x_content", ("post id", "post link", "date")),
    ("canonical_posts", ("platform", "handle", "post_id", "published_at")),
    ("follower_snapshots", ("platform", "handle", "date", "followers")),
    ("accounts", ("panel", "platform", "handle", "account_type")),
)
POST_FORMATS = ("x_tweet_activity", "x_content", "instagram_posts", "canonical_posts")

# Older exports name some columns differently; each implementation reads one name.
RENAMED_COLUMNS = {
    "x_tweet_activity": {"favorites": "likes"},
    "instagram_posts": {"impressions": "views"},
}


@dataclasses.dataclass(frozen=True)
class LandingFile:
    path: Path
    relative_path: str  # as the pipeline's file_path: relative to the landing directory, POSIX
    format: str
    columns: tuple[str, ...]  # lowercase, renamed as RENAMED_COLUMNS says, unique
    delimiter: str
    encoding: str  # from the byte-order mark: utf-16, utf-8 (BOM or none); cp1252 is told by decoding


def landing_csv_files(landing_dir: Path) -> list[tuple[str, Path]]:
    """Every `*.csv` under the landing directory, as the pipeline lists them: no hidden files, no links."""
    found = []
    for root, dirs, files in os.walk(landing_dir, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not os.path.islink(os.path.join(root, d)))
        for name in files:
            path = Path(root) / name
            if name.startswith(".") or path.is_symlink() or not name.lower().endswith(".csv"):
                continue
            found.append((path.relative_to(landing_dir).as_posix(), path))
    return sorted(found)


def _bom_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    return "utf-8"


def _normalised(format_name: str, header: list[str]) -> tuple[str, ...]:
    names = [name.strip().lstrip("\ufeff").strip().lower() for name in header]
    for old, new in RENAMED_COLUMNS.get(format_name, {}).items():
        if new not in names:
            names = [new if name == old else name for name in names]
    unique: list[str] = []
    for index, name in enumerate(names):
        name = name or f"column{index + 1}"
        while name in unique:
            name += "_"
        unique.append(name)
    return tuple(unique)


def sniff(relative_path: str, path: Path) -> LandingFile:
    """Format, columns, delimiter and BOM encoding of one landing file, from its first bytes."""
    with path.open("rb") as handle:
        head = handle.read(HEADER_PEEK_BYTES)
    encoding = _bom_encoding(head)
    text = head.decode("utf-16" if encoding == "utf-16" else "utf-8", errors="replace").lstrip("\ufeff")
    first_line = text.splitlines()[0] if text else ""
    candidates = []
    for delimiter in (",", ";"):
        row = next(csv.reader(io.StringIO(first_line), delimiter=delimiter), [])
        candidates.append((len(row), delimiter, row))
    for _fields, delimiter, row in sorted(candidates, reverse=True):
        names = {name.strip().lstrip("\ufeff").strip().lower() for name in row}
        for format_name, signature in SIGNATURES:
            if set(signature) <= names:
                if format_name == "accounts" and relative_path != "accounts.csv":
                    break
                return LandingFile(path, relative_path, format_name, _normalised(format_name, row), delimiter, encoding)
    raise ValueError(f"{relative_path}: unrecognised header {first_line[:120]!r}")


def sniff_landing(landing_dir: Path) -> list[LandingFile]:
    return [sniff(relative, path) for relative, path in landing_csv_files(landing_dir)]


def is_utf8(path: Path) -> bool:
    """Whether the whole file decodes as UTF-8 (the slow check: it reads every byte)."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 24):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
