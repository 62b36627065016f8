"""The analyst's fence, on ClickHouse's own parse of the statement.

chDB's ``formatQuery`` re-prints the statement as ClickHouse parsed it: comments (nested ones
too) are gone, heredocs ($$...$$, $tag$...$tag$) are plain string literals, `quoted` and "quoted"
names are bare, odd whitespace is a space. The lexer then reads that canonical text, and
``EXPLAIN AST`` lists every function the parse calls (table functions and table engines
included), so nothing a quoting or comment trick hides from a hand-written lexer gets through.
"""

from __future__ import annotations

from typing import Any

from clickhouse.server.auth import Principal
from clickhouse.server.errors import ACCESS_DENIED, READONLY, error, from_engine
from clickhouse.server.params import quote_literal
from clickhouse.server.policy import check as lexical_check
from clickhouse.server.policy import source_grant
from clickhouse.server.statement import Token, tokens

# Settings that bound an analyst's query; the analyst may not name them at all.
LIMIT_SETTINGS = frozenset(
    {
        "max_execution_time",
        "max_execution_time_leaf",
        "timeout_overflow_mode",
        "timeout_overflow_mode_leaf",
        "max_memory_usage",
        "max_memory_usage_for_user",
        "max_result_rows",
        "max_result_bytes",
        "result_overflow_mode",
        "readonly",
        "profile",
    }
)


def canonical(conn: Any, sql: str) -> str:
    """The statement as ClickHouse's parser prints it; its syntax error if it does not parse."""
    try:
        result = conn.query(f"SELECT formatQuery({quote_literal(sql)})", "TabSeparatedRaw")
    except RuntimeError as exc:
        raise from_engine(exc) from exc
    return bytes(result.bytes()).decode("utf-8", errors="replace").strip()


def ast_functions(conn: Any, sql: str, bind: dict[str, str]) -> set[str]:
    """Lower-cased names of every ``Function`` node in ClickHouse's AST of ``sql``."""
    try:
        result = conn.query(f"EXPLAIN AST {sql}", "TabSeparatedRaw", params=bind)
    except RuntimeError as exc:
        raise from_engine(exc) from exc
    found = set()
    for line in bytes(result.bytes()).decode("utf-8", errors="replace").splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "Function":
            found.add(words[1].lower())
    return found


_ENDS_SETTINGS = frozenset({"FORMAT", "FROM", "WHERE", "SELECT", "UNION", "INTO", "WITH"})


def changed_settings(sql: str) -> set[str]:
    """Names a statement assigns in a ``SET`` statement or a ``SETTINGS`` clause (any depth)."""
    found: set[str] = set()
    listed = list(tokens(sql))
    in_list = bool(listed) and listed[0].text.upper() == "SET"
    before: list[Token | None] = [None, *listed[:-1]]
    for previous, token, after in zip(before, listed, [*listed[1:], None], strict=True):
        word = token.text.upper() if token.kind == "word" else ""
        if word == "SETTINGS" and (previous is None or previous.text != "."):
            in_list = True
        elif word in _ENDS_SETTINGS or token.text == ")":
            in_list = False
        elif in_list and token.kind in {"word", "name"} and after and after.text == "=":
            found.add(token.text.lower())
    return found


def named_limits(sql: str, settings: dict[str, str]) -> list[str]:
    """Limit settings a request changes, in its URL or form parameters or in its SQL."""
    named = {name.lower() for name in settings} | changed_settings(sql)
    return sorted(named & LIMIT_SETTINGS)


def check_analyst(
    conn: Any,
    principal: Principal,
    sql: str,
    bind: dict[str, str],
    settings: dict[str, str],
    fenced: frozenset[str],
) -> None:
    """Refuse what the analyst may not run, judged on ClickHouse's parse of ``sql``."""
    text = canonical(conn, sql)
    lexical_check(principal, text, fenced, False)
    limits = named_limits(text, settings)
    if limits:
        raise error(
            READONLY,
            f"{principal.name}: Cannot modify '{limits[0]}' setting: analyst queries run under "
            "the endpoint's limits (CLICKHOUSE_ANALYST_*), which the analyst cannot change",
        )
    denied = sorted(ast_functions(conn, text, bind) & fenced)
    if denied:
        raise error(
            ACCESS_DENIED,
            f"{principal.name}: Not enough privileges. To execute this query, it's "
            f"necessary to have the grant {source_grant(denied[0])}",
        )
