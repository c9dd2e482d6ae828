package testsuite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/starter"
	"github.com/olflow/olflow/workflows"
)

// The corpus tests drive every workflow type into the shapes on-call meets
// in history: cancelled part way, and waiting on an announced 429 reset.
// They assert little beyond how each run closed; their value is the
// histories `make histories` records from them for the replay corpus.

// completedActivities counts a run's finished activities so far, local
// ones included (their markers reach history when the workflow task that
// ran them completes or heartbeats).
func (h *harness) completedActivities(workflowID string) int {
	n := 0
	for _, ev := range h.history(workflowID, "").GetEvents() {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
			n++
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if ev.GetMarkerRecordedEventAttributes().GetMarkerName() == localActivityMarker {
				n++
			}
		}
	}
	return n
}

// localActivityMarker names the marker a local activity's result is
// recorded in (the SDK's internal name; the replay corpus pins it).
const localActivityMarker = "LocalActivity"

// startedRun is a run the starter or the SDK client started.
type startedRun interface {
	GetID() string
	GetRunID() string
}

// cancelAfter cancels a run once it has completed n activities, waits for
// it to close, and requires that the cancel is what ended it (unless
// anyClose: a release may end a cancelled run otherwise).
func (h *harness) cancelAfter(run startedRun, n int, anyClose ...bool) {
	h.t.Helper()
	ctx := ctxT(h.t, 2*time.Minute)
	require.Eventually(h.t, func() bool { return h.completedActivities(run.GetID()) >= n },
		time.Minute, 50*time.Millisecond, "%s never completed %d activities", run.GetID(), n)
	require.NoError(h.t, h.client.CancelWorkflow(ctx, run.GetID(), run.GetRunID()))
	err := h.client.GetWorkflow(ctx, run.GetID(), run.GetRunID()).Get(ctx, nil)
	if len(anyClose) > 0 && anyClose[0] {
		return
	}
	var canceled *temporal.CanceledError
	require.True(h.t, errors.As(err, &canceled), "%s ended with %v, not the cancel", run.GetID(), err)
}

// TestCorpusCancelledActions cancels each action workflow while a user
// step is in flight (the simulator answers slowly).
func TestCorpusCancelledActions(t *testing.T) {
	t.Parallel()
	const id = "e2e-cancel-actions"
	h := connected(t, olsim.Options{Users: 30, Groups: 3, Roles: 3}, id, "")
	ctx := ctxT(t, 5*time.Minute)
	users, groups, roles := h.sim.Users(), h.sim.Groups(), h.sim.Roles()
	refs := func(from int) []api.UserRef {
		return []api.UserRef{{ID: users[from].ID}, {ID: users[from+1].ID}, {ID: users[from+2].ID}}
	}
	bulk := func(r string, from int) api.ActionRequest {
		req := actionReq(id, r, refs(from)...)
		req.Parallelism = 1
		return req
	}
	cases := []struct {
		name string
		// after is how many activities finish before the cancel: the
		// check up front and at least one user step.
		after int
		typ   string
		req   starter.Request
	}{
		{"activate-users", 2, api.ActivateUsersWorkflow, ptr(bulk("c-activate", 0))},
		{"suspend-users", 2, api.SuspendUsersWorkflow, ptr(bulk("c-suspend", 3))},
		{"add-users-to-group", 2, api.AddUsersToGroupWorkflow, &api.GroupRequest{ActionRequest: bulk("c-addgroup", 6), GroupID: groups[0].ID}},
		{"remove-users-from-group", 2, api.RemoveUsersFromGroupWorkflow, &api.GroupRequest{ActionRequest: bulk("c-rmgroup", 6), GroupID: groups[1].ID}},
		{"check-group-membership", 2, api.CheckGroupMembershipWorkflow, &api.GroupRequest{ActionRequest: bulk("c-check", 9), GroupID: groups[0].ID}},
		{"add-users-to-role", 2, api.AddUsersToRoleWorkflow, &api.RoleRequest{ActionRequest: bulk("c-addrole", 12), RoleID: roles[0].ID}},
		{"remove-users-from-role", 2, api.RemoveUsersFromRoleWorkflow, &api.RoleRequest{ActionRequest: bulk("c-rmrole", 12), RoleID: roles[1].ID}},
		{"generate-password-reset-link", 2, api.GeneratePasswordResetLinkWorkflow, ptr(bulk("c-link", 15))},
		{"send-password-reset-email", 2, api.SendPasswordResetEmailWorkflow, ptr(bulk("c-email", 18))},
		{"onboard-user", 2, api.OnboardUserWorkflow, &api.OnboardRequest{IntegrationID: id, RequestID: "c-onboard", RequestedBy: "agent@acme",
			User: api.UserRef{ID: users[21].ID}, Activate: true, GroupID: groups[2].ID, RoleIDs: []int64{roles[0].ID, roles[1].ID, roles[2].ID}, Reset: "link"}},
		{"offboard-user", 2, api.OffboardUserWorkflow, &api.OffboardRequest{IntegrationID: id, RequestID: "c-offboard", RequestedBy: "agent@acme",
			User: api.UserRef{ID: users[22].ID}, Suspend: true, Logout: true, RemoveRoles: true, ClearGroup: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			latency := 400 * time.Millisecond
			if tc.typ == api.OnboardUserWorkflow || tc.typ == api.OffboardUserWorkflow {
				// Their steps are local activities run in one workflow task,
				// which reports them (and takes the cancel) only when it
				// heartbeats, every 8s: steps this slow are still running.
				latency = 3 * time.Second
			}
			h.sim.SetFaults(olsim.Faults{Latency: latency})
			run, err := h.starter.StartAction(ctx, tc.typ, tc.req)
			require.NoError(t, err)
			h.cancelAfter(run, tc.after)
			h.record("action-"+tc.name+"-cancelled", run.GetID(), run.GetRunID())
		})
	}
	t.Run("set-user-password", func(t *testing.T) {
		h.sim.SetFaults(olsim.Faults{Latency: 400 * time.Millisecond})
		run := h.startSetPassword(ctx, id, "c-password", users[25].ID)
		h.cancelAfter(run, 1)
		h.record("action-set-user-password-cancelled", run.GetID(), run.GetRunID())
	})
}

