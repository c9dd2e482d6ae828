package activities

import (
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
)

// v1Budget lets a v1 call through while the account has budget left. When
// OneLogin has announced the budget spent, it waits for the reset as a retry
// delay instead of spending a 429. Only v1 calls count against the budget
// (reference §10), so v2 steps never wait here. Unlike syncs, actions keep no
// reserve: the reserve exists for them.
func (a *Activities) v1Budget(c *onelogin.Client) error {
	rl, ok := c.RateLimit()
	if !ok || rl.Remaining > 0 {
		return nil
	}
	wait := rl.ResetAt().Sub(a.now())
	if wait <= 0 {
		return nil
	}
	return appError(&onelogin.Error{Code: errcode.RateLimited, RetryAfter: wait,
		Message: "the account's OneLogin rate budget is spent; waiting for the reset"})
}
