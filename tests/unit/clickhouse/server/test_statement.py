from __future__ import annotations

from clickhouse.server.statement import (
    called_functions,
    first_keyword,
    insert_data,
    output_format,
    writes_to_file,
)


def test_native_insert_data_starts_after_the_newline() -> None:
    text = "INSERT INTO t (`a`, `b`) FORMAT Native\n\x02\x0a\x00binary"
    found = insert_data(text)
    assert found is not None
    assert (found.statement, found.fmt) == ("INSERT INTO t (`a`, `b`)", "Native")
    assert text[found.data_start :] == "\x02\x0a\x00binary"


def test_values_insert_data_starts_after_values() -> None:
    found = insert_data("INSERT INTO t VALUES (1), (2)")
    assert found is not None
    assert (found.statement, found.fmt) == ("INSERT INTO t", "Values")
    assert "INSERT INTO t VALUES (1), (2)"[found.data_start :] == " (1), (2)"


def test_insert_select_and_other_statements_have_no_inline_data() -> None:
    assert insert_data("INSERT INTO t SELECT * FROM s FORMAT Native") is None
    assert insert_data("SELECT 1 FORMAT Native\n") is None


def test_format_name_cut_by_the_chunk_boundary_waits_for_more() -> None:
    assert insert_data("INSERT INTO t FORMAT Nat") is None


def test_words_inside_strings_and_comments_do_not_count() -> None:
    assert output_format("SELECT 'FORMAT CSV' -- FORMAT JSON\n FORMAT TSV") == "TSV"
    assert output_format("SELECT 1") is None
    assert first_keyword("/* hi */ -- x\n insert into t") == "INSERT"


def test_called_functions_include_quoted_and_spaced_names() -> None:
    sql = "SELECT file ('x'), `URL`('y') FROM s3 /* c */ ('z') WHERE 'file(' = ''"
    assert called_functions(sql) == {"file", "url", "s3"}


def test_into_outfile_is_seen_outside_strings_only() -> None:
    assert writes_to_file("SELECT 1 INTO  OUTFILE 'x'")
    assert not writes_to_file("SELECT 'INTO OUTFILE'")
