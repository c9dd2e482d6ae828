package directory

import (
	"context"
	"fmt"
	"strconv"
)

const runCols = `id, integration_id, run_key, mode, status, started_at, finished_at, onelogin_calls, error_code`

// runInfo is what writes need to know about a run.
type runInfo struct {
	mode     SyncMode
	status   RunStatus
	startSeq int64
}

// runStateSQL reads a run of an integration ($1 run, $2 integration).
const runStateSQL = `SELECT mode, status, start_seq FROM sync_runs WHERE id = $1 AND integration_id = $2`

func (ri *runInfo) scan(r row) error { return r.Scan(&ri.mode, &ri.status, &ri.startSeq) }

// mustRun reports why a writer may not write to the run: it was not found,
// or it is no longer running.
func (ri *runInfo) mustRun(found bool, integration string, run int64) error {
	switch {
	case !found:
		return fmt.Errorf("%w: sync run %d of integration %q", ErrNotFound, run, integration)
	case ri.status != RunRunning:
		return fmt.Errorf("%w: run %d is %s", ErrRunFinished, run, ri.status)
	}
	return nil
}

// runState reads a run of the integration; ErrNotFound if there is none.
func (s *sqlStore) runState(ctx context.Context, c conn, integration string, run int64) (runInfo, error) {
	var ri runInfo
	if err := ri.scan(c.queryRow(ctx, runStateSQL, run, integration)); err != nil {
		return runInfo{}, notFound(err, "sync run %d of integration %q", run, integration)
	}
	return ri, nil
}

// runningRun is runState for writers: the run must still be running.
func (s *sqlStore) runningRun(ctx context.Context, c conn, integration string, run int64) (runInfo, error) {
	ri, err := s.runState(ctx, c, integration, run)
	if err != nil {
		return ri, err
	}
	return ri, ri.mustRun(true, integration, run)
}

// addCountsSQL adds to a run's per-kind counters and can mark the read
// complete.
const addCountsSQL = `INSERT INTO sync_run_kinds (run_id, kind, seen, created, updated, deleted, read_complete)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (run_id, kind) DO UPDATE SET
			seen = sync_run_kinds.seen + excluded.seen,
			created = sync_run_kinds.created + excluded.created,
			updated = sync_run_kinds.updated + excluded.updated,
			deleted = sync_run_kinds.deleted + excluded.deleted,
			read_complete = sync_run_kinds.read_complete OR excluded.read_complete`

func countsArgs(run int64, kind Kind, k KindCounts) []any {
	return []any{run, string(kind), k.Seen, k.Created, k.Updated, k.Deleted, k.ReadComplete}
}

func addCounts(ctx context.Context, c conn, run int64, kind Kind, k KindCounts) error {
	_, err := c.exec(ctx, addCountsSQL, countsArgs(run, kind, k)...)
	return err
}

func queueCounts(b *batch, run int64, kind Kind, k KindCounts) {
	b.exec(addCountsSQL, countsArgs(run, kind, k)...)
}

