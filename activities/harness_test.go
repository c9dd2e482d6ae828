package activities_test

// Tier-2 activity tests: the real activities run in Temporal's
// TestActivityEnvironment against the olsim OneLogin simulator (behind a real
// HTTP server, reached through the /t/{subdomain} tenant prefix) and an
// in-memory SQLite directory store. The simulator's ManualClock is the clock
// of the simulator, the OneLogin client, the store and the activities, so
// rate-limit and scheduling numbers are exact and nothing sleeps.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/seal"
)

// epoch is where every simulator clock starts.
var epoch = time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)

// testSecret is the client secret of every simulator credential. It is
// distinctive so a leak into an error or a heartbeat is found by substring.
const testSecret = "Zq8-olflow-TEST-secret-4417-do-not-print"

const subdomain = olsim.DefaultSubdomain // "acme"

// One simulator credential per scope, all with testSecret.
var scopeClientIDs = map[olsim.Scope]string{
	olsim.ScopeAuthOnly:    "cid-auth-only",
	olsim.ScopeReadUsers:   "cid-read-users",
	olsim.ScopeManageUsers: "cid-manage-users",
	olsim.ScopeReadAll:     "cid-read-all",
	olsim.ScopeManageAll:   "cid-manage-all",
}

const (
	adminClientID = "cid-manage-all"
	ownerGoneID   = "cid-owner-deleted"
)

type harness struct {
	t     testing.TB
	ctx   context.Context
	clock *olsim.ManualClock
	sim   *olsim.Server
	srv   *httptest.Server
	store directory.Store
	keys  *seal.Keyring
	acts  *activities.Activities
	suite testsuite.WorkflowTestSuite

	handler atomic.Pointer[http.Handler] // in front of the simulator
	keySeq  atomic.Int64

	mu      sync.Mutex
	secrets []string // plaintexts that must never show up
	said    []string // every activity error and heartbeat, rendered
}

// newHarness starts a simulator (120 users unless opts says otherwise), its
// HTTP server, a store and the activities. The simulator's options get the
// harness clock and one credential per scope plus one whose owner is deleted.
func newHarness(t testing.TB, opts olsim.Options, cfg activities.Config) *harness {
	t.Helper()
	h := &harness{t: t, ctx: context.Background(), clock: olsim.NewManualClock(epoch)}
	opts.Clock = h.clock
	if opts.Users == 0 {
		opts.Users = 120
	}
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	if opts.Credentials == nil {
		for sc, id := range scopeClientIDs {
			opts.Credentials = append(opts.Credentials, olsim.Credential{ClientID: id, ClientSecret: testSecret, Scope: sc})
		}
		opts.Credentials = append(opts.Credentials, olsim.Credential{ClientID: ownerGoneID, ClientSecret: testSecret,
			Scope: olsim.ScopeManageAll, OwnerDeleted: true})
	}
	h.sim = olsim.New(opts)
	h.wrap(func(next http.Handler) http.Handler { return next })
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*h.handler.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)

	store, err := directory.Open(h.ctx, "sqlite::memory:", directory.WithClock(h.clock.Now))
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	h.store = store

	key, err := seal.GenerateKey()
	require.NoError(t, err)
	h.keys, err = seal.ParseKeyring("k1:" + key)
	require.NoError(t, err)

	h.acts = &activities.Activities{
		Store: store,
		Clients: &activities.Clients{
			// Retries wait a millisecond, not 50ms, to keep tests quick.
			Template: onelogin.Config{BaseURL: h.srv.URL + "/t/" + onelogin.SubdomainPlaceholder, Now: h.clock.Now,
				RetryBackoff: time.Millisecond},
			Keys: h.keys,
		},
		Now:    h.clock.Now,
		Config: cfg,
	}
	h.suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	h.secrets = []string{testSecret}
	// Rule 13, for every test: no activity error or heartbeat shows a secret.
	t.Cleanup(h.checkNoSecretSaid)
	return h
}

