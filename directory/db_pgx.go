package directory

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgQuerier is the part of *pgxpool.Pool and pgx.Tx that pgConn uses.
type pgQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// pgConn adapts native pgx to conn.
type pgConn struct{ q pgQuerier }

func (c pgConn) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := c.q.Exec(ctx, query, args...)
	return tag.RowsAffected(), err
}

func (c pgConn) query(ctx context.Context, query string, args ...any) (rows, error) {
	return c.q.Query(ctx, query, args...)
}

func (c pgConn) queryRow(ctx context.Context, query string, args ...any) row {
	return c.q.QueryRow(ctx, query, args...)
}

func (c pgConn) run(ctx context.Context, b *batch) error {
	if len(b.items) == 0 {
		return nil
	}
	var pb pgx.Batch
	for i := range b.items {
		it := &b.items[i]
		q := pb.Queue(it.query, it.args...)
		switch {
		case it.each != nil:
			q.Query(func(rs pgx.Rows) error { return eachRow(rs, it.each) })
		case it.affected != nil:
			q.Exec(func(tag pgconn.CommandTag) error {
				*it.affected += tag.RowsAffected()
				return nil
			})
		}
	}
	// Close reads every result and returns the first error.
	return c.q.SendBatch(ctx, &pb).Close()
}

// pgDB is a pgxpool pool.
type pgDB struct {
	pgConn
	pool *pgxpool.Pool
}

func newPgDB(pool *pgxpool.Pool) *pgDB { return &pgDB{pgConn: pgConn{pool}, pool: pool} }

func (p *pgDB) inTx(ctx context.Context, fn func(conn) error) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error { return fn(pgConn{tx}) })
}

func (p *pgDB) close() error {
	p.pool.Close()
	return nil
}
