package olsim

import (
	"sync"
	"time"
)

// Clock is the simulator's source of time. Token expiry, rate-limit windows,
// timestamps and x-request-id all read it, so tests can move time instead of
// sleeping. It must be safe for concurrent use.
type Clock interface {
	Now() time.Time
}

// AdjustableClock is a Clock the admin API (and Server.AdvanceClock) can move.
type AdjustableClock interface {
	Clock
	Advance(d time.Duration)
	Set(t time.Time)
}

// ManualClock stands still until told to move. The zero value reads as the
// zero time; use NewManualClock.
type ManualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewManualClock returns a clock frozen at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{t: t} }

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d (backwards if d is negative).
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set jumps the clock to t.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// OffsetClock is real time shifted by an adjustable offset. It is the default
// clock: it behaves like the wall clock yet can still be advanced through the
// admin API of a standalone server.
type OffsetClock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now returns wall-clock time plus the offset.
func (c *OffsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Advance adds d to the offset.
func (c *OffsetClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Set shifts the offset so that Now reads t at this instant.
func (c *OffsetClock) Set(t time.Time) {
	c.mu.Lock()
	c.offset = time.Until(t)
	c.mu.Unlock()
}

// wireTime is OneLogin's timestamp format: UTC with milliseconds.
const wireTime = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string { return t.UTC().Format(wireTime) }

// parseFilterTime accepts the ISO-8601 forms clients send in *_since/*_until.
func parseFilterTime(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
