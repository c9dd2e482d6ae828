package onelogin_test

import (
	"context"
	"errors"
	"iter"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/onelogin/olsim"
)

const tokenKey = "POST /auth/oauth2/v2/token"

var simStart = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)

type fixture struct {
	sim   *olsim.Server
	srv   *httptest.Server
	clock *olsim.ManualClock
}

func newFixture(t *testing.T, opts olsim.Options) *fixture {
	t.Helper()
	clock := olsim.NewManualClock(simStart)
	if opts.Clock == nil {
		opts.Clock = clock
	}
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	sim := olsim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &fixture{sim: sim, srv: srv, clock: clock}
}

// client builds a client for the sim; credentials default to the sim's.
func (f *fixture) client(t *testing.T, mutate ...func(*onelogin.Config)) *onelogin.Client {
	t.Helper()
	cfg := onelogin.Config{Subdomain: "acme", ClientID: olsim.DefaultClientID, ClientSecret: olsim.DefaultClientSecret,
		BaseURL: f.srv.URL + "/t/{subdomain}", Now: f.clock.Now}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := onelogin.New(cfg)
	require.NoError(t, err)
	return c
}

func codeOf(t *testing.T, err error) *onelogin.Error {
	t.Helper()
	var e *onelogin.Error
	require.True(t, errors.As(err, &e), "want *onelogin.Error, got %v", err)
	return e
}

func withCred(id, secret string) func(*onelogin.Config) {
	return func(c *onelogin.Config) { c.ClientID, c.ClientSecret = id, secret }
}

func TestTokenErrorCodes(t *testing.T) {
	f := newFixture(t, olsim.Options{Credentials: []olsim.Credential{
		{ClientID: olsim.DefaultClientID, ClientSecret: olsim.DefaultClientSecret, Scope: olsim.ScopeManageAll},
		{ClientID: "orphan", ClientSecret: "orphan-secret", Scope: olsim.ScopeManageAll, OwnerDeleted: true},
	}})
	ctx := context.Background()
	cases := []struct {
		name   string
		mutate func(*onelogin.Config)
		want   onelogin.Code
		status int
	}{
		{"wrong secret", withCred(olsim.DefaultClientID, "nope"), onelogin.CodeInvalidCredentials, 401},
		{"unknown client", withCred("who", "nope"), onelogin.CodeInvalidCredentials, 401},
		{"owner deleted", withCred("orphan", "orphan-secret"), onelogin.CodeCredentialOwnerDeleted, 500},
		{"wrong subdomain", func(c *onelogin.Config) { c.Subdomain = "acme-typo" }, onelogin.CodeSubdomainNotFound, 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.client(t, tc.mutate).Authenticate(ctx)
			e := codeOf(t, err)
			assert.Equal(t, tc.want, e.Code, "%v", err)
			assert.Equal(t, tc.status, e.Status)
			assert.NotEmpty(t, e.RequestID, "x-request-id is kept for support tickets")
			assert.False(t, e.Code.Retryable())
			assert.NotContains(t, err.Error(), "secret")
		})
	}
}

func TestTokenHTML429IsRateLimited(t *testing.T) {
	f := newFixture(t, olsim.Options{Faults: olsim.Faults{TokenHTML429: 1}})
	c := f.client(t)
	_, err := c.Authenticate(context.Background())
	e := codeOf(t, err)
	assert.Equal(t, onelogin.CodeRateLimited, e.Code)
	assert.Equal(t, onelogin.DefaultRateLimitWait, e.RetryAfter, "HAProxy's page announces no reset")
	assert.Equal(t, "429 Too Many Requests", e.Message)
	_, err = c.Authenticate(context.Background())
	require.NoError(t, err, "the next try gets a token")
}

