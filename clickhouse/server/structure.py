"""External data structures (``N_structure``, ``N_types``): a column list, and nothing else.

The structure is pasted into ``CREATE TEMPORARY TABLE N (...)``, so it is parsed here as names and
types only: a name (identifier, `backquoted` or "double-quoted") then a type, ``Ident`` or
``Ident(arg, ...)`` where an argument is a type, a number, a 'string', ``'name' = number`` (Enum)
or ``name Type`` (Tuple, Nested). No DEFAULT, no expression, no closing parenthesis of our own:
anything else is refused before it reaches SQL.
"""

from __future__ import annotations

import re

from clickhouse.exceptions import EndpointError
from clickhouse.server.errors import BAD_ARGUMENTS, error

_TOKEN = re.compile(
    r"\s*(?:(?P<ident>[A-Za-z_][A-Za-z0-9_]*)|(?P<quoted>`(?:[^`\\]|``)+`|\"(?:[^\"\\]|\"\")+\")"
    r"|(?P<number>-?[0-9]+)|(?P<string>'(?:[^'\\]|'')*')|(?P<symbol>[(),=]))"
)


class _Refused(Exception):
    pass


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        while text[pos:].strip():
            match = _TOKEN.match(text, pos)
            if match is None or match.lastgroup is None:
                raise _Refused
            self.tokens.append((match.lastgroup, match.group(match.lastgroup)))
            pos = match.end()
        self.i = 0

    def peek(self, offset: int = 0) -> tuple[str, str]:
        at = self.i + offset
        return self.tokens[at] if at < len(self.tokens) else ("end", "")

    def take(self, *kinds: str) -> str:
        kind, text = self.peek()
        if kind not in kinds and text not in kinds:
            raise _Refused
        self.i += 1
        return text

    def data_type(self) -> str:
        name = self.take("ident")
        if self.peek()[1] != "(":
            return name
        self.take("(")
        args = [self.argument()]
        while self.peek()[1] == ",":
            self.take(",")
            args.append(self.argument())
        self.take(")")
        return f"{name}({', '.join(args)})"

    def argument(self) -> str:
        kind, text = self.peek()
        if kind == "number":
            return self.take("number")
        if kind == "string":
            self.take("string")
            if self.peek()[1] == "=":
                self.take("=")
                return f"{text} = {self.take('number')}"
            return text
        if kind == "quoted" or (kind == "ident" and self.peek(1)[0] in {"ident", "quoted"}):
            return f"{self.take('ident', 'quoted')} {self.data_type()}"
        return self.data_type()

    def column(self) -> str:
        return f"{self.take('ident', 'quoted')} {self.data_type()}"

    def listing(self, item: str) -> list[str]:
        parse = self.column if item == "column" else self.data_type
        items = [parse()]
        while self.peek()[1] == ",":
            self.take(",")
            items.append(parse())
        if self.peek()[0] != "end":
            raise _Refused
        return items


def _refuse(table: str, text: str) -> EndpointError:
    return error(
        BAD_ARGUMENTS,
        f"External table {table}: {text!r} is not a list of column names and types; give "
        "names and types only, such as 'id UInt32, name String'",
    )


def parse_structure(table: str, structure: str) -> str:
    """``structure`` checked as ``name Type, ...``; BAD_ARGUMENTS (36) for anything else."""
    try:
        return ", ".join(_Parser(structure).listing("column"))
    except _Refused:
        raise _refuse(table, structure) from None


def parse_types(table: str, types: str) -> str:
    """``N_types`` (``UInt32, String``) as the columns ``_1 UInt32, _2 String``."""
    try:
        found = _Parser(types).listing("type")
    except _Refused:
        raise _refuse(table, types) from None
    return ", ".join(f"_{i} {t}" for i, t in enumerate(found, 1))
