package directory

import "context"

// conn is what the shared store code needs from a database or a transaction.
// Queries use $N placeholders, which SQLite and PostgreSQL both accept, so
// one SQL text serves both backends.
type conn interface {
	exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	query(ctx context.Context, query string, args ...any) (rows, error)
	queryRow(ctx context.Context, query string, args ...any) row
	// run executes the batch's statements in order and stops at the first
	// error. PostgreSQL sends them in one round trip.
	run(ctx context.Context, b *batch) error
}

// rows is satisfied by pgx.Rows and by a thin wrapper over *sql.Rows.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

type row interface{ Scan(dest ...any) error }

// db is a connection pool: a conn plus transactions.
type db interface {
	conn
	// inTx runs fn in one transaction and commits if it returns nil.
	inTx(ctx context.Context, fn func(conn) error) error
	close() error
}

// batch is a list of statements whose arguments do not depend on each
// other's results; the results are handed to callbacks as they arrive.
type batch struct{ items []batchItem }

type batchItem struct {
	query string
	args  []any
	// each is called for every result row of a query (nil for a statement).
	each func(r row) error
	// affected, if set, is added the rows a statement affected.
	affected *int64
}

// exec queues a statement.
func (b *batch) exec(query string, args ...any) { b.execN(nil, query, args...) }

// execN queues a statement whose affected row count is added to n (if not
// nil).
func (b *batch) execN(n *int64, query string, args ...any) {
	b.items = append(b.items, batchItem{query: query, args: args, affected: n})
}

// query queues a query whose rows are passed to each in turn.
func (b *batch) query(each func(r row) error, query string, args ...any) {
	b.items = append(b.items, batchItem{query: query, args: args, each: each})
}

// eachRow passes every row of rs to fn and closes rs.
func eachRow(rs rows, fn func(r row) error) error {
	defer rs.Close()
	for rs.Next() {
		if err := fn(rs); err != nil {
			return err
		}
	}
	return rs.Err()
}
