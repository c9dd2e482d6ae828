package testsuite

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/protobuf/proto"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/codec"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/starter"
	"github.com/olflow/olflow/workflows"
)

// End-to-end action tests: a connected integration (full sync first, so the
// directory knows the users), actions through the typed starter, and the
// simulator, the store and the audit log checked afterwards.

const (
	readerID     = "reader"
	readerSecret = "reader-secret"
)

// connected starts a harness and connects integration id with a Manage All
// credential (and, when reader is set, a second one with Read All).
func connected(t *testing.T, opts olsim.Options, id string, reader string) *harness {
	t.Helper()
	opts.Credentials = []olsim.Credential{
		{ClientID: olsim.DefaultClientID, ClientSecret: olsim.DefaultClientSecret, Scope: olsim.ScopeManageAll},
		{ClientID: readerID, ClientSecret: readerSecret, Scope: olsim.ScopeReadAll},
	}
	h := newHarness(t, opts)
	ctx := ctxT(t, 2*time.Minute)
	res, err := h.starter.Connect(ctx, h.connectInput(id))
	require.NoError(t, err)
	require.Equal(t, "manage_all", res.Scope)
	if reader != "" {
		in := h.connectInput(reader)
		in.ClientID, in.ClientSecret = readerID, seal.NewSecret(readerSecret)
		res, err := h.starter.Connect(ctx, in)
		require.NoError(t, err)
		require.Equal(t, "read_all", res.Scope)
	}
	return h
}

// historyText is a run's history with every payload decoded through the
// test codec, to search for what must never be there in clear (decoding is
// what an operator's codec server shows).
func (h *harness) historyText(workflowID string) string {
	h.t.Helper()
	hist := h.history(workflowID, "")
	dec := codec.New(codecKeys)
	require.NoError(h.t, proxy.VisitPayloads(context.Background(), hist, proxy.VisitPayloadsOptions{
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
			return dec.Decode(p)
		},
	}))
	b, err := temporalproto.CustomJSONMarshalOptions{}.Marshal(hist)
	require.NoError(h.t, err)
	var out strings.Builder
	out.Write(b)
	for _, m := range payloadData.FindAllStringSubmatch(string(b), -1) {
		if d, err := base64.StdEncoding.DecodeString(m[1]); err == nil {
			out.Write(d)
		}
	}
	return out.String()
}

var payloadData = regexp.MustCompile(`"data":\s*"([A-Za-z0-9+/=]*)"`)

func (h *harness) audit(integration, requestID string) directory.AuditEntry {
	h.t.Helper()
	entries, err := h.store.ListAudit(ctxT(h.t, 10*time.Second), integration, directory.AuditFilter{RequestID: requestID})
	require.NoError(h.t, err)
	require.Len(h.t, entries, 1, "one audit entry for request %s", requestID)
	return entries[0]
}

func (h *harness) stored(integration string, id int64) directory.User {
	h.t.Helper()
	u, err := h.store.GetUser(ctxT(h.t, 10*time.Second), integration, id)
	require.NoError(h.t, err)
	return u
}

func (h *harness) simUser(id int64) olsim.User {
	h.t.Helper()
	u, ok := h.sim.User(id)
	require.True(h.t, ok, "user %d", id)
	return u
}

func actionReq(integration, requestID string, users ...api.UserRef) api.ActionRequest {
	return api.ActionRequest{IntegrationID: integration, RequestID: requestID, RequestedBy: "agent@acme", Users: users}
}

func outcomes(res starter.ActionResult) []string {
	out := make([]string, len(res.Users))
	for i, u := range res.Users {
		out[i] = u.Outcome
		if u.Code != "" {
			out[i] += "/" + string(u.Code)
		}
	}
	return out
}

