package olsim

import (
	"strconv"
	"time"
)

// rateWindow is the account-wide hourly v1 budget (§10). A window opens at
// the first metered call after the previous one ended; X-RateLimit-Reset is
// the number of seconds left in it.
type rateWindow struct {
	start time.Time
	used  int
	open  bool
}

const rateWindowLen = time.Hour

func (w *rateWindow) roll(now time.Time) {
	if w.open && !now.Before(w.start.Add(rateWindowLen)) {
		w.open, w.used = false, 0
	}
}

// consume takes one call from the budget; false means it is spent.
func (w *rateWindow) consume(now time.Time, limit int) bool {
	w.roll(now)
	if !w.open {
		w.start, w.used, w.open = now, 0, true
	}
	if w.used >= limit {
		return false
	}
	w.used++
	return true
}

func (w *rateWindow) state(now time.Time, limit int) (lim, remaining, reset int) {
	w.roll(now)
	if !w.open {
		return limit, limit, int(rateWindowLen / time.Second)
	}
	left := w.start.Add(rateWindowLen).Sub(now)
	reset = int((left + time.Second - 1) / time.Second) // round up: never announce 0 while still closed
	return limit, max(limit-w.used, 0), reset
}

// setRateHeaders adds X-RateLimit-* (and Retry-After on 429s when enabled).
// spent forces Remaining to 0 for injected 429 bursts.
func (s *Server) setRateHeaders(r *response, now time.Time, spent bool) {
	limit, remaining, reset := s.rate.state(now, s.opts.RateLimit)
	if spent {
		remaining = 0
	}
	r.header.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	r.header.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	r.header.Set("X-RateLimit-Reset", strconv.Itoa(reset))
	if r.status == 429 && s.opts.RetryAfterOn429 {
		r.header.Set("Retry-After", strconv.Itoa(reset))
	}
}

// rateLimited is the 429 for a spent budget ([U]: a v1 envelope with code
// 429; v2 gets the standard error shape).
func (s *Server) rateLimited(c *call) *response {
	r := c.fail(429, "")
	s.setRateHeaders(r, c.now, true)
	return r
}

// RateLimitStatus reports the v1 budget as the headers would: limit,
// remaining calls, and seconds until the window resets.
func (s *Server) RateLimitStatus() (limit, remaining, reset int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rate.state(s.clock.Now(), s.opts.RateLimit)
}
