package directory

import "time"

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
	// timeArg encodes a timestamp argument; the zero time is NULL.
	timeArg func(time.Time) any
	// maxParams bounds the placeholders of one statement.
	maxParams int
	// batchParams is the placeholder count a multi-row INSERT aims for. Binding
	// costs modernc SQLite more per parameter the more a statement has, so
	// there a row or a few per statement is fastest; PostgreSQL gains from
	// fewer round trips.
	batchParams int
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

// rowsPerInsert is how many rows of cols columns one INSERT carries.
func (d *dialect) rowsPerInsert(cols int) int { return max(1, min(d.batchParams, d.maxParams)/cols) }
