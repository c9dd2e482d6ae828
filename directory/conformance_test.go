package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestConformance runs the one suite against every backend: SQLite in a file
// and in memory, and PostgreSQL. Each case gets a fresh database.
func TestConformance(t *testing.T) {
	cases := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"IntegrationRoundTrip", testIntegrationRoundTrip},
		{"UserRoundTrip", testUserRoundTrip},
		{"StatusWords", testStatusWords},
		{"Validation", testValidation},
		{"TenantsIsolated", testTenantsIsolated},
		{"IncrementalRunDeletesNothing", testIncrementalRunDeletesNothing},
		{"PartialRunDeletesNothing", testPartialRunDeletesNothing},
		{"FullRunSweepsOnlyUnseenOfThatKind", testFullRunSweepsOnlyUnseen},
		{"ReviveOnReappear", testReviveOnReappear},
		{"RetriedPageCountsOnce", testRetriedPageCountsOnce},
		{"ChangeDetection", testChangeDetection},
		{"WatermarkOnlyOnSuccess", testWatermarkOnlyOnSuccess},
		{"StartSyncRunKey", testStartSyncRunKey},
		{"PutUserSurvivesConcurrentSweep", testPutUserSurvivesSweep},
		{"PutGroupAndRole", testPutGroupAndRole},
		{"DeleteUserByID", testDeleteUserByID},
		{"EmailAndUsername", testEmailAndUsername},
		{"UserGroups", testUserGroups},
		{"ManagerAndReports", testManagerAndReports},
		{"UsersInGroupPaging", testUsersInGroupPaging},
		{"VisibleApps", testVisibleApps},
		{"AuditRoundTrip", testAuditRoundTrip},
		{"StatusSummary", testStatusSummary},
		{"SecretStoredSealed", testSecretStoredSealed},
		{"ConcurrentPagesCountOnce", testConcurrentPagesCountOnce},
		{"OutcomesRecordOnce", testOutcomesRecordOnce},
		{"OutcomesFinalNotOverwritten", testOutcomesFinalNotOverwritten},
		{"OutcomesPaging", testOutcomesPaging},
		{"OutcomesIsolatedAndValidated", testOutcomesIsolatedAndValidated},
		{"OutcomesLinkToAudit", testOutcomesLinkToAudit},
		{"ActionTargetsFirstSetStands", testActionTargetsFirstSetStands},
	}
	forEachBackend(t, func(t *testing.T, b backend) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				dsn := b.dsn(t)
				c.fn(t, &env{ctx: context.Background(), s: openStore(t, dsn), dsn: dsn, b: b})
			})
		}
	})
}

type env struct {
	ctx context.Context
	s   Store
	dsn string
	b   backend
}

// t0 has nanoseconds on purpose: the store keeps microseconds.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 123456789, time.UTC)

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

func eq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func (e *env) integration(t *testing.T, id string) {
	t.Helper()
	ok(t, e.s.PutIntegration(e.ctx, Integration{ID: id, Subdomain: id, Region: "us", ClientID: "cid-" + id,
		Status: StatusConnected, ScopeLevel: ScopeManageAll}))
}

func (e *env) start(t *testing.T, integration string, mode SyncMode) int64 {
	t.Helper()
	run, err := e.s.StartSyncRun(e.ctx, integration, mode, "")
	ok(t, err)
	return run
}

func user(id int64) User {
	return User{OneLoginID: id, Email: fmt.Sprintf("user%d@example.com", id), Username: fmt.Sprintf("user%d", id),
		FirstName: "First", LastName: fmt.Sprint("Last", id), Status: UserActive, State: 1}
}

func users(ids ...int64) []User {
	var us []User
	for _, id := range ids {
		us = append(us, user(id))
	}
	return us
}

func (e *env) upsertUsers(t *testing.T, integration string, run int64, us ...User) PageResult {
	t.Helper()
	res, err := e.s.UpsertUsers(e.ctx, integration, run, us)
	ok(t, err)
	return res
}

// fullSync writes us and groups as a completed full run of integration.
func (e *env) fullSync(t *testing.T, integration string, us []User, gs []Group) int64 {
	t.Helper()
	run := e.start(t, integration, SyncFull)
	e.upsertUsers(t, integration, run, us...)
	_, err := e.s.UpsertGroups(e.ctx, integration, run, gs)
	ok(t, err)
	_, err = e.s.FinishSyncRun(e.ctx, integration, run, RunResult{Status: RunCompleted})
	ok(t, err)
	return run
}

func (e *env) liveUserIDs(t *testing.T, integration string, ids ...int64) []int64 {
	t.Helper()
	var live []int64
	for _, id := range ids {
		_, err := e.s.GetUser(e.ctx, integration, id)
		if err == nil {
			live = append(live, id)
		} else if !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
	}
	return live
}

func (e *env) run(t *testing.T, integration string, run int64) SyncRun {
	t.Helper()
	r, err := e.s.GetSyncRun(e.ctx, integration, run)
	ok(t, err)
	return r
}

func testIntegrationRoundTrip(t *testing.T, e *env) {
	_, err := e.s.GetIntegration(e.ctx, "a")
	wantErr(t, err, ErrNotFound)
	in := Integration{ID: "a", Subdomain: "acme", Region: "eu", ClientID: "cid", ScopeLevel: ScopeReadAll,
		Status: StatusConnecting, StatusMessage: "validating"}
	ok(t, e.s.PutIntegration(e.ctx, in))
	got, err := e.s.GetIntegration(e.ctx, "a")
	ok(t, err)
	if got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
		t.Fatal("timestamps not set")
	}
	in.CreatedAt, in.UpdatedAt = got.CreatedAt, got.UpdatedAt
	eq(t, "integration", got, in)

	// Sync bookkeeping survives a configuration update (credential rotation).
	run := e.start(t, "a", SyncFull)
	_, err = e.s.FinishSyncRun(e.ctx, "a", run, RunResult{Status: RunCompleted, UsersWatermark: t0})
	ok(t, err)
	in.Status, in.ClientID = StatusConnected, "cid2"
	ok(t, e.s.PutIntegration(e.ctx, in))
	got, err = e.s.GetIntegration(e.ctx, "a")
	ok(t, err)
	if got.ClientID != "cid2" || got.LastFullSyncAt.IsZero() || !got.UsersWatermark.Equal(t0.Truncate(time.Microsecond)) {
		t.Fatalf("after update: %+v", got)
	}

	ok(t, e.s.SetIntegrationStatus(e.ctx, "a", StatusInsufficientScope, "needs Manage All"))
	got, _ = e.s.GetIntegration(e.ctx, "a")
	if got.Status != StatusInsufficientScope || got.StatusMessage != "needs Manage All" {
		t.Fatalf("status not set: %+v", got)
	}
	wantErr(t, e.s.SetIntegrationStatus(e.ctx, "missing", StatusConnected, ""), ErrNotFound)
	wantErr(t, e.s.SetIntegrationStatus(e.ctx, "a", "bogus", ""), ErrInvalid)

	e.integration(t, "b")
	list, err := e.s.ListIntegrations(e.ctx)
	ok(t, err)
	if len(list) != 2 || list[0].ID != "a" || list[1].ID != "b" {
		t.Fatalf("list: %+v", list)
	}
}

