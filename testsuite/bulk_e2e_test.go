package testsuite

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/ops"
	"github.com/olflow/olflow/starter"
)

// bulkUsers is the size of the group the bulk action targets: 10,000, or
// OLFLOW_BULK_E2E_USERS for a bigger run by hand (chunks of 500 then, the
// default, instead of 50).
func bulkUsers(t *testing.T) (members, chunk int) {
	n := os.Getenv("OLFLOW_BULK_E2E_USERS")
	if n == "" {
		return 10000, 50
	}
	members, err := strconv.Atoi(n)
	require.NoError(t, err, "OLFLOW_BULK_E2E_USERS")
	return members, api.DefaultActionChunk
}

// TestBulkSuspendGroupOf10000: SuspendUsers aimed at a OneLogin group of
// 10,000 users. A dry run writes nothing and predicts the real run; the
// real run is cancelled part way, then rerun with the same request id, and
// finishes the rest: every member is suspended exactly once, no run's
// history passes 10,000 events, the outcomes page from the CLI, and the
// outcome attribute finds the run.
func TestBulkSuspendGroupOf10000(t *testing.T) {
	t.Parallel()
	const id = "e2e-bulk-10k"
	bulkMembers, chunk := bulkUsers(t)
	long := time.Duration(max(1, bulkMembers/10000)) * 5 * time.Minute
	waitLong := func(run *starter.Run[starter.ActionResult], err error) (starter.ActionResult, error) {
		if err != nil {
			return starter.ActionResult{}, err
		}
		return run.Get(ctxT(t, long))
	}
	h := connected(t, olsim.Options{Users: bulkMembers + 300, Groups: 4, Roles: 4}, id, "")
	group := h.sim.Groups()[0].ID
	members := map[int64]bool{}
	for _, u := range h.sim.Users()[:bulkMembers] {
		if u.GroupID != group {
			require.NoError(t, h.sim.SetUserGroup(u.ID, group))
		}
		members[u.ID] = true
	}
	for _, u := range h.sim.Users()[bulkMembers:] {
		if u.GroupID == group {
			require.NoError(t, h.sim.SetUserGroup(u.ID, h.sim.Groups()[1].ID))
		}
	}
	exclude := h.sim.Users()[0] // the requesting admin, say
	needed := 0                 // members a real run must suspend
	for idn := range members {
		if idn != exclude.ID && h.simUser(idn).Status != 2 {
			needed++
		}
	}
	h.sim.ResetCounters()
	req := func(requestID string) api.ActionRequest {
		r := actionReq(id, requestID)
		r.TargetGroupIDs, r.Exclude, r.ChunkSize, r.Parallelism = []int64{group}, []api.UserRef{{Email: exclude.Email}}, chunk, 20
		return r
	}
	start := time.Now()

	// The dry run: nothing written, a prediction.
	dryReq := req("bulk-10k-dry")
	dryReq.DryRun = true
	dry, err := waitLong(h.starter.SuspendUsers(ctxT(t, time.Minute), dryReq))
	require.NoError(t, err)
	assert.Empty(t, h.sim.AllWrites(), "a dry run writes nothing to OneLogin")
	assert.Equal(t, bulkMembers-1, dry.Total)
	assert.True(t, dry.UsersOmitted)
	assert.Equal(t, bulkMembers-1, dry.WouldChange+dry.AlreadyDone+dry.Failed)
	dryTime := time.Since(start)
	dryCalls := h.sim.RequestCounts()

	// The real run, cancelled once a quarter is done.
	const requestID = "bulk-10k"
	wid := api.ActionWorkflowID(id, requestID)
	run, err := h.starter.SuspendUsers(ctxT(t, time.Minute), req(requestID))
	require.NoError(t, err)
	firstRun := run.GetRunID()
	var progress api.ActionResult
	// Counting thousands of outcomes costs the store a scan: twice a
	// second is often enough to cancel near a quarter.
	require.Eventually(t, func() bool {
		c, err := h.store.CountOutcomes(ctxT(t, 10*time.Second), id, requestID)
		return err == nil && c.Total() >= int64(bulkMembers/4)
	}, long, 500*time.Millisecond)
	q, err := h.client.QueryWorkflow(ctxT(t, 10*time.Second), wid, "", api.ProgressQuery)
	require.NoError(t, err)
	require.NoError(t, q.Get(&progress))
	assert.Equal(t, bulkMembers-1, progress.Total, "the progress query counts")
	assert.Positive(t, progress.Done)
	md, err := h.client.QueryWorkflow(ctxT(t, 10*time.Second), wid, "", "__temporal_workflow_metadata")
	require.NoError(t, err)
	var meta sdkpb.WorkflowMetadata
	require.NoError(t, md.Get(&meta))
	assert.Regexp(t, fmt.Sprintf(`^\*\*[1-9][0-9]* of %d users done\*\*`, bulkMembers-1), meta.GetCurrentDetails(),
		"live counts in the UI's Current Details")
	require.NoError(t, h.client.CancelWorkflow(ctxT(t, 10*time.Second), wid, ""))
	_, err = run.Get(ctxT(t, 2*time.Minute))
	require.Error(t, err)
	doneAtCancel, err := h.store.CountOutcomes(ctxT(t, 10*time.Second), id, requestID)
	require.NoError(t, err)
	require.Less(t, doneAtCancel.Total(), int64(bulkMembers-1), "the cancel landed before the end")
	entries, err := h.store.ListAudit(ctxT(t, 10*time.Second), id, directory.AuditFilter{RequestID: requestID})
	require.NoError(t, err)
	require.Len(t, entries, 1, "the cancelled run is audited")

	// The rerun: the same request id resumes.
	res, err := waitLong(h.starter.SuspendUsers(ctxT(t, time.Minute), req(requestID)))
	require.NoError(t, err)
	elapsed := time.Since(start)
	assert.Equal(t, bulkMembers-1, res.Total)
	assert.Zero(t, res.Failed)
	assert.Equal(t, dry.WouldChange, res.Changed, "the dry run predicted the changes")
	assert.Equal(t, dry.AlreadyDone, res.AlreadyDone, "and what was already done")
	assert.Equal(t, api.ActionOutcomeOK, res.Outcome)

	// Exactly once per member, never the excluded user.
	writes := h.sim.AllWrites()
	suspended := 0
	for uid, w := range writes {
		require.True(t, members[uid], "user %d is not a member", uid)
		require.NotEqual(t, exclude.ID, uid, "the excluded user was written")
		require.LessOrEqual(t, w[olsim.WriteSuspend], 1, "user %d suspended twice", uid)
		require.LessOrEqual(t, w[olsim.WriteUpdate], 1, "user %d updated twice", uid)
		suspended += w[olsim.WriteSuspend]
	}
	assert.Equal(t, res.Changed, suspended)
	assert.Equal(t, needed, res.Changed)
	for uid := range members {
		if uid != exclude.ID {
			require.Equal(t, 2, h.simUser(uid).Status, "user %d", uid)
		}
	}

	// No run over 10,000 events; the chain continued as new.
	runs := h.runsOf(wid)
	require.GreaterOrEqual(t, len(runs), 3, "the cancelled run, and a rerun that continued as new")
	maxEvents := 0
	for _, r := range runs {
		n := len(h.history(wid, r).Events)
		maxEvents = max(maxEvents, n)
		assert.Less(t, n, 10000, "run %s", r)
	}
	for _, r := range runs {
		rep := h.ops.ReplayExecution(ctxT(t, time.Minute), wid, r)
		assert.True(t, rep.OK, "run %s replays: %s", r, rep.Error)
	}
	rep := h.ops.ReplayExecution(ctxT(t, time.Minute), api.ActionWorkflowID(id, "bulk-10k-dry"), "")
	assert.True(t, rep.OK, "the dry run replays: %s", rep.Error)
	h.record("suspend-users-bulk-cancelled", wid, firstRun)
	h.record("suspend-users-bulk-continued", wid, runs[1])
	h.record("suspend-users-bulk-completed", wid, "")
	h.record("suspend-users-bulk-dry-run", api.ActionWorkflowID(id, "bulk-10k-dry"), "")

	// Outcomes page from the CLI.
	seen, after := 0, int64(0)
	for {
		r := h.olflow("", nil, "action", "show", "--json", "-i", id, "--request-id", requestID, "--store", h.storeDSN,
			"--limit", "1000", "--after", fmt.Sprint(after))
		require.Equal(t, 0, r.code, r.stderr)
		var page ops.ActionOutcomes
		r.decode(t, &page)
		assert.Equal(t, int64(bulkMembers-1), page.Counts.Total())
		seen += len(page.Outcomes)
		if page.Next == 0 {
			break
		}
		after = page.Next
	}
	assert.Equal(t, bulkMembers-1, seen)
	r := h.olflow("", nil, "action", "show", "-i", id, "--request-id", requestID, "--store", h.storeDSN, "--failed")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "0 failed")

	h.findsByOutcome(wid, api.ActionOutcomeOK)
	dryN, realN := 0, 0
	for k, n := range h.sim.RequestCounts() {
		dryN += dryCalls[k]
		realN += n - dryCalls[k]
	}
	t.Logf("bulk: %d targets (%d to change), dry run %s (%d OneLogin calls, %.2f per user), cancelled run + rerun %s (%d calls, %.2f per user), runs %d, most events in a run %d",
		bulkMembers-1, needed, dryTime.Round(time.Millisecond), dryN, float64(dryN)/float64(bulkMembers-1),
		(elapsed - dryTime).Round(time.Millisecond), realN, float64(realN)/float64(bulkMembers-1), len(runs), maxEvents)
}

