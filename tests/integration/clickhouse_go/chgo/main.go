// chgo runs the kinds of queries Grafana's ClickHouse plugin sends, through clickhouse-go v2 over
// HTTP (the driver inside the plugin), against the address given in CHGO_ADDR, and prints what it
// read as one JSON object. The pytest module beside it starts the endpoint and checks the output.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

type result struct {
	Server     map[string]any   `json:"server"`
	Databases  []string         `json:"databases"`
	Tables     []string         `json:"tables"`
	Columns    [][2]string      `json:"columns"`
	Series     []map[string]any `json:"series"`
	TablePanel []map[string]any `json:"table_panel"`
	Types      map[string]any   `json:"types"`
	TypeNames  []string         `json:"type_names"`
	Blocks     uint64           `json:"blocks_rows"`
}

func fail(step string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", step, err)
	os.Exit(1)
}

func main() {
	ctx := context.Background()
	db := os.Getenv("CHGO_DATABASE")
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{os.Getenv("CHGO_ADDR")},
		Protocol:    clickhouse.HTTP,
		Auth:        clickhouse.Auth{Database: db, Username: os.Getenv("CHGO_USER"), Password: os.Getenv("CHGO_PASSWORD")},
		Settings:    clickhouse.Settings{"max_execution_time": 60},
		DialTimeout: 10 * time.Second,
	})
	if err != nil {
		fail("open", err)
	}
	defer conn.Close()
	if err := conn.Ping(ctx); err != nil {
		fail("ping", err)
	}
	out := result{Server: map[string]any{}}

	var name, version, tz string
	var revision uint32
	row := conn.QueryRow(ctx, "SELECT displayName(), version(), revision(), timezone()")
	if err := row.Scan(&name, &version, &revision, &tz); err != nil {
		fail("server info", err)
	}
	out.Server = map[string]any{"display_name": name, "version": version, "revision": revision, "timezone": tz}
	if os.Getenv("CHGO_MODE") == "types" {
		readTypes(ctx, conn, &out)
		emit(out)
		return
	}

	rows, err := conn.Query(ctx, "SELECT name FROM system.databases ORDER BY name")
	if err != nil {
		fail("databases", err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			fail("databases scan", err)
		}
		out.Databases = append(out.Databases, n)
	}

	rows, err = conn.Query(ctx, "SELECT name FROM system.tables WHERE database = ? ORDER BY name", db)
	if err != nil {
		fail("tables", err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			fail("tables scan", err)
		}
		out.Tables = append(out.Tables, n)
	}

	rows, err = conn.Query(ctx, "SELECT name, type FROM system.columns WHERE database = ? AND table = 'events' ORDER BY position", db)
	if err != nil {
		fail("columns", err)
	}
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			fail("columns scan", err)
		}
		out.Columns = append(out.Columns, [2]string{n, t})
	}

	// A time series panel: $__timeFilter(ts) and $__timeInterval(ts) expanded as the plugin does.
	from, to := os.Getenv("CHGO_FROM"), os.Getenv("CHGO_TO")
	series := fmt.Sprintf(`SELECT toStartOfInterval(ts, INTERVAL 60 second) AS time, count() AS events,
	    uniqExact(user_id) AS users
	FROM events WHERE ts >= toDateTime(%s) AND ts <= toDateTime(%s)
	GROUP BY time ORDER BY time`, from, to)
	rows, err = conn.Query(ctx, series)
	if err != nil {
		fail("series", err)
	}
	for rows.Next() {
		var t time.Time
		var events, users uint64
		if err := rows.Scan(&t, &events, &users); err != nil {
			fail("series scan", err)
		}
		out.Series = append(out.Series, map[string]any{"time": t.UTC().Format(time.RFC3339), "events": events, "users": users})
	}

	// A table panel with the column types dashboards use.
	rows, err = conn.Query(ctx, `SELECT user_id, subject, count() AS events, max(ts) AS last_seen,
	    toFloat64(sum(length(metadata))) / count() AS avg_meta, toDate(min(ts)) AS first_day
	FROM events GROUP BY user_id, subject ORDER BY events DESC, user_id LIMIT 10`)
	if err != nil {
		fail("table panel", err)
	}
	for rows.Next() {
		var user, subject string
		var events uint64
		var last time.Time
		var avg float64
		var day time.Time
		if err := rows.Scan(&user, &subject, &events, &last, &avg, &day); err != nil {
			fail("table panel scan", err)
		}
		out.TablePanel = append(out.TablePanel, map[string]any{
			"user_id": user, "subject": subject, "events": events,
			"last_seen": last.UTC().Format(time.RFC3339Nano), "avg_meta": avg, "first_day": day.Format("2006-01-02"),
		})
	}
	emit(out)
}

func emit(out result) {
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("encode", err)
	}
}

// readTypes reads one row of each column type Grafana panels use, their type names as the
// driver saw them, and a result of several blocks.
func readTypes(ctx context.Context, conn clickhouse.Conn, out *result) {
	rows, err := conn.Query(ctx, `SELECT toDateTime64('2026-11-20 10:00:00.123', 3, 'UTC') AS dt64,
	    toDate('2026-11-20') AS day, toFloat64(1.5) AS f64, toUInt64(18446744073709551615) AS u64,
	    'café' AS str, toLowCardinality('lc') AS lc, CAST(NULL AS Nullable(String)) AS ns_null,
	    CAST('x' AS Nullable(String)) AS ns, ['a', '', 'c'] AS arr, toDateTime('2026-11-20 10:00:00', 'UTC') AS dt`)
	if err != nil {
		fail("types", err)
	}
	for _, c := range rows.ColumnTypes() {
		out.TypeNames = append(out.TypeNames, c.DatabaseTypeName())
	}
	if !rows.Next() {
		fail("types", fmt.Errorf("no row: %v", rows.Err()))
	}
	var (
		dt64, day, dt time.Time
		f64           float64
		u64           uint64
		str, lc       string
		nsNull, ns    *string
		arr           []string
	)
	if err := rows.Scan(&dt64, &day, &f64, &u64, &str, &lc, &nsNull, &ns, &arr, &dt); err != nil {
		fail("types scan", err)
	}
	out.Types = map[string]any{
		"dt64": dt64.UTC().Format(time.RFC3339Nano), "dt64_zone": dt64.Location().String(),
		"day": day.Format("2006-01-02"), "f64": f64, "u64": fmt.Sprint(u64), "str": str, "lc": lc,
		"ns_null": nsNull == nil, "ns": *ns, "arr": arr, "dt": dt.UTC().Format(time.RFC3339),
		"dt_zone": dt.Location().String(),
	}
	rows.Close()

	// Several blocks: max_block_size makes chDB emit 1000-row blocks.
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_block_size": 1000}))
	rows, err = conn.Query(ctx, "SELECT number, toString(number) FROM numbers(25000)")
	if err != nil {
		fail("blocks", err)
	}
	for rows.Next() {
		var n uint64
		var s string
		if err := rows.Scan(&n, &s); err != nil {
			fail("blocks scan", err)
		}
		if s != fmt.Sprint(n) {
			fail("blocks", fmt.Errorf("row %d read as %q", n, s))
		}
		out.Blocks++
	}
	if err := rows.Err(); err != nil {
		fail("blocks", err)
	}
}