func testUserRoundTrip(t *testing.T, e *env) {
	e.integration(t, "a")
	run := e.start(t, "a", SyncFull)
	in := User{OneLoginID: 36216766, Email: "Kelly@Example.com", Username: "kellyslater", FirstName: "Kelly",
		LastName: "Slater", Title: "Surfer", Department: "Waves", Company: "WSL", Phone: "+64272001122",
		Status: UserLocked, State: 1, GroupID: 7, ManagerID: 42, RoleIDs: []int64{272445, 199848, 272445},
		CustomAttributes: json.RawMessage(`{ "food": "chicken", "employeenumber": null, "n": 12345678901234567890 }`),
		CreatedAt:        t0, UpdatedAt: t0.Add(time.Hour), LastLogin: t0.Add(2 * time.Hour).In(time.FixedZone("x", 3600))}
	res := e.upsertUsers(t, "a", run, in)
	eq(t, "page result", res, PageResult{Seen: 1, Created: 1})
	got, err := e.s.GetUser(e.ctx, "a", in.OneLoginID)
	ok(t, err)
	if got.Meta.LastSeenRun != run || got.Meta.CreatedAt.IsZero() || got.Meta.SeenAt.IsZero() {
		t.Fatalf("meta: %+v", got.Meta)
	}
	want := in
	want.RoleIDs = []int64{199848, 272445}
	want.CustomAttributes = json.RawMessage(`{"employeenumber":null,"food":"chicken","n":12345678901234567890}`)
	want.CreatedAt = t0.Truncate(time.Microsecond)
	want.UpdatedAt = t0.Add(time.Hour).Truncate(time.Microsecond)
	want.LastLogin = t0.Add(2 * time.Hour).Truncate(time.Microsecond).UTC()
	want.Meta = got.Meta
	eq(t, "user", got, want)
	if in.RoleIDs[0] != 272445 {
		t.Fatal("caller's RoleIDs were modified")
	}

	// Zero values round trip as zero values.
	e.upsertUsers(t, "a", run, User{OneLoginID: 2, Status: UserUnactivated})
	got, err = e.s.GetUser(e.ctx, "a", 2)
	ok(t, err)
	got.Meta = Meta{}
	eq(t, "zero user", got, User{OneLoginID: 2, Status: UserUnactivated})
}

func testStatusWords(t *testing.T, e *env) {
	e.integration(t, "a")
	run := e.start(t, "a", SyncFull)
	all := []UserStatus{UserUnactivated, UserActive, UserSuspended, UserLocked, UserPasswordExpired,
		UserAwaitingPasswordReset, UserPasswordPending, UserSecurityQuestionsRequired}
	var page []User
	for i, st := range all {
		u := user(int64(i + 1))
		u.Status = st
		page = append(page, u)
	}
	e.upsertUsers(t, "a", run, page...)
	for i, st := range all {
		got, err := e.s.GetUser(e.ctx, "a", int64(i+1))
		ok(t, err)
		if got.Status != st {
			t.Errorf("user %d status %q, want %q", i+1, got.Status, st)
		}
	}
	bad := user(99)
	bad.Status = "deleted"
	_, err := e.s.UpsertUsers(e.ctx, "a", run, []User{bad})
	wantErr(t, err, ErrInvalid)
	bad.Status = ""
	_, err = e.s.UpsertUsers(e.ctx, "a", run, []User{bad})
	wantErr(t, err, ErrInvalid)

	for _, st := range []IntegrationStatus{StatusConnecting, StatusConnected, StatusInvalidCredentials,
		StatusInsufficientScope, StatusSubdomainNotFound, StatusCredentialOwnerDeleted, StatusDisconnected} {
		ok(t, e.s.SetIntegrationStatus(e.ctx, "a", st, ""))
		got, err := e.s.GetIntegration(e.ctx, "a")
		ok(t, err)
		if got.Status != st {
			t.Errorf("integration status %q, want %q", got.Status, st)
		}
	}
}

func testValidation(t *testing.T, e *env) {
	wantErr(t, e.s.PutIntegration(e.ctx, Integration{ID: "a", Region: "asia", Status: StatusConnected}), ErrInvalid)
	wantErr(t, e.s.PutIntegration(e.ctx, Integration{ID: "", Region: "us", Status: StatusConnected}), ErrInvalid)
	wantErr(t, e.s.PutIntegration(e.ctx, Integration{ID: "a", Region: "us", Status: "ok"}), ErrInvalid)
	wantErr(t, e.s.PutIntegration(e.ctx, Integration{ID: "a", Region: "us", Status: StatusConnected, ScopeLevel: "root"}), ErrInvalid)

	_, err := e.s.StartSyncRun(e.ctx, "missing", SyncFull, "")
	wantErr(t, err, ErrNotFound)
	e.integration(t, "a")
	_, err = e.s.StartSyncRun(e.ctx, "a", "sometimes", "")
	wantErr(t, err, ErrInvalid)
	run := e.start(t, "a", SyncFull)

	_, err = e.s.UpsertUsers(e.ctx, "a", 0, users(1))
	wantErr(t, err, ErrInvalid)
	_, err = e.s.UpsertUsers(e.ctx, "a", run+100, users(1))
	wantErr(t, err, ErrNotFound)
	_, err = e.s.UpsertUsers(e.ctx, "missing", run, users(1))
	wantErr(t, err, ErrNotFound)
	_, err = e.s.UpsertUsers(e.ctx, "a", run, []User{{OneLoginID: 0, Status: UserActive}})
	wantErr(t, err, ErrInvalid)
	badJSON := user(1)
	badJSON.CustomAttributes = json.RawMessage(`{"a":`)
	_, err = e.s.UpsertUsers(e.ctx, "a", run, []User{badJSON})
	wantErr(t, err, ErrInvalid)
	_, err = e.s.UpsertGroups(e.ctx, "a", run, []Group{{OneLoginID: -1}})
	wantErr(t, err, ErrInvalid)
	wantErr(t, e.s.CompleteRead(e.ctx, "a", run, "printers"), ErrInvalid)
	_, err = e.s.Sweep(e.ctx, "a", run, "printers")
	wantErr(t, err, ErrInvalid)
	_, err = e.s.FinishSyncRun(e.ctx, "a", run, RunResult{Status: RunRunning})
	wantErr(t, err, ErrInvalid)
	_, err = e.s.GetUser(e.ctx, "a", 1)
	wantErr(t, err, ErrNotFound)
	if res, err := e.s.UpsertUsers(e.ctx, "a", run, nil); err != nil || res != (PageResult{}) {
		t.Fatalf("empty page: %v %v", res, err)
	}
}

