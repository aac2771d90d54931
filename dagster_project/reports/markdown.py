"""Just enough Markdown to show docs/metrics.md as the report's definitions appendix.

The text is parsed into blocks of plain strings (headings, paragraphs, lists,
tables, code) that the templates write with autoescaping, so the file can
never inject markup: a `<b>` in it is shown as the characters `<b>`.
Inline code and bold are kept; links keep their text and address as text.
"""

from __future__ import annotations

import dataclasses
import re

_INLINE = re.compile(r"(`[^`]+`|\*\*[^*]+\*\*)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


@dataclasses.dataclass(frozen=True)
class Span:
    text: str
    style: str  # "text", "code" or "strong"


@dataclasses.dataclass(frozen=True)
class Block:
    kind: str  # "heading", "paragraph", "list", "table" or "code"
    level: int = 0  # headings only
    spans: list[Span] = dataclasses.field(default_factory=list)  # heading, paragraph
    items: list[list[Span]] = dataclasses.field(default_factory=list)  # list items
    header: list[list[Span]] = dataclasses.field(default_factory=list)  # table
    rows: list[list[list[Span]]] = dataclasses.field(default_factory=list)  # table
    code: str = ""


def inline_spans(text: str) -> list[Span]:
    """`code` and **bold** as their own spans; everything else as text."""
    spans = []
    for piece in _INLINE.split(text):
        if not piece:
            continue
        if piece.startswith("`") and piece.endswith("`") and len(piece) > 1:
            spans.append(Span(piece[1:-1], "code"))
        elif piece.startswith("**") and piece.endswith("**") and len(piece) > 3:
            spans.append(Span(piece[2:-2], "strong"))
        else:
            spans.append(Span(piece, "text"))
    return spans


def plain_text(spans: list[Span]) -> str:
    """The spans' text without their styles, for the PDF."""
    return "".join(span.text for span in spans)


def _table_cells(line: str) -> list[list[Span]]:
    return [inline_spans(cell.strip()) for cell in line.strip().strip("|").split("|")]


def parse_blocks(markdown: str) -> list[Block]:
    """The Markdown text as a list of blocks, in order."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        if not stripped:
            index += 1
        elif stripped.startswith("```"):
            end = index + 1
            while end < len(lines) and not lines[end].strip().startswith("```"):
                end += 1
            blocks.append(Block("code", code="\n".join(lines[index + 1:end])))
            index = end + 1
        elif line.startswith("    ") or line.startswith("\t"):
            end = index
            while end < len(lines) and (lines[end].startswith(("    ", "\t")) or not lines[end].strip()):
                end += 1
            blocks.append(Block("code", code="\n".join(text[4:] if text.startswith("    ") else text.lstrip("\t")
                                                       for text in lines[index:end]).rstrip("\n")))
            index = end
        elif stripped.startswith("#"):
            level = len(stripped) - len(stripped.lstrip("#"))
            blocks.append(Block("heading", level=min(level, 6), spans=inline_spans(stripped[level:].strip())))
            index += 1
        elif stripped.startswith("|"):
            table_lines = []
            while index < len(lines) and lines[index].strip().startswith("|"):
                table_lines.append(lines[index].strip())
                index += 1
            body = [text for text in table_lines[1:] if not _TABLE_SEPARATOR.match(text)]
            blocks.append(Block("table", header=_table_cells(table_lines[0]),
                                rows=[_table_cells(text) for text in body]))
        elif _LIST_ITEM.match(line):
            items: list[str] = []
            while index < len(lines) and lines[index].strip():
                if _LIST_ITEM.match(lines[index]):
                    items.append(_LIST_ITEM.sub("", lines[index]).strip())
                else:  # a wrapped line continues the item above
                    items[-1] += " " + lines[index].strip()
                index += 1
            blocks.append(Block("list", items=[inline_spans(item) for item in items]))
        else:
            paragraph = []
            while index < len(lines) and lines[index].strip() and not _starts_block(lines[index]):
                paragraph.append(lines[index].strip())
                index += 1
            blocks.append(Block("paragraph", spans=inline_spans(" ".join(paragraph))))
    return blocks


def _starts_block(line: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(("#", "|", "```")) or bool(_LIST_ITEM.match(line))
