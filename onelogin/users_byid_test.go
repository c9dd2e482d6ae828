package onelogin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/onelogin/olsim"
)

func ids(us []onelogin.User) []int64 {
	out := make([]int64, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	slices.Sort(out)
	return out
}

// One call answers for up to 50 ids; the ones missing are gone.
func TestUsersByIDOneCallPerBatch(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 120})
	c := f.client(t)
	ctx := context.Background()
	users := f.sim.Users()
	var ask []int64
	for _, u := range users[10:60] {
		ask = append(ask, u.ID)
	}
	gone := []int64{users[12].ID, users[59].ID}
	for _, id := range gone {
		require.NoError(t, f.sim.DeleteUser(id))
	}
	_, err := c.Authenticate(ctx)
	require.NoError(t, err)
	f.sim.ResetCounters()

	got, err := c.UsersByID(ctx, ask)
	require.NoError(t, err)
	want := slices.DeleteFunc(slices.Clone(ask), func(id int64) bool { return slices.Contains(gone, id) })
	assert.Equal(t, want, ids(got))
	assert.Equal(t, 1, f.sim.RequestCount("GET /api/2/users"))
	assert.Zero(t, f.sim.RequestCount("GET /api/2/users/:id"))

	none, err := c.UsersByID(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, none)
	_, err = c.UsersByID(ctx, make([]int64, 51))
	assert.Equal(t, onelogin.CodeInvalidInput, codeOf(t, err).Code)

	// A failed read is an error, never "all gone".
	f.sim.SetFaults(olsim.Faults{ErrorRate: 1, ErrorStatuses: []int{500}})
	_, err = c.UsersByID(ctx, ask)
	assert.Equal(t, onelogin.CodeServerError, codeOf(t, err).Code)
}

// If OneLogin ignored user_ids, its answer would be the first page of the
// whole directory: the client notices the strangers and asks id by id.
func TestUsersByIDWhenTheFilterIsIgnored(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 120})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		q.Del("user_ids")
		r.URL.RawQuery = q.Encode()
		f.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := f.client(t, func(cfg *onelogin.Config) { cfg.BaseURL = srv.URL + "/t/{subdomain}" })
	users := f.sim.Users()
	ask := []int64{users[100].ID, users[101].ID, users[102].ID}
	require.NoError(t, f.sim.DeleteUser(users[101].ID))
	got, err := c.UsersByID(context.Background(), ask)
	require.NoError(t, err)
	assert.Equal(t, []int64{users[100].ID, users[102].ID}, ids(got))
	assert.Equal(t, 3, f.sim.RequestCount("GET /api/2/users/:id"))
}