// testTenantsIsolated gives two integrations the same OneLogin ids with
// different content and checks every read and write stays within one.
func testTenantsIsolated(t *testing.T, e *env) {
	e.integration(t, "a")
	e.integration(t, "b")
	roleOf := map[string]int64{"a": 20, "b": 21}
	mk := func(tenant string) ([]User, []Group, []Role, []App) {
		var us []User
		for id := int64(1); id <= 3; id++ {
			u := user(id)
			u.Email = tenant + u.Email
			u.Username = tenant + u.Username
			u.GroupID, u.RoleIDs = 10, []int64{roleOf[tenant]}
			if id > 1 {
				u.ManagerID = 1
			}
			us = append(us, u)
		}
		return us, []Group{{OneLoginID: 10, Name: tenant + "-group"}}, []Role{{OneLoginID: roleOf[tenant], Name: tenant + "-role"}},
			[]App{{OneLoginID: 30, Name: tenant + "-app", Visible: true}}
	}
	runs := map[string]int64{}
	for _, tenant := range []string{"a", "b"} {
		us, gs, rs, as := mk(tenant)
		run := e.start(t, tenant, SyncFull)
		runs[tenant] = run
		e.upsertUsers(t, tenant, run, us...)
		_, err := e.s.UpsertGroups(e.ctx, tenant, run, gs)
		ok(t, err)
		_, err = e.s.UpsertRoles(e.ctx, tenant, run, rs)
		ok(t, err)
		_, err = e.s.UpsertApps(e.ctx, tenant, run, as)
		ok(t, err)
		_, err = e.s.AppendAudit(e.ctx, AuditEntry{IntegrationID: tenant, Actor: tenant + "-admin", Action: "suspend_users",
			RequestID: "req-1", Targets: []AuditTarget{{UserID: 1, Outcome: OutcomeChanged}}})
		ok(t, err)
	}
	for _, tenant := range []string{"a", "b"} {
		other := map[string]string{"a": "b", "b": "a"}[tenant]
		u, err := e.s.GetUser(e.ctx, tenant, 2)
		ok(t, err)
		eq(t, "GetUser email", u.Email, tenant+"user2@example.com")
		eq(t, "GetUser roles", u.RoleIDs, []int64{roleOf[tenant]})
		_, err = e.s.FindUserByEmail(e.ctx, tenant, other+"user2@example.com")
		wantErr(t, err, ErrNotFound)
		_, err = e.s.FindUserByUsername(e.ctx, tenant, other+"user2")
		wantErr(t, err, ErrNotFound)
		u, err = e.s.FindUserByUsername(e.ctx, tenant, tenant+"user2")
		ok(t, err)
		eq(t, "by username", u.OneLoginID, int64(2))
		in, err := e.s.UsersInGroup(e.ctx, tenant, 10, Page{})
		ok(t, err)
		for _, u := range in {
			if u.Email[:1] != tenant || !slices.Equal(u.RoleIDs, []int64{roleOf[tenant]}) {
				t.Fatalf("UsersInGroup(%s) returned %+v", tenant, u)
			}
		}
		eq(t, "UsersInGroup count", len(in), 3)
		groups, err := e.s.UserGroups(e.ctx, tenant, 2)
		ok(t, err)
		eq(t, "UserGroups", groups, []string{tenant + "-group", "Role: " + tenant + "-role"})
		m, err := e.s.Manager(e.ctx, tenant, 2)
		ok(t, err)
		eq(t, "Manager", m.Email, tenant+"user1@example.com")
		reps, err := e.s.DirectReports(e.ctx, tenant, 1, Page{})
		ok(t, err)
		eq(t, "DirectReports", len(reps), 2)
		apps, err := e.s.Apps(e.ctx, tenant)
		ok(t, err)
		eq(t, "Apps", len(apps), 1)
		eq(t, "App name", apps[0].Name, tenant+"-app")
		gs, err := e.s.Groups(e.ctx, tenant)
		ok(t, err)
		eq(t, "Groups", gs[0].Name, tenant+"-group")
		rs, err := e.s.Roles(e.ctx, tenant)
		ok(t, err)
		eq(t, "Roles", rs[0].Name, tenant+"-role")
		audit, err := e.s.ListAudit(e.ctx, tenant, AuditFilter{})
		ok(t, err)
		eq(t, "audit actor", len(audit), 1)
		eq(t, "audit actor", audit[0].Actor, tenant+"-admin")
		sruns, err := e.s.ListSyncRuns(e.ctx, tenant, 0)
		ok(t, err)
		eq(t, "runs", len(sruns), 1)
		eq(t, "run id", sruns[0].ID, runs[tenant])
		// Another tenant's run id is invisible, and cannot be written through.
		_, err = e.s.GetSyncRun(e.ctx, tenant, runs[other])
		wantErr(t, err, ErrNotFound)
		_, err = e.s.UpsertUsers(e.ctx, tenant, runs[other], users(9))
		wantErr(t, err, ErrNotFound)
		_, err = e.s.Sweep(e.ctx, tenant, runs[other], KindUsers)
		wantErr(t, err, ErrNotFound)
		wantErr(t, e.s.CompleteRead(e.ctx, tenant, runs[other], KindUsers), ErrNotFound)
		_, err = e.s.FinishSyncRun(e.ctx, tenant, runs[other], RunResult{Status: RunFailed})
		wantErr(t, err, ErrNotFound)
		sum, err := e.s.IntegrationStatus(e.ctx, tenant)
		ok(t, err)
		eq(t, "summary users", sum.Users, int64(3))
		eq(t, "summary last run", sum.LastRun.ID, runs[tenant])
	}

	// A full sweep in a that saw nothing deletes a's rows only.
	run := e.start(t, "a", SyncFull)
	ok(t, e.s.CompleteRead(e.ctx, "a", run, KindUsers))
	n, err := e.s.Sweep(e.ctx, "a", run, KindUsers)
	ok(t, err)
	eq(t, "swept", n, int64(3))
	eq(t, "a live", e.liveUserIDs(t, "a", 1, 2, 3), []int64(nil))
	eq(t, "b live", e.liveUserIDs(t, "b", 1, 2, 3), []int64{1, 2, 3})
}

// seedUsers makes users 1..n live through a completed full run.
func (e *env) seedUsers(t *testing.T, integration string, n int64) {
	t.Helper()
	var ids []int64
	for id := int64(1); id <= n; id++ {
		ids = append(ids, id)
	}
	e.fullSync(t, integration, users(ids...), []Group{{OneLoginID: 1, Name: "g1"}, {OneLoginID: 2, Name: "g2"}})
}