func TestResourceErrorCodes(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 20, Credentials: []olsim.Credential{
		{ClientID: olsim.DefaultClientID, ClientSecret: olsim.DefaultClientSecret, Scope: olsim.ScopeManageAll},
		{ClientID: "reader", ClientSecret: "reader-secret", Scope: olsim.ScopeReadUsers},
	}})
	ctx := context.Background()
	admin, reader := f.client(t), f.client(t, withCred("reader", "reader-secret"))
	users := f.sim.Users()

	_, err := first(reader.Apps(ctx, onelogin.AppQuery{}))
	assert.Equal(t, onelogin.CodeInsufficientScope, codeOf(t, err).Code, "v2 403")
	err = reader.SetUserState(ctx, users[0].ID, onelogin.StateApproved)
	e := codeOf(t, err)
	assert.Equal(t, onelogin.CodeInsufficientScope, e.Code, "v1 401 Insufficient Permission")
	assert.Equal(t, "Insufficient Permission", e.Message)

	_, err = admin.GetUser(ctx, 999999999)
	e = codeOf(t, err)
	assert.Equal(t, onelogin.CodeNotFound, e.Code)
	assert.Equal(t, 404, e.Status)

	dup := users[1].Email
	_, err = admin.UpdateUser(ctx, users[0].ID, onelogin.UserUpdate{Email: &dup})
	e = codeOf(t, err)
	assert.Equal(t, onelogin.CodeInvalidInput, e.Code)
	assert.Contains(t, e.Message, "must be unique")

	weak := "abc1"
	_, err = admin.UpdateUser(ctx, users[0].ID, onelogin.UserUpdate{Password: &weak})
	e = codeOf(t, err)
	assert.Equal(t, onelogin.CodeInvalidInput, e.Code, "password policy")
	assert.NotContains(t, err.Error(), weak)
}

func TestV2ScopeDenialAs401AfterFreshToken(t *testing.T) {
	f := newFixture(t, olsim.Options{V2ScopeDenialStatus: 401, Credentials: []olsim.Credential{
		{ClientID: "reader", ClientSecret: "reader-secret", Scope: olsim.ScopeReadUsers},
	}})
	c := f.client(t, withCred("reader", "reader-secret"))
	ctx := context.Background()
	_, err := c.Authenticate(ctx)
	require.NoError(t, err)
	_, err = first(c.Apps(ctx, onelogin.AppQuery{}))
	assert.Equal(t, onelogin.CodeInsufficientScope, codeOf(t, err).Code)
	assert.Equal(t, 2, f.sim.RequestCount(tokenKey), "a 401 with a cached token asks for a token once more, then gives up")
	assert.Equal(t, 2, f.sim.RequestCount("GET /api/2/apps"))
}

func TestServerAndNetworkErrors(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 10})
	c := f.client(t)
	ctx := context.Background()
	id := f.sim.Users()[0].ID
	_, err := c.Authenticate(ctx)
	require.NoError(t, err)

	// Every try fails: the client gives up after MaxAttempts (default 5).
	f.sim.SetFaults(olsim.Faults{ErrorRate: 1, ErrorStatuses: []int{502}})
	f.sim.ResetCounters()
	_, err = c.GetUser(ctx, id)
	e := codeOf(t, err)
	assert.Equal(t, onelogin.CodeServerError, e.Code)
	assert.Equal(t, 502, e.Status)
	assert.True(t, e.Code.Retryable())
	assert.Equal(t, 5, f.sim.RequestCount("GET /api/2/users/:id"))

	f.sim.SetFaults(olsim.Faults{ConnResets: 5})
	_, err = c.GetUser(ctx, id)
	assert.Equal(t, onelogin.CodeNetwork, codeOf(t, err).Code)

	// One cut connection is absorbed by a retry.
	f.sim.SetFaults(olsim.Faults{ConnResets: 1})
	f.sim.ResetCounters()
	_, err = c.GetUser(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, 2, f.sim.RequestCount("GET /api/2/users/:id"))

	f.sim.SetFaults(olsim.Faults{Burst429: 1})
	_, err = first(c.Groups(ctx))
	e = codeOf(t, err)
	assert.Equal(t, onelogin.CodeRateLimited, e.Code)
	_, _, reset := f.sim.RateLimitStatus()
	assert.Equal(t, time.Duration(reset)*time.Second, e.RetryAfter, "wait comes from X-RateLimit-Reset")

	f.sim.SetFaults(olsim.Faults{})
	_, err = c.GetUser(ctx, id)
	require.NoError(t, err)
}