func TestOnboardUser(t *testing.T) {
	t.Parallel()
	const id = "e2e-onboard"
	h := connected(t, olsim.Options{Users: 30, Groups: 5, Roles: 6}, id, "")
	ctx := ctxT(t, 2*time.Minute)
	// Hired after the last sync: the directory does not know them yet.
	hire, err := h.sim.CreateUser(olsim.Fields{"email": "new.hire@acme.com", "username": "new.hire", "firstname": "New", "lastname": "Hire"})
	require.NoError(t, err)
	group, roles := h.sim.Groups()[2].ID, []int64{h.sim.Roles()[1].ID, h.sim.Roles()[4].ID}
	req := api.OnboardRequest{IntegrationID: id, RequestID: "onboard-1", RequestedBy: "hr@acme",
		User: api.UserRef{Email: "New.Hire@acme.com"}, Activate: true, GroupID: group, RoleIDs: roles, Reset: api.ResetLink}

	res, err := wait(h.starter.OnboardUser(ctx, req))
	require.NoError(t, err)
	require.Len(t, res.Users, 1)
	u := res.Users[0]
	assert.Equal(t, api.OutcomeChanged, u.Outcome, "%+v", u)
	assert.Equal(t, hire.ID, u.UserID)
	assert.Equal(t, []string{"activate", "set_group", fmt.Sprintf("add_role:%d", roles[0]), fmt.Sprintf("add_role:%d", roles[1]), "reset_link"},
		stepNames(u.Steps))
	require.Len(t, res.Links, 1)
	link := res.Links[0].Reveal()
	assert.True(t, strings.HasPrefix(link, "https://acme.onelogin.com/password/reset?token="), "the starter opens the link")

	got := h.simUser(hire.ID)
	assert.Equal(t, 1, got.Status)
	assert.Equal(t, group, got.GroupID)
	assert.Subset(t, got.RoleIDs, roles)
	st := h.stored(id, hire.ID)
	assert.Equal(t, directory.UserActive, st.Status, "the store knows before the next sync")
	assert.Equal(t, group, st.GroupID)
	assert.Subset(t, st.RoleIDs, roles)
	au := h.audit(id, "onboard-1")
	assert.Equal(t, "onboard_user", au.Action)
	assert.Equal(t, "hr@acme", au.Actor)
	assert.Equal(t, []directory.AuditTarget{{UserID: hire.ID, Outcome: directory.OutcomeChanged}}, au.Targets)

	wfID := api.ActionWorkflowID(id, "onboard-1")
	token := link[strings.Index(link, "token=")+len("token="):]
	assert.NotContains(t, h.historyText(wfID), token, "the reset link never enters history in clear")

	// The same request again returns the first run's result and touches
	// OneLogin no more.
	before := h.sim.RequestCounts()
	again, err := wait(h.starter.OnboardUser(ctx, req))
	require.NoError(t, err)
	assert.Equal(t, res.ActionResult, again.ActionResult)
	assert.Equal(t, link, again.Links[0].Reveal())
	assert.Equal(t, before, h.sim.RequestCounts())
	h.record("action-onboard-user", wfID, "")
}

func stepNames(steps []api.StepResult) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Step
	}
	return out
}

