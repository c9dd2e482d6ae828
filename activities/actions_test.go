package activities

// Action activities against the olsim simulator: each step changes the
// simulator exactly as intended, a second run changes nothing more, and the
// store shows the change. (An internal test, so its fixture cannot clash
// with the package's external test harness.)

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/seal"
)

const (
	actInteg     = "acme-actions"
	actReadOnly  = "acme-read-all"
	actRequest   = "req-42"
	actReaderID  = "reader"
	actReaderKey = "reader-secret"
)

var actEpoch = time.Date(2025, 6, 2, 10, 0, 0, 0, time.UTC)

type actionFixture struct {
	t     *testing.T
	ctx   context.Context
	clock *olsim.ManualClock
	sim   *olsim.Server
	store directory.Store
	keys  *seal.Keyring
	acts  *Activities
	suite testsuite.WorkflowTestSuite
}

func newActionFixture(t *testing.T, opts olsim.Options) *actionFixture {
	t.Helper()
	f := &actionFixture{t: t, ctx: context.Background(), clock: olsim.NewManualClock(actEpoch)}
	opts.Clock = f.clock
	if opts.Users == 0 {
		opts.Users = 40
	}
	opts.Seed = 5
	opts.Credentials = []olsim.Credential{
		{ClientID: olsim.DefaultClientID, ClientSecret: olsim.DefaultClientSecret, Scope: olsim.ScopeManageAll},
		{ClientID: actReaderID, ClientSecret: actReaderKey, Scope: olsim.ScopeReadAll},
	}
	f.sim = olsim.New(opts)
	srv := httptest.NewServer(f.sim)
	t.Cleanup(srv.Close)
	store, err := directory.Open(f.ctx, "sqlite::memory:", directory.WithClock(f.clock.Now))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	f.store = store
	key, err := seal.GenerateKey()
	require.NoError(t, err)
	f.keys, err = seal.ParseKeyring("k1:" + key)
	require.NoError(t, err)
	f.acts = &Activities{Store: store, Now: f.clock.Now, Clients: &Clients{Keys: f.keys,
		Template: onelogin.Config{BaseURL: srv.URL + "/t/" + onelogin.SubdomainPlaceholder, Now: f.clock.Now}}}
	f.suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	f.integration(actInteg, olsim.DefaultClientID, olsim.DefaultClientSecret, directory.ScopeManageAll)
	f.integration(actReadOnly, actReaderID, actReaderKey, directory.ScopeReadAll)
	return f
}

func (f *actionFixture) integration(id, clientID, secret string, scope directory.ScopeLevel) {
	sealed, err := f.keys.Seal(seal.NewSecret(secret), api.ClientSecretAAD(id))
	require.NoError(f.t, err)
	require.NoError(f.t, f.store.PutIntegration(f.ctx, directory.Integration{ID: id, Subdomain: olsim.DefaultSubdomain,
		ClientID: clientID, ClientSecret: sealed, ScopeLevel: scope, Status: directory.StatusConnected}))
}

// exec runs one activity in a fresh test environment.
func (f *actionFixture) exec(fn any, in any, out any) error {
	env := f.suite.NewTestActivityEnvironment()
	env.RegisterActivity(f.acts)
	v, err := env.ExecuteActivity(fn, in)
	if err == nil && out != nil {
		require.NoError(f.t, v.Get(out))
	}
	return err
}

func (f *actionFixture) step(fn any, in UserStepInput) (UserStepResult, error) {
	var r UserStepResult
	err := f.exec(fn, in, &r)
	return r, err
}

func (f *actionFixture) mustStep(fn any, in UserStepInput) UserStepResult {
	f.t.Helper()
	r, err := f.step(fn, in)
	require.NoError(f.t, err)
	return r
}

func (f *actionFixture) in(ref api.UserRef) UserStepInput {
	return UserStepInput{IntegrationID: actInteg, RequestID: actRequest, User: ref, Since: f.clock.Now()}
}