func testIncrementalRunDeletesNothing(t *testing.T, e *env) {
	e.integration(t, "a")
	e.seedUsers(t, "a", 4)
	run := e.start(t, "a", SyncIncremental)
	e.upsertUsers(t, "a", run, user(1))
	ok(t, e.s.CompleteRead(e.ctx, "a", run, KindUsers))
	_, err := e.s.Unseen(e.ctx, "a", run, KindUsers)
	wantErr(t, err, ErrSweepRefused)
	_, err = e.s.Sweep(e.ctx, "a", run, KindUsers)
	wantErr(t, err, ErrSweepRefused)
	var refused *SweepRefusedError
	if !errors.As(err, &refused) || refused.Run != run || refused.Kind != KindUsers {
		t.Fatalf("want *SweepRefusedError, got %#v", err)
	}
	_, err = e.s.FinishSyncRun(e.ctx, "a", run, RunResult{Status: RunCompleted})
	ok(t, err)
	_, err = e.s.Sweep(e.ctx, "a", run, KindUsers)
	wantErr(t, err, ErrSweepRefused)
	eq(t, "live", e.liveUserIDs(t, "a", 1, 2, 3, 4), []int64{1, 2, 3, 4})
}

func testPartialRunDeletesNothing(t *testing.T, e *env) {
	e.integration(t, "a")
	e.seedUsers(t, "a", 4)
	// Read not marked complete (the run stopped mid-way).
	run := e.start(t, "a", SyncFull)
	e.upsertUsers(t, "a", run, user(1))
	_, err := e.s.Sweep(e.ctx, "a", run, KindUsers)
	wantErr(t, err, ErrSweepRefused)
	// Users complete, groups not: groups cannot be swept.
	ok(t, e.s.CompleteRead(e.ctx, "a", run, KindUsers))
	_, err = e.s.Sweep(e.ctx, "a", run, KindGroups)
	wantErr(t, err, ErrSweepRefused)
	// Finished unsuccessfully: nothing can be swept any more.
	for _, st := range []RunStatus{RunFailed, RunPartial} {
		r := e.start(t, "a", SyncFull)
		e.upsertUsers(t, "a", r, user(1))
		ok(t, e.s.CompleteRead(e.ctx, "a", r, KindUsers))
		_, err = e.s.FinishSyncRun(e.ctx, "a", r, RunResult{Status: st, ErrorCode: "rate_limited"})
		ok(t, err)
		_, err = e.s.Sweep(e.ctx, "a", r, KindUsers)
		wantErr(t, err, ErrSweepRefused)
		_, err = e.s.Unseen(e.ctx, "a", r, KindUsers)
		wantErr(t, err, ErrSweepRefused)
		wantErr(t, e.s.CompleteRead(e.ctx, "a", r, KindGroups), ErrRunFinished)
	}
	eq(t, "live", e.liveUserIDs(t, "a", 1, 2, 3, 4), []int64{1, 2, 3, 4})
	gs, err := e.s.Groups(e.ctx, "a")
	ok(t, err)
	eq(t, "groups", len(gs), 2)
}

func testFullRunSweepsOnlyUnseen(t *testing.T, e *env) {
	e.integration(t, "a")
	e.seedUsers(t, "a", 5)
	run := e.start(t, "a", SyncFull)
	e.upsertUsers(t, "a", run, users(1, 2)...)
	e.upsertUsers(t, "a", run, user(3))
	ok(t, e.s.CompleteRead(e.ctx, "a", run, KindUsers))
	unseen, err := e.s.Unseen(e.ctx, "a", run, KindUsers)
	ok(t, err)
	eq(t, "unseen", unseen, []int64{4, 5})
	// Two-phase delete: OneLogin still has user 4, so it is upserted with the
	// same run before the sweep.
	e.upsertUsers(t, "a", run, user(4))
	n, err := e.s.Sweep(e.ctx, "a", run, KindUsers)
	ok(t, err)
	eq(t, "swept", n, int64(1))
	eq(t, "live", e.liveUserIDs(t, "a", 1, 2, 3, 4, 5), []int64{1, 2, 3, 4})
	// Sweeping again finds nothing; groups (another kind) were untouched.
	n, err = e.s.Sweep(e.ctx, "a", run, KindUsers)
	ok(t, err)
	eq(t, "second sweep", n, int64(0))
	gs, err := e.s.Groups(e.ctx, "a")
	ok(t, err)
	eq(t, "groups kept", len(gs), 2)
	// A deleted user is hidden from every read.
	_, err = e.s.FindUserByEmail(e.ctx, "a", "user5@example.com")
	wantErr(t, err, ErrNotFound)
	_, err = e.s.FindUserByUsername(e.ctx, "a", "user5")
	wantErr(t, err, ErrNotFound)
	r, err := e.s.FinishSyncRun(e.ctx, "a", run, RunResult{Status: RunCompleted, OneLoginCalls: 7})
	ok(t, err)
	eq(t, "users counts", r.Users, KindCounts{Seen: 4, Deleted: 1, ReadComplete: true})
	eq(t, "groups counts", r.Groups, KindCounts{})
	eq(t, "calls", r.OneLoginCalls, int64(7))
	sum, err := e.s.IntegrationStatus(e.ctx, "a")
	ok(t, err)
	eq(t, "summary users", sum.Users, int64(4))
	// Groups swept by their own completed read.
	run = e.start(t, "a", SyncFull)
	_, err = e.s.UpsertGroups(e.ctx, "a", run, []Group{{OneLoginID: 1, Name: "g1"}})
	ok(t, err)
	ok(t, e.s.CompleteRead(e.ctx, "a", run, KindGroups))
	n, err = e.s.Sweep(e.ctx, "a", run, KindGroups)
	ok(t, err)
	eq(t, "groups swept", n, int64(1))
	eq(t, "users untouched", e.liveUserIDs(t, "a", 1, 2, 3, 4), []int64{1, 2, 3, 4})
}

func testReviveOnReappear(t *testing.T, e *env) {
	e.integration(t, "a")
	e.seedUsers(t, "a", 2)
	run := e.start(t, "a", SyncFull)
	e.upsertUsers(t, "a", run, user(1))
	ok(t, e.s.CompleteRead(e.ctx, "a", run, KindUsers))
	_, err := e.s.Sweep(e.ctx, "a", run, KindUsers)
	ok(t, err)
	eq(t, "after sweep", e.liveUserIDs(t, "a", 1, 2), []int64{1})

	run = e.start(t, "a", SyncIncremental)
	res := e.upsertUsers(t, "a", run, user(2))
	eq(t, "revived counts as created", res, PageResult{Seen: 1, Created: 1})
	eq(t, "revived", e.liveUserIDs(t, "a", 1, 2), []int64{1, 2})
	u, err := e.s.GetUser(e.ctx, "a", 2)
	ok(t, err)
	eq(t, "last seen", u.Meta.LastSeenRun, run)
}