// OneLogin refuses to activate a user without a password (one of the
// behaviours the reference leaves open): onboarding stops at that step and
// says so, and the later steps do not run.
func TestOnboardUserFailsAtActivation(t *testing.T) {
	t.Parallel()
	const id = "e2e-onboard-fail"
	h := connected(t, olsim.Options{Users: 20, Groups: 3, ActivateWithoutPassword: olsim.ActivateReject}, id, "")
	hire, err := h.sim.CreateUser(olsim.Fields{"email": "no.password@acme.com"})
	require.NoError(t, err)
	res, err := wait(h.starter.OnboardUser(ctxT(t, time.Minute), api.OnboardRequest{IntegrationID: id, RequestID: "onboard-2",
		User: api.UserRef{ID: hire.ID}, Activate: true, GroupID: h.sim.Groups()[0].ID, Reset: api.ResetEmail}))
	require.NoError(t, err)
	u := res.Users[0]
	assert.Equal(t, api.OutcomeFailed, u.Outcome)
	assert.Equal(t, errcode.InvalidInput, u.Code)
	assert.Contains(t, u.Message, "without a password")
	assert.Equal(t, []string{api.OutcomeFailed, api.StepSkipped, api.StepSkipped}, stepOutcomes(u.Steps))
	assert.Zero(t, h.simUser(hire.ID).GroupID, "no step after the failed one ran")
	assert.Empty(t, h.sim.SentInvites())
	assert.Equal(t, directory.OutcomeFailed, h.audit(id, "onboard-2").Targets[0].Outcome)
	// The failed onboarding is found in one visibility query.
	query := fmt.Sprintf("%s = '%s' AND %s = 'failed'", api.IntegrationAttribute.GetName(), id, api.ActionOutcomeAttribute.GetName())
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		page, err := h.client.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		if assert.NoError(c, err) && assert.Len(c, page.GetExecutions(), 1) {
			assert.Equal(c, api.ActionWorkflowID(id, "onboard-2"), page.GetExecutions()[0].GetExecution().GetWorkflowId())
		}
	}, 20*time.Second, 200*time.Millisecond)
	h.record("action-onboard-user-fails-activation", api.ActionWorkflowID(id, "onboard-2"), "")
}

func stepOutcomes(steps []api.StepResult) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Outcome
	}
	return out
}

func TestOffboardUser(t *testing.T) {
	t.Parallel()
	const id = "e2e-offboard"
	h := connected(t, olsim.Options{Users: 30, Groups: 4, Roles: 5}, id, "")
	ctx := ctxT(t, 2*time.Minute)
	leaver := h.sim.Users()[4]
	require.NoError(t, h.sim.SetUserGroup(leaver.ID, h.sim.Groups()[1].ID))
	require.NoError(t, h.sim.AddUserRoles(leaver.ID, h.sim.Roles()[0].ID, h.sim.Roles()[3].ID))
	_, err := h.sim.UpdateUser(leaver.ID, olsim.Fields{"status": 1})
	require.NoError(t, err)
	roles := h.simUser(leaver.ID).RoleIDs

	res, err := wait(h.starter.OffboardUser(ctx, api.OffboardRequest{IntegrationID: id, RequestID: "offboard-1", RequestedBy: "it@acme",
		User: api.UserRef{Username: leaver.Username}, Suspend: true, Logout: true, RemoveRoles: true, ClearGroup: true}))
	require.NoError(t, err)
	u := res.Users[0]
	assert.Equal(t, api.OutcomeChanged, u.Outcome, "%+v", u)
	assert.Len(t, u.Steps, 3+len(roles))
	assert.Equal(t, h.sim.Groups()[1].ID, u.ReplacedGroupID)

	got := h.simUser(leaver.ID)
	assert.Equal(t, 2, got.Status)
	assert.Zero(t, got.GroupID)
	assert.Empty(t, got.RoleIDs)
	require.Len(t, h.sim.LoggedOut(), 1)
	assert.Equal(t, leaver.ID, h.sim.LoggedOut()[0].UserID)
	st := h.stored(id, leaver.ID)
	assert.Equal(t, directory.UserSuspended, st.Status)
	assert.Zero(t, st.GroupID)
	assert.Empty(t, st.RoleIDs)
	assert.Equal(t, "offboard_user", h.audit(id, "offboard-1").Action)
	h.record("action-offboard-user", api.ActionWorkflowID(id, "offboard-1"), "")

	// Deleted in OneLogin since the sync: the directory still maps the
	// email, OneLogin does not know the user, and the result says so.
	gone := h.sim.Users()[7]
	require.NoError(t, h.sim.DeleteUser(gone.ID))
	res, err = wait(h.starter.OffboardUser(ctx, api.OffboardRequest{IntegrationID: id, RequestID: "offboard-2",
		User: api.UserRef{Email: gone.Email}, Suspend: true, Logout: true}))
	require.NoError(t, err)
	assert.Equal(t, []string{"failed/not_found"}, outcomes(res))
	h.record("action-offboard-user-not-found", api.ActionWorkflowID(id, "offboard-2"), "")
}

