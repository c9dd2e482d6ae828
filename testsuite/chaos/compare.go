package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/onelogin"
)

// simAdmin talks to the simulator's admin API (/__olsim/...), which
// neither faults nor rate limits touch and whose calls count no writes.
type simAdmin struct{ base string }

func (s simAdmin) do(ctx context.Context, method, path string, body, out any) error {
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+"/__olsim"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("olsim %s %s: %s", method, path, resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// simState is the simulator's org, decoded with the OneLogin client's
// types (the admin API serves the v2 wire shapes).
type simState struct {
	users  map[int64]onelogin.User
	groups []onelogin.Group
	roles  []onelogin.Role
	apps   []onelogin.App
}

func (s simAdmin) state(ctx context.Context) (simState, error) {
	var (
		st    simState
		users []onelogin.User
	)
	for path, out := range map[string]any{"/users": &users, "/groups": &st.groups, "/roles": &st.roles, "/apps": &st.apps} {
		if err := s.do(ctx, http.MethodGet, path, nil, out); err != nil {
			return st, err
		}
	}
	st.users = make(map[int64]onelogin.User, len(users))
	for _, u := range users {
		st.users[u.ID] = u
	}
	return st, nil
}

// writes is the simulator's per-user write counters (olsim AllWrites).
func (s simAdmin) writes(ctx context.Context) (map[int64]map[string]int, error) {
	var raw map[string]map[string]int
	if err := s.do(ctx, http.MethodGet, "/writes", nil, &raw); err != nil {
		return nil, err
	}
	out := make(map[int64]map[string]int, len(raw))
	for k, v := range raw {
		var id int64
		if _, err := fmt.Sscan(k, &id); err != nil {
			return nil, fmt.Errorf("olsim writes: user id %q: %w", k, err)
		}
		out[id] = v
	}
	return out, nil
}

// comparison is how a store differs from the simulator.
type comparison struct {
	diffs []string // field differences, first few kept
	ndiff int
	// missing are simulator users the store lacks: false deletions, since
	// the harness creates no users.
	missing []int64
	// extra counts live store users the simulator no longer has.
	extra int64
}

func (c *comparison) add(format string, args ...any) {
	c.ndiff++
	if len(c.diffs) < 5 {
		c.diffs = append(c.diffs, fmt.Sprintf(format, args...))
	}
}

func (c comparison) equal() bool { return c.ndiff == 0 && len(c.missing) == 0 && c.extra == 0 }

func (c comparison) String() string {
	if c.equal() {
		return "equal"
	}
	return fmt.Sprintf("%d differences, %d missing, %d extra; %v", c.ndiff, len(c.missing), c.extra, c.diffs)
}

// compare reads the store's copy of the org and checks it field by field
// against the simulator's: users (with their group and roles), groups,
// roles and visible apps. Users in skip (changed in the simulator while
// a sync was reading) are only checked for presence.
func compare(ctx context.Context, store directory.Store, integration string, sim simState, skip map[int64]bool) (comparison, error) {
	var c comparison
	for id, want := range sim.users {
		got, err := store.GetUser(ctx, integration, id)
		if errors.Is(err, directory.ErrNotFound) {
			c.missing = append(c.missing, id)
			continue
		}
		if err != nil {
			return c, err
		}
		if !skip[id] {
			diffUser(&c, got, want)
		}
	}
	status, err := store.IntegrationStatus(ctx, integration)
	if err != nil {
		return c, err
	}
	present := int64(len(sim.users) - len(c.missing))
	c.extra = status.Users - present
	if len(skip) > 0 && c.extra > 0 {
		c.extra = 0 // users deleted during the read may be swept by the next full sync only
	}

	groups, err := store.Groups(ctx, integration)
	if err != nil {
		return c, err
	}
	gotGroups := map[int64]string{}
	for _, g := range groups {
		gotGroups[g.OneLoginID] = g.Name
	}
	wantGroups := map[int64]string{}
	for _, g := range sim.groups {
		wantGroups[g.ID] = g.Name
	}
	if !maps.Equal(gotGroups, wantGroups) {
		c.add("groups: store has %d, simulator %d (or names differ)", len(gotGroups), len(wantGroups))
	}
	roles, err := store.Roles(ctx, integration)
	if err != nil {
		return c, err
	}
	gotRoles := map[int64]string{}
	for _, r := range roles {
		gotRoles[r.OneLoginID] = r.Name
	}
	wantRoles := map[int64]string{}
	for _, r := range sim.roles {
		wantRoles[r.ID] = r.Name
	}
	if !maps.Equal(gotRoles, wantRoles) {
		c.add("roles: store has %d, simulator %d (or names differ)", len(gotRoles), len(wantRoles))
	}
	apps, err := store.Apps(ctx, integration)
	if err != nil {
		return c, err
	}
	gotApps := map[int64]directory.App{}
	for _, a := range apps {
		gotApps[a.OneLoginID] = a
	}
	visible := 0
	for _, want := range sim.apps {
		if !want.Visible {
			continue // the catalog lists visible apps only
		}
		visible++
		got, ok := gotApps[want.ID]
		switch {
		case !ok:
			c.add("app %d missing", want.ID)
		case got.Name != want.Name || got.Description != want.Description || got.ConnectorID != want.ConnectorID ||
			got.AuthMethod != int(want.AuthMethod) || got.IconURL != want.IconURL ||
			!sameTime(got.CreatedAt, want.CreatedAt) || !sameTime(got.UpdatedAt, want.UpdatedAt):
			c.add("app %d differs", want.ID)
		}
	}
	if len(gotApps) != visible {
		c.add("apps: store lists %d, simulator has %d visible", len(gotApps), visible)
	}
	slices.Sort(c.missing)
	return c, nil
}

func sameTime(got time.Time, want *time.Time) bool {
	if want == nil {
		return got.IsZero()
	}
	return got.Equal(*want)
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func diffUser(c *comparison, got directory.User, want onelogin.User) {
	eq := func(field string, g, w any) {
		if g != w {
			c.add("user %d %s: store %v, simulator %v", want.ID, field, g, w)
		}
	}
	eq("email", got.Email, want.Email)
	eq("username", got.Username, want.Username)
	eq("firstname", got.FirstName, want.Firstname)
	eq("lastname", got.LastName, want.Lastname)
	eq("title", got.Title, want.Title)
	eq("department", got.Department, want.Department)
	eq("company", got.Company, want.Company)
	eq("phone", got.Phone, want.Phone)
	eq("status", string(got.Status), want.Status.String())
	eq("state", got.State, int(want.State))
	eq("group", got.GroupID, deref(want.GroupID))
	eq("manager", got.ManagerID, deref(want.ManagerUserID))
	if !slices.Equal(sortedIDs(got.RoleIDs), sortedIDs(want.RoleIDs)) {
		c.add("user %d roles: store %v, simulator %v", want.ID, got.RoleIDs, want.RoleIDs)
	}
	var attrs map[string]*string
	if len(got.CustomAttributes) > 0 {
		if err := json.Unmarshal(got.CustomAttributes, &attrs); err != nil {
			c.add("user %d custom attributes: %v", want.ID, err)
		}
	}
	if !maps.EqualFunc(attrs, want.CustomAttributes, func(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }) {
		c.add("user %d custom attributes differ", want.ID)
	}
	if !sameTime(got.CreatedAt, want.CreatedAt) || !sameTime(got.UpdatedAt, want.UpdatedAt) || !sameTime(got.LastLogin, want.LastLogin) {
		c.add("user %d timestamps differ", want.ID)
	}
}

func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	if out == nil {
		out = []int64{}
	}
	return out
}
