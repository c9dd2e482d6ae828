package onelogin

import (
	"context"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

type requestSlotsKey struct{}

type heldSlotKey struct{}

// RequestSlots bounds the requests in flight of the callers that share
// it: each HTTP exchange (a retry is another) holds a slot from sending
// until its body is read, not while the body is decoded or a retry backs
// off. A caller reading pages with more goroutines than slots so keeps
// every slot busy while the others decode.
type RequestSlots struct{ sem *semaphore.Weighted }

// NewRequestSlots returns n slots.
func NewRequestSlots(n int) *RequestSlots {
	return &RequestSlots{sem: semaphore.NewWeighted(int64(max(n, 1)))}
}

// WithRequestSlots makes every request under ctx take one of s's slots.
func WithRequestSlots(ctx context.Context, s *RequestSlots) context.Context {
	return context.WithValue(ctx, requestSlotsKey{}, s)
}

// heldSlot is a slot taken ahead of the call: its first exchange uses it.
type heldSlot struct {
	s    *RequestSlots
	used atomic.Bool
}

// Take waits for a slot and returns a context whose first request uses it,
// so a caller can take slots in the order it wants its requests sent and
// check what it must (the rate budget) while it holds one. done gives the
// slot back if no request used it; call it when the call returns.
func (s *RequestSlots) Take(ctx context.Context) (context.Context, func(), error) {
	if err := s.sem.Acquire(ctx, 1); err != nil {
		return ctx, nil, context.Cause(ctx)
	}
	h := &heldSlot{s: s}
	done := func() {
		if h.used.CompareAndSwap(false, true) {
			s.sem.Release(1)
		}
	}
	return context.WithValue(WithRequestSlots(ctx, s), heldSlotKey{}, h), done, nil
}

// holdRequestSlot takes a slot for one exchange under ctx (the one taken
// ahead, the first time), if ctx has slots; release gives it back.
func holdRequestSlot(ctx context.Context) (release func(), err error) {
	s, ok := ctx.Value(requestSlotsKey{}).(*RequestSlots)
	if !ok {
		return func() {}, nil
	}
	release = func() { s.sem.Release(1) }
	if h, ok := ctx.Value(heldSlotKey{}).(*heldSlot); ok && h.s == s && h.used.CompareAndSwap(false, true) {
		return release, nil
	}
	if err := s.sem.Acquire(ctx, 1); err != nil {
		return nil, err
	}
	return release, nil
}