func ptr[T any](v T) *T { return &v }

// startSetPassword starts SetUserPassword without waiting for it.
func (h *harness) startSetPassword(ctx context.Context, integration, requestID string, user int64) startedRun {
	h.t.Helper()
	req := api.SetPasswordRequest{IntegrationID: integration, RequestID: requestID, RequestedBy: "agent@acme",
		User: api.UserRef{ID: user}}
	sealed, err := h.keys.Seal(seal.NewSecret("Corpus-Passw0rd"), api.PasswordAAD(integration, requestID))
	require.NoError(h.t, err)
	req.Password = sealed
	run, err := h.starter.StartAction(ctx, api.SetUserPasswordWorkflow, &req)
	require.NoError(h.t, err)
	return run
}

// TestCorpusCancelledLifecycle cancels a connect while its first sync
// runs, an on-demand sync mid-read, and a disconnect mid-revoke.
func TestCorpusCancelledLifecycle(t *testing.T) {
	t.Parallel()
	const id = "e2e-cancel-lifecycle"
	h := connected(t, olsim.Options{Users: 600}, id, "")
	ctx := ctxT(t, 5*time.Minute)
	h.sim.SetFaults(olsim.Faults{Latency: 300 * time.Millisecond})

	t.Run("sync", func(t *testing.T) {
		run, err := h.starter.StartSync(ctx, api.SyncRequest{IntegrationID: id, Mode: api.ModeFull})
		require.NoError(t, err)
		h.cancelAfter(run, 1)
		h.record("sync-cancelled", run.GetID(), run.GetRunID())
	})
	t.Run("connect", func(t *testing.T) {
		run, err := h.starter.StartConnect(ctx, h.connectInput(id+"-2"))
		require.NoError(t, err)
		h.cancelAfter(run, 2, true)
		// It stops following its first sync's progress at once (a timer on
		// a cancelled context fires at once: v0.2.0 first spun 4,000 times).
		require.Less(t, len(h.history(run.GetID(), run.GetRunID()).GetEvents()), 200)
		h.record("connect-cancelled", run.GetID(), run.GetRunID())
		h.record("sync-initial-cancelled-with-parent", api.InitialSyncWorkflowID(id+"-2"), "")
	})
	t.Run("disconnect", func(t *testing.T) {
		h.sim.SetFaults(olsim.Faults{Latency: 3 * time.Second})
		run, err := h.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: api.DisconnectWorkflowID(id), TaskQueue: h.queue},
			api.DisconnectWorkflow, api.DisconnectRequest{IntegrationID: id, RequestedBy: "e2e@olflow"})
		require.NoError(t, err)
		h.cancelAfter(run, 1)
		h.record("disconnect-cancelled", run.GetID(), run.GetRunID())
	})
}