func TestV2PagingAcrossManyPages(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 237})
	c := f.client(t)
	ctx := context.Background()
	var ids []int64
	pages := 0
	for p, err := range c.UserPages(ctx, onelogin.UserQuery{Sort: "id"}, "") {
		require.NoError(t, err)
		pages++
		assert.Equal(t, 5, p.TotalPages)
		assert.Equal(t, 237, p.TotalCount)
		assert.Equal(t, pages, p.CurrentPage)
		assert.Equal(t, pages == 5, p.NextCursor == "", "only the last page lacks After-Cursor")
		for _, u := range p.Items {
			ids = append(ids, u.ID)
		}
	}
	assert.Equal(t, 5, pages)
	var want []int64
	for _, u := range f.sim.Users() {
		want = append(want, u.ID)
	}
	assert.Equal(t, want, ids, "every user once, in id order")
	assert.Equal(t, 5, f.sim.RequestCount("GET /api/2/users"), "the sim refuses cursor with limit, so later pages sent cursor alone")

	// A page by number, and resuming from a page's cursor.
	p3, err := c.UsersPage(ctx, onelogin.UserQuery{Sort: "id"}, 3)
	require.NoError(t, err)
	assert.Equal(t, ids[100:150], userIDs(p3.Items))
	var resumed []int64
	for u, err := range c.Users(ctx, onelogin.UserQuery{Sort: "id", Limit: 1000}) {
		require.NoError(t, err)
		resumed = append(resumed, u.ID)
	}
	assert.Equal(t, ids, resumed, "limit is capped at the users maximum")

	first, _ := firstPage(t, c.UserPages(ctx, onelogin.UserQuery{Sort: "id"}, ""))
	var rest []int64
	for p, err := range c.UserPages(ctx, onelogin.UserQuery{}, first.NextCursor) {
		require.NoError(t, err)
		rest = append(rest, userIDs(p.Items)...)
	}
	assert.Equal(t, ids[50:], rest)
}

func firstPage[T any](t *testing.T, seq iter.Seq2[onelogin.Page[T], error]) (onelogin.Page[T], error) {
	t.Helper()
	for p, err := range seq {
		return p, err
	}
	t.Fatal("no page")
	return onelogin.Page[T]{}, nil
}

// first is the first item of a list, or its error.
func first[T any](seq iter.Seq2[T, error]) (T, error) {
	for v, err := range seq {
		return v, err
	}
	var zero T
	return zero, nil
}

func userIDs(us []onelogin.User) []int64 {
	out := make([]int64, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

func TestV1PagingAcrossManyPages(t *testing.T) {
	f := newFixture(t, olsim.Options{Groups: 120, Users: 5})
	c := f.client(t)
	var got []int64
	for g, err := range c.Groups(context.Background()) {
		require.NoError(t, err)
		got = append(got, g.ID)
	}
	var want []int64
	for _, g := range f.sim.Groups() {
		want = append(want, g.ID)
	}
	slices.Sort(got)
	slices.Sort(want)
	assert.Equal(t, want, got)
	assert.Equal(t, 3, f.sim.RequestCount("GET /api/1/groups"))
}

func TestIncrementalFilter(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 60})
	c := f.client(t)
	ctx := context.Background()
	f.clock.Advance(time.Hour)
	since := f.clock.Now()
	f.clock.Advance(time.Minute)
	id := f.sim.Users()[3].ID
	_, err := f.sim.UpdateUser(id, olsim.Fields{"title": "Chief Tester"})
	require.NoError(t, err)
	var got []onelogin.User
	for u, err := range c.Users(ctx, onelogin.UserQuery{UpdatedSince: since}) {
		require.NoError(t, err)
		got = append(got, u)
	}
	require.Len(t, got, 1)
	assert.Equal(t, id, got[0].ID)
	assert.Equal(t, "Chief Tester", got[0].Title)
}