// userWith returns a simulator user matching pred.
func (f *actionFixture) userWith(pred func(olsim.User) bool) olsim.User {
	f.t.Helper()
	for _, u := range f.sim.Users() {
		if pred(u) {
			return u
		}
	}
	f.t.Fatal("no simulator user fits")
	return olsim.User{}
}

func (f *actionFixture) simUser(id int64) olsim.User {
	u, ok := f.sim.User(id)
	require.True(f.t, ok)
	return u
}

func (f *actionFixture) stored(id int64) directory.User {
	f.t.Helper()
	u, err := f.store.GetUser(f.ctx, actInteg, id)
	require.NoError(f.t, err)
	return u
}

// writes counts the requests that could change OneLogin.
func (f *actionFixture) writes() int {
	n := 0
	for k, c := range f.sim.RequestCounts() {
		if !strings.HasPrefix(k, "GET ") && !strings.Contains(k, "/auth/") {
			n += c
		}
	}
	return n
}

func requireFailure(t *testing.T, err error, code errcode.Code, retryable bool) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "not an ApplicationError: %v", err)
	require.Equal(t, string(code), ae.Type(), "error: %v", err)
	require.Equal(t, !retryable, ae.NonRetryable(), "NonRetryable of %v", err)
	return ae
}

func TestActionStatusSteps(t *testing.T) {
	f := newActionFixture(t, olsim.Options{})
	u := f.userWith(func(u olsim.User) bool { return u.Status == 1 && u.Email != "" })
	in := f.in(api.UserRef{Email: strings.ToUpper(u.Email)})

	r := f.mustStep(f.acts.SuspendUser, in)
	assert.Equal(t, UserStepResult{UserID: u.ID, Outcome: api.OutcomeChanged}, r)
	assert.Equal(t, 2, f.simUser(u.ID).Status)
	assert.Equal(t, directory.UserSuspended, f.stored(u.ID).Status, "the store shows the change before any sync")
	assert.Equal(t, 1, f.sim.RequestCount("PUT /api/2/users/:id"))

	r = f.mustStep(f.acts.SuspendUser, in)
	assert.Equal(t, api.OutcomeAlreadyDone, r.Outcome)
	assert.Equal(t, 1, f.sim.RequestCount("PUT /api/2/users/:id"), "a second run changes nothing")

	r = f.mustStep(f.acts.ActivateUser, f.in(api.UserRef{ID: u.ID}))
	assert.Equal(t, api.OutcomeChanged, r.Outcome)
	assert.Equal(t, 1, f.simUser(u.ID).Status)
	assert.Equal(t, directory.UserActive, f.stored(u.ID).Status)
	r = f.mustStep(f.acts.ActivateUser, f.in(api.UserRef{ID: u.ID}))
	assert.Equal(t, api.OutcomeAlreadyDone, r.Outcome)
	assert.Equal(t, 2, f.sim.RequestCount("PUT /api/2/users/:id"))
}

func TestActionActivationOneLoginIgnores(t *testing.T) {
	f := newActionFixture(t, olsim.Options{ActivateWithoutPassword: olsim.ActivateIgnore})
	u, err := f.sim.CreateUser(olsim.Fields{"email": "fresh@acme.com", "username": "fresh"})
	require.NoError(t, err)
	_, err = f.step(f.acts.ActivateUser, f.in(api.UserRef{ID: u.ID}))
	ae := requireFailure(t, err, errcode.InvalidInput, false)
	assert.Contains(t, ae.Message(), "password_pending")
}