// wrap puts middleware in front of the simulator.
func (h *harness) wrap(mw func(http.Handler) http.Handler) {
	next := mw(h.sim)
	h.handler.Store(&next)
}

func (h *harness) mustNotSay(secret string) {
	h.mu.Lock()
	h.secrets = append(h.secrets, secret)
	h.mu.Unlock()
}

func (h *harness) record(s string) {
	h.mu.Lock()
	h.said = append(h.said, s)
	h.mu.Unlock()
}

func (h *harness) checkNoSecretSaid() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.said {
		for _, secret := range h.secrets {
			if strings.Contains(s, secret) {
				h.t.Errorf("a secret leaked into an activity error or heartbeat: %q", s)
			}
		}
	}
}

// seal seals a client secret for an integration, as the starter does.
func (h *harness) seal(integration, secret string) seal.Sealed {
	h.t.Helper()
	s, err := h.keys.Seal(seal.NewSecret(secret), api.ClientSecretAAD(integration))
	require.NoError(h.t, err)
	h.mustNotSay(secret)
	return s
}

func (h *harness) credential(integration, clientID, secret string) activities.Credential {
	return activities.Credential{Subdomain: subdomain, Region: "us", ClientID: clientID, ClientSecret: h.seal(integration, secret)}
}

// saveIntegration records a connected integration through SaveIntegration.
func (h *harness) saveIntegration(id, clientID string) {
	h.t.Helper()
	_, r := call[struct{}](h, nil, h.acts.SaveIntegration, activities.SaveInput{
		IntegrationID: id, Credential: h.credential(id, clientID, testSecret),
		Scope: string(onelogin.ScopeManageAll), Status: directory.StatusConnected, Message: "connected",
	})
	require.NoError(h.t, r.err)
}

// ---- running activities ----

// result is one activity execution.
type result struct {
	val converter.EncodedValue
	err error
	// heartbeats is every activity.RecordHeartbeat call, in order, caught by
	// an outbound interceptor: the SDK throttles what reaches the server (and
	// the env's listener) to one heartbeat per 30 s when no heartbeat timeout
	// is set, so the listener alone sees only the first one of an attempt.
	heartbeats []any
	// listened is what the env's heartbeat listener received.
	listened []converter.EncodedValues
}

// lastProgress is the last KindProgress heartbeated, for a retry to resume
// from (what Temporal hands the next attempt), or nil.
func (r result) lastProgress() any {
	for i := len(r.heartbeats) - 1; i >= 0; i-- {
		if p, ok := r.heartbeats[i].(activities.KindProgress); ok {
			return p
		}
	}
	return nil
}

func (r result) progress() []activities.KindProgress {
	var out []activities.KindProgress
	for _, d := range r.heartbeats {
		if p, ok := d.(activities.KindProgress); ok {
			out = append(out, p)
		}
	}
	return out
}

// exec runs one activity in a fresh TestActivityEnvironment. resume, when
// not nil, is the previous attempt's heartbeat details.
func (h *harness) exec(resume any, fn any, args ...any) result {
	env := h.suite.NewTestActivityEnvironment()
	rec := &heartbeatRecorder{}
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{rec}})
	env.RegisterActivity(h.acts)
	if resume != nil {
		env.SetHeartbeatDetails(resume)
	}
	var mu sync.Mutex
	var listened []converter.EncodedValues
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
		mu.Lock()
		listened = append(listened, d)
		mu.Unlock()
	})
	val, err := env.ExecuteActivity(fn, args...)
	res := result{val: val, err: err, heartbeats: rec.all()}
	mu.Lock()
	res.listened = listened
	mu.Unlock()
	if err != nil {
		h.record(err.Error())
		var ae *temporal.ApplicationError
		if errors.As(err, &ae) {
			h.record(ae.Message())
		}
	}
	for _, d := range res.heartbeats {
		b, _ := json.Marshal(d)
		h.record(string(b))
	}
	for _, d := range res.listened {
		var v json.RawMessage
		if d.HasValues() && d.Get(&v) == nil {
			h.record(string(v))
		}
	}
	return res
}