func TestOneTokenForManyRequests(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 30})
	c := f.client(t)
	ctx := context.Background()
	for _, u := range f.sim.Users()[:20] {
		_, err := c.GetUser(ctx, u.ID)
		require.NoError(t, err)
	}
	assert.Equal(t, 1, f.sim.RequestCount(tokenKey))
	assert.EqualValues(t, 21, c.Calls())
}

func TestConcurrentCallersShareOneTokenRequest(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 30, Faults: olsim.Faults{Latency: 20 * time.Millisecond}})
	c := f.client(t)
	users := f.sim.Users()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.GetUser(context.Background(), users[i%len(users)].ID)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, 1, f.sim.RequestCount(tokenKey))
}

func TestRefreshOn401RebuildsRequestWithBody(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 5})
	c := f.client(t)
	ctx := context.Background()
	u := f.sim.Users()[0]
	_, err := c.Authenticate(ctx)
	require.NoError(t, err)
	f.sim.RevokeAllTokens()

	title := "Rebuilt Request"
	got, err := c.UpdateUser(ctx, u.ID, onelogin.UserUpdate{Title: &title})
	require.NoError(t, err)
	assert.Equal(t, title, got.Title)
	after, _ := f.sim.User(u.ID)
	assert.Equal(t, title, after.Title, "the body arrived intact on the second send")
	assert.Equal(t, 2, f.sim.RequestCount(tokenKey))
	assert.Equal(t, 2, f.sim.RequestCount("PUT /api/2/users/:id"))
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 5})
	c := f.client(t)
	ctx := context.Background()
	first, err := c.Authenticate(ctx)
	require.NoError(t, err)
	assert.Equal(t, simStart.Add(36000*time.Second), first.ExpiresAt, "expiry is created_at + expires_in")
	f.clock.Advance(9 * time.Hour)
	_, err = c.Authenticate(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, f.sim.RequestCount(tokenKey), "still valid: reused")
	f.clock.Advance(59 * time.Minute)
	early, err := c.Authenticate(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, f.sim.RequestCount(tokenKey), "inside the margin: asked again without waiting for a 401")
	assert.Equal(t, first.ExpiresAt, early.ExpiresAt, "OneLogin hands back the same token until it expires")
	_, err = c.Authenticate(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, f.sim.RequestCount(tokenKey), "the same token is then kept to its expiry, not asked for on every call")
	f.clock.Advance(2 * time.Minute)
	renewed, err := c.Authenticate(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, f.sim.RequestCount(tokenKey))
	assert.True(t, renewed.ExpiresAt.After(first.ExpiresAt), "a new token after expiry")
	assert.Zero(t, f.sim.RequestCount("GET /api/2/users/:id"))
}

func TestTwoTenantsNeverShareAToken(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 5, Credentials: []olsim.Credential{
		{ClientID: "one", ClientSecret: "s1", Scope: olsim.ScopeManageAll},
		{ClientID: "two", ClientSecret: "s2", Scope: olsim.ScopeReadAll},
	}})
	ctx := context.Background()
	a, b := f.client(t, withCred("one", "s1")), f.client(t, withCred("two", "s2"))
	ra, err := a.ProbeScope(ctx)
	require.NoError(t, err)
	rb, err := b.ProbeScope(ctx)
	require.NoError(t, err)
	assert.Equal(t, onelogin.ScopeManageAll, ra.Scope)
	assert.Equal(t, onelogin.ScopeReadAll, rb.Scope)
	assert.Equal(t, 2, f.sim.RequestCount(tokenKey))
}