func TestActionGroupSteps(t *testing.T) {
	f := newActionFixture(t, olsim.Options{Groups: 4})
	groups := f.sim.Groups()
	from, to := groups[0].ID, groups[1].ID
	u := f.userWith(func(u olsim.User) bool { return u.Username != "" })
	require.NoError(t, f.sim.SetUserGroup(u.ID, from))
	f.sim.ResetCounters()
	in := f.in(api.UserRef{Username: u.Username})
	in.GroupID = to

	r := f.mustStep(f.acts.SetUserGroup, in)
	assert.Equal(t, UserStepResult{UserID: u.ID, Outcome: api.OutcomeChanged, PreviousGroupID: from}, r, "the replaced group is reported")
	assert.Equal(t, to, f.simUser(u.ID).GroupID)
	assert.Equal(t, to, f.stored(u.ID).GroupID)
	r = f.mustStep(f.acts.SetUserGroup, in)
	assert.Equal(t, UserStepResult{UserID: u.ID, Outcome: api.OutcomeAlreadyDone}, r)
	assert.Equal(t, 1, f.writes())

	check := f.in(api.UserRef{ID: u.ID})
	check.GroupID = to
	r = f.mustStep(f.acts.CheckUserGroup, check)
	assert.True(t, r.InGroup)
	check.GroupID = from
	r = f.mustStep(f.acts.CheckUserGroup, check)
	assert.False(t, r.InGroup)
	assert.Equal(t, to, r.GroupID)
	assert.Equal(t, 1, f.writes(), "checking writes nothing")

	// Removing from a group the user is not in leaves them alone.
	other := f.in(api.UserRef{ID: u.ID})
	other.GroupID = from
	r = f.mustStep(f.acts.RemoveUserFromGroup, other)
	assert.Equal(t, api.OutcomeAlreadyDone, r.Outcome)
	assert.Equal(t, to, f.simUser(u.ID).GroupID)

	in.GroupID = to
	r = f.mustStep(f.acts.RemoveUserFromGroup, in)
	assert.Equal(t, UserStepResult{UserID: u.ID, Outcome: api.OutcomeChanged, PreviousGroupID: to}, r)
	assert.Zero(t, f.simUser(u.ID).GroupID)
	assert.Zero(t, f.stored(u.ID).GroupID)
	r = f.mustStep(f.acts.RemoveUserFromGroup, in)
	assert.Equal(t, api.OutcomeAlreadyDone, r.Outcome)
	assert.Equal(t, 2, f.writes())

	// Group 0 clears whatever group the user has, as offboarding does.
	require.NoError(t, f.sim.SetUserGroup(u.ID, from))
	r = f.mustStep(f.acts.RemoveUserFromGroup, f.in(api.UserRef{ID: u.ID}))
	assert.Equal(t, from, r.PreviousGroupID)
	assert.Zero(t, f.simUser(u.ID).GroupID)

	bad := f.in(api.UserRef{ID: u.ID})
	bad.GroupID = 999999
	_, err := f.step(f.acts.SetUserGroup, bad)
	ae := requireFailure(t, err, errcode.InvalidInput, false)
	assert.Contains(t, ae.Message(), "Group 999999 does not exist", "OneLogin's own words")
	assert.True(t, ae.HasDetails(), "the failure names the user")
}

func TestActionRoleSteps(t *testing.T) {
	f := newActionFixture(t, olsim.Options{Roles: 5})
	u := f.userWith(func(u olsim.User) bool { return u.Email != "" })
	role := f.userRoleNot(u)
	in := f.in(api.UserRef{ID: u.ID})
	in.RoleID = role

	r := f.mustStep(f.acts.AddUserToRole, in)
	assert.Equal(t, api.OutcomeChanged, r.Outcome)
	assert.Contains(t, f.roleMembers(role), u.ID)
	assert.Contains(t, f.stored(u.ID).RoleIDs, role)
	r = f.mustStep(f.acts.AddUserToRole, in)
	assert.Equal(t, api.OutcomeAlreadyDone, r.Outcome)
	assert.Equal(t, 1, f.sim.RequestCount("POST /api/2/roles/:id/users"))

	r = f.mustStep(f.acts.RemoveUserFromRole, in)
	assert.Equal(t, api.OutcomeChanged, r.Outcome)
	assert.NotContains(t, f.roleMembers(role), u.ID)
	assert.NotContains(t, f.stored(u.ID).RoleIDs, role)
	r = f.mustStep(f.acts.RemoveUserFromRole, in)
	assert.Equal(t, api.OutcomeAlreadyDone, r.Outcome)
	assert.Equal(t, 1, f.sim.RequestCount("DELETE /api/2/roles/:id/users"))

	in.RoleID = 987654
	_, err := f.step(f.acts.AddUserToRole, in)
	requireFailure(t, err, errcode.NotFound, false)
}