// call runs an activity and decodes its result.
func call[T any](h *harness, resume any, fn any, args ...any) (T, result) {
	var out T
	r := h.exec(resume, fn, args...)
	if r.err == nil && r.val != nil && r.val.HasValue() {
		require.NoError(h.t, r.val.Get(&out))
	}
	return out, r
}

// must runs an activity that has to succeed.
func must[T any](h *harness, fn any, args ...any) T {
	h.t.Helper()
	out, r := call[T](h, nil, fn, args...)
	require.NoError(h.t, r.err)
	return out
}

// appErr asserts err is an activity failure carrying an ApplicationError.
func appErr(t testing.TB, err error) *temporal.ApplicationError {
	t.Helper()
	require.Error(t, err)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "not an ApplicationError: %v", err)
	return ae
}

// requireCode asserts the error's code and whether Temporal may retry it.
func requireCode(t testing.TB, err error, code errcode.Code, retryable bool) *temporal.ApplicationError {
	t.Helper()
	ae := appErr(t, err)
	require.Equal(t, string(code), ae.Type(), "error: %v", err)
	require.Equal(t, !retryable, ae.NonRetryable(), "NonRetryable of %v", err)
	return ae
}

// retry runs an activity until it succeeds, each attempt resuming from the
// last heartbeat details of the attempts before, as Temporal does. Every
// failure must be retryable. It returns the result and the failures seen.
func retry[T any](h *harness, fn any, in any) (T, int) {
	h.t.Helper()
	var resume any
	for failures := 0; failures < 200; failures++ {
		out, r := call[T](h, resume, fn, in)
		if r.err == nil {
			return out, failures
		}
		ae := appErr(h.t, r.err)
		require.False(h.t, ae.NonRetryable(), "non-retryable failure: %v", r.err)
		require.Contains(h.t, []errcode.Code{errcode.ServerError, errcode.Network}, errcode.Code(ae.Type()), "error: %v", r.err)
		h.t.Logf("retrying after: %v", r.err)
		if p := r.lastProgress(); p != nil {
			resume = p
		}
	}
	h.t.Fatalf("activity did not succeed after 200 attempts")
	var zero T
	return zero, 0
}

type heartbeatRecorder struct {
	interceptor.WorkerInterceptorBase
	mu  sync.Mutex
	got []any
}

func (r *heartbeatRecorder) all() []any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func (r *heartbeatRecorder) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &heartbeatInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, rec: r}
}

type heartbeatInbound struct {
	interceptor.ActivityInboundInterceptorBase
	rec *heartbeatRecorder
}

func (i *heartbeatInbound) Init(out interceptor.ActivityOutboundInterceptor) error {
	return i.Next.Init(&heartbeatOutbound{ActivityOutboundInterceptorBase: interceptor.ActivityOutboundInterceptorBase{Next: out}, rec: i.rec})
}

type heartbeatOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	rec *heartbeatRecorder
}

func (o *heartbeatOutbound) RecordHeartbeat(ctx context.Context, details ...any) {
	if len(details) > 0 {
		o.rec.mu.Lock()
		o.rec.got = append(o.rec.got, details[0])
		o.rec.mu.Unlock()
	}
	o.Next.RecordHeartbeat(ctx, details...)
}

// ---- whole syncs ----

type syncRun struct {
	begin  activities.BeginSyncResult
	kinds  map[directory.Kind]activities.KindResult
	finish activities.FinishResult
}

func (h *harness) kindFns() map[directory.Kind]any {
	return map[directory.Kind]any{
		directory.KindUsers: h.acts.SyncUsers, directory.KindGroups: h.acts.SyncGroups,
		directory.KindRoles: h.acts.SyncRoles, directory.KindApps: h.acts.SyncApps,
	}
}

func (h *harness) begin(integration, mode string) activities.BeginSyncResult {
	h.t.Helper()
	return must[activities.BeginSyncResult](h, h.acts.BeginSync, activities.BeginSyncInput{
		IntegrationID: integration, Mode: mode, Key: fmt.Sprintf("wf-run-%d", h.keySeq.Add(1))})
}