// TestBulkOutcomeFindsFailures: an action with a failed user is partial and
// found by one visibility query, and the CLI exits 1; an action on a group
// that does not exist is not_found before any user is touched.
func TestBulkOutcomeFindsFailures(t *testing.T) {
	t.Parallel()
	const id = "e2e-bulk-outcome"
	h := connected(t, olsim.Options{Users: 60, Groups: 3, Roles: 3}, id, "")
	group := h.sim.Groups()[0].ID
	r := h.olflow("", nil, "suspend-users", "--json", "-i", id, "--request-id", "partial-1", "--target-group", fmt.Sprint(group),
		"-u", "ghost@nowhere.example")
	require.Equal(t, 1, r.code, "a failed user exits 1: %s", r.stderr)
	var res api.ActionResult
	r.decode(t, &res)
	assert.Equal(t, 1, res.Failed)
	assert.Equal(t, map[errcode.Code]int{errcode.NotFound: 1}, res.FailedByCode)
	assert.Equal(t, api.ActionOutcomePartial, res.Outcome)
	wid := api.ActionWorkflowID(id, "partial-1")
	h.findsByOutcome(wid, api.ActionOutcomePartial)
	rep := h.ops.ReplayExecution(ctxT(t, time.Minute), wid, "")
	assert.True(t, rep.OK, "replays: %s", rep.Error)
	h.record("suspend-users-bulk-partial", wid, "")

	h.sim.ResetCounters()
	for _, cmd := range [][]string{
		{"remove-users-from-group", "--group", "987654"},
		{"check-group-membership", "--group", "987654"},
		{"remove-users-from-role", "--role", "987654"},
	} {
		args := append([]string{cmd[0], "-i", id, "--request-id", "nf-" + cmd[0], "-u", fmt.Sprint(h.sim.Users()[0].ID)}, cmd[1:]...)
		r := h.olflow("", nil, args...)
		assert.Equal(t, 1, r.code, "%s: %s", cmd[0], r.stderr)
		assert.Contains(t, r.stderr, "not_found", cmd[0])
		entries, err := h.store.ListAudit(ctxT(t, 10*time.Second), id, directory.AuditFilter{RequestID: "nf-" + cmd[0]})
		require.NoError(t, err)
		assert.Empty(t, entries, "%s wrote no audit entry", cmd[0])
	}
	assert.Empty(t, h.sim.AllWrites())
	h.findsByOutcome(api.ActionWorkflowID(id, "nf-remove-users-from-group"), api.ActionOutcomeFailed)
}

