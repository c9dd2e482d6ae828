package olsim_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/stretchr/testify/require"
)

func rateHeaders(r resp) (limit, remaining, reset string) {
	return r.Header.Get("X-RateLimit-Limit"), r.Header.Get("X-RateLimit-Remaining"), r.Header.Get("X-RateLimit-Reset")
}

func TestRateLimitCountsV1Calls(t *testing.T) {
	h := newHarness(t, olsim.Options{Users: 5, RateLimit: 3})
	tok := h.token(readerID)

	lim, rem, reset := rateHeaders(h.get("/api/1/groups", tok))
	require.Equal(t, []string{"3", "2", "3600"}, []string{lim, rem, reset})

	h.clock.Advance(10 * time.Second)
	h.token(readerID)                       // token calls are free
	r := h.get("/api/2/users?limit=1", tok) // v2 calls are free and carry no headers
	require.Empty(t, r.Header.Get("X-RateLimit-Remaining"))
	h.get("/auth/rate_limit", tok) // free by default

	_, rem, reset = rateHeaders(h.get("/api/1/roles", tok))
	require.Equal(t, []string{"1", "3590"}, []string{rem, reset}, "remaining counts down, reset is seconds left")
	_, rem, _ = rateHeaders(h.get("/api/1/users", tok))
	require.Equal(t, "0", rem)

	spent := h.get("/api/1/groups", tok)
	requireV1(t, spent, 429, "Rate Limit Exceeded")
	lim, rem, reset = rateHeaders(spent)
	require.Equal(t, []string{"3", "0", "3590"}, []string{lim, rem, reset})
	require.Empty(t, spent.Header.Get("Retry-After"))
	require.Equal(t, 200, h.get("/api/2/users?limit=1", tok).StatusCode, "v2 still works")

	h.clock.Advance(3590 * time.Second)
	r = h.get("/api/1/groups", tok)
	require.Equal(t, 200, r.StatusCode, "a new window")
	_, rem, reset = rateHeaders(r)
	require.Equal(t, []string{"2", "3600"}, []string{rem, reset})
	limit, remaining, resetIn := h.sim.RateLimitStatus()
	require.Equal(t, []int{3, 2, 3600}, []int{limit, remaining, resetIn})
}

func TestRateLimitOptions(t *testing.T) {
	t.Run("v2 metered with Retry-After", func(t *testing.T) {
		h := newHarness(t, olsim.Options{Users: 5, RateLimit: 1, RateLimitV2: true, RetryAfterOn429: true})
		tok := h.token(readerID)
		_, rem, _ := rateHeaders(h.get("/api/2/users", tok))
		require.Equal(t, "0", rem)
		r := h.get("/api/2/users", tok)
		requireV2Err(t, r, 429, "TooManyRequestsError", "Rate Limit Exceeded")
		require.Equal(t, "3600", r.Header.Get("Retry-After"))
	})
	t.Run("rate_limit endpoint counts", func(t *testing.T) {
		h := newHarness(t, olsim.Options{Users: 5, RateLimitCountsStatusCall: true})
		tok := h.token(readerID)
		h.get("/auth/rate_limit", tok)
		_, rem, _ := rateHeaders(h.get("/auth/rate_limit", tok))
		require.Equal(t, strconv.Itoa(5000-2), rem)
	})
}