// TestCorpusWaitsForAnnouncedReset: a 429 whose reset is seconds away makes
// the activity retry after exactly that delay, in a sync and in an action.
func TestCorpusWaitsForAnnouncedReset(t *testing.T) {
	t.Parallel()
	const id = "e2e-429"
	// The simulator's clock stands still unless the test moves it, so the
	// reset a 429 announces is as near as the test set it however long a
	// busy machine takes to make the call (on a running clock the window
	// could close first, and the 429 would announce an hour).
	h := connected(t, olsim.Options{Users: 120, Clock: olsim.NewManualClock(time.Now())}, id, "")
	ctx := ctxT(t, 3*time.Minute)
	users := h.sim.Users()
	// Close the v1 window the last call opened, open one with a metered
	// call, then move the clock to 3 s before it resets: the next 429
	// announces 3 s.
	nearReset := func(requestID string) {
		_, _, reset := h.sim.RateLimitStatus()
		require.NoError(t, h.sim.AdvanceClock(time.Duration(reset)*time.Second))
		_, err := wait(h.starter.CheckGroupMembership(ctx, api.GroupRequest{GroupID: h.sim.Groups()[0].ID,
			ActionRequest: actionReq(id, requestID, api.UserRef{ID: users[0].ID})}))
		require.NoError(t, err)
		_, _, reset = h.sim.RateLimitStatus()
		require.Greater(t, reset, 3)
		require.NoError(t, h.sim.AdvanceClock(time.Duration(reset-3)*time.Second))
		h.sim.SetFaults(olsim.Faults{Burst429: 1})
	}

	nearReset("open-window-1")
	_, err := h.starter.Sync(ctx, api.SyncRequest{IntegrationID: id, Mode: api.ModeFull})
	require.NoError(t, err)
	h.record("sync-full-waited-429", api.SyncWorkflowID(id), "")

	nearReset("open-window-2")
	res, err := wait(h.starter.SuspendUsers(ctx, actionReq(id, "suspend-after-429", api.UserRef{ID: users[1].ID})))
	require.NoError(t, err)
	require.Equal(t, 1, res.Changed+res.AlreadyDone)
	h.record("action-suspend-users-waited-429", api.ActionWorkflowID(id, "suspend-after-429"), "")

}

// TestCorpusRefusals: every action refused for a Read All credential, and
// disconnects that fail, so each type has a failed run in the corpus.
func TestCorpusRefusals(t *testing.T) {
	t.Parallel()
	const id, reader = "e2e-refusals", "e2e-refusals-reader"
	h := connected(t, olsim.Options{Users: 20, Groups: 2, Roles: 2}, id, reader)
	ctx := ctxT(t, 3*time.Minute)
	users, groups, roles := h.sim.Users(), h.sim.Groups(), h.sim.Roles()
	one := func(r string) api.ActionRequest {
		return actionReq(reader, r, api.UserRef{ID: users[0].ID})
	}
	user := api.UserRef{ID: users[1].ID}
	cases := []struct {
		typ string
		req starter.Request
	}{
		{api.ActivateUsersWorkflow, ptr(one("r-activate"))},
		{api.SuspendUsersWorkflow, ptr(one("r-suspend"))},
		{api.AddUsersToGroupWorkflow, &api.GroupRequest{ActionRequest: one("r-addgroup"), GroupID: groups[0].ID}},
		{api.RemoveUsersFromGroupWorkflow, &api.GroupRequest{ActionRequest: one("r-rmgroup"), GroupID: groups[0].ID}},
		{api.CheckGroupMembershipWorkflow, &api.GroupRequest{ActionRequest: actionReq("e2e-never-connected", "r-check", user), GroupID: groups[0].ID}},
		{api.AddUsersToRoleWorkflow, &api.RoleRequest{ActionRequest: one("r-addrole"), RoleID: roles[0].ID}},
		{api.RemoveUsersFromRoleWorkflow, &api.RoleRequest{ActionRequest: one("r-rmrole"), RoleID: roles[0].ID}},
		{api.GeneratePasswordResetLinkWorkflow, ptr(one("r-link"))},
		{api.SendPasswordResetEmailWorkflow, ptr(one("r-email"))},
		{api.OnboardUserWorkflow, &api.OnboardRequest{IntegrationID: reader, RequestID: "r-onboard", RequestedBy: "agent@acme", User: user, Activate: true}},
		{api.OffboardUserWorkflow, &api.OffboardRequest{IntegrationID: reader, RequestID: "r-offboard", RequestedBy: "agent@acme", User: user, Suspend: true}},
	}
	closed := func(run startedRun, name string) {
		err := h.client.GetWorkflow(ctx, run.GetID(), run.GetRunID()).Get(ctx, nil)
		require.Error(t, err, "%s must fail", name)
		h.record(name, run.GetID(), run.GetRunID())
	}
	for _, tc := range cases {
		run, err := h.starter.StartAction(ctx, tc.typ, tc.req)
		require.NoError(t, err)
		closed(run, "action-"+workflows.AuditAction(tc.typ)+"-refused")
	}
	closed(h.startSetPassword(ctx, reader, "r-password", users[2].ID), "action-set_user_password-refused")

	// The starter refuses a bad ID at the edge; another language's client
	// may not, and the workflow refuses it too.
	run, err := h.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "onelogin-disconnect/bad", TaskQueue: h.queue},
		api.DisconnectWorkflow, api.DisconnectRequest{IntegrationID: "bad id", RequestedBy: "e2e@olflow"})
	require.NoError(t, err)
	closed(run, "disconnect-fails-invalid-input")
}