func TestProbeScope(t *testing.T) {
	for _, tc := range []struct {
		sim  olsim.Scope
		want onelogin.Scope
	}{
		{olsim.ScopeAuthOnly, onelogin.ScopeAuthOnly},
		{olsim.ScopeReadUsers, onelogin.ScopeReadUsers},
		{olsim.ScopeManageUsers, onelogin.ScopeManageUsers},
		{olsim.ScopeReadAll, onelogin.ScopeReadAll},
		{olsim.ScopeManageAll, onelogin.ScopeManageAll},
	} {
		t.Run(string(tc.sim), func(t *testing.T) {
			f := newFixture(t, olsim.Options{Users: 3, AccountID: 4242, Credentials: []olsim.Credential{{ClientID: "c", ClientSecret: "s", Scope: tc.sim}}})
			rep, err := f.client(t, withCred("c", "s")).ProbeScope(context.Background())
			require.NoError(t, err)
			assert.Equal(t, tc.want, rep.Scope)
			assert.EqualValues(t, 4242, rep.AccountID)
			assert.Equal(t, tc.want == onelogin.ScopeReadAll || tc.want == onelogin.ScopeManageAll, rep.Scope.CanSync())
			assert.Equal(t, tc.want == onelogin.ScopeManageAll, rep.Scope.CanAct())
		})
	}
	t.Run("documented limit: Read All that may list connectors reads as Manage All", func(t *testing.T) {
		f := newFixture(t, olsim.Options{Users: 3, ConnectorsScope: olsim.ScopeReadAll,
			Credentials: []olsim.Credential{{ClientID: "c", ClientSecret: "s", Scope: olsim.ScopeReadAll}}})
		rep, err := f.client(t, withCred("c", "s")).ProbeScope(context.Background())
		require.NoError(t, err)
		assert.Equal(t, onelogin.ScopeManageAll, rep.Scope)
	})
}

func TestRateLimitState(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 5, Groups: 3})
	c := f.client(t)
	ctx := context.Background()
	_, seen := c.RateLimit()
	assert.False(t, seen)
	_, err := first(c.Groups(ctx))
	require.NoError(t, err)
	rl, seen := c.RateLimit()
	require.True(t, seen)
	assert.Equal(t, 5000, rl.Limit)
	assert.Equal(t, 4999, rl.Remaining)
	assert.Equal(t, time.Hour, rl.Reset)
	assert.Equal(t, simStart.Add(time.Hour), rl.ResetAt())
	assert.False(t, rl.Below(0.1))

	got, err := c.GetRateLimit(ctx)
	require.NoError(t, err)
	assert.Equal(t, 5000, got.Limit)
	assert.Equal(t, 4999, got.Remaining)
}

