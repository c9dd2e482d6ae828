package onelogin

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RateLimit is OneLogin's account-wide budget as last announced. The budget
// belongs to the account, not to this client: other processes spend it too.
type RateLimit struct {
	Limit     int
	Remaining int
	// Reset is the time left in the window when the headers were read.
	Reset      time.Duration
	ObservedAt time.Time
}

// ResetAt is when the window restarts.
func (r RateLimit) ResetAt() time.Time { return r.ObservedAt.Add(r.Reset) }

// Below reports whether fewer than fraction of the budget remains. A
// budget never announced is never low.
func (r RateLimit) Below(fraction float64) bool {
	return r.Limit > 0 && float64(r.Remaining) < fraction*float64(r.Limit)
}

type rateState struct {
	mu   sync.Mutex
	last RateLimit
	seen bool
}

// observe records X-RateLimit-* from any response that has them, and
// returns what it read.
func (s *rateState) observe(h http.Header, now time.Time) (RateLimit, bool) {
	rl, ok := parseRateHeaders(h, now)
	if !ok {
		return rl, false
	}
	s.mu.Lock()
	if !s.seen || !staleAnswer(s.last, rl) {
		s.last, s.seen = rl, true
	}
	s.mu.Unlock()
	return rl, true
}

// staleAnswer says rl is an older view of the window last describes: with
// requests in parallel, answers arrive out of order, and the budget only
// shrinks within a window. Reset is in whole seconds, so windows are the
// same when their ends are within two seconds.
func staleAnswer(last, rl RateLimit) bool {
	d := rl.ResetAt().Sub(last.ResetAt())
	return rl.Limit == last.Limit && rl.Remaining > last.Remaining && d < 2*time.Second && d > -2*time.Second
}

func parseRateHeaders(h http.Header, now time.Time) (RateLimit, bool) {
	limit, err1 := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Limit")))
	remaining, err2 := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining")))
	if err1 != nil || err2 != nil {
		return RateLimit{}, false
	}
	reset, _ := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Reset")))
	return RateLimit{Limit: limit, Remaining: remaining, Reset: time.Duration(max(reset, 0)) * time.Second, ObservedAt: now}, true
}

// RateLimit returns the latest budget this client saw, and false when no
// response has carried one yet.
func (c *Client) RateLimit() (RateLimit, bool) {
	c.rate.mu.Lock()
	defer c.rate.mu.Unlock()
	return c.rate.last, c.rate.seen
}

// GetRateLimit asks OneLogin for the account's budget (GET /auth/rate_limit).
func (c *Client) GetRateLimit(ctx context.Context) (RateLimit, error) {
	var out struct {
		Data struct {
			Limit     looseInt `json:"X-RateLimit-Limit"`
			Remaining looseInt `json:"X-RateLimit-Remaining"`
			Reset     looseInt `json:"X-RateLimit-Reset"`
		} `json:"data"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/auth/rate_limit", endpoint: "/auth/rate_limit"}, &out); err != nil {
		return RateLimit{}, err
	}
	rl := RateLimit{Limit: int(out.Data.Limit.int64()), Remaining: int(out.Data.Remaining.int64()),
		Reset: time.Duration(out.Data.Reset.int64()) * time.Second, ObservedAt: c.cfg.Now()}
	c.rate.mu.Lock()
	c.rate.last, c.rate.seen = rl, true
	c.rate.mu.Unlock()
	return rl, nil
}
