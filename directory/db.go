package directory

import "context"

// conn is what the shared store code needs from a database or a transaction.
// Queries use $N placeholders, which SQLite and PostgreSQL both accept, so
// one SQL text serves both backends.
type conn interface {
	exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	query(ctx context.Context, query string, args ...any) (rows, error)
	queryRow(ctx context.Context, query string, args ...any) row
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

// errRow is a row whose Scan reports an error that happened before the query.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