func TestUserShapeAndWrites(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 40, Roles: 6, Groups: 4})
	c := f.client(t)
	ctx := context.Background()
	var target olsim.User
	for _, u := range f.sim.Users() {
		if u.ManagerUserID != 0 && len(u.RoleIDs) > 0 && u.GroupID != 0 {
			target = u
			break
		}
	}
	require.NotZero(t, target.ID, "the generator makes users with managers, roles and groups")
	got, err := c.GetUser(ctx, target.ID)
	require.NoError(t, err)
	assert.Equal(t, target.Email, got.Email)
	assert.Equal(t, target.RoleIDs, got.RoleIDs)
	require.NotNil(t, got.ManagerUserID)
	assert.Equal(t, target.ManagerUserID, *got.ManagerUserID)
	require.NotNil(t, got.GroupID)
	assert.Equal(t, target.GroupID, *got.GroupID)
	assert.Equal(t, len(target.CustomAttributes), len(got.CustomAttributes), "every shortname, set or not")
	assert.Equal(t, onelogin.UserStatus(target.Status).String(), got.Status.String())

	suspended := onelogin.StatusSuspended
	got, err = c.UpdateUser(ctx, target.ID, onelogin.UserUpdate{Status: &suspended, ClearGroup: true})
	require.NoError(t, err)
	assert.Equal(t, "suspended", got.Status.String())
	assert.Nil(t, got.GroupID)

	roles := f.sim.Roles()
	require.NoError(t, c.AddRoleUsers(ctx, roles[0].ID, []int64{target.ID}))
	after, _ := f.sim.User(target.ID)
	assert.Contains(t, after.RoleIDs, roles[0].ID)
	require.NoError(t, c.RemoveRoleUsers(ctx, roles[0].ID, []int64{target.ID}))
	after, _ = f.sim.User(target.ID)
	assert.NotContains(t, after.RoleIDs, roles[0].ID)
	var members []int64
	for ru, err := range c.RoleUsers(ctx, roles[1].ID) {
		require.NoError(t, err)
		members = append(members, ru.ID)
	}
	var want []int64
	for _, u := range f.sim.Users() {
		if slices.Contains(u.RoleIDs, roles[1].ID) {
			want = append(want, u.ID)
		}
	}
	assert.ElementsMatch(t, want, members)

	require.NoError(t, c.SetPasswordClearText(ctx, target.ID, "Str0ng-Enough", true))
	assert.True(t, f.sim.CheckPassword(target.ID, "Str0ng-Enough"))
	require.NoError(t, c.LogoutUser(ctx, target.ID))
	assert.NotEmpty(t, f.sim.LoggedOut())

	link, err := c.GetInviteLink(ctx, target.Email)
	require.NoError(t, err)
	assert.Contains(t, link, "/password/reset?token=")
	require.NoError(t, c.SendInviteLink(ctx, target.Email, ""))
	require.Len(t, f.sim.SentInvites(), 1)
	_, err = c.GetInviteLink(ctx, "nobody@example.invalid")
	assert.Equal(t, onelogin.CodeInvalidInput, codeOf(t, err).Code)

	g, err := c.GetGroup(ctx, f.sim.Groups()[0].ID)
	require.NoError(t, err)
	assert.Equal(t, f.sim.Groups()[0].Name, g.Name)
	_, err = c.GetGroup(ctx, 987654321)
	assert.Equal(t, onelogin.CodeNotFound, codeOf(t, err).Code)

	var apps int
	for app, err := range c.Apps(ctx, onelogin.AppQuery{}) {
		require.NoError(t, err)
		assert.NotEmpty(t, app.Name)
		apps++
	}
	assert.Equal(t, len(f.sim.Apps()), apps)
}

func TestRevoke(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 3})
	c := f.client(t)
	ctx := context.Background()
	require.NoError(t, c.Revoke(ctx), "nothing to revoke yet")
	_, err := c.Authenticate(ctx)
	require.NoError(t, err)
	require.NoError(t, c.Revoke(ctx))
	assert.Equal(t, 1, f.sim.RequestCount("POST /auth/oauth2/revoke"))
	_, err = c.GetUser(ctx, f.sim.Users()[0].ID)
	require.NoError(t, err)
	assert.Equal(t, 2, f.sim.RequestCount(tokenKey), "a new token after the revoke")
}

func TestLockAndSetState(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 10})
	c := f.client(t)
	ctx := context.Background()
	var target olsim.User
	for _, u := range f.sim.Users() {
		if u.Status == 1 && u.State == 1 {
			target = u
			break
		}
	}
	require.NotZero(t, target.ID)

	require.NoError(t, c.LockUser(ctx, target.ID, 30))
	after, _ := f.sim.User(target.ID)
	assert.Equal(t, int(onelogin.StatusLocked), after.Status)
	require.NotNil(t, after.LockedUntil)
	assert.Equal(t, simStart.Add(30*time.Minute), *after.LockedUntil)

	require.NoError(t, c.SetUserState(ctx, target.ID, onelogin.StateUnlicensed))
	after, _ = f.sim.User(target.ID)
	assert.Equal(t, int(onelogin.StateUnlicensed), after.State)
	err := c.SetUserState(ctx, target.ID, onelogin.StateUnlicensed)
	e := codeOf(t, err)
	assert.Equal(t, onelogin.CodeInvalidInput, e.Code)
	assert.Equal(t, "user is already in this state", e.Message)
}