// A bulk suspend of 200 users, named by id, email and username in turn,
// ten at a time.
func TestSuspendUsers200(t *testing.T) {
	t.Parallel()
	const id = "e2e-bulk"
	h := connected(t, olsim.Options{Users: 220, Groups: 5, Roles: 5}, id, "")
	ctx := ctxT(t, 3*time.Minute)
	var refs []api.UserRef
	var ids []int64
	for i, u := range h.sim.Users()[:200] {
		ids = append(ids, u.ID)
		switch i % 3 {
		case 0:
			refs = append(refs, api.UserRef{ID: u.ID})
		case 1:
			refs = append(refs, api.UserRef{Email: u.Email})
		default:
			refs = append(refs, api.UserRef{Username: u.Username})
		}
	}
	wasSuspended := 0
	for _, uid := range ids {
		if h.simUser(uid).Status == 2 {
			wasSuspended++
		}
	}
	res, err := wait(h.starter.SuspendUsers(ctx, actionReq(id, "bulk-suspend-1", refs...)))
	require.NoError(t, err)
	require.Len(t, res.Users, 200)
	assert.Zero(t, res.Failed, "%v", outcomes(res))
	assert.Equal(t, wasSuspended, res.AlreadyDone)
	assert.Equal(t, 200-wasSuspended, res.Changed)
	for i, uid := range ids {
		assert.Equal(t, uid, res.Users[i].UserID, "results keep the request's order")
		assert.Equal(t, 2, h.simUser(uid).Status)
		assert.Equal(t, directory.UserSuspended, h.stored(id, uid).Status)
	}
	assert.Equal(t, 200-wasSuspended, h.sim.RequestCount("PUT /api/2/users/:id"), "one write per user that needed one")
	assert.Len(t, h.audit(id, "bulk-suspend-1").Targets, 200)
	hist := h.history(api.ActionWorkflowID(id, "bulk-suspend-1"), "")
	size := 0
	for _, e := range hist.Events {
		size += proto.Size(e)
	}
	assert.Less(t, len(hist.Events), 100, "the bulk engine keeps the history small")
	t.Logf("200 named users: %d events, %d bytes of history", len(hist.Events), size)
}