func kindInput(integration string, b activities.BeginSyncResult) activities.SyncKindInput {
	return activities.SyncKindInput{IntegrationID: integration, RunID: b.RunID, Mode: b.Mode, UsersSince: b.UsersSince}
}

// sync runs a whole sync the way the SyncDirectory workflow does: BeginSync,
// the four reads, FinishSyncRun completed with the users' newest updated_at
// as the watermark. Every activity must succeed.
func (h *harness) sync(integration, mode string) syncRun {
	h.t.Helper()
	run := syncRun{begin: h.begin(integration, mode), kinds: map[directory.Kind]activities.KindResult{}}
	for kind, fn := range h.kindFns() {
		run.kinds[kind] = must[activities.KindResult](h, fn, kindInput(integration, run.begin))
	}
	run.finish = must[activities.FinishResult](h, h.acts.FinishSyncRun, h.finishInput(integration, run.begin,
		directory.RunCompleted, run.kinds[directory.KindUsers].MaxUpdatedAt))
	return run
}

func (h *harness) finishInput(integration string, b activities.BeginSyncResult, status directory.RunStatus, wm time.Time) activities.FinishInput {
	return activities.FinishInput{IntegrationID: integration, RunID: b.RunID, Mode: b.Mode, Status: string(status), Watermark: wm}
}

// ---- comparing the store with the simulator ----

// statusWords is OneLogin's status code to word table, written out here
// rather than borrowed from the client.
var statusWords = map[int]directory.UserStatus{
	0: directory.UserUnactivated, 1: directory.UserActive, 2: directory.UserSuspended, 3: directory.UserLocked,
	4: directory.UserPasswordExpired, 5: directory.UserAwaitingPasswordReset, 7: directory.UserPasswordPending,
	8: directory.UserSecurityQuestionsRequired,
}

