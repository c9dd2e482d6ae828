package directory

import "testing"

func (e *env) record(t *testing.T, b OutcomeBatch) int {
	t.Helper()
	n, err := e.s.RecordOutcomes(e.ctx, b)
	ok(t, err)
	return n
}

func (e *env) counts(t *testing.T, integration, request string) OutcomeCounts {
	t.Helper()
	c, err := e.s.CountOutcomes(e.ctx, integration, request)
	ok(t, err)
	return c
}

func (e *env) final(t *testing.T, integration, request string, users ...int64) []int64 {
	t.Helper()
	ids, err := e.s.FinalOutcomes(e.ctx, integration, request, users)
	ok(t, err)
	return ids
}

func suspendBatch(chunk int64, outs ...UserOutcome) OutcomeBatch {
	return OutcomeBatch{IntegrationID: "a", RequestID: "req-1", Action: "suspend_users", Chunk: chunk, Outcomes: outs}
}

// testOutcomesRecordOnce retries a batch: rows are stored once and counts
// do not move; only the not-final row is written again.
func testOutcomesRecordOnce(t *testing.T, e *env) {
	e.integration(t, "a")
	b := suspendBatch(1,
		UserOutcome{UserID: 1, Outcome: OutcomeChanged},
		UserOutcome{UserID: 2, Outcome: OutcomeFailed, ErrorCode: "server_error", Message: "HTTP 502"},
		UserOutcome{UserID: 3, Outcome: OutcomeAlreadyDone},
		UserOutcome{UserID: 4, Outcome: OutcomeSkipped, Message: "not in group"})
	eq(t, "written", e.record(t, b), 4)
	want := OutcomeCounts{Changed: 1, AlreadyDone: 1, Failed: 1, Skipped: 1}
	eq(t, "counts", e.counts(t, "a", "req-1"), want)
	eq(t, "written on retry", e.record(t, b), 2) // the failed and skipped rows
	eq(t, "counts after retry", e.counts(t, "a", "req-1"), want)
	if n := want.Total(); n != 4 {
		t.Fatalf("total %d", n)
	}
	eq(t, "final", e.final(t, "a", "req-1", 4, 3, 2, 1, 99, 3), []int64{1, 3})
	eq(t, "no users", e.final(t, "a", "req-1"), []int64(nil))
	n, err := e.s.RecordOutcomes(e.ctx, suspendBatch(2))
	if err != nil || n != 0 {
		t.Fatalf("empty batch: %d %v", n, err)
	}
}

// testOutcomesFinalNotOverwritten: a later outcome replaces a failed, skipped
// or dry-run one, never a final one; within a batch the same rule holds.
func testOutcomesFinalNotOverwritten(t *testing.T, e *env) {
	e.integration(t, "a")
	e.record(t, suspendBatch(1,
		UserOutcome{UserID: 1, Outcome: OutcomeChanged},
		UserOutcome{UserID: 2, Outcome: OutcomeFailed, ErrorCode: "rate_limited"},
		UserOutcome{UserID: 3, Outcome: OutcomeWouldChange},
		UserOutcome{UserID: 4, Outcome: OutcomeAlreadyDone}))
	written := e.record(t, suspendBatch(2,
		UserOutcome{UserID: 1, Outcome: OutcomeFailed, ErrorCode: "server_error"},
		UserOutcome{UserID: 2, Outcome: OutcomeChanged},
		UserOutcome{UserID: 3, Outcome: OutcomeChanged},
		UserOutcome{UserID: 4, Outcome: OutcomeChanged},
		// In one batch: the first final outcome wins, else the last.
		UserOutcome{UserID: 5, Outcome: OutcomeFailed},
		UserOutcome{UserID: 5, Outcome: OutcomeAlreadyDone},
		UserOutcome{UserID: 5, Outcome: OutcomeFailed},
		UserOutcome{UserID: 6, Outcome: OutcomeFailed, ErrorCode: "a"},
		UserOutcome{UserID: 6, Outcome: OutcomeSkipped}))
	eq(t, "written", written, 4) // users 2, 3, 5, 6
	got, err := e.s.ListOutcomes(e.ctx, "a", "req-1", OutcomeFilter{})
	ok(t, err)
	byUser := map[int64]ActionOutcome{}
	for _, o := range got {
		byUser[o.UserID] = o
	}
	for user, want := range map[int64]struct {
		o     Outcome
		chunk int64
		code  string
	}{1: {OutcomeChanged, 1, ""}, 2: {OutcomeChanged, 2, ""}, 3: {OutcomeChanged, 2, ""},
		4: {OutcomeAlreadyDone, 1, ""}, 5: {OutcomeAlreadyDone, 2, ""}, 6: {OutcomeSkipped, 2, ""}} {
		o := byUser[user]
		if o.Outcome != want.o || o.Chunk != want.chunk || o.ErrorCode != want.code {
			t.Errorf("user %d: %+v, want %+v", user, o, want)
		}
	}
	eq(t, "final", e.final(t, "a", "req-1", 1, 2, 3, 4, 5, 6), []int64{1, 2, 3, 4, 5})
}