// runsOf lists every run of a workflow id, oldest first.
func (h *harness) runsOf(wid string) []string {
	h.t.Helper()
	var runs []string
	require.Eventually(h.t, func() bool {
		resp, err := h.client.ListWorkflow(ctxT(h.t, 10*time.Second), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowId = '%s'", wid)})
		if err != nil {
			return false
		}
		runs = runs[:0]
		for i := len(resp.Executions) - 1; i >= 0; i-- {
			if resp.Executions[i].GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				runs = append(runs, resp.Executions[i].GetExecution().GetRunId())
			}
		}
		return len(runs) == len(resp.Executions)
	}, 30*time.Second, 200*time.Millisecond)
	return runs
}

// findsByOutcome checks that one visibility query on OneLoginActionOutcome
// finds the workflow.
func (h *harness) findsByOutcome(wid, outcome string) {
	h.t.Helper()
	require.Eventually(h.t, func() bool {
		resp, err := h.client.ListWorkflow(ctxT(h.t, 10*time.Second), &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("OneLoginActionOutcome = '%s' AND WorkflowId = '%s'", outcome, wid)})
		return err == nil && len(resp.Executions) > 0
	}, 30*time.Second, 200*time.Millisecond, "OneLoginActionOutcome = %s finds %s", outcome, wid)
}
