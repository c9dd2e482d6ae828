package directory

import (
	"context"
	"fmt"
	"strconv"
)

var auditTargetCols = []string{"audit_id", "position", "user_id", "outcome", "error_code"}

func validateAudit(e AuditEntry) error {
	switch {
	case e.IntegrationID == "":
		return invalid("audit entry needs an integration")
	case e.Action == "":
		return invalid("audit entry needs an action")
	}
	for i, t := range e.Targets {
		if !t.Outcome.Valid() {
			return invalid("audit target %d: outcome %q", i, t.Outcome)
		}
	}
	return nil
}

func (s *sqlStore) AppendAudit(ctx context.Context, e AuditEntry) (int64, error) {
	if err := validateAudit(e); err != nil {
		return 0, err
	}
	at := normTime(e.At)
	if at.IsZero() {
		at = s.clock()
	}
	var id int64
	err := s.db.inTx(ctx, func(c conn) error {
		var one int
		if err := c.queryRow(ctx, `SELECT 1 FROM integrations WHERE id = $1`, e.IntegrationID).Scan(&one); err != nil {
			return notFound(err, "integration %q", e.IntegrationID)
		}
		err := c.queryRow(ctx, `INSERT INTO audit_log (integration_id, actor, action, request_id, at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (integration_id, request_id, action) WHERE request_id <> '' DO NOTHING
			RETURNING id`, e.IntegrationID, e.Actor, e.Action, e.RequestID, s.timeArg(at)).Scan(&id)
		if noRows(err) { // the request was already recorded
			return c.queryRow(ctx, `SELECT id FROM audit_log WHERE integration_id = $1 AND request_id = $2 AND action = $3`,
				e.IntegrationID, e.RequestID, e.Action).Scan(&id)
		}
		if err != nil || len(e.Targets) == 0 {
			return err
		}
		args := make([]any, 0, len(e.Targets)*len(auditTargetCols))
		for i, t := range e.Targets {
			args = append(args, id, i, t.UserID, string(t.Outcome), t.ErrorCode)
		}
		var b batch
		s.d.insertRows(&b, nil, "audit_targets", auditTargetCols, "", args)
		return c.run(ctx, &b)
	})
	if err != nil {
		return 0, fmt.Errorf("directory: append audit: %w", err)
	}
	return id, nil
}

func (s *sqlStore) ListAudit(ctx context.Context, integration string, f AuditFilter) ([]AuditEntry, error) {
	var w where
	w.add("a.integration_id = $%d", integration)
	if f.Action != "" {
		w.add("a.action = $%d", f.Action)
	}
	if f.RequestID != "" {
		w.add("a.request_id = $%d", f.RequestID)
	}
	if f.UserID != 0 {
		w.add("EXISTS (SELECT 1 FROM audit_targets t WHERE t.audit_id = a.id AND t.user_id = $%d)", f.UserID)
	}
	if f.Before > 0 {
		w.add("a.id < $%d", f.Before)
	}
	rs, err := s.db.query(ctx, `SELECT a.id, a.integration_id, a.actor, a.action, a.request_id, a.at
		FROM audit_log a WHERE `+w.String()+` ORDER BY a.id DESC LIMIT `+strconv.Itoa(pageLimit(f.Limit)), w.args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []AuditEntry
	at := map[int64]int{}
	for rs.Next() {
		var e AuditEntry
		if err := rs.Scan(&e.ID, &e.IntegrationID, &e.Actor, &e.Action, &e.RequestID, scanTime(&e.At)); err != nil {
			return nil, err
		}
		at[e.ID] = len(out)
		out = append(out, e)
	}
	if err := rs.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	rs.Close()
	ids := make([]any, len(out))
	for i, e := range out {
		ids[i] = e.ID
	}
	ts, err := s.db.query(ctx, `SELECT audit_id, user_id, outcome, error_code FROM audit_targets
		WHERE audit_id IN (`+inList(1, len(ids))+`) ORDER BY audit_id, position`, ids...)
	if err != nil {
		return nil, err
	}
	defer ts.Close()
	for ts.Next() {
		var id int64
		var t AuditTarget
		if err := ts.Scan(&id, &t.UserID, &t.Outcome, &t.ErrorCode); err != nil {
			return nil, err
		}
		e := &out[at[id]]
		e.Targets = append(e.Targets, t)
	}
	return out, ts.Err()
}
