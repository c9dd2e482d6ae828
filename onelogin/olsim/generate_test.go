package olsim_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

func org(seed int64) *olsim.Server {
	return olsim.New(olsim.Options{Seed: seed, Users: 500, Groups: 12, Roles: 25, Apps: 30, Clock: olsim.NewManualClock(epoch)})
}

func TestGeneratorIsDeterministic(t *testing.T) {
	a, b, c := org(3), org(3), org(4)
	require.Equal(t, a.Users(), b.Users())
	require.Equal(t, a.Roles(), b.Roles())
	require.Equal(t, a.Apps(), b.Apps())
	require.Equal(t, a.Groups(), b.Groups())
	require.NotEqual(t, a.Users(), c.Users())
}

func TestGeneratedOrgIsRealistic(t *testing.T) {
	s := org(1)
	users := s.Users()
	require.Len(t, users, 500)
	require.Len(t, s.Groups(), 12)
	require.Len(t, s.Roles(), 25)
	require.Len(t, s.Apps(), 30)

	emails, usernames := map[string]bool{}, map[string]bool{}
	ids := map[int64]bool{}
	statuses, states := map[int]int{}, map[int]int{}
	var noGroup, withManager, blankPhone, multiRole, active int
	groupIDs := map[int64]bool{}
	for _, g := range s.Groups() {
		groupIDs[g.ID] = true
	}
	for _, u := range users {
		ids[u.ID] = true
		e := strings.ToLower(u.Email)
		require.False(t, emails[e], "duplicate email %s", u.Email)
		require.False(t, usernames[u.Username], "duplicate username %s", u.Username)
		emails[e], usernames[u.Username] = true, true
		statuses[u.Status]++
		states[u.State]++
		require.Len(t, u.CustomAttributes, len(s.CustomAttributes()), "every shortname present")
		require.False(t, u.UpdatedAt.Before(u.CreatedAt))
		require.True(t, u.CreatedAt.Before(epoch))
		if u.Status == 1 {
			active++
			require.NotNil(t, u.ActivatedAt)
		}
		if u.GroupID == 0 {
			noGroup++
		} else {
			require.True(t, groupIDs[u.GroupID])
		}
		if u.ManagerUserID != 0 {
			withManager++
		}
		if u.Phone == "" {
			blankPhone++
		}
		if len(u.RoleIDs) > 1 {
			multiRole++
		}
	}
	for _, u := range users {
		if u.ManagerUserID != 0 {
			require.True(t, ids[u.ManagerUserID], "managers are users")
		}
	}
	require.Greater(t, active, 350, "mostly active")
	for _, st := range []int{0, 2, 3, 4, 5, 7} {
		require.Positive(t, statuses[st], "status %d present", st)
	}
	require.Greater(t, len(states), 1, "mixed states")
	require.Positive(t, noGroup)
	require.Positive(t, withManager)
	require.Positive(t, blankPhone)
	require.Positive(t, multiRole)
	require.True(t, slices.IsSortedFunc(users, func(a, b olsim.User) int { return a.CreatedAt.Compare(b.CreatedAt) }),
		"ids grow with creation time")

	methods := map[int]bool{}
	for _, a := range s.Apps() {
		methods[a.AuthMethod] = true
	}
	require.Greater(t, len(methods), 3, "varied auth methods")
	for _, r := range s.Roles() {
		require.NotEmpty(t, r.AppIDs)
		require.NotEmpty(t, r.AdminIDs)
	}
}

func TestDefaultsAndEmptyOrg(t *testing.T) {
	s := olsim.New(olsim.Options{})
	o := s.Options()
	require.Equal(t, olsim.DefaultUsers, len(s.Users()))
	require.Equal(t, "acme", o.Subdomain)
	require.Equal(t, 50, o.UsersMaxLimit)
	require.Equal(t, 403, o.V2ScopeDenialStatus)
	require.Equal(t, []olsim.Credential{{ClientID: olsim.DefaultClientID, ClientSecret: olsim.DefaultClientSecret, Scope: olsim.ScopeManageAll}}, s.Credentials())

	empty := olsim.New(olsim.Options{Users: -1, Groups: -1, Roles: -1, Apps: -1})
	require.Empty(t, empty.Users())
	u, err := empty.CreateUser(olsim.Fields{"email": "first@acme.com"})
	require.NoError(t, err)
	require.Equal(t, 7, u.Status)
}