// diffUser compares a stored user with the simulator's, field by field.
func diffUser(got directory.User, want olsim.User) []string {
	var d []string
	eq := func(field string, g, w any) {
		if g != w {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", field, g, w))
		}
	}
	sameTime := func(field string, g time.Time, w *time.Time) {
		if (w == nil && !g.IsZero()) || (w != nil && !g.Equal(*w)) {
			d = append(d, fmt.Sprintf("%s: got %v, want %v", field, g, w))
		}
	}
	eq("id", got.OneLoginID, want.ID)
	eq("email", got.Email, want.Email)
	eq("username", got.Username, want.Username)
	eq("firstname", got.FirstName, want.Firstname)
	eq("lastname", got.LastName, want.Lastname)
	eq("title", got.Title, want.Title)
	eq("department", got.Department, want.Department)
	eq("company", got.Company, want.Company)
	eq("phone", got.Phone, want.Phone)
	eq("status", got.Status, statusWords[want.Status])
	eq("state", got.State, want.State)
	eq("group", got.GroupID, want.GroupID)
	eq("manager", got.ManagerID, want.ManagerUserID)
	if !slices.Equal(got.RoleIDs, want.RoleIDs) {
		d = append(d, fmt.Sprintf("role ids: got %v, want %v", got.RoleIDs, want.RoleIDs))
	}
	var attrs map[string]*string
	if len(got.CustomAttributes) > 0 {
		if err := json.Unmarshal(got.CustomAttributes, &attrs); err != nil {
			d = append(d, "custom attributes: "+err.Error())
		}
	}
	if len(attrs) != len(want.CustomAttributes) || !maps.EqualFunc(attrs, want.CustomAttributes, func(a, b *string) bool {
		return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
	}) {
		d = append(d, fmt.Sprintf("custom attributes: got %s, want %s", got.CustomAttributes, mustJSON(want.CustomAttributes)))
	}
	sameTime("created_at", got.CreatedAt, &want.CreatedAt)
	sameTime("updated_at", got.UpdatedAt, &want.UpdatedAt)
	sameTime("last_login", got.LastLogin, want.LastLogin)
	return d
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// requireMirrors asserts the store holds exactly the simulator's org for the
// integration: every user field by field, no extra live user, and the same
// groups, roles and apps.
func (h *harness) requireMirrors(integration string) {
	h.t.Helper()
	simUsers := h.sim.Users()
	for _, want := range simUsers {
		got, err := h.store.GetUser(h.ctx, integration, want.ID)
		require.NoError(h.t, err, "user %d is in the simulator but not in the store", want.ID)
		require.Empty(h.t, diffUser(got, want), "user %d differs", want.ID)
	}
	st, err := h.store.IntegrationStatus(h.ctx, integration)
	require.NoError(h.t, err)
	require.EqualValues(h.t, len(simUsers), st.Users, "live users in the store")

	gs, err := h.store.Groups(h.ctx, integration)
	require.NoError(h.t, err)
	gotGroups := map[int64]string{}
	for _, g := range gs {
		gotGroups[g.OneLoginID] = g.Name
	}
	wantGroups := map[int64]string{}
	for _, g := range h.sim.Groups() {
		wantGroups[g.ID] = g.Name
	}
	require.Equal(h.t, wantGroups, gotGroups, "groups")

	rs, err := h.store.Roles(h.ctx, integration)
	require.NoError(h.t, err)
	gotRoles := map[int64]string{}
	for _, r := range rs {
		gotRoles[r.OneLoginID] = r.Name
	}
	wantRoles := map[int64]string{}
	for _, r := range h.sim.Roles() {
		wantRoles[r.ID] = r.Name
	}
	require.Equal(h.t, wantRoles, gotRoles, "roles")

	// The catalog lists visible apps only; the hidden ones are stored too
	// (the live count says so) but never listed.
	as, err := h.store.Apps(h.ctx, integration)
	require.NoError(h.t, err)
	type app struct {
		Name, Description, IconURL string
		ConnectorID                int64
		AuthMethod                 int
		Visible                    bool
		CreatedAt, UpdatedAt       time.Time
	}
	gotApps := map[int64]app{}
	for _, a := range as {
		gotApps[a.OneLoginID] = app{a.Name, a.Description, a.IconURL, a.ConnectorID, a.AuthMethod, a.Visible, a.CreatedAt.UTC(), a.UpdatedAt.UTC()}
	}
	wantApps := map[int64]app{}
	for _, a := range h.sim.Apps() {
		if !a.Visible {
			continue
		}
		wantApps[a.ID] = app{a.Name, a.Description, a.IconURL, a.ConnectorID, a.AuthMethod, a.Visible, a.CreatedAt.UTC(), a.UpdatedAt.UTC()}
	}
	require.Equal(h.t, wantApps, gotApps, "visible apps")
	require.EqualValues(h.t, len(h.sim.Apps()), st.Apps, "live apps, hidden ones included")
	require.EqualValues(h.t, len(h.sim.Groups()), st.Groups)
	require.EqualValues(h.t, len(h.sim.Roles()), st.Roles)
}

// requireGone asserts users are soft-deleted in the store.
func (h *harness) requireGone(integration string, ids ...int64) {
	h.t.Helper()
	for _, id := range ids {
		_, err := h.store.GetUser(h.ctx, integration, id)
		require.ErrorIs(h.t, err, directory.ErrNotFound, "user %d should be deleted", id)
	}
}

func (h *harness) requirePresent(integration string, ids ...int64) {
	h.t.Helper()
	for _, id := range ids {
		_, err := h.store.GetUser(h.ctx, integration, id)
		require.NoError(h.t, err, "user %d should still be in the store", id)
	}
}

func (h *harness) liveUsers(integration string) int64 {
	h.t.Helper()
	st, err := h.store.IntegrationStatus(h.ctx, integration)
	require.NoError(h.t, err)
	return st.Users
}

func userIDs(us []olsim.User) []int64 {
	ids := make([]int64, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	return ids
}
