package activities_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/onelogin/olsim"
)

const groupsList = "GET /api/1/groups"

// A 429 is a retryable rate_limited failure that waits exactly as long as
// OneLogin announced in X-RateLimit-Reset, kept out of failure metrics.
func TestRateLimited429RetriesAfterAnnouncedReset(t *testing.T) {
	t.Parallel()
	for _, kind := range []directory.Kind{directory.KindUsers, directory.KindGroups, directory.KindApps} {
		t.Run(string(kind), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, olsim.Options{Users: 60, Groups: 60}, activities.Config{})
			h.saveIntegration("acme-1", adminClientID)
			b := h.begin("acme-1", api.ModeFull)
			// A v1 call opens the account's hourly window; the burst comes 15
			// minutes later, so the reset is 45 minutes away.
			must[activities.KindResult](h, h.acts.SyncGroups, kindInput("acme-1", b))
			h.clock.Advance(15 * time.Minute)

			h.sim.SetFaults(olsim.Faults{Burst429: 1})
			fn := h.kindFns()[kind]
			_, r := call[activities.KindResult](h, nil, fn, kindInput("acme-1", b))
			ae := requireCode(t, r.err, errcode.RateLimited, true)
			require.Equal(t, 45*time.Minute, ae.NextRetryDelay())
			require.Equal(t, temporal.ApplicationErrorCategoryBenign, ae.Category())

			// Temporal retries after the delay; by then the window reset.
			h.clock.Advance(ae.NextRetryDelay())
			res := must[activities.KindResult](h, fn, kindInput("acme-1", b))
			require.Positive(t, res.Items)
		})
	}
}

// Syncs leave the last 10% of the account's budget to actions. A short wait
// for the reset is taken inline; a long one becomes a rate_limited retry
// whose delay is the time to the reset. Every number is exact because the
// client, the activities and the simulator share one manual clock.
func TestSyncsYieldTheBudgetReserve(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind directory.Kind
		list string
	}{
		{directory.KindUsers, usersList},
		{directory.KindGroups, groupsList},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, olsim.Options{Users: 120, RateLimitV2: true, RateLimit: 20},
				activities.Config{MaxInlineBudgetWait: time.Minute})
			h.saveIntegration("acme-1", adminClientID)
			fn := h.kindFns()[tc.kind]
			b := h.begin("acme-1", api.ModeFull)

			// Something else (an action, another process) spends 19 of the
			// 20 calls at the start of the window.
			c := h.client("acme-1")
			for range 19 {
				_, err := c.GetUser(h.ctx, h.sim.Users()[0].ID)
				require.NoError(t, err)
			}
			rl, ok := c.RateLimit()
			require.True(t, ok)
			require.Equal(t, 1, rl.Remaining)

			// Ten minutes on, the reset is 50 minutes away: too long to sleep.
			h.clock.Advance(10 * time.Minute)
			h.sim.ResetCounters()
			_, r := call[activities.KindResult](h, nil, fn, kindInput("acme-1", b))
			ae := requireCode(t, r.err, errcode.RateLimited, true)
			require.Equal(t, 50*time.Minute, ae.NextRetryDelay())
			require.Zero(t, h.sim.RequestCount(tc.list), "the reserved call was not spent")
			_, remaining, _ := h.sim.RateLimitStatus()
			require.Equal(t, 1, remaining)

			if tc.kind == directory.KindGroups {
				// A millisecond before the reset the wait is short enough to
				// take inline; the one page then spends the last call.
				h.clock.Set(epoch.Add(time.Hour - time.Millisecond))
				res := must[activities.KindResult](h, fn, kindInput("acme-1", b))
				require.Equal(t, len(h.sim.Groups()), res.Items)
				require.Equal(t, 1, h.sim.RequestCount(tc.list))
				return
			}
			// After the reset the read goes ahead.
			h.clock.Set(epoch.Add(time.Hour + time.Second))
			res := must[activities.KindResult](h, fn, kindInput("acme-1", b))
			require.Equal(t, 120, res.Items)
			require.Equal(t, 20, res.BudgetLimit)
			require.Equal(t, 20-3, res.BudgetRemaining, "three pages, no call past the announced last page")
		})
	}
}

// The full user read checks the budget before every page: it stops with the
// reserve intact and resumes from its heartbeat.
func TestFullUserReadKeepsReserveToTheEnd(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 120, RateLimitV2: true, RateLimit: 20},
		activities.Config{MaxInlineBudgetWait: time.Minute, FullReadParallelism: 1})
	h.saveIntegration("acme-1", adminClientID)
	b := h.begin("acme-1", api.ModeFull)
	c := h.client("acme-1")
	for range 17 { // 3 left: pages 1 and 2 may go, page 3 would spend the reserve
		_, err := c.GetUser(h.ctx, h.sim.Users()[0].ID)
		require.NoError(t, err)
	}
	h.clock.Advance(20 * time.Minute)
	h.sim.ResetCounters()

	_, r := call[activities.KindResult](h, nil, h.acts.SyncUsers, kindInput("acme-1", b))
	ae := requireCode(t, r.err, errcode.RateLimited, true)
	require.Equal(t, 40*time.Minute, ae.NextRetryDelay())
	_, remaining, _ := h.sim.RateLimitStatus()
	require.Equal(t, 1, remaining, "a sync must not spend the reserve")
	require.Equal(t, 2, h.sim.RequestCount(usersList))
	last := r.lastProgress()
	require.NotNil(t, last)
	require.Equal(t, "1-2", last.(activities.KindProgress).PagesDone)

	// The retry after the reset reads only what is left.
	h.clock.Set(epoch.Add(time.Hour))
	h.sim.ResetCounters()
	res, r := call[activities.KindResult](h, last, h.acts.SyncUsers, kindInput("acme-1", b))
	require.NoError(t, r.err)
	require.Equal(t, 1, h.sim.RequestCount(usersList), "only page 3")
	require.Equal(t, 120, res.Items)
}

// client is the cached OneLogin client the activities use for an
// integration (one per integration, so it shares their view of the budget).
func (h *harness) client(integration string) *onelogin.Client {
	h.t.Helper()
	in, err := h.store.GetIntegration(h.ctx, integration)
	require.NoError(h.t, err)
	c, err := h.acts.Clients.ForIntegration(in)
	require.NoError(h.t, err)
	return c
}
