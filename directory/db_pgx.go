package directory

import (
	"context"
	"errors"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgQuerier is the part of *pgx.Conn and pgx.Tx that pgConn uses.
type pgQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
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

// pgDB is a small connection pool over pgx.Conn. (pgxpool would need a module
// that go.sum does not carry; this is all the store needs.)
type pgDB struct {
	cfg  *pgx.ConnConfig
	idle chan *pgx.Conn // open, idle connections
	slot chan struct{}  // one token per open connection, capacity = max
	mu   sync.Mutex     // guards closed
	done chan struct{}  // closed by close()
	once sync.Once
}

var errClosed = errors.New("directory: store is closed")

func newPgDB(cfg *pgx.ConnConfig, maxConns int) *pgDB {
	return &pgDB{
		cfg:  cfg,
		idle: make(chan *pgx.Conn, maxConns),
		slot: make(chan struct{}, maxConns),
		done: make(chan struct{}),
	}
}

func (p *pgDB) acquire(ctx context.Context) (*pgx.Conn, error) {
	select {
	case <-p.done:
		return nil, errClosed
	case c := <-p.idle:
		return c, nil
	default:
	}
	select {
	case <-p.done:
		return nil, errClosed
	case c := <-p.idle:
		return c, nil
	case p.slot <- struct{}{}:
		c, err := pgx.ConnectConfig(ctx, p.cfg)
		if err != nil {
			<-p.slot
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release returns c to the pool, or closes it if it is broken, left inside a
// transaction, or the pool is closed.
func (p *pgDB) release(c *pgx.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
	default:
		if !c.IsClosed() && c.PgConn().TxStatus() == 'I' {
			p.idle <- c // never blocks: at most cap(slot) connections exist
			return
		}
	}
	_ = c.Close(context.Background())
	<-p.slot
}

func (p *pgDB) close() error {
	p.once.Do(func() {
		p.mu.Lock()
		close(p.done)
		p.mu.Unlock()
		for {
			select {
			case c := <-p.idle:
				_ = c.Close(context.Background())
				<-p.slot
			default:
				return
			}
		}
	})
	return nil
}

func (p *pgDB) exec(ctx context.Context, query string, args ...any) (int64, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer p.release(c)
	return pgConn{c}.exec(ctx, query, args...)
}

func (p *pgDB) query(ctx context.Context, query string, args ...any) (rows, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	r, err := c.Query(ctx, query, args...)
	if err != nil {
		p.release(c)
		return nil, err
	}
	return &pooledRows{Rows: r, release: func() { p.release(c) }}, nil
}

func (p *pgDB) queryRow(ctx context.Context, query string, args ...any) row {
	c, err := p.acquire(ctx)
	if err != nil {
		return errRow{err}
	}
	return pooledRow{row: c.QueryRow(ctx, query, args...), release: func() { p.release(c) }}
}

func (p *pgDB) inTx(ctx context.Context, fn func(conn) error) error {
	c, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer p.release(c)
	return pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error { return fn(pgConn{tx}) })
}

// pooledRows returns its connection to the pool when closed.
type pooledRows struct {
	pgx.Rows
	release func()
	once    sync.Once
}

func (r *pooledRows) Close() {
	r.Rows.Close()
	r.once.Do(r.release)
}

// pooledRow returns its connection to the pool once scanned (pgx closes the
// underlying rows inside Scan).
type pooledRow struct {
	row     pgx.Row
	release func()
}

func (r pooledRow) Scan(dest ...any) error {
	defer r.release()
	return r.row.Scan(dest...)
}
