package directory

import (
	"context"
	"fmt"
)

var targetCols = []string{"integration_id", "request_id", "position", "user_id"}

func (s *sqlStore) PutActionTargets(ctx context.Context, integration, requestID string, users []int64) (int, error) {
	switch {
	case integration == "" || requestID == "":
		return 0, invalid("action targets need an integration and a request id")
	}
	for i, id := range users {
		if id <= 0 {
			return 0, invalid("target %d: user id %d must be positive", i, id)
		}
	}
	var total int64
	err := s.db.inTx(ctx, func(c conn) error {
		var one int
		if err := c.queryRow(ctx, `SELECT 1 FROM integrations WHERE id = $1`, integration).Scan(&one); err != nil {
			return notFound(err, "integration %q", integration)
		}
		if err := c.queryRow(ctx, `SELECT count(*) FROM action_targets WHERE integration_id = $1 AND request_id = $2`,
			integration, requestID).Scan(&total); err != nil || total > 0 {
			return err // the first recorded set stands
		}
		args := make([]any, 0, len(users)*len(targetCols))
		for i, id := range users {
			args = append(args, integration, requestID, int64(i), id)
		}
		var b batch
		s.d.insertRows(&b, nil, "action_targets", targetCols, "ON CONFLICT DO NOTHING", args)
		total = int64(len(users))
		return c.run(ctx, &b)
	})
	if err != nil {
		return 0, fmt.Errorf("directory: put action targets: %w", err)
	}
	return int(total), nil
}

func (s *sqlStore) ActionTargets(ctx context.Context, integration, requestID string, offset, limit int) ([]int64, error) {
	if offset < 0 || limit <= 0 {
		return nil, invalid("action targets: offset %d, limit %d", offset, limit)
	}
	rs, err := s.db.query(ctx, `SELECT user_id FROM action_targets WHERE integration_id = $1 AND request_id = $2
		AND position >= $3 AND position < $4 ORDER BY position`, integration, requestID, int64(offset), int64(offset+limit))
	var out []int64
	if err == nil {
		err = eachRow(rs, func(r row) error {
			var id int64
			err := r.Scan(&id)
			out = append(out, id)
			return err
		})
	}
	if err != nil {
		return nil, fmt.Errorf("directory: action targets: %w", err)
	}
	return out, nil
}
