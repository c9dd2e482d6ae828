package directory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
)

var outcomeCols = []string{"integration_id", "request_id", "user_id", "action", "outcome", "error_code", "message",
	"chunk", "updated_at"}

// outcomeUpsertTail replaces a stored outcome only while it is not final.
// The action condition only guards the update: RecordOutcomes refuses a
// batch whose users carry another action first.
const outcomeUpsertTail = `ON CONFLICT (integration_id, request_id, user_id) DO UPDATE SET
	action = excluded.action, outcome = excluded.outcome, error_code = excluded.error_code,
	message = excluded.message, chunk = excluded.chunk, updated_at = excluded.updated_at
	WHERE action_outcomes.outcome NOT IN ('changed', 'already_done') AND action_outcomes.action = excluded.action`

func validateOutcomes(b OutcomeBatch) error {
	switch {
	case b.IntegrationID == "":
		return invalid("outcome batch needs an integration")
	case b.RequestID == "":
		return invalid("outcome batch needs a request id")
	case b.Action == "":
		return invalid("outcome batch needs an action")
	}
	for i, o := range b.Outcomes {
		switch {
		case o.UserID <= 0:
			return invalid("outcome %d: user id %d must be positive", i, o.UserID)
		case !o.Outcome.Valid():
			return invalid("outcome %d: outcome %q", i, o.Outcome)
		}
	}
	return nil
}

// settle applies the overwrite rule within one batch: per user, the first
// final outcome wins, else the last one. Users keep their first position.
func settle(in []UserOutcome) []UserOutcome {
	at := make(map[int64]int, len(in))
	out := make([]UserOutcome, 0, len(in))
	for _, o := range in {
		j, dup := at[o.UserID]
		switch {
		case !dup:
			at[o.UserID] = len(out)
			out = append(out, o)
		case !out[j].Outcome.Final():
			out[j] = o
		}
	}
	return out
}

func (s *sqlStore) RecordOutcomes(ctx context.Context, b OutcomeBatch) (int, error) {
	if err := validateOutcomes(b); err != nil {
		return 0, err
	}
	if len(b.Outcomes) == 0 {
		return 0, nil
	}
	outs := settle(b.Outcomes)
	ids := make([]int64, len(outs))
	now := s.timeArg(s.clock())
	args := make([]any, 0, len(outs)*len(outcomeCols))
	for i, o := range outs {
		ids[i] = o.UserID
		args = append(args, b.IntegrationID, b.RequestID, o.UserID, b.Action, string(o.Outcome), o.ErrorCode,
			o.Message, b.Chunk, now)
	}
	var written int64
	err := s.db.inTx(ctx, func(c conn) error {
		written = 0 // a retried transaction starts over
		var (
			found    bool
			conflict string
			q        batch
		)
		q.query(func(row) error { found = true; return nil }, `SELECT 1 FROM integrations WHERE id = $1`, b.IntegrationID)
		s.d.eachIDs(ids, func(ids any) {
			q.query(func(r row) error { return r.Scan(&conflict) }, s.outcomeConflictSQL(),
				b.IntegrationID, b.RequestID, b.Action, ids)
		})
		// Both checks and the writes go in one batch; a failed check rolls
		// the writes back.
		s.d.insertRows(&q, &written, "action_outcomes", outcomeCols, outcomeUpsertTail, args)
		if err := c.run(ctx, &q); err != nil {
			return err
		}
		switch {
		case !found:
			return fmt.Errorf("%w: integration %q", ErrNotFound, b.IntegrationID)
		case conflict != "":
			return invalid("request %q already records action %q", b.RequestID, conflict)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("directory: record outcomes: %w", err)
	}
	s.grown(ctx, "action_outcomes", int(written))
	return int(written), nil
}

func (s *sqlStore) outcomeConflictSQL() string {
	return cachedSQL(s.d.name+"/outcomes/conflict", func() string {
		return `SELECT action FROM action_outcomes WHERE integration_id = $1 AND request_id = $2 AND action <> $3
			AND user_id ` + s.d.inIDs(4) + ` LIMIT 1`
	})
}

func (s *sqlStore) FinalOutcomes(ctx context.Context, integration, requestID string, users []int64) ([]int64, error) {
	var final []int64
	var q batch
	s.d.eachIDs(users, func(ids any) {
		q.query(func(r row) error {
			var id int64
			err := r.Scan(&id)
			final = append(final, id)
			return err
		}, cachedSQL(s.d.name+"/outcomes/final", func() string {
			return `SELECT user_id FROM action_outcomes WHERE integration_id = $1 AND request_id = $2
				AND outcome IN ('changed', 'already_done') AND user_id ` + s.d.inIDs(3)
		}), integration, requestID, ids)
	})
	if err := s.db.run(ctx, &q); err != nil {
		return nil, fmt.Errorf("directory: final outcomes: %w", err)
	}
	slices.Sort(final)
	return slices.Compact(final), nil
}

func (s *sqlStore) CountOutcomes(ctx context.Context, integration, requestID string) (OutcomeCounts, error) {
	var c OutcomeCounts
	rs, err := s.db.query(ctx, `SELECT outcome, count(*) FROM action_outcomes
		WHERE integration_id = $1 AND request_id = $2 GROUP BY outcome`, integration, requestID)
	if err == nil {
		err = eachRow(rs, func(r row) error {
			var o Outcome
			var n int64
			if err := r.Scan(&o, &n); err != nil {
				return err
			}
			switch o {
			case OutcomeChanged:
				c.Changed = n
			case OutcomeAlreadyDone:
				c.AlreadyDone = n
			case OutcomeFailed:
				c.Failed = n
			case OutcomeWouldChange:
				c.WouldChange = n
			case OutcomeSkipped:
				c.Skipped = n
			}
			return nil
		})
	}
	if err != nil {
		return OutcomeCounts{}, fmt.Errorf("directory: count outcomes: %w", err)
	}
	return c, nil
}

func (s *sqlStore) ListOutcomes(ctx context.Context, integration, requestID string, f OutcomeFilter) ([]ActionOutcome, error) {
	if f.Outcome != "" && !f.Outcome.Valid() {
		return nil, invalid("outcome filter %q", f.Outcome)
	}
	var w where
	w.add("integration_id = $%d", integration)
	w.add("request_id = $%d", requestID)
	w.add("user_id > $%d", f.After)
	if f.Outcome != "" {
		w.add("outcome = $%d", string(f.Outcome))
	}
	rs, err := s.db.query(ctx, `SELECT integration_id, request_id, action, chunk, user_id, outcome, error_code,
		message, updated_at FROM action_outcomes WHERE `+w.String()+` ORDER BY user_id LIMIT `+
		strconv.Itoa(pageLimit(f.Limit)), w.args...)
	var out []ActionOutcome
	if err == nil {
		err = eachRow(rs, func(r row) error {
			var o ActionOutcome
			err := r.Scan(&o.IntegrationID, &o.RequestID, &o.Action, &o.Chunk, &o.UserID, &o.Outcome, &o.ErrorCode,
				&o.Message, scanTime(&o.UpdatedAt))
			out = append(out, o)
			return err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("directory: list outcomes: %w", err)
	}
	return out, nil
}
