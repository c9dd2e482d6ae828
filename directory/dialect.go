package directory

import (
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// dialect holds the few things that differ between the backends; all SQL
// statements and logic are shared.
type dialect struct {
	name string // also the migrations subdirectory
	// migrateLock runs first in the migration transaction so that concurrent
	// openers apply migrations one at a time; empty when BEGIN already takes
	// the database write lock (SQLite's BEGIN IMMEDIATE).
	migrateLock string
	// migrationsTable creates the schema_migrations bookkeeping table.
	migrationsTable string
	// migrationsTableExists reports (as a boolean row) whether the
	// schema_migrations table exists.
	migrationsTableExists string
	// timeArg encodes a timestamp argument; the zero time is NULL.
	timeArg func(time.Time) any
	// unnest makes a bulk INSERT one statement with one array parameter per
	// column (PostgreSQL). Otherwise (SQLite) rows go in multi-row VALUES
	// statements of valuesParams placeholders at most, written as anonymous
	// "?": SQLite looks numbered and named parameters up in a list, so the
	// cost of binding each $N grows with the statement's parameter count.
	unnest       bool
	valuesParams int
	// inIDs is the condition "column <inIDs(n)>" that matches the ids of
	// parameter n, given as idsArg(ids): one parameter, so one statement
	// text for any number of ids.
	inIDs  func(n int) string
	idsArg func(ids []int64) any
	// idsPerStmt bounds the ids one such statement matches. PostgreSQL plans
	// with the array's values and, from the stale statistics a sync that
	// grows a table has, prefers scanning the whole integration to many
	// primary-key probes once the array is long.
	idsPerStmt int
	// analyzeTable, followed by table names, refreshes their planner
	// statistics; empty if the planner does not need it.
	analyzeTable string
	// analyze refreshes planner statistics after a completed full sync, when
	// the synced tables may have grown from nothing.
	analyze string
}

// normTime is the one precision and zone both backends store: UTC
// microseconds (PostgreSQL's resolution).
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// valuesRows is how many rows of cols columns one VALUES statement carries.
func (d *dialect) valuesRows(cols int) int { return max(1, d.valuesParams/cols) }

// eachIDs calls fn with the idsArg of each chunk of ids (none if empty).
func (d *dialect) eachIDs(ids []int64, fn func(arg any)) {
	for lo := 0; lo < len(ids); lo += d.idsPerStmt {
		fn(d.idsArg(ids[lo:min(lo+d.idsPerStmt, len(ids))]))
	}
}

// insertSQL is "INSERT INTO table (cols) <rows> tail". With unnest the rows
// come from one array per column (rows is ignored); otherwise from rows
// VALUES tuples. Each table is always written with the same cols and tail.
func (d *dialect) insertSQL(table string, cols []string, tail string, rows int) string {
	key := d.name + "/insert/" + table + "/" + strconv.Itoa(rows)
	return cachedSQL(key, func() string {
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") ")
		if d.unnest {
			b.WriteString("SELECT * FROM unnest(")
			for i, c := range cols {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("$" + strconv.Itoa(i+1) + "::" + pgArrayType(c))
			}
			b.WriteString(")")
		} else {
			b.WriteString("VALUES ")
			tuple := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
			for r := range rows {
				if r > 0 {
					b.WriteString(", ")
				}
				b.WriteString(tuple)
			}
		}
		if tail != "" {
			b.WriteString(" " + tail)
		}
		return b.String()
	})
}

// insertRows splits args (len(cols) values per row) into the statements of
// insertSQL and queues them on b; the rows they affect are added to n if it
// is not nil.
func (d *dialect) insertRows(b *batch, n *int64, table string, cols []string, tail string, args []any) {
	nc := len(cols)
	rows := len(args) / nc
	if rows == 0 {
		return
	}
	if d.unnest {
		arrays := make([]any, nc)
		for c := range nc {
			col := make([]any, rows)
			for r := range rows {
				col[r] = args[r*nc+c]
			}
			arrays[c] = col
		}
		b.execN(n, d.insertSQL(table, cols, tail, 0), arrays...)
		return
	}
	// Full chunks, then the rest in power-of-two chunks: few statement
	// shapes, so all stay prepared (see sqlStore.hot), and few statements.
	for lo, k := 0, d.valuesRows(nc); lo < rows; {
		for lo+k > rows {
			k = 1 << (bits.Len(uint(rows-lo)) - 1)
		}
		b.execN(n, d.insertSQL(table, cols, tail, k), args[lo*nc:(lo+k)*nc]...)
		lo += k
	}
}

// valuesShapes lists the row counts insertRows uses for cols columns.
func (d *dialect) valuesShapes(cols int) []int {
	k := d.valuesRows(cols)
	shapes := []int{k}
	for p := 1; p < k; p *= 2 {
		shapes = append(shapes, p)
	}
	return shapes
}

// pgArrayType is the PostgreSQL array type of a column that bulk inserts
// write; the names are unique across tables.
func pgArrayType(col string) string {
	switch col {
	case "onelogin_id", "state", "group_id", "manager_id", "created_run", "changed_run", "last_seen_run",
		"touched_seq", "deleted_run", "connector_id", "auth_method", "user_id", "role_id", "audit_id",
		"position", "chunk":
		return "bigint[]"
	case "custom_attributes":
		return "jsonb[]"
	case "ol_created_at", "ol_updated_at", "last_login", "created_at", "changed_at", "seen_at", "deleted_at",
		"updated_at":
		return "timestamptz[]"
	case "content_hash":
		return "bytea[]"
	case "visible":
		return "boolean[]"
	}
	return "text[]"
}