func testRetriedPageCountsOnce(t *testing.T, e *env) {
	e.integration(t, "a")
	run := e.start(t, "a", SyncFull)
	page := users(1, 2, 3)
	eq(t, "first", e.upsertUsers(t, "a", run, page...), PageResult{Seen: 3, Created: 3})
	eq(t, "retry", e.upsertUsers(t, "a", run, page...), PageResult{})
	// Content changed between attempts: still created once, never "updated".
	page[0].Title = "Boss"
	eq(t, "retry changed", e.upsertUsers(t, "a", run, page...), PageResult{})
	// Duplicates within a page count once (the last copy wins).
	dup := user(4)
	dup2 := user(4)
	dup2.Title = "Later"
	eq(t, "dup", e.upsertUsers(t, "a", run, dup, dup2), PageResult{Seen: 1, Created: 1})
	u, err := e.s.GetUser(e.ctx, "a", 4)
	ok(t, err)
	eq(t, "last copy wins", u.Title, "Later")
	eq(t, "run counts", e.run(t, "a", run).Users, KindCounts{Seen: 4, Created: 4})
	_, err = e.s.FinishSyncRun(e.ctx, "a", run, RunResult{Status: RunCompleted})
	ok(t, err)

	run2 := e.start(t, "a", SyncIncremental)
	page[1].Title = "Changed"
	eq(t, "update", e.upsertUsers(t, "a", run2, page...), PageResult{Seen: 3, Updated: 1})
	eq(t, "update retry", e.upsertUsers(t, "a", run2, page...), PageResult{})
	page[1].Title = "Changed again"
	eq(t, "update again, same run", e.upsertUsers(t, "a", run2, page...), PageResult{})
	eq(t, "run2 counts", e.run(t, "a", run2).Users, KindCounts{Seen: 3, Updated: 1})

	// Overlapping runs: a later full run sweeps a row that the earlier run
	// created; the earlier run's retried page revives it without counting
	// it as created twice.
	run3 := e.start(t, "a", SyncIncremental)
	eq(t, "run3 creates", e.upsertUsers(t, "a", run3, user(50)), PageResult{Seen: 1, Created: 1})
	run4 := e.start(t, "a", SyncFull)
	e.upsertUsers(t, "a", run4, page...)
	e.upsertUsers(t, "a", run4, user(4))
	ok(t, e.s.CompleteRead(e.ctx, "a", run4, KindUsers))
	n, err := e.s.Sweep(e.ctx, "a", run4, KindUsers)
	ok(t, err)
	eq(t, "run4 swept", n, int64(1))
	eq(t, "run3 retry revives", e.upsertUsers(t, "a", run3, user(50)), PageResult{})
	eq(t, "revived", e.liveUserIDs(t, "a", 50), []int64{50})
	eq(t, "run3 counts", e.run(t, "a", run3).Users, KindCounts{Seen: 1, Created: 1})
}

func testChangeDetection(t *testing.T, e *env) {
	e.integration(t, "a")
	clockAt := t0
	// A second store on the same database with a controllable clock, so
	// stamps differ between syncs without sleeping.
	s := e.s
	if e.b.shared {
		s = openStore(t, e.dsn, WithClock(func() time.Time { return clockAt }))
	}
	u := user(1)
	u.RoleIDs = []int64{1, 2}
	u.CustomAttributes = json.RawMessage(`{"a":1,"b":"x"}`)
	run1, err := s.StartSyncRun(e.ctx, "a", SyncFull, "")
	ok(t, err)
	_, err = s.UpsertUsers(e.ctx, "a", run1, []User{u})
	ok(t, err)
	before, err := s.GetUser(e.ctx, "a", 1)
	ok(t, err)

	clockAt = clockAt.Add(time.Minute)
	run2, err := s.StartSyncRun(e.ctx, "a", SyncFull, "")
	ok(t, err)
	same := u
	same.RoleIDs = []int64{2, 1, 2}                                 // same set
	same.CustomAttributes = json.RawMessage(`{ "b": "x", "a": 1 }`) // same object
	res, err := s.UpsertUsers(e.ctx, "a", run2, []User{same})
	ok(t, err)
	eq(t, "unchanged", res, PageResult{Seen: 1})
	after, err := s.GetUser(e.ctx, "a", 1)
	ok(t, err)
	eq(t, "changed_at kept", after.Meta.ChangedAt, before.Meta.ChangedAt)
	eq(t, "last seen run", after.Meta.LastSeenRun, run2)
	if e.b.shared && !after.Meta.SeenAt.After(before.Meta.SeenAt) {
		t.Fatalf("seen_at not advanced: %v -> %v", before.Meta.SeenAt, after.Meta.SeenAt)
	}

	for i, change := range []func(*User){
		func(u *User) { u.RoleIDs = []int64{1} },
		func(u *User) { u.CustomAttributes = json.RawMessage(`{"a":2,"b":"x"}`) },
		func(u *User) { u.Status = UserSuspended },
		func(u *User) { u.ManagerID = 5 },
		func(u *User) { u.LastLogin = t0 },
		func(u *User) { u.Phone = "+1" },
	} {
		clockAt = clockAt.Add(time.Minute)
		run, err := s.StartSyncRun(e.ctx, "a", SyncIncremental, "")
		ok(t, err)
		change(&u)
		res, err := s.UpsertUsers(e.ctx, "a", run, []User{u})
		ok(t, err)
		eq(t, fmt.Sprint("change ", i), res, PageResult{Seen: 1, Updated: 1})
	}
	got, err := s.GetUser(e.ctx, "a", 1)
	ok(t, err)
	eq(t, "roles replaced", got.RoleIDs, []int64{1})
	if e.b.shared && !got.Meta.ChangedAt.After(before.Meta.ChangedAt) {
		t.Fatal("changed_at not advanced")
	}
	eq(t, "created_at kept", got.Meta.CreatedAt, before.Meta.CreatedAt)
	// Written back as read: still equal to a timestamp argument (SQLite
	// would not match a blob to text).
	var n int
	ok(t, s.(*sqlStore).db.queryRow(e.ctx, `SELECT count(*) FROM users WHERE created_at = $1`,
		s.(*sqlStore).timeArg(before.Meta.CreatedAt)).Scan(&n))
	eq(t, "rows found by created_at", n, 1)

	// The same applies to the other kinds.
	run, err := s.StartSyncRun(e.ctx, "a", SyncFull, "")
	ok(t, err)
	app := App{OneLoginID: 1, Name: "Slack", Visible: true}
	res, err = s.UpsertApps(e.ctx, "a", run, []App{app})
	ok(t, err)
	eq(t, "app new", res, PageResult{Seen: 1, Created: 1})
	run, err = s.StartSyncRun(e.ctx, "a", SyncFull, "")
	ok(t, err)
	res, err = s.UpsertApps(e.ctx, "a", run, []App{app})
	ok(t, err)
	eq(t, "app same", res, PageResult{Seen: 1})
	app.Visible = false
	res, err = s.UpsertApps(e.ctx, "a", run, []App{app})
	ok(t, err)
	eq(t, "app hidden", res, PageResult{Updated: 1})
}

