"""The migrations rendered for a ClickHouse cluster (``PULSE_CLICKHOUSE_CLUSTER``).

Each single-node statement becomes its cluster form, generically, by the kind of statement:

- a ``*MergeTree`` table ``t`` becomes two: ``t_local``, the same columns, keys and comments with
  a ``Replicated*MergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', ...)``
  engine on every node, and ``t`` itself, a ``Distributed`` table over every shard's ``t_local``
  sharded by a hash of the sorting key. Rows that a ReplacingMergeTree collapses share their whole
  sorting key, so they always land on the same shard, where merges and ``FINAL`` collapse them;
  the worker, the views and the rollups keep writing and reading ``t`` unchanged;
- ``ALTER TABLE t``, ``OPTIMIZE`` and ``TRUNCATE`` reach the storage, ``t_local`` (column changes
  reach both, so the ``Distributed`` table keeps the same columns); ``DROP TABLE t`` drops both;
- views, databases and every other DDL get ``ON CLUSTER``; ``INSERT`` is left as it is (it runs
  once, through the ``Distributed`` table). A materialized view fires on the shard's storage
  (``FROM t_local``) and writes through the ``Distributed`` target, which shards its rows.

A statement of any other kind is refused with :class:`ClusterRenderError`, so a new migration
that this module cannot place fails the tests instead of going half-distributed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from clickhouse.exceptions import ClickHouseComponentError

REPLICA_PATH = "/clickhouse/tables/{shard}/{database}/{table}"
REPLICA_NAME = "{replica}"
LOCAL_SUFFIX = "_local"
_CLUSTER_NAME = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_-]{0,63}|\{[a-z_]+\})$")
_NAME = r"(?:`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)"
_QUALIFIED = rf"{_NAME}(?:\.{_NAME})?"
_LEAD = re.compile(r"\A(?:\s*--[^\n]*\n)*\s*")
_HEAD = re.compile(
    r"(?P<verb>CREATE\s+(?:OR\s+REPLACE\s+)?(?:MATERIALIZED\s+VIEW|VIEW|TABLE|DICTIONARY|DATABASE)"
    r"(?:\s+IF\s+NOT\s+EXISTS)?"
    r"|ALTER\s+TABLE|OPTIMIZE\s+TABLE|TRUNCATE\s+TABLE(?:\s+IF\s+EXISTS)?"
    r"|DROP\s+(?:TABLE|VIEW|DICTIONARY|DATABASE)(?:\s+IF\s+EXISTS)?|INSERT\s+INTO)"
    rf"\s+(?P<name>{_QUALIFIED})",
    re.IGNORECASE,
)
_ENGINE = re.compile(
    r"^(?P<lead>ENGINE\s*=\s*)(?P<family>[A-Za-z]*)MergeTree\b(?:\((?P<args>[^)]*)\))?",
    re.MULTILINE,
)
_ORDER_BY = re.compile(r"^ORDER\s+BY\s+(?P<key>.+?)\s*$", re.MULTILINE)
_COLUMN_ALTER = re.compile(
    r"^\s*(?:ADD|DROP|MODIFY|RENAME|COMMENT)\s+COLUMN\b", re.IGNORECASE | re.MULTILINE
)
_MV_TO = re.compile(rf"\bTO\s+(?P<target>{_QUALIFIED})", re.IGNORECASE)


class ClusterRenderError(ClickHouseComponentError):
    """A migration has no cluster form yet; the message says what to teach this module."""


def _table(name: str) -> str:
    """The table part of ``db.table`` without back quotes."""
    return name.rsplit(".", 1)[-1].strip("`")


def _database(name: str) -> str:
    return name.rsplit(".", 1)[0].strip("`") if "." in name else ""


def _local(name: str) -> str:
    """``db.t`` -> ``db.t_local``, keeping the quoting style of the table part."""
    database, dot, table = name.rpartition(".")
    if table.startswith("`"):
        return f"{database}{dot}`{table.strip('`')}{LOCAL_SUFFIX}`"
    return f"{database}{dot}{table}{LOCAL_SUFFIX}"


def _after_lead(sql: str) -> int:
    """Where the statement starts after leading comments and blanks (``_LEAD`` always matches)."""
    lead = _LEAD.match(sql)
    return lead.end() if lead else 0


def storage_tables(statements: Iterable[str]) -> frozenset[str]:
    """The tables (names without database) that ``statements`` create with a MergeTree engine."""
    found: set[str] = set()
    for sql in statements:
        head = _HEAD.match(sql, _after_lead(sql))
        if head is None:
            continue
        verb = head.group("verb").upper().split()
        if verb[:1] == ["CREATE"] and "TABLE" in verb and _ENGINE.search(sql):
            found.add(_table(head.group("name")))
    return frozenset(found)


def sharding_key(order_by: str) -> str:
    """A hash of the whole sorting key: rows that collapse into one always share a shard."""
    key = order_by.strip()
    if key.lower() in {"tuple()", "()"}:
        return "rand()"
    if key.startswith("(") and key.endswith(")") and _balanced(key[1:-1]):
        key = key[1:-1]
    return f"cityHash64({key})"


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


@dataclass(frozen=True)
class ClusterDDL:
    """Renders single-node statements for the ClickHouse cluster ``cluster``."""

    cluster: str
    storage: frozenset[str]

    def __post_init__(self) -> None:
        if not _CLUSTER_NAME.match(self.cluster):
            raise ClusterRenderError(
                f"cluster name {self.cluster!r}: use letters, digits, '_' and '-' (as in the "
                "server's remote_servers), or a macro such as {cluster}"
            )

    @property
    def on_cluster(self) -> str:
        return f"ON CLUSTER '{self.cluster}'"

    def statements(self, sql: str) -> list[str]:
        """The cluster form of one single-node statement, in the order to run them."""
        start = _after_lead(sql)
        head = _HEAD.match(sql, start)
        if head is None:
            first = sql[start:].split(None, 2)[:2]
            raise ClusterRenderError(
                f"cannot render {' '.join(first)!r} for a cluster: teach clickhouse/cluster.py "
                "this kind of statement"
            )
        verb = " ".join(head.group("verb").upper().split())
        name = head.group("name")
        storage = _table(name) in self.storage
        if verb.startswith("INSERT"):
            return [sql]
        if verb.startswith("CREATE") and "TABLE" in verb.split() and _ENGINE.search(sql):
            return self._storage_table(sql, head)
        if verb.startswith("CREATE MATERIALIZED VIEW") or verb.startswith(
            "CREATE OR REPLACE MATERIALIZED VIEW"
        ):
            return [self._materialized_view(sql, head)]
        if storage and verb.startswith(("ALTER", "OPTIMIZE", "TRUNCATE")):
            local = self._put(sql, head, _local(name))
            both = verb.startswith("ALTER") and _COLUMN_ALTER.search(sql[head.end() :])
            return [local, self._put(sql, head, name)] if both else [local]
        if storage and verb.startswith("DROP TABLE"):
            return [self._put(sql, head, name), self._put(sql, head, _local(name)) + " SYNC"]
        return [self._put(sql, head, name)]

    def _put(self, sql: str, head: re.Match[str], name: str) -> str:
        """``sql`` with its object renamed to ``name`` and ``ON CLUSTER`` after it."""
        return f"{sql[: head.start('name')]}{name} {self.on_cluster}{sql[head.end() :]}"

    def _storage_table(self, sql: str, head: re.Match[str]) -> list[str]:
        name = head.group("name")
        local = self._put(sql, head, _local(name))
        local = _ENGINE.sub(self._replicated, local, count=1)
        order_by = _ORDER_BY.search(sql)
        if order_by is None:
            raise ClusterRenderError(f"{name}: a MergeTree table without ORDER BY")
        exists = " IF NOT EXISTS" if "IF NOT EXISTS" in head.group("verb").upper() else ""
        distributed = (
            f"-- Reads and writes of {_table(name)} go through every shard's "
            f"{_table(name)}{LOCAL_SUFFIX}; rows sharing a sorting key share a shard.\n"
            f"CREATE TABLE{exists} {name} {self.on_cluster}\nAS {_local(name)}\n"
            f"ENGINE = Distributed('{self.cluster}', '{_database(name)}', "
            f"'{_table(name)}{LOCAL_SUFFIX}', {sharding_key(order_by.group('key'))})"
        )
        return [local, distributed]

    @staticmethod
    def _replicated(match: re.Match[str]) -> str:
        family = match.group("family")
        if family.startswith("Replicated"):
            return match.group(0)
        args = [f"'{REPLICA_PATH}'", f"'{REPLICA_NAME}'"]
        if match.group("args") and match.group("args").strip():
            args.append(match.group("args").strip())
        return f"{match.group('lead')}Replicated{family}MergeTree({', '.join(args)})"

    def _materialized_view(self, sql: str, head: re.Match[str]) -> str:
        rendered = self._put(sql, head, head.group("name"))
        body_start = rendered.upper().find(" AS ", head.end())
        if body_start < 0 or not _MV_TO.search(rendered[: body_start + 1]):
            raise ClusterRenderError(
                f"{head.group('name')}: a materialized view needs TO <table> on a cluster, so "
                "that its rows go through the target's Distributed table"
            )
        body = rendered[body_start:]
        for table in sorted(self.storage, key=len, reverse=True):
            body = re.sub(
                rf"(\bFROM\s+(?:{_NAME}\.)?`?){re.escape(table)}\b(`?)",
                rf"\g<1>{table}{LOCAL_SUFFIX}\g<2>",
                body,
            )
        return rendered[:body_start] + body
