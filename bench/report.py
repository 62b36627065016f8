"""The printed table of `make bench`: one or a few rows per section present in the results."""

from __future__ import annotations

from typing import Any

from rich.table import Table


def _runs(ceiling: dict[str, Any]) -> str:
    return " and ".join(f"{v:,.0f}" for v in ceiling.get("runs", [])) or "one run"


def _ingest_rows(table: Table, results: dict[str, Any]) -> None:
    ratios = results.get("ratios", {})
    for r in results.get("ingest", []):
        name = "single events" if r["batch"] == 1 else f"batches of {r['batch']}"
        key = (
            "ingest_single_rps_vs_empty_endpoint_rps"
            if r["batch"] == 1
            else f"ingest_batch_{r['batch']}_vs_kafka_producer_perf"
        )
        share = ratios.get(key)
        table.add_row(
            f"POST {name} × {r['connections']} connections",
            f"{r['events_per_s']:,.0f} events/s ({r['requests_per_s']:,.0f} req/s, "
            f"p99 {r['p99_ms']} ms, errors {r['errors']}, wrk CPU {r['wrk_cpu_share']:.0%})",
            "—" if share is None else f"{share:.3f}",
        )
    if e := results.get("empty_endpoint"):
        table.add_row(
            f"  ceiling: empty endpoint (wrk, {e['connections']} connections)",
            f"{e['requests_per_s']:,.0f} req/s, mean of {_runs(e)} (wrk CPU "
            f"{e['wrk_cpu_share']:.0%})",
            "",
        )
    if k := results.get("kafka"):
        table.add_row(
            f"  ceiling: Kafka ProducerPerformance ({k['record_bytes']} B records)",
            f"{k['records_per_s']:,.0f} records/s, mean of {_runs(k)}",
            "",
        )


def _mode_rows(table: Table, modes: dict[str, Any]) -> None:
    for name, r in modes.items():
        txn, idem = r["transaction_per_group"], r["idempotent"]
        table.add_row(
            f"  Kafka, {name.replace('_', ' of ')} events: transaction vs idempotent",
            f"{txn['events_per_s']:,.0f} vs {idem['events_per_s']:,.0f} events/s "
            f"(p50 {txn['p50_ms']} vs {idem['p50_ms']} ms per group)",
            f"{r['events_per_s_ratio_txn_vs_idempotent']:.3f}",
        )


def _stack_rows(table: Table, results: dict[str, Any]) -> None:
    _ingest_rows(table, results)
    if modes := results.get("producer_modes"):
        _mode_rows(table, modes)
    if f := results.get("freshness"):
        _freshness_rows(table, f)


def _freshness_rows(table: Table, f: dict[str, Any]) -> None:
    if warm := f.get("warm_up"):
        table.add_row(
            "freshness: first events after start-up (warm-up)",
            f"slowest raw row {warm['raw_row']['max_ms']} ms, "
            f"rollup row {warm['rollup_row']['max_ms']} ms ({warm['events']} events)",
            "",
        )
    top = f["sustained_maximum"]
    table.add_row(
        "pipeline's sustained maximum (POST to stored)",
        f"{top['events_per_s']:,} events/s ({top['accepted_events_per_s']:,} accepted/s)",
        "",
    )
    for run in f["steady"]:
        half = " (half the maximum)" if run.get("half_of_sustained_maximum") else ""
        for row in ("raw_row", "rollup_row"):
            lag, what = run[row], row.replace("_", " ")
            table.add_row(
                f"freshness at {run['rate_events_per_s']:,} events/s{half}, {what}",
                f"p50 {lag['p50_ms']} ms, p95 {lag['p95_ms']} ms, p99 {lag['p99_ms']} ms "
                f"({lag['visible']}/{run['events']} visible)",
                "",
            )


def _worker_rows(table: Table, w: dict[str, Any]) -> None:
    table.add_row(
        f"worker, 1 process, {w['events']:,} events (sink included)",
        f"{w['events_per_s']:,.0f} events/s "
        f"({w['events_per_s_including_startup']:,.0f} with start-up)",
    )
    table.add_row(
        "  same topic, bare aiokafka consume",
        f"{w['bare_consume_events_per_s']:,.0f} events/s "
        f"(with decoding {w['consume_and_decode_events_per_s']:,.0f}); "
        f"worker/bare {w['worker_vs_bare_consume']:.3f}",
    )


def _query_rows(table: Table, q: dict[str, Any]) -> None:
    table.add_row(f"queries on {q['events']:,} events", f"loaded in {q['load_seconds']} s")
    for name, r in q["questions"].items():
        v, raw = r["views"], r["raw_events"]
        table.add_row(
            f"  {name.replace('_', ' ')}",
            f"views p50 {v['p50_ms']:,.0f} / p95 {v['p95_ms']:,.0f} ms; raw p50 "
            f"{raw['p50_ms']:,.0f} / p95 {raw['p95_ms']:,.0f} ms; ratio "
            f"{r['p50_ratio_views_vs_raw']} (agree: {r['agree']})",
        )
    if fresh := q.get("rollup_refresh"):
        ins, ref, d = fresh["insert"], fresh["refresh"], fresh["deferred"]
        table.add_row(
            f"  a {fresh['batch_events']:,}-event batch: insert, recompute",
            f"insert p50 {ins['p50_ms']:,.0f} ms; every key after its batch p50 "
            f"{ref['p50_ms']:,.0f} / p95 {ref['p95_ms']:,.0f} ms: "
            f"{fresh['insert_and_refresh_events_per_s']:,} events/s",
        )
        table.add_row(
            "  the same, old days deferred",
            f"live days p50 {d['refresh_of_live_days']['p50_ms']:,.0f} ms per batch, "
            f"{d['old_days']} old days once in {d['old_days_refresh_once_s']} s: "
            f"{d['insert_and_refresh_events_per_s']:,} events/s",
        )


def _endpoint_rows(table: Table, e: dict[str, Any]) -> None:
    for name, r in e["small_queries"].items():
        table.add_row(
            f"endpoint {name.replace('_', ' ')}",
            f"p50 {r['endpoint']['p50_ms']} ms vs in-process "
            f"{r['in_process']['p50_ms']} ms (+{r['overhead_p50_ms']} ms)",
        )
    bulk = e["bulk"]
    for name, value in bulk["rows_per_s"].items():
        share = bulk["ratios_vs_in_process"].get(name)
        suffix = f" ({share:.3f} of in-process)" if share is not None else ""
        table.add_row(
            f"  {bulk['rows']:,} rows {name.replace('_', ' ')}", f"{value:,.0f} rows/s{suffix}"
        )


def build_table(results: dict[str, Any], sections: list[str]) -> Table:
    """A table of ``sections`` of ``results`` (those missing from the results are skipped)."""
    table = Table("measure", "value", "ratio to its ceiling", title="Pulse benchmarks")
    _stack_rows(table, {k: v for k, v in results.items() if k in sections or k == "ratios"})
    for name, rows in (
        ("worker", _worker_rows),
        ("queries", _query_rows),
        ("endpoint", _endpoint_rows),
    ):
        if name in sections and name in results:
            rows(table, results[name])
    if env := results.get("environment"):
        table.add_row(
            "machine",
            f"{env['cpus']} CPUs, load average {env['loadavg_before']} "
            f"before, {env['loadavg_after']} after",
        )
    return table
