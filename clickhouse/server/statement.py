"""Just enough SQL lexing to route a request: where an INSERT's data starts, its format, the
output format, and which functions a query calls. Strings, quoted names and comments are skipped
so that words inside them never count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_SPACE = re.compile(r"\s+")
_QUOTES = {"'": "string", '"': "name", "`": "name"}
READ_ONLY_KEYWORDS = frozenset({"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN"})
# Statements that return a result set (and so an ``X-ClickHouse-Format`` header).
RESULT_KEYWORDS = READ_ONLY_KEYWORDS | {"CHECK", "VALUES", "FROM"}


@dataclass(frozen=True)
class Token:
    """A lexical token: ``word``, ``name`` (quoted identifier), ``string`` or ``symbol``."""

    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class InsertData:
    """An INSERT with data after it: the statement, the data's format, where the data starts."""

    statement: str
    fmt: str
    data_start: int


def _quoted_end(text: str, pos: int) -> int:
    quote = text[pos]
    i = pos + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == quote:
            if text[i + 1 : i + 2] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return len(text)


def _skip(text: str, pos: int) -> int:
    """Past whitespace and comments."""
    while pos < len(text):
        space = _SPACE.match(text, pos)
        if space:
            pos = space.end()
        elif text.startswith("--", pos) or text.startswith("#", pos):
            newline = text.find("\n", pos)
            pos = len(text) if newline < 0 else newline + 1
        elif text.startswith("/*", pos):
            close = text.find("*/", pos + 2)
            pos = len(text) if close < 0 else close + 2
        else:
            break
    return pos


def tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text``, lazily, so that callers may stop at the start of binary data."""
    pos = _skip(text, 0)
    while pos < len(text):
        char = text[pos]
        if char in _QUOTES:
            end = _quoted_end(text, pos)
            yield Token(_QUOTES[char], text[pos + 1 : end - 1], pos, end)
        elif word := _WORD.match(text, pos):
            end = word.end()
            yield Token("word", word.group(), pos, end)
        else:
            end = pos + 1
            yield Token("symbol", char, pos, end)
        pos = _skip(text, end)


def first_keyword(text: str) -> str:
    """The statement's first word, upper-cased (``SELECT``, ``INSERT``, ...), or ``""``."""
    for token in tokens(text):
        return token.text.upper() if token.kind == "word" else ""
    return ""


def _data_start(text: str, pos: int) -> int:
    """Data starts after the first newline that follows the format name, else after the spaces."""
    i = pos
    while i < len(text) and text[i] in " \t\r\n":
        if text[i] == "\n":
            return i + 1
        i += 1
    return i


def insert_data(text: str) -> InsertData | None:
    """Where an INSERT's inline data starts (after ``FORMAT name`` or ``VALUES``).

    None when ``text`` is not an INSERT, is ``INSERT ... SELECT``, or has not shown its format
    yet (the caller may read more of the body and ask again).
    """
    stream = tokens(text)
    first = next(stream, None)
    if first is None or first.text.upper() != "INSERT":
        return None
    depth = 0
    for token in stream:
        word = token.text.upper() if token.kind == "word" else ""
        if token.kind == "symbol" and token.text in "()":
            depth += 1 if token.text == "(" else -1
        elif depth == 0 and word in {"SELECT", "WITH"}:
            return None
        elif depth == 0 and word == "VALUES":
            return InsertData(text[: token.start].rstrip(), "Values", token.end)
        elif depth == 0 and word == "FORMAT":
            name = next(stream, None)
            if name is None or name.kind not in {"word", "name"} or name.end >= len(text):
                return None
            return InsertData(text[: token.start].rstrip(), name.text, _data_start(text, name.end))
    return None


def output_format(text: str) -> str | None:
    """The format named by a query's own top-level ``FORMAT`` clause, if it has one."""
    found = None
    depth = 0
    previous = ""
    for token in tokens(text):
        if token.kind == "symbol" and token.text in "()":
            depth += 1 if token.text == "(" else -1
        elif depth == 0 and previous == "FORMAT" and token.kind in {"word", "name"}:
            found = token.text
        previous = token.text.upper() if token.kind == "word" and depth == 0 else ""
    return found


def called_functions(text: str) -> set[str]:
    """Lower-cased names of everything called in ``text`` (a name followed by ``(``)."""
    called: set[str] = set()
    previous: Token | None = None
    for token in tokens(text):
        if token.text == "(" and previous is not None and previous.kind in {"word", "name"}:
            called.add(previous.text.lower())
        previous = token
    return called


def writes_to_file(text: str) -> bool:
    """True when the query asks for ``INTO OUTFILE``."""
    previous = ""
    for token in tokens(text):
        word = token.text.upper() if token.kind == "word" else ""
        if previous == "INTO" and word == "OUTFILE":
            return True
        previous = word
    return False


def returns_rows(text: str) -> bool:
    """True when the statement produces a result set, not only a summary (DDL, INSERT, SET)."""
    for token in tokens(text):
        return token.text == "(" or (token.kind == "word" and token.text.upper() in RESULT_KEYWORDS)
    return False