func testOutcomesPaging(t *testing.T, e *env) {
	e.integration(t, "a")
	var outs []UserOutcome
	for id := int64(1); id <= 250; id++ {
		o := UserOutcome{UserID: id, Outcome: OutcomeChanged}
		if id%10 == 0 {
			o = UserOutcome{UserID: id, Outcome: OutcomeFailed, ErrorCode: "not_found", Message: "user gone"}
		}
		outs = append(outs, o)
	}
	e.record(t, suspendBatch(7, outs...))
	eq(t, "counts", e.counts(t, "a", "req-1"), OutcomeCounts{Changed: 225, Failed: 25})

	var all []int64
	for after := int64(0); ; {
		page, err := e.s.ListOutcomes(e.ctx, "a", "req-1", OutcomeFilter{After: after, Limit: 100})
		ok(t, err)
		if len(page) == 0 {
			break
		}
		for _, o := range page {
			all = append(all, o.UserID)
		}
		after = page[len(page)-1].UserID
	}
	if len(all) != 250 || all[0] != 1 || all[249] != 250 {
		t.Fatalf("paged %d users: %v...", len(all), all[:min(len(all), 5)])
	}
	failed, err := e.s.ListOutcomes(e.ctx, "a", "req-1", OutcomeFilter{Outcome: OutcomeFailed, After: 100, Limit: 5})
	ok(t, err)
	if len(failed) != 5 || failed[0].UserID != 110 || failed[4].UserID != 150 {
		t.Fatalf("failed page: %+v", failed)
	}
	f := failed[0]
	if f.IntegrationID != "a" || f.RequestID != "req-1" || f.Action != "suspend_users" || f.Chunk != 7 ||
		f.ErrorCode != "not_found" || f.Message != "user gone" || f.UpdatedAt.IsZero() {
		t.Fatalf("failed outcome: %+v", f)
	}
	_, err = e.s.ListOutcomes(e.ctx, "a", "req-1", OutcomeFilter{Outcome: "exploded"})
	wantErr(t, err, ErrInvalid)
}

func testOutcomesIsolatedAndValidated(t *testing.T, e *env) {
	e.integration(t, "a")
	e.integration(t, "b")
	e.record(t, suspendBatch(1, UserOutcome{UserID: 1, Outcome: OutcomeChanged}))
	other := suspendBatch(1, UserOutcome{UserID: 1, Outcome: OutcomeFailed})
	other.IntegrationID = "b"
	e.record(t, other)
	eq(t, "a final", e.final(t, "a", "req-1", 1), []int64{1})
	eq(t, "b final", e.final(t, "b", "req-1", 1), []int64(nil))
	eq(t, "other request", e.final(t, "a", "req-2", 1), []int64(nil))
	eq(t, "b counts", e.counts(t, "b", "req-1"), OutcomeCounts{Failed: 1})
	eq(t, "unknown request", e.counts(t, "a", "nope"), OutcomeCounts{})

	for name, b := range map[string]OutcomeBatch{
		"no integration": {RequestID: "r", Action: "x"},
		"no request":     {IntegrationID: "a", Action: "x"},
		"no action":      {IntegrationID: "a", RequestID: "r"},
		"bad user":       {IntegrationID: "a", RequestID: "r", Action: "x", Outcomes: []UserOutcome{{Outcome: OutcomeChanged}}},
		"bad outcome":    {IntegrationID: "a", RequestID: "r", Action: "x", Outcomes: []UserOutcome{{UserID: 1, Outcome: "done"}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.s.RecordOutcomes(e.ctx, b)
			wantErr(t, err, ErrInvalid)
		})
	}
	missing := suspendBatch(1, UserOutcome{UserID: 1, Outcome: OutcomeChanged})
	missing.IntegrationID = "missing"
	_, err := e.s.RecordOutcomes(e.ctx, missing)
	wantErr(t, err, ErrNotFound)

	// One request id names one action: another action for the same users is
	// refused, and nothing of the batch is written.
	activate := suspendBatch(2, UserOutcome{UserID: 2, Outcome: OutcomeChanged},
		UserOutcome{UserID: 1, Outcome: OutcomeChanged})
	activate.Action = "activate_users"
	_, err = e.s.RecordOutcomes(e.ctx, activate)
	wantErr(t, err, ErrInvalid)
	eq(t, "after refused batch", e.counts(t, "a", "req-1"), OutcomeCounts{Changed: 1})
}

// testOutcomesLinkToAudit follows an audit entry to its outcomes by request.
func testOutcomesLinkToAudit(t *testing.T, e *env) {
	e.integration(t, "a")
	_, err := e.s.AppendAudit(e.ctx, AuditEntry{IntegrationID: "a", Actor: "admin", Action: "suspend_users",
		RequestID: "req-1", Targets: []AuditTarget{{UserID: 9, Outcome: OutcomeWouldChange}}})
	ok(t, err)
	e.record(t, suspendBatch(1, UserOutcome{UserID: 9, Outcome: OutcomeFailed, ErrorCode: "server_error"}))
	entries, err := e.s.ListAudit(e.ctx, "a", AuditFilter{Action: "suspend_users"})
	ok(t, err)
	if len(entries) != 1 {
		t.Fatalf("audit: %+v", entries)
	}
	outs, err := e.s.ListOutcomes(e.ctx, entries[0].IntegrationID, entries[0].RequestID,
		OutcomeFilter{Outcome: OutcomeFailed})
	ok(t, err)
	if len(outs) != 1 || outs[0].UserID != 9 || outs[0].Action != entries[0].Action {
		t.Fatalf("outcomes of the audit entry: %+v", outs)
	}
}