func testWatermarkOnlyOnSuccess(t *testing.T, e *env) {
	e.integration(t, "a")
	wm := func() Integration {
		in, err := e.s.GetIntegration(e.ctx, "a")
		ok(t, err)
		return in
	}
	for _, st := range []RunStatus{RunFailed, RunPartial} {
		run := e.start(t, "a", SyncIncremental)
		r, err := e.s.FinishSyncRun(e.ctx, "a", run, RunResult{Status: st, UsersWatermark: t0, ErrorCode: "server_error"})
		ok(t, err)
		eq(t, "status", r.Status, st)
		eq(t, "error code", r.ErrorCode, "server_error")
		in := wm()
		if !in.UsersWatermark.IsZero() || !in.LastIncrementalSyncAt.IsZero() || !in.LastFullSyncAt.IsZero() {
			t.Fatalf("%s run moved the integration: %+v", st, in)
		}
	}
	run := e.start(t, "a", SyncIncremental)
	e.upsertUsers(t, "a", run, user(1))
	r, err := e.s.FinishSyncRun(e.ctx, "a", run, RunResult{Status: RunCompleted, UsersWatermark: t0})
	ok(t, err)
	if r.FinishedAt.IsZero() || r.Status != RunCompleted {
		t.Fatalf("finished run: %+v", r)
	}
	in := wm()
	eq(t, "watermark", in.UsersWatermark, t0.Truncate(time.Microsecond))
	if in.LastIncrementalSyncAt.IsZero() || !in.LastFullSyncAt.IsZero() {
		t.Fatalf("incremental success: %+v", in)
	}
	// Finishing again with the same status is a no-op; another status is refused.
	again, err := e.s.FinishSyncRun(e.ctx, "a", run, RunResult{Status: RunCompleted, UsersWatermark: t0.Add(time.Hour)})
	ok(t, err)
	eq(t, "idempotent finish", again, r)
	_, err = e.s.FinishSyncRun(e.ctx, "a", run, RunResult{Status: RunFailed})
	wantErr(t, err, ErrRunFinished)
	_, err = e.s.UpsertUsers(e.ctx, "a", run, users(2))
	wantErr(t, err, ErrRunFinished)
	eq(t, "watermark unchanged", wm().UsersWatermark, t0.Truncate(time.Microsecond))

	// A completed full run with an older watermark sets last full sync but
	// never moves the watermark backwards.
	run = e.start(t, "a", SyncFull)
	_, err = e.s.FinishSyncRun(e.ctx, "a", run, RunResult{Status: RunCompleted, UsersWatermark: t0.Add(-time.Hour)})
	ok(t, err)
	in = wm()
	eq(t, "watermark not regressed", in.UsersWatermark, t0.Truncate(time.Microsecond))
	if in.LastFullSyncAt.IsZero() {
		t.Fatal("last full sync not set")
	}
	// Completed without a watermark leaves it alone.
	run = e.start(t, "a", SyncIncremental)
	_, err = e.s.FinishSyncRun(e.ctx, "a", run, RunResult{Status: RunCompleted})
	ok(t, err)
	eq(t, "watermark kept", wm().UsersWatermark, t0.Truncate(time.Microsecond))
}

func testStartSyncRunKey(t *testing.T, e *env) {
	e.integration(t, "a")
	e.integration(t, "b")
	r1, err := e.s.StartSyncRun(e.ctx, "a", SyncFull, "wf-1/run-1")
	ok(t, err)
	r2, err := e.s.StartSyncRun(e.ctx, "a", SyncFull, "wf-1/run-1")
	ok(t, err)
	eq(t, "same key, same run", r2, r1)
	_, err = e.s.StartSyncRun(e.ctx, "a", SyncIncremental, "wf-1/run-1")
	wantErr(t, err, ErrInvalid)
	rb, err := e.s.StartSyncRun(e.ctx, "b", SyncFull, "wf-1/run-1")
	ok(t, err)
	if rb == r1 {
		t.Fatal("keys are per integration")
	}
	r3 := e.start(t, "a", SyncFull)
	r4 := e.start(t, "a", SyncFull)
	if r3 == r4 || r3 == r1 {
		t.Fatal("runs without a key are distinct")
	}
	got := e.run(t, "a", r1)
	eq(t, "key", got.Key, "wf-1/run-1")
	eq(t, "mode", got.Mode, SyncFull)
	eq(t, "status", got.Status, RunRunning)
	list, err := e.s.ListSyncRuns(e.ctx, "a", 2)
	ok(t, err)
	eq(t, "newest first, limited", []int64{list[0].ID, list[1].ID}, []int64{r4, r3})
}

// testPutUserSurvivesSweep: an action writes a user while a full run is in
// flight; the run's read never saw that user, yet its sweep must keep it.
func testPutUserSurvivesSweep(t *testing.T, e *env) {
	e.integration(t, "a")
	e.seedUsers(t, "a", 2)
	run := e.start(t, "a", SyncFull)
	e.upsertUsers(t, "a", run, user(1))

	created := user(99)
	changed, err := e.s.PutUser(e.ctx, "a", created)
	ok(t, err)
	if !changed {
		t.Fatal("new user reported unchanged")
	}
	suspended := user(2)
	suspended.Status, suspended.RoleIDs = UserSuspended, []int64{8, 9}
	changed, err = e.s.PutUser(e.ctx, "a", suspended)
	ok(t, err)
	if !changed {
		t.Fatal("status change reported unchanged")
	}
	changed, err = e.s.PutUser(e.ctx, "a", suspended)
	ok(t, err)
	if changed {
		t.Fatal("identical PutUser reported a change")
	}

	ok(t, e.s.CompleteRead(e.ctx, "a", run, KindUsers))
	unseen, err := e.s.Unseen(e.ctx, "a", run, KindUsers)
	ok(t, err)
	eq(t, "unseen", unseen, []int64(nil))
	n, err := e.s.Sweep(e.ctx, "a", run, KindUsers)
	ok(t, err)
	eq(t, "swept", n, int64(0))
	eq(t, "live", e.liveUserIDs(t, "a", 1, 2, 99), []int64{1, 2, 99})
	u, err := e.s.GetUser(e.ctx, "a", 2)
	ok(t, err)
	eq(t, "status", u.Status, UserSuspended)
	eq(t, "roles", u.RoleIDs, []int64{8, 9})
	// PutUser is not part of any run's counts.
	eq(t, "run counts", e.run(t, "a", run).Users, KindCounts{Seen: 1, ReadComplete: true})
	_, err = e.s.PutUser(e.ctx, "missing", user(1))
	wantErr(t, err, ErrNotFound)
}

