package onelogin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/onelogin/olsim"
)

// TestRequestLimitBoundsRequestsInFlight: twelve page reads at once under a
// limit of three keep exactly three user-list requests at OneLogin at a
// time, and all of them are answered.
func TestRequestLimitBoundsRequestsInFlight(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 600})
	var now, most atomic.Int64
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/api/2/users") {
			n := now.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(20 * time.Millisecond)
			now.Add(-1)
		}
		f.sim.ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)
	c := f.client(t, func(cfg *onelogin.Config) { cfg.BaseURL = slow.URL + "/t/{subdomain}" })
	ctx := onelogin.WithRequestSlots(context.Background(), onelogin.NewRequestSlots(3))
	var wg sync.WaitGroup
	items := make([]int, 12)
	for i := range items {
		wg.Go(func() {
			p, err := c.UsersPage(ctx, onelogin.UserQuery{Sort: "id"}, i+1)
			if assert.NoError(t, err) {
				items[i] = len(p.Items)
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 3, most.Load(), "requests in flight at most")
	for i, n := range items {
		require.Equal(t, 50, n, "page %d", i+1)
	}
}

// A read waiting for a slot gives up with its context; a slot taken ahead
// serves the first request only and comes back when unused.
func TestRequestSlotsTakenAhead(t *testing.T) {
	f := newFixture(t, olsim.Options{Users: 10})
	c := f.client(t)
	_, err := c.UsersPage(context.Background(), onelogin.UserQuery{Sort: "id"}, 1) // the token, outside any slots
	require.NoError(t, err)
	slots := onelogin.NewRequestSlots(1)
	held, done, err := slots.Take(context.Background())
	require.NoError(t, err)

	// The one slot is held: another caller waits until its context ends.
	ctx, cancel := context.WithTimeout(onelogin.WithRequestSlots(context.Background(), slots), 50*time.Millisecond)
	defer cancel()
	_, err = c.UsersPage(ctx, onelogin.UserQuery{Sort: "id"}, 1)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, 1, f.sim.RequestCount("GET /api/2/users"), "nothing more was sent")

	// The holder's request uses it and gives it back; done then does nothing.
	_, err = c.UsersPage(held, onelogin.UserQuery{Sort: "id"}, 1)
	require.NoError(t, err)
	done()
	_, err = c.UsersPage(onelogin.WithRequestSlots(context.Background(), slots), onelogin.UserQuery{Sort: "id"}, 1)
	require.NoError(t, err, "one slot, free again")

	// A slot taken and never used comes back with done.
	_, done, err = slots.Take(context.Background())
	require.NoError(t, err)
	done()
	_, err = c.UsersPage(held, onelogin.UserQuery{Sort: "id"}, 1)
	require.NoError(t, err, "the used held slot makes its context take a fresh one")
}