// TestActionWorkflows runs every other action once where it succeeds and
// once where it fails, against one connected simulator, and records each
// history for replay.
func TestActionWorkflows(t *testing.T) {
	t.Parallel()
	const id, reader = "e2e-actions", "e2e-actions-reader"
	h := connected(t, olsim.Options{Users: 40, Groups: 5, Roles: 6}, id, reader)
	ctx := ctxT(t, 3*time.Minute)
	users := h.sim.Users()
	pick := func(i int) olsim.User { return users[i] }
	ghost := api.UserRef{Email: "ghost@acme.com"}
	setStatus := func(u olsim.User, status int) {
		_, err := h.sim.UpdateUser(u.ID, olsim.Fields{"status": status})
		require.NoError(t, err)
	}
	groups, roles := h.sim.Groups(), h.sim.Roles()

	type run struct {
		name  string
		do    func(requestID string) (starter.ActionResult, error)
		check func(res starter.ActionResult, err error)
	}
	runs := []run{
		{name: "activate-users", do: func(r string) (starter.ActionResult, error) {
			setStatus(pick(0), 2)
			setStatus(pick(1), 1)
			return wait(h.starter.ActivateUsers(ctx, actionReq(id, r, api.UserRef{ID: pick(0).ID}, api.UserRef{Username: pick(1).Username})))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, []string{"changed", "already_done"}, outcomes(res))
			assert.Equal(t, 1, h.simUser(pick(0).ID).Status)
		}},
		{name: "activate-users-unknown-user", do: func(r string) (starter.ActionResult, error) {
			return wait(h.starter.ActivateUsers(ctx, actionReq(id, r, ghost, api.UserRef{ID: pick(0).ID})))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, []string{"failed/not_found", "already_done"}, outcomes(res))
		}},
		{name: "suspend-users", do: func(r string) (starter.ActionResult, error) {
			setStatus(pick(2), 1)
			return wait(h.starter.SuspendUsers(ctx, actionReq(id, r, api.UserRef{Email: pick(2).Email})))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, []string{"changed"}, outcomes(res))
			assert.Equal(t, 2, h.simUser(pick(2).ID).Status)
		}},
		{name: "suspend-users-refused-scope", do: func(r string) (starter.ActionResult, error) {
			return wait(h.starter.SuspendUsers(ctx, actionReq(reader, r, api.UserRef{ID: pick(3).ID})))
		}, check: func(_ starter.ActionResult, err error) {
			require.Error(t, err)
			assert.Equal(t, errcode.InsufficientScope, errcode.Of(err))
			assert.Contains(t, err.Error(), "Manage All")
		}},
		{name: "add-users-to-group", do: func(r string) (starter.ActionResult, error) {
			require.NoError(t, h.sim.SetUserGroup(pick(4).ID, groups[0].ID))
			require.NoError(t, h.sim.SetUserGroup(pick(5).ID, groups[3].ID))
			return wait(h.starter.AddUsersToGroup(ctx, api.GroupRequest{GroupID: groups[3].ID,
				ActionRequest: actionReq(id, r, api.UserRef{ID: pick(4).ID}, api.UserRef{ID: pick(5).ID})}))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, []string{"changed", "already_done"}, outcomes(res))
			assert.Equal(t, groups[0].ID, res.Users[0].ReplacedGroupID, "the replaced group is reported")
			assert.Equal(t, groups[3].ID, h.simUser(pick(4).ID).GroupID)
			assert.Equal(t, groups[3].ID, h.stored(id, pick(4).ID).GroupID)
		}},
		{name: "add-users-to-group-unknown-group", do: func(r string) (starter.ActionResult, error) {
			return wait(h.starter.AddUsersToGroup(ctx, api.GroupRequest{GroupID: 31337, ActionRequest: actionReq(id, r, api.UserRef{ID: pick(4).ID})}))
		}, check: func(_ starter.ActionResult, err error) {
			assert.Equal(t, errcode.NotFound, errcode.Of(err))
		}},
		{name: "remove-users-from-group", do: func(r string) (starter.ActionResult, error) {
			return wait(h.starter.RemoveUsersFromGroup(ctx, api.GroupRequest{GroupID: groups[3].ID,
				ActionRequest: actionReq(id, r, api.UserRef{ID: pick(4).ID}, api.UserRef{ID: pick(6).ID})}))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, "changed", outcomes(res)[0])
			assert.Zero(t, h.simUser(pick(4).ID).GroupID)
			if h.simUser(pick(6).ID).GroupID != groups[3].ID {
				assert.Equal(t, "already_done", outcomes(res)[1], "a user in another group is left alone")
			}
		}},
		{name: "remove-users-from-group-unknown-user", do: func(r string) (starter.ActionResult, error) {
			return wait(h.starter.RemoveUsersFromGroup(ctx, api.GroupRequest{GroupID: groups[3].ID, ActionRequest: actionReq(id, r, ghost)}))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, []string{"failed/not_found"}, outcomes(res))
		}},
		{name: "add-users-to-role", do: func(r string) (starter.ActionResult, error) {
			require.NoError(t, h.sim.RemoveUserRoles(pick(7).ID, roles[2].ID))
			return wait(h.starter.AddUsersToRole(ctx, api.RoleRequest{RoleID: roles[2].ID, ActionRequest: actionReq(id, r, api.UserRef{ID: pick(7).ID})}))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, []string{"changed"}, outcomes(res))
			assert.Contains(t, h.simUser(pick(7).ID).RoleIDs, roles[2].ID)
			assert.Contains(t, h.stored(id, pick(7).ID).RoleIDs, roles[2].ID)
		}},
		{name: "add-users-to-role-unknown-role", do: func(r string) (starter.ActionResult, error) {
			return wait(h.starter.AddUsersToRole(ctx, api.RoleRequest{RoleID: 31337, ActionRequest: actionReq(id, r, api.UserRef{ID: pick(7).ID})}))
		}, check: func(_ starter.ActionResult, err error) {
			assert.Equal(t, errcode.NotFound, errcode.Of(err))
		}},
		{name: "remove-users-from-role", do: func(r string) (starter.ActionResult, error) {
			return wait(h.starter.RemoveUsersFromRole(ctx, api.RoleRequest{RoleID: roles[2].ID, ActionRequest: actionReq(id, r, api.UserRef{ID: pick(7).ID})}))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, []string{"changed"}, outcomes(res))
			assert.NotContains(t, h.simUser(pick(7).ID).RoleIDs, roles[2].ID)
		}},
		{name: "remove-users-from-role-unknown-user", do: func(r string) (starter.ActionResult, error) {
			return wait(h.starter.RemoveUsersFromRole(ctx, api.RoleRequest{RoleID: roles[2].ID, ActionRequest: actionReq(id, r, api.UserRef{ID: 1})}))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, []string{"failed/not_found"}, outcomes(res))
		}},
		{name: "check-group-membership", do: func(r string) (starter.ActionResult, error) {
			require.NoError(t, h.sim.SetUserGroup(pick(8).ID, groups[1].ID))
			require.NoError(t, h.sim.SetUserGroup(pick(9).ID, groups[2].ID))
			h.sim.ResetCounters()
			return wait(h.starter.CheckGroupMembership(ctx, api.GroupRequest{GroupID: groups[1].ID,
				ActionRequest: actionReq(id, r, api.UserRef{ID: pick(8).ID}, api.UserRef{ID: pick(9).ID})}))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.True(t, res.Users[0].InGroup)
			assert.False(t, res.Users[1].InGroup)
			assert.Equal(t, groups[2].ID, res.Users[1].GroupID)
			for k := range h.sim.RequestCounts() {
				assert.True(t, strings.HasPrefix(k, "GET ") || strings.Contains(k, "/auth/"), "read only, but %s", k)
			}
		}},
		{name: "check-group-membership-unknown-user", do: func(r string) (starter.ActionResult, error) {
			return wait(h.starter.CheckGroupMembership(ctx, api.GroupRequest{GroupID: groups[1].ID, ActionRequest: actionReq(id, r, ghost)}))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, []string{"failed/not_found"}, outcomes(res))
		}},
		{name: "generate-password-reset-link", do: func(r string) (starter.ActionResult, error) {
			return wait(h.starter.GeneratePasswordResetLink(ctx, actionReq(id, r, api.UserRef{ID: pick(10).ID})))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			require.Len(t, res.Links, 1)
			link := res.Links[0].Reveal()
			assert.True(t, strings.HasPrefix(link, "https://acme.onelogin.com/password/reset?token="))
			text := h.historyText(api.ActionWorkflowID(id, res.RequestID))
			assert.Contains(t, text, "sealed:v1:", "payloads were decoded for the check")
			assert.NotContains(t, text, link[strings.Index(link, "token="):], "never in history in clear, even decoded")
		}},
		{name: "generate-password-reset-link-no-email", do: func(r string) (starter.ActionResult, error) {
			u, err := h.sim.CreateUser(olsim.Fields{"username": "no.mail"})
			require.NoError(t, err)
			return wait(h.starter.GeneratePasswordResetLink(ctx, actionReq(id, r, api.UserRef{Username: u.Username})))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, []string{"failed/invalid_input"}, outcomes(res))
			assert.Nil(t, res.Links)
		}},
		{name: "send-password-reset-email", do: func(r string) (starter.ActionResult, error) {
			return wait(h.starter.SendPasswordResetEmail(ctx, actionReq(id, r, api.UserRef{Email: pick(11).Email})))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, []string{"changed"}, outcomes(res))
			sent := slices.IndexFunc(h.sim.SentInvites(), func(s olsim.SentInvite) bool { return s.UserID == pick(11).ID })
			assert.GreaterOrEqual(t, sent, 0, "OneLogin sent the email")
		}},
		{name: "send-password-reset-email-unknown-user", do: func(r string) (starter.ActionResult, error) {
			return wait(h.starter.SendPasswordResetEmail(ctx, actionReq(id, r, ghost)))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, []string{"failed/not_found"}, outcomes(res))
		}},
		{name: "set-user-password", do: func(r string) (starter.ActionResult, error) {
			return wait(h.starter.SetUserPassword(ctx, starter.SetPasswordInput{IntegrationID: id, RequestID: r, RequestedBy: "agent@acme",
				User: api.UserRef{ID: pick(12).ID}, Password: seal.NewSecret(goodPassword)}))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, []string{"changed"}, outcomes(res))
			assert.True(t, h.sim.CheckPassword(pick(12).ID, goodPassword))
			text := h.historyText(api.ActionWorkflowID(id, res.RequestID))
			assert.Contains(t, text, "sealed:v1:", "payloads were decoded for the check")
			assert.NotContains(t, text, goodPassword)
		}},
		{name: "set-user-password-policy-failure", do: func(r string) (starter.ActionResult, error) {
			return wait(h.starter.SetUserPassword(ctx, starter.SetPasswordInput{IntegrationID: id, RequestID: r, RequestedBy: "agent@acme",
				User: api.UserRef{ID: pick(13).ID}, Password: seal.NewSecret(weakPassword)}))
		}, check: func(res starter.ActionResult, err error) {
			require.NoError(t, err)
			assert.Equal(t, []string{"failed/invalid_input"}, outcomes(res))
			assert.Contains(t, res.Users[0].Message, "Password must contain", "OneLogin's policy message")
			assert.False(t, h.sim.CheckPassword(pick(13).ID, weakPassword))
			assert.NotContains(t, h.historyText(api.ActionWorkflowID(id, res.RequestID)), weakPassword)
		}},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			requestID := "req-" + r.name
			res, err := r.do(requestID)
			r.check(res, err)
			wfID := api.ActionWorkflowID(id, requestID)
			if strings.HasSuffix(r.name, "refused-scope") {
				wfID = api.ActionWorkflowID(reader, requestID)
			} else if err == nil {
				assert.Equal(t, workflows.AuditAction(res.Action), h.audit(id, requestID).Action)
			}
			h.record("action-"+r.name, wfID, "")
		})
	}

	// Actions run on their own task queue, apart from syncs.
	desc, err := h.client.DescribeWorkflow(ctx, api.ActionWorkflowID(id, "req-suspend-users"), "")
	require.NoError(t, err)
	assert.Equal(t, api.ActionTaskQueue(h.queue), desc.RawResponse.GetExecutionConfig().GetTaskQueue().GetName())

	// A request id names one request: reusing it for another action is
	// refused, and repeating it returns the first result without acting.
	_, err = wait(h.starter.ActivateUsers(ctx, actionReq(id, "req-suspend-users", api.UserRef{ID: pick(2).ID})))
	assert.Equal(t, errcode.Conflict, errcode.Of(err), "a request id names one request")
	assert.Contains(t, err.Error(), "SuspendUsers")
	assert.Equal(t, 2, h.simUser(pick(2).ID).Status, "nothing was activated")
	setStatus(pick(2), 1)
	again, err := wait(h.starter.SuspendUsers(ctx, actionReq(id, "req-suspend-users", api.UserRef{Email: pick(2).Email})))
	require.NoError(t, err)
	assert.Equal(t, []string{"changed"}, outcomes(again), "the first run's result")
	assert.Equal(t, 1, h.simUser(pick(2).ID).Status, "and no second suspend")
}

// Long enough and mixed for the simulator's default policy; the weak one
// has no digit or upper case.
const (
	goodPassword = "Tr0ub4dor-and-3"
	weakPassword = "lowercaseonly"
)