func testEmailAndUsername(t *testing.T, e *env) {
	e.integration(t, "a")
	run := e.start(t, "a", SyncFull)
	u := user(1)
	u.Email, u.Username = "Kelly.Slater@Example.COM", "KSlater"
	e.upsertUsers(t, "a", run, u)
	for _, q := range []string{"kelly.slater@example.com", "KELLY.SLATER@EXAMPLE.COM", "Kelly.Slater@Example.COM"} {
		got, err := e.s.FindUserByEmail(e.ctx, "a", q)
		ok(t, err)
		eq(t, "email preserved", got.Email, u.Email)
	}
	_, err := e.s.FindUserByEmail(e.ctx, "a", "kelly@example.com")
	wantErr(t, err, ErrNotFound)
	_, err = e.s.FindUserByEmail(e.ctx, "a", "")
	wantErr(t, err, ErrNotFound)
	got, err := e.s.FindUserByUsername(e.ctx, "a", "KSlater")
	ok(t, err)
	eq(t, "by username", got.OneLoginID, int64(1))
	_, err = e.s.FindUserByUsername(e.ctx, "a", "")
	wantErr(t, err, ErrNotFound)
	// Users without an email are not found by an empty one; with two users
	// sharing an email the lowest id wins.
	e.upsertUsers(t, "a", run, User{OneLoginID: 5, Status: UserActive}, User{OneLoginID: 3, Email: "kelly.slater@example.com", Status: UserActive})
	got, err = e.s.FindUserByEmail(e.ctx, "a", "kelly.slater@example.com")
	ok(t, err)
	eq(t, "lowest id", got.OneLoginID, int64(1))
}

func testUserGroups(t *testing.T, e *env) {
	e.integration(t, "a")
	run := e.start(t, "a", SyncFull)
	u := user(1)
	u.GroupID, u.RoleIDs = 10, []int64{22, 21, 23}
	plain := user(2)
	e.upsertUsers(t, "a", run, u, plain)
	_, err := e.s.UpsertGroups(e.ctx, "a", run, []Group{{OneLoginID: 10, Name: "Engineering"}})
	ok(t, err)
	_, err = e.s.UpsertRoles(e.ctx, "a", run, []Role{{OneLoginID: 21, Name: "Sales"}, {OneLoginID: 22, Name: "Admin"},
		{OneLoginID: 23, Name: "Default"}})
	ok(t, err)
	got, err := e.s.UserGroups(e.ctx, "a", 1)
	ok(t, err)
	eq(t, "user groups", got, []string{"Engineering", "Role: Admin", "Role: Default", "Role: Sales"})
	got, err = e.s.UserGroups(e.ctx, "a", 2)
	ok(t, err)
	eq(t, "no group, no roles", got, []string(nil))
	_, err = e.s.UserGroups(e.ctx, "a", 3)
	wantErr(t, err, ErrNotFound)

	// A role that disappears from OneLogin disappears from the strings.
	run2 := e.start(t, "a", SyncFull)
	_, err = e.s.UpsertRoles(e.ctx, "a", run2, []Role{{OneLoginID: 21, Name: "Sales"}, {OneLoginID: 22, Name: "Admin"}})
	ok(t, err)
	ok(t, e.s.CompleteRead(e.ctx, "a", run2, KindRoles))
	_, err = e.s.Sweep(e.ctx, "a", run2, KindRoles)
	ok(t, err)
	got, err = e.s.UserGroups(e.ctx, "a", 1)
	ok(t, err)
	eq(t, "after role sweep", got, []string{"Engineering", "Role: Admin", "Role: Sales"})
	roles, err := e.s.Roles(e.ctx, "a")
	ok(t, err)
	eq(t, "roles by name", []string{roles[0].Name, roles[1].Name}, []string{"Admin", "Sales"})
}

func testManagerAndReports(t *testing.T, e *env) {
	e.integration(t, "a")
	run := e.start(t, "a", SyncFull)
	boss := user(1)
	var page []User
	page = append(page, boss)
	for id := int64(2); id <= 6; id++ {
		u := user(id)
		u.ManagerID = 1
		page = append(page, u)
	}
	orphan := user(7)
	orphan.ManagerID = 1000 // not synced
	page = append(page, orphan)
	e.upsertUsers(t, "a", run, page...)

	m, err := e.s.Manager(e.ctx, "a", 3)
	ok(t, err)
	eq(t, "manager", m.OneLoginID, int64(1))
	_, err = e.s.Manager(e.ctx, "a", 1)
	wantErr(t, err, ErrNotFound)
	_, err = e.s.Manager(e.ctx, "a", 7)
	wantErr(t, err, ErrNotFound)
	_, err = e.s.Manager(e.ctx, "a", 404)
	wantErr(t, err, ErrNotFound)

	var got []int64
	after := int64(0)
	for {
		reps, err := e.s.DirectReports(e.ctx, "a", 1, Page{After: after, Limit: 2})
		ok(t, err)
		if len(reps) == 0 {
			break
		}
		for _, r := range reps {
			got = append(got, r.OneLoginID)
		}
		after = reps[len(reps)-1].OneLoginID
	}
	eq(t, "reports", got, []int64{2, 3, 4, 5, 6})
	reps, err := e.s.DirectReports(e.ctx, "a", 2, Page{})
	ok(t, err)
	eq(t, "no reports", len(reps), 0)
}

func testUsersInGroupPaging(t *testing.T, e *env) {
	e.integration(t, "a")
	run := e.start(t, "a", SyncFull)
	var page []User
	for id := int64(1); id <= 7; id++ {
		u := user(id)
		if id%2 == 1 {
			u.GroupID = 5
		}
		u.RoleIDs = []int64{id}
		page = append(page, u)
	}
	e.upsertUsers(t, "a", run, page...)
	first, err := e.s.UsersInGroup(e.ctx, "a", 5, Page{Limit: 3})
	ok(t, err)
	rest, err := e.s.UsersInGroup(e.ctx, "a", 5, Page{After: first[len(first)-1].OneLoginID, Limit: 3})
	ok(t, err)
	var ids []int64
	for _, u := range slices.Concat(first, rest) {
		ids = append(ids, u.OneLoginID)
		eq(t, "roles loaded", u.RoleIDs, []int64{u.OneLoginID})
	}
	eq(t, "group members", ids, []int64{1, 3, 5, 7})
	_, err = e.s.UsersInGroup(e.ctx, "a", 0, Page{})
	wantErr(t, err, ErrInvalid)
}

func testVisibleApps(t *testing.T, e *env) {
	e.integration(t, "a")
	run := e.start(t, "a", SyncFull)
	apps := []App{
		{OneLoginID: 1, Name: "zoom", Visible: true, ConnectorID: 50534, AuthMethod: 2, Description: "d",
			IconURL: "https://x/icon.png", CreatedAt: t0, UpdatedAt: t0},
		{OneLoginID: 2, Name: "Hidden", Visible: false},
		{OneLoginID: 3, Name: "Asana", Visible: true},
	}
	_, err := e.s.UpsertApps(e.ctx, "a", run, apps)
	ok(t, err)
	got, err := e.s.Apps(e.ctx, "a")
	ok(t, err)
	eq(t, "count", len(got), 2)
	eq(t, "order", []string{got[0].Name, got[1].Name}, []string{"Asana", "zoom"})
	z := got[1]
	z.Meta = Meta{}
	want := apps[0]
	want.CreatedAt, want.UpdatedAt = t0.Truncate(time.Microsecond), t0.Truncate(time.Microsecond)
	eq(t, "app", z, want)
}