func (f *actionFixture) userRoleNot(u olsim.User) int64 {
	for _, r := range f.sim.Roles() {
		if !slices.Contains(u.RoleIDs, r.ID) {
			return r.ID
		}
	}
	f.t.Fatal("the user has every role")
	return 0
}

func (f *actionFixture) roleMembers(id int64) []int64 {
	for _, r := range f.sim.Roles() {
		if r.ID == id {
			return r.UserIDs
		}
	}
	return nil
}

func TestActionResolve(t *testing.T) {
	f := newActionFixture(t, olsim.Options{})
	users := f.sim.Users()
	known := f.userWith(func(u olsim.User) bool { return u.Email != "" && u.Username != "" })
	// The directory knows this user from a sync.
	ol, err := f.mustClient().GetUser(f.ctx, known.ID)
	require.NoError(t, err)
	_, err = f.store.PutUser(f.ctx, actInteg, toDirectoryUser(ol))
	require.NoError(t, err)
	f.sim.ResetCounters()

	r := f.mustStep(f.acts.ResolveUser, f.in(api.UserRef{Email: known.Email}))
	assert.Equal(t, known.ID, r.UserID)
	assert.Equal(t, known.RoleIDs, r.RoleIDs)
	assert.Zero(t, f.sim.RequestCount("GET /api/2/users"), "a synced user resolves without a list call")

	unsynced := users[len(users)-1]
	r = f.mustStep(f.acts.ResolveUser, f.in(api.UserRef{Username: strings.ToUpper(unsynced.Username)}))
	assert.Equal(t, unsynced.ID, r.UserID, "a user the directory lacks is looked up in OneLogin")
	assert.Equal(t, 1, f.sim.RequestCount("GET /api/2/users"))

	// The directory is stale: OneLogin renamed the user since the sync.
	_, err = f.sim.UpdateUser(known.ID, olsim.Fields{"email": "renamed@acme.com"})
	require.NoError(t, err)
	_, err = f.step(f.acts.ResolveUser, f.in(api.UserRef{Email: known.Email}))
	ae := requireFailure(t, err, errcode.NotFound, false)
	assert.Contains(t, ae.Message(), known.Email)
	r = f.mustStep(f.acts.ResolveUser, f.in(api.UserRef{Email: "renamed@acme.com"}))
	assert.Equal(t, known.ID, r.UserID)

	_, err = f.step(f.acts.ResolveUser, f.in(api.UserRef{ID: 1}))
	requireFailure(t, err, errcode.NotFound, false)
	_, err = f.step(f.acts.SuspendUser, f.in(api.UserRef{Email: "*@acme.com"}))
	requireFailure(t, err, errcode.InvalidInput, false)
}

func (f *actionFixture) mustClient() *onelogin.Client {
	c, err := f.acts.client(f.ctx, actInteg)
	require.NoError(f.t, err)
	return c
}

