package directory

import "context"

// sweepable checks Sweep's preconditions: a full run, not finished
// unsuccessfully, whose read of kind is complete.
func (s *sqlStore) sweepable(ctx context.Context, c conn, integration string, run int64, kind Kind) (*table, runInfo, error) {
	tb, err := tableFor(kind)
	if err != nil {
		return nil, runInfo{}, err
	}
	ri, err := s.runState(ctx, c, integration, run)
	if err != nil {
		return nil, runInfo{}, err
	}
	refuse := func(reason string) error { return &SweepRefusedError{Run: run, Kind: kind, Reason: reason} }
	switch {
	case ri.mode != SyncFull:
		return nil, ri, refuse("only a full run may delete")
	case ri.status != RunRunning && ri.status != RunCompleted:
		return nil, ri, refuse("the run finished " + string(ri.status))
	}
	var complete bool
	err = c.queryRow(ctx, `SELECT read_complete FROM sync_run_kinds WHERE run_id = $1 AND kind = $2`,
		run, string(kind)).Scan(&complete)
	if noRows(err) || (err == nil && !complete) {
		return nil, ri, refuse("the run's read of " + string(kind) + " is not complete")
	}
	return tb, ri, err
}

// A row is unseen by a run when nothing wrote it since the run started: the
// run's own upserts, a later run's and PutUser all advance touched_seq past
// the run's start_seq.
const unseenCond = `integration_id = $1 AND deleted_at IS NULL AND touched_seq < $2`

func (s *sqlStore) Unseen(ctx context.Context, integration string, run int64, kind Kind) ([]int64, error) {
	tb, ri, err := s.sweepable(ctx, s.db, integration, run, kind)
	if err != nil {
		return nil, err
	}
	rs, err := s.db.query(ctx, `SELECT onelogin_id FROM `+tb.name+` WHERE `+unseenCond+` ORDER BY onelogin_id`,
		integration, ri.startSeq)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var ids []int64
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rs.Err()
}

func (s *sqlStore) Sweep(ctx context.Context, integration string, run int64, kind Kind) (int64, error) {
	var n int64
	err := s.db.inTx(ctx, func(c conn) error {
		seq, err := s.bumpSeq(ctx, c, integration)
		if err != nil {
			return err
		}
		tb, ri, err := s.sweepable(ctx, c, integration, run, kind)
		if err != nil {
			return err
		}
		n, err = c.exec(ctx, `UPDATE `+tb.name+` SET deleted_at = $3, deleted_run = $4, touched_seq = $5
			WHERE `+unseenCond, integration, ri.startSeq, s.timeArg(s.clock()), run, seq)
		if err != nil || n == 0 {
			return err
		}
		return addCounts(ctx, c, run, kind, KindCounts{Deleted: n})
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