func testAuditRoundTrip(t *testing.T, e *env) {
	e.integration(t, "a")
	entry := AuditEntry{IntegrationID: "a", Actor: "admin@acme", Action: "suspend_users", RequestID: "req-1", At: t0,
		Targets: []AuditTarget{
			{UserID: 1, Outcome: OutcomeChanged},
			{UserID: 2, Outcome: OutcomeAlreadyDone},
			{UserID: 3, Outcome: OutcomeFailed, ErrorCode: "not_found"},
		}}
	id, err := e.s.AppendAudit(e.ctx, entry)
	ok(t, err)
	again, err := e.s.AppendAudit(e.ctx, entry)
	ok(t, err)
	eq(t, "same request id, same entry", again, id)
	id2, err := e.s.AppendAudit(e.ctx, AuditEntry{IntegrationID: "a", Actor: "admin@acme", Action: "activate_users",
		RequestID: "req-1", Targets: []AuditTarget{{UserID: 2, Outcome: OutcomeChanged}}})
	ok(t, err)
	id3, err := e.s.AppendAudit(e.ctx, AuditEntry{IntegrationID: "a", Actor: "ops", Action: "activate_users",
		Targets: []AuditTarget{{UserID: 4, Outcome: OutcomeChanged}}})
	ok(t, err)
	id4, err := e.s.AppendAudit(e.ctx, AuditEntry{IntegrationID: "a", Actor: "ops", Action: "activate_users"})
	ok(t, err)

	all, err := e.s.ListAudit(e.ctx, "a", AuditFilter{})
	ok(t, err)
	eq(t, "newest first", []int64{all[0].ID, all[1].ID, all[2].ID, all[3].ID}, []int64{id4, id3, id2, id})
	first := all[3]
	want := entry
	want.ID, want.At = id, t0.Truncate(time.Microsecond)
	eq(t, "entry", first, want)
	if all[0].At.IsZero() {
		t.Fatal("At defaults to now")
	}

	ids := func(f AuditFilter) []int64 {
		es, err := e.s.ListAudit(e.ctx, "a", f)
		ok(t, err)
		var out []int64
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	eq(t, "by action", ids(AuditFilter{Action: "activate_users"}), []int64{id4, id3, id2})
	eq(t, "by user", ids(AuditFilter{UserID: 2}), []int64{id2, id})
	eq(t, "by request", ids(AuditFilter{RequestID: "req-1"}), []int64{id2, id})
	eq(t, "paged", ids(AuditFilter{Before: id3, Limit: 1}), []int64{id2})

	_, err = e.s.AppendAudit(e.ctx, AuditEntry{IntegrationID: "a", Action: "x", Targets: []AuditTarget{{UserID: 1, Outcome: "maybe"}}})
	wantErr(t, err, ErrInvalid)
	_, err = e.s.AppendAudit(e.ctx, AuditEntry{IntegrationID: "a"})
	wantErr(t, err, ErrInvalid)
	_, err = e.s.AppendAudit(e.ctx, AuditEntry{IntegrationID: "missing", Action: "x"})
	wantErr(t, err, ErrNotFound)
}

func testStatusSummary(t *testing.T, e *env) {
	e.integration(t, "a")
	sum, err := e.s.IntegrationStatus(e.ctx, "a")
	ok(t, err)
	if sum.LastRun != nil || sum.LastCompleted != nil || sum.Integration.ID != "a" {
		t.Fatalf("fresh summary: %+v", sum)
	}
	done := e.fullSync(t, "a", users(1, 2), []Group{{OneLoginID: 1, Name: "g"}})
	running := e.start(t, "a", SyncIncremental)
	e.upsertUsers(t, "a", running, user(3))
	sum, err = e.s.IntegrationStatus(e.ctx, "a")
	ok(t, err)
	eq(t, "last run", sum.LastRun.ID, running)
	eq(t, "last run status", sum.LastRun.Status, RunRunning)
	eq(t, "last run counts", sum.LastRun.Users, KindCounts{Seen: 1, Created: 1})
	eq(t, "last completed", sum.LastCompleted.ID, done)
	eq(t, "last completed counts", sum.LastCompleted.Users, KindCounts{Seen: 2, Created: 2})
	eq(t, "sizes", []int64{sum.Users, sum.Groups, sum.Roles, sum.Apps}, []int64{3, 1, 0, 0})
	if sum.Integration.LastFullSyncAt.IsZero() {
		t.Fatal("last full sync missing")
	}
	_, err = e.s.IntegrationStatus(e.ctx, "missing")
	wantErr(t, err, ErrNotFound)
}

// testConcurrentPagesCountOnce writes pages from several goroutines at once,
// as the sync activity's parallel page reads do, each page twice (a retry)
// and some pages of several OneLogin pages: no write fails and every count
// is exact.
func testConcurrentPagesCountOnce(t *testing.T, e *env) {
	e.integration(t, "a")
	run := e.start(t, "a", SyncFull)
	_, err := e.s.UpsertRoles(e.ctx, "a", run, []Role{{OneLoginID: 7, Name: "Seven"}, {OneLoginID: 8, Name: "Eight"}})
	ok(t, err)
	const writers, pages, per = 4, 6, 15
	errs := make(chan error, writers)
	for w := range writers {
		go func() {
			var err error
			for p := range pages {
				lo := int64((w*pages+p)*per + 1)
				page := users(lo, lo+1, lo+2, lo+3, lo+4, lo+5, lo+6, lo+7, lo+8, lo+9, lo+10, lo+11, lo+12, lo+13, lo+14)
				page[0].RoleIDs = []int64{7, 8}
				for range 2 {
					if _, err = e.s.UpsertUsers(e.ctx, "a", run, page); err != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range writers {
		ok(t, <-errs)
	}
	const total = writers * pages * per
	got := e.run(t, "a", run).Users
	eq(t, "counts", got, KindCounts{Seen: total, Created: total})
	groups, err := e.s.UserGroups(e.ctx, "a", 1)
	ok(t, err)
	eq(t, "roles of user 1", groups, []string{"Role: Eight", "Role: Seven"})
	// All of it again in one call: seen once more by a new run, nothing new.
	var all []User
	for id := int64(1); id <= total; id++ {
		all = append(all, user(id))
	}
	run2 := e.start(t, "a", SyncFull)
	res := e.upsertUsers(t, "a", run2, all...)
	eq(t, "one call", res, PageResult{Seen: total, Updated: writers * pages}) // the users whose roles went
	groups, err = e.s.UserGroups(e.ctx, "a", 1)
	ok(t, err)
	eq(t, "roles of user 1 replaced", groups, []string(nil))
}