func TestActionSetPassword(t *testing.T) {
	f := newActionFixture(t, olsim.Options{})
	u := f.userWith(func(u olsim.User) bool { return u.Status == 1 })
	const good, weak = "Correct-Horse-9", "tiny7"
	in := f.in(api.UserRef{ID: u.ID})
	in.Password = f.sealPassword(good, actRequest)

	r := f.mustStep(f.acts.SetPassword, in)
	assert.Equal(t, api.OutcomeChanged, r.Outcome)
	assert.True(t, f.sim.CheckPassword(u.ID, good))
	puts := f.sim.RequestCount("PUT /api/2/users/:id")
	// A retry after the password was set does not set it again.
	r = f.mustStep(f.acts.SetPassword, in)
	assert.Equal(t, api.OutcomeAlreadyDone, r.Outcome)
	assert.Equal(t, puts, f.sim.RequestCount("PUT /api/2/users/:id"))

	f.clock.Advance(time.Minute)
	in = f.in(api.UserRef{ID: u.ID})
	in.Password = f.sealPassword(weak, actRequest)
	_, err := f.step(f.acts.SetPassword, in)
	ae := requireFailure(t, err, errcode.InvalidInput, false)
	assert.Contains(t, ae.Message(), "Password is too short", "OneLogin's policy message comes back")
	assert.NotContains(t, err.Error(), weak)
	assert.True(t, f.sim.CheckPassword(u.ID, good), "the policy kept the old password")

	// A password sealed for another request does not open here.
	in.Password = f.sealPassword(good, "another-request")
	_, err = f.step(f.acts.SetPassword, in)
	requireFailure(t, err, errcode.ServerError, true)
}

func (f *actionFixture) sealPassword(pw, request string) seal.Sealed {
	s, err := f.keys.Seal(seal.NewSecret(pw), api.PasswordAAD(actInteg, request))
	require.NoError(f.t, err)
	return s
}

func TestActionResetLinkAndEmail(t *testing.T) {
	f := newActionFixture(t, olsim.Options{})
	u := f.userWith(func(u olsim.User) bool { return u.Email != "" && u.InvitationSentAt == nil })
	in := f.in(api.UserRef{ID: u.ID})

	var raw json.RawMessage
	require.NoError(t, f.exec(f.acts.GenerateResetLink, in, &raw))
	assert.NotContains(t, string(raw), "token=", "the link never leaves the activity in clear")
	var r UserStepResult
	require.NoError(t, json.Unmarshal(raw, &r))
	link, err := f.keys.Open(r.ResetLink, api.ResetLinkAAD(actInteg, actRequest))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(link.Reveal(), "https://acme.onelogin.com/password/reset?token="), "got a reset link")
	assert.Empty(t, f.sim.SentInvites(), "generating a link sends no email")

	r = f.mustStep(f.acts.SendResetEmail, in)
	assert.Equal(t, api.OutcomeChanged, r.Outcome)
	require.Len(t, f.sim.SentInvites(), 1)
	assert.Equal(t, u.Email, f.sim.SentInvites()[0].To)
	r = f.mustStep(f.acts.SendResetEmail, in)
	assert.Equal(t, api.OutcomeAlreadyDone, r.Outcome, "a retry sends no second email")
	assert.Len(t, f.sim.SentInvites(), 1)

	noMail, err := f.sim.CreateUser(olsim.Fields{"username": "no-mail"})
	require.NoError(t, err)
	_, err = f.step(f.acts.SendResetEmail, f.in(api.UserRef{ID: noMail.ID}))
	requireFailure(t, err, errcode.InvalidInput, false)
}

func TestActionLogout(t *testing.T) {
	f := newActionFixture(t, olsim.Options{})
	u := f.sim.Users()[3]
	r := f.mustStep(f.acts.LogoutUser, f.in(api.UserRef{ID: u.ID}))
	assert.Equal(t, api.OutcomeChanged, r.Outcome)
	require.Len(t, f.sim.LoggedOut(), 1)
	assert.Equal(t, u.ID, f.sim.LoggedOut()[0].UserID)
}