func (s *sqlStore) StartSyncRun(ctx context.Context, integration string, mode SyncMode, key string) (int64, error) {
	if mode != SyncFull && mode != SyncIncremental {
		return 0, invalid("sync mode %q", mode)
	}
	var id int64
	err := s.db.inTx(ctx, func(c conn) error {
		// The sequence bump comes first: it serialises starts with the same
		// key, and start_seq is what Sweep compares rows against.
		seq, err := s.bumpSeq(ctx, c, integration)
		if err != nil {
			return err
		}
		if key != "" {
			var existing SyncMode
			err := c.queryRow(ctx, `SELECT id, mode FROM sync_runs WHERE integration_id = $1 AND run_key = $2`,
				integration, key).Scan(&id, &existing)
			switch {
			case err == nil && existing != mode:
				return invalid("sync run key %q already names a %s run", key, existing)
			case err == nil:
				return nil
			case !noRows(err):
				return err
			}
		}
		return c.queryRow(ctx, `INSERT INTO sync_runs (integration_id, run_key, mode, status, started_at, start_seq)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			integration, key, string(mode), string(RunRunning), s.timeArg(s.clock()), seq).Scan(&id)
	})
	return id, err
}

func (s *sqlStore) CompleteRead(ctx context.Context, integration string, run int64, kind Kind) error {
	if _, err := tableFor(kind); err != nil {
		return err
	}
	return s.db.inTx(ctx, func(c conn) error {
		if _, err := s.runningRun(ctx, c, integration, run); err != nil {
			return err
		}
		return addCounts(ctx, c, run, kind, KindCounts{ReadComplete: true})
	})
}

func (s *sqlStore) FinishSyncRun(ctx context.Context, integration string, run int64, res RunResult) (SyncRun, error) {
	switch res.Status {
	case RunCompleted, RunPartial, RunFailed:
	default:
		return SyncRun{}, invalid("finish status %q", res.Status)
	}
	var out SyncRun
	err := s.db.inTx(ctx, func(c conn) error {
		// Lock the integration row first, as every writer does.
		if _, err := s.bumpSeq(ctx, c, integration); err != nil {
			return err
		}
		ri, err := s.runState(ctx, c, integration, run)
		if err != nil {
			return err
		}
		if ri.status != RunRunning && ri.status != res.Status {
			return fmt.Errorf("%w: run %d is %s", ErrRunFinished, run, ri.status)
		}
		if ri.status == RunRunning {
			if err := s.finish(ctx, c, integration, run, ri.mode, res); err != nil {
				return err
			}
		}
		runs, err := s.loadRuns(ctx, c, `id = $1`, 1, run)
		if err != nil {
			return err
		}
		out = runs[0]
		return nil
	})
	if err == nil && out.Status == RunCompleted && out.Mode == SyncFull {
		// Best effort: the run is recorded; stale statistics only cost speed.
		_, _ = s.db.exec(ctx, s.d.analyze)
	}
	return out, err
}

// finish closes a running run and, on success, records it on the integration.
func (s *sqlStore) finish(ctx context.Context, c conn, integration string, run int64, mode SyncMode, res RunResult) error {
	now := s.clock()
	if _, err := c.exec(ctx, `UPDATE sync_runs SET status = $1, finished_at = $2, onelogin_calls = $3, error_code = $4
		WHERE id = $5`, string(res.Status), s.timeArg(now), res.OneLoginCalls, res.ErrorCode, run); err != nil {
		return err
	}
	if res.Status != RunCompleted {
		return nil
	}
	var wm Integration
	if err := c.queryRow(ctx, `SELECT users_watermark FROM integrations WHERE id = $1`, integration).
		Scan(scanTime(&wm.UsersWatermark)); err != nil {
		return err
	}
	// The watermark moves only forward, so a late-finishing older run cannot
	// make the next incremental read skip changes it never saw.
	next := wm.UsersWatermark
	if w := normTime(res.UsersWatermark); w.After(next) {
		next = w
	}
	lastCol := "last_incremental_sync_at"
	if mode == SyncFull {
		lastCol = "last_full_sync_at"
	}
	_, err := c.exec(ctx, `UPDATE integrations SET `+lastCol+` = $1, users_watermark = $2 WHERE id = $3`,
		s.timeArg(now), s.timeArg(next), integration)
	return err
}

func (s *sqlStore) GetSyncRun(ctx context.Context, integration string, run int64) (SyncRun, error) {
	runs, err := s.loadRuns(ctx, s.db, `id = $1 AND integration_id = $2`, 1, run, integration)
	if err != nil {
		return SyncRun{}, err
	}
	if len(runs) == 0 {
		return SyncRun{}, fmt.Errorf("%w: sync run %d of integration %q", ErrNotFound, run, integration)
	}
	return runs[0], nil
}

func (s *sqlStore) ListSyncRuns(ctx context.Context, integration string, limit int) ([]SyncRun, error) {
	return s.loadRuns(ctx, s.db, `integration_id = $1`, pageLimit(limit), integration)
}

// loadRuns returns the runs matching cond, newest first, with their counts.
func (s *sqlStore) loadRuns(ctx context.Context, c conn, cond string, limit int, args ...any) ([]SyncRun, error) {
	rs, err := c.query(ctx, `SELECT `+runCols+` FROM sync_runs WHERE `+cond+
		` ORDER BY id DESC LIMIT `+strconv.Itoa(limit), args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var runs []SyncRun
	byID := map[int64]int{}
	for rs.Next() {
		var r SyncRun
		if err := rs.Scan(&r.ID, &r.IntegrationID, &r.Key, &r.Mode, &r.Status, scanTime(&r.StartedAt),
			scanTime(&r.FinishedAt), &r.OneLoginCalls, &r.ErrorCode); err != nil {
			return nil, err
		}
		byID[r.ID] = len(runs)
		runs = append(runs, r)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	rs.Close() // one connection may be all there is (in-memory SQLite)
	if len(runs) == 0 {
		return nil, nil
	}
	ids := make([]any, 0, len(runs))
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	ks, err := c.query(ctx, `SELECT run_id, kind, seen, created, updated, deleted, read_complete
		FROM sync_run_kinds WHERE run_id IN (`+inList(1, len(ids))+`)`, ids...)
	if err != nil {
		return nil, err
	}
	defer ks.Close()
	for ks.Next() {
		var id int64
		var kind Kind
		var k KindCounts
		if err := ks.Scan(&id, &kind, &k.Seen, &k.Created, &k.Updated, &k.Deleted, &k.ReadComplete); err != nil {
			return nil, err
		}
		if dst := runs[byID[id]].Counts(kind); dst != nil {
			*dst = k
		}
	}
	return runs, ks.Err()
}
