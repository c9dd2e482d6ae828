package onelogin

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"time"
)

// Retries. A 5xx, a dropped connection or a hung request is usually gone a
// moment later, so the client absorbs it where it happens instead of failing
// a whole page read (and with it an activity attempt). What is sent again:
//
//   - GET, and the PUT and DELETE writes whose repetition changes nothing
//     (set state, add or remove roles, logout, a profile update without a
//     password): after a 5xx, a connection cut before or during the
//     response, or an attempt that got no answer within AttemptTimeout;
//   - the token request, which hands back the same token until it expires,
//     except after a 500: OneLogin answers that for a deleted credential
//     owner and repeating it cannot help;
//   - any other request (POSTs such as invite links and role assignment,
//     password changes, whose repetition a password history can refuse) only
//     when the connection could not be opened, so OneLogin provably never
//     saw it.
//
// Never repeated: 4xx answers (a 401 is handled by refreshing the token
// once), and 429, which callers wait out with the announced reset. Retries
// wait RetryBackoff doubled per attempt with jitter, or longer when the
// answer carried Retry-After, and all of them fit in Timeout and the
// caller's deadline: a retry that would not is not made.

// noAnswer is the message of a call or an attempt that timed out.
const noAnswer = "no answer within the time allowed for the call"

// withRetries runs try under the call's timeout until it succeeds, fails in
// a way repeating cannot fix, or runs out of attempts or time. repeatable
// says whether a request that may have reached OneLogin can be sent again.
func (c *Client) withRetries(parent context.Context, op string, repeatable bool, try func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(parent, c.cfg.Timeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		err := c.attempt(ctx, op, repeatable, try)
		wait, again := c.retryWait(ctx, err, repeatable, attempt)
		if !again {
			if err != nil && parent.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				// Our own timeout, not the caller's: a network failure.
				return &Error{Code: CodeNetwork, Op: op, Message: noAnswer, Err: err}
			}
			return err
		}
		if c.sleep(ctx, wait) != nil {
			return err
		}
	}
}

// attempt runs one try; a repeatable one gets AttemptTimeout so a hang
// leaves time for another.
func (c *Client) attempt(ctx context.Context, op string, repeatable bool, try func(context.Context) error) error {
	if !repeatable {
		return try(ctx)
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.AttemptTimeout)
	defer cancel()
	err := try(actx)
	if err != nil && ctx.Err() == nil && actx.Err() != nil && CodeOf(err) == "" {
		// Waiting for something other than our own request (the shared
		// token fetch) outlasted the attempt.
		return &Error{Code: CodeNetwork, Op: op, Message: noAnswer, Err: err}
	}
	return err
}

// retryWait says whether to try again after err, and after how long.
func (c *Client) retryWait(ctx context.Context, err error, repeatable bool, attempt int) (time.Duration, bool) {
	if err == nil || attempt >= c.cfg.MaxAttempts || ctx.Err() != nil {
		return 0, false
	}
	var e *Error
	if !errors.As(err, &e) {
		return 0, false
	}
	switch {
	case e.Code == CodeServerError && repeatable:
	case e.Code == CodeNetwork && (repeatable || neverSent(e.Err)):
	default:
		return 0, false
	}
	wait := max(c.backoff(attempt), e.RetryAfter)
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= wait {
		return 0, false // the next try could not finish in time
	}
	return wait, true
}

// backoff is RetryBackoff doubled per attempt, half of it random, so
// parallel page reads that failed together do not retry together.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.RetryBackoff << min(attempt-1, 10)
	return d/2 + rand.N(d/2+1)
}

// neverSent reports a failure to open the connection: the request did not
// leave this process.
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