// A spent v1 budget waits for the announced reset instead of spending a 429.
func TestActionWaitsForTheRateBudget(t *testing.T) {
	f := newActionFixture(t, olsim.Options{RateLimit: 2})
	u := f.sim.Users()[0]
	f.mustStep(f.acts.LogoutUser, f.in(api.UserRef{ID: u.ID}))
	f.clock.Advance(10 * time.Minute)
	f.mustStep(f.acts.LogoutUser, f.in(api.UserRef{ID: u.ID}))
	_, err := f.step(f.acts.LogoutUser, f.in(api.UserRef{ID: u.ID}))
	ae := requireFailure(t, err, errcode.RateLimited, true)
	assert.Equal(t, 50*time.Minute, ae.NextRetryDelay(), "retry when the window resets")
	assert.Equal(t, 2, f.sim.RequestCount("PUT /api/1/users/:id/logout"), "no request spent on a known-empty budget")
	// v2 steps do not spend the v1 budget, so they do not wait.
	f.mustStep(f.acts.SuspendUser, f.in(api.UserRef{ID: u.ID}))

	f.clock.Advance(51 * time.Minute)
	f.mustStep(f.acts.LogoutUser, f.in(api.UserRef{ID: u.ID}))
	assert.Len(t, f.sim.LoggedOut(), 3)
}

func TestBeginAction(t *testing.T) {
	f := newActionFixture(t, olsim.Options{Groups: 3, Roles: 3})
	g, r := f.sim.Groups()[1], f.sim.Roles()[2]
	var res BeginActionResult
	require.NoError(t, f.exec(f.acts.BeginAction, BeginActionInput{IntegrationID: actInteg, GroupID: g.ID, RoleIDs: []int64{r.ID}}, &res))
	assert.Equal(t, BeginActionResult{Scope: "manage_all", GroupName: g.Name, RoleNames: []string{r.Name}}, res)

	f.sim.ResetCounters()
	err := f.exec(f.acts.BeginAction, BeginActionInput{IntegrationID: actReadOnly, GroupID: g.ID}, nil)
	ae := requireFailure(t, err, errcode.InsufficientScope, false)
	assert.Contains(t, ae.Message(), "Manage All")
	assert.Empty(t, f.sim.RequestCounts(), "refused before any OneLogin call")

	err = f.exec(f.acts.BeginAction, BeginActionInput{IntegrationID: actInteg, GroupID: 424242}, nil)
	ae = requireFailure(t, err, errcode.NotFound, false)
	assert.Contains(t, ae.Message(), "group 424242")
	err = f.exec(f.acts.BeginAction, BeginActionInput{IntegrationID: "nobody"}, nil)
	requireFailure(t, err, errcode.NotFound, false)

	require.NoError(t, f.store.SetIntegrationStatus(f.ctx, actInteg, directory.StatusInvalidCredentials, "rotated away"))
	err = f.exec(f.acts.BeginAction, BeginActionInput{IntegrationID: actInteg}, nil)
	requireFailure(t, err, errcode.InvalidCredentials, false)
}

func TestRecordActionOncePerRequest(t *testing.T) {
	f := newActionFixture(t, olsim.Options{Users: 3})
	in := AuditInput{IntegrationID: actInteg, RequestID: actRequest, Actor: "agent@acme", Action: "suspend_users",
		Targets: []directory.AuditTarget{{UserID: 7, Outcome: directory.OutcomeChanged}, {Outcome: directory.OutcomeFailed, ErrorCode: string(errcode.NotFound)}}}
	var first, second int64
	require.NoError(t, f.exec(f.acts.RecordAction, in, &first))
	require.NoError(t, f.exec(f.acts.RecordAction, in, &second))
	assert.Equal(t, first, second)
	entries, err := f.store.ListAudit(f.ctx, actInteg, directory.AuditFilter{RequestID: actRequest})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, in.Targets, entries[0].Targets)
	assert.Equal(t, "agent@acme", entries[0].Actor)
}

func TestUserRefNormalize(t *testing.T) {
	r, err := api.UserRef{Email: "  jane@acme.com "}.Normalize()
	require.NoError(t, err)
	assert.Equal(t, api.UserRef{Email: "jane@acme.com"}, r)
	for _, bad := range []api.UserRef{{}, {ID: 1, Username: "x"}, {Email: "x"}, {Username: "a*"}, {Username: "!x"}, {ID: -1}} {
		_, err := bad.Normalize()
		assert.Error(t, err, "%+v", bad)
	}
}
