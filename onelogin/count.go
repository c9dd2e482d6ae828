package onelogin

import (
	"context"
	"sync/atomic"
)

type callCounterKey struct{}

// WithCallCounter returns a context under which every HTTP request the
// client sends also increments n. One client serves many concurrent
// activities, so Client.Calls cannot say which of them spent the budget.
func WithCallCounter(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, callCounterKey{}, n)
}

func countCall(ctx context.Context) {
	if n, ok := ctx.Value(callCounterKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
}
