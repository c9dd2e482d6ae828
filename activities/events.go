package activities

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
)

// Metric names of the events workflow's activities.
const (
	MetricEventsApplied = "olflow_events_applied" // objects whose stored content changed (deletions included)
	MetricEventsDeleted = "olflow_events_deleted" // users deleted after a 404
	MetricEventsReads   = "olflow_events_reads"   // objects re-read by id
	MetricEventsLag     = "olflow_events_lag"     // event created_at to applied
)

// missedGrace: an event younger than this at a poll may still be on its
// way by webhook, so finding it does not count against the webhooks.
const missedGrace = 10 * time.Second

// PollEventsInput asks for the events since a cursor.
type PollEventsInput struct {
	IntegrationID string
	Cursor        api.EventsCursor
	// Known are event ids webhook deliveries already brought: they are not
	// read again, and the ones not known count as missed by webhooks.
	Known []int64
	// Burst is the most distinct objects the poll re-reads; beyond it the
	// poll stops reading and reports Burst so an incremental sync runs.
	Burst int
	// WithTypes fetches the event types too (for display).
	WithTypes bool
}

// PollEventsResult is a finished poll.
type PollEventsResult struct {
	Cursor api.EventsCursor
	// Events counts the new events; Missed those no delivery had brought.
	Events, Missed int
	// Burst: the events named more than Burst objects; none was read and
	// the cursor moved past them.
	Burst bool
	ApplyEventsResult
	EventTypes map[int64]string `json:",omitempty"`
}

// ApplyEventsInput is a set of objects to re-read and apply.
type ApplyEventsInput struct {
	IntegrationID string
	Objects       api.EventObjects
	// Oldest is the created_at of the oldest event naming them, for the lag.
	Oldest time.Time
}

// ApplyEventsResult counts what applying did.
type ApplyEventsResult struct {
	// Reads are objects read by id; Applied those whose stored content
	// changed; Deleted users OneLogin answered 404 for.
	Reads, Applied, Deleted int
	// Calls are OneLogin calls made (events pages included).
	Calls int64
	// Lag is from the oldest event applied to now.
	Lag time.Duration
	// BudgetRemaining and BudgetLimit are the rate budget as last seen.
	BudgetRemaining, BudgetLimit int
	// Failed are objects whose read failed with a retryable error (a 5xx,
	// a timeout): the others were applied, these are for the caller to
	// try again, so one flaky read does not redo a whole batch.
	Failed api.EventObjects
}

// PollEvents reads the events created since the cursor (v1, rate-limited,
// so it waits for budget like syncs do), re-reads every user, group and role
// they name once, and applies each to the store. Event type ids are never
// looked at: any event naming an object causes a re-read.
func (a *Activities) PollEvents(ctx context.Context, in PollEventsInput) (PollEventsResult, error) {
	c, err := a.liveClient(ctx, in.IntegrationID)
	if err != nil {
		return PollEventsResult{}, err
	}
	pr, ctx := newProgress(ctx, directory.Kind("events"))
	res := PollEventsResult{Cursor: in.Cursor}
	if res.Cursor.Since.IsZero() {
		res.Cursor.Since = a.now()
	}
	until := a.now()
	known := make(map[int64]bool, len(in.Known))
	for _, id := range in.Known {
		known[id] = true
	}
	seen := make(map[int64]bool, len(in.Cursor.SeenAtSince))
	for _, id := range in.Cursor.SeenAtSince {
		seen[id] = true
	}
	var objs api.EventObjects
	var oldest time.Time
	burst := max(in.Burst, 1)

	if err := a.waitForBudget(ctx, c, pr.heartbeat); err != nil {
		return PollEventsResult{}, appError(err)
	}
	// No until: OneLogin's clock may run ahead of ours.
	q := onelogin.EventQuery{Since: res.Cursor.Since}
pages:
	for page, err := range c.EventPages(ctx, q, "") {
		if err != nil {
			return PollEventsResult{}, appError(err)
		}
		for _, e := range page.Items {
			if e.CreatedAt.Equal(in.Cursor.Since) && seen[e.ID] {
				continue
			}
			res.Events++
			advanceCursor(&res.Cursor, e)
			if known[e.ID] {
				continue
			}
			if until.Sub(e.CreatedAt) > missedGrace {
				res.Missed++
			}
			if objs.Add(e.UserID, e.GroupID, e.RoleID) && (oldest.IsZero() || e.CreatedAt.Before(oldest)) {
				oldest = e.CreatedAt
			}
			if objs.Len() > burst {
				// Reading each would cost more than a sync: skip to the end
				// of this poll; the incremental sync and the next full sync
				// cover what was skipped.
				res.Burst = true
				res.Cursor = api.EventsCursor{Since: until}
				break pages
			}
		}
		pr.heartbeat() // a long backlog of events is many pages
		if page.NextCursor != "" {
			if err := a.waitForBudget(ctx, c, pr.heartbeat); err != nil {
				return PollEventsResult{}, appError(err)
			}
		}
	}
	if in.WithTypes {
		// Display only: a failure here must not fail the poll.
		if types, err := c.EventTypes(ctx); err == nil {
			res.EventTypes = make(map[int64]string, len(types))
			for _, t := range types {
				res.EventTypes[t.ID] = t.Name
			}
		}
	}
	if !res.Burst {
		applied, err := a.apply(ctx, c, pr, in.IntegrationID, objs, oldest)
		if err != nil {
			return PollEventsResult{}, err
		}
		res.ApplyEventsResult = applied
	}
	res.Calls = pr.calls.Load()
	res.BudgetRemaining, res.BudgetLimit = budget(c)
	return res, nil
}

// ApplyEvents re-reads and applies the objects webhook deliveries named.
func (a *Activities) ApplyEvents(ctx context.Context, in ApplyEventsInput) (ApplyEventsResult, error) {
	c, err := a.liveClient(ctx, in.IntegrationID)
	if err != nil {
		return ApplyEventsResult{}, err
	}
	pr, ctx := newProgress(ctx, directory.Kind("events"))
	res, err := a.apply(ctx, c, pr, in.IntegrationID, in.Objects, in.Oldest)
	res.Calls = pr.calls.Load()
	return res, err
}

// RequestSync asks for an incremental sync now by triggering the
// integration's schedule (its overlap policy keeps one sync at a time).
func (a *Activities) RequestSync(ctx context.Context, integration string) error {
	if a.Schedules == nil {
		return failure(errcode.ServerError, "no schedule client configured")
	}
	err := a.Schedules.GetHandle(ctx, api.ScheduleID(integration)).Trigger(ctx, client.ScheduleTriggerOptions{})
	var missing *serviceerror.NotFound
	if errors.As(err, &missing) {
		return failure(errcode.NotFound, "no periodic sync to trigger for "+integration)
	}
	return temporalError(err)
}

// liveClient is the client of a connected integration; a disconnected one
// is not_found, which ends the events workflow.
func (a *Activities) liveClient(ctx context.Context, integration string) (*onelogin.Client, error) {
	in, err := a.Store.GetIntegration(ctx, integration)
	if err != nil {
		return nil, appError(err)
	}
	if in.Status == directory.StatusDisconnected {
		return nil, failure(errcode.NotFound, "integration "+integration+" is disconnected")
	}
	return a.Clients.ForIntegration(in)
}

// apply re-reads each object by id and writes it. A user that answers 404
// is deleted: the same confirm-by-id rule a full sync's sweep follows. A
// group or role that answers 404 is left to the next full sync.
func (a *Activities) apply(ctx context.Context, c *onelogin.Client, pr *progress, integration string,
	objs api.EventObjects, oldest time.Time) (ApplyEventsResult, error) {
	var res ApplyEventsResult
	step := func(changed bool, err error) error {
		res.Reads++
		if changed {
			res.Applied++
		}
		if res.Reads%20 == 0 {
			pr.heartbeat()
		}
		return err
	}
	// read waits for budget and reads one object; a retryable failure of
	// OneLogin leaves the object in Failed and moves on.
	read := func(fetch func() error, failed *[]int64, id int64) (ok bool, err error) {
		if err := a.waitForBudget(ctx, c, pr.heartbeat); err != nil {
			return false, err
		}
		err = fetch()
		if code := onelogin.CodeOf(err); err != nil && code != errcode.NotFound && code.Retryable() && code != errcode.RateLimited {
			*failed = append(*failed, id)
			return false, nil
		}
		return true, err
	}
	for _, id := range objs.Users {
		var u onelogin.User
		ok, err := read(func() (err error) { u, err = c.GetUser(ctx, id); return err }, &res.Failed.Users, id)
		switch {
		case !ok && err == nil:
		case err == nil:
			err = step(a.Store.PutUser(ctx, integration, toDirectoryUser(u)))
		case onelogin.CodeOf(err) == errcode.NotFound:
			var deleted bool
			deleted, err = a.Store.DeleteUser(ctx, integration, id)
			if deleted {
				res.Deleted++
			}
			err = step(deleted, err)
		}
		if err != nil {
			return res, appError(err)
		}
	}
	for _, id := range objs.Groups {
		var g onelogin.Group
		ok, err := read(func() (err error) { g, err = c.GetGroup(ctx, id); return err }, &res.Failed.Groups, id)
		if ok && err == nil {
			err = step(a.Store.PutGroup(ctx, integration, toDirectoryGroups([]onelogin.Group{g})[0]))
		}
		// A group OneLogin no longer has is left to the next full sync.
		if err != nil && onelogin.CodeOf(err) != errcode.NotFound {
			return res, appError(err)
		}
	}
	for _, id := range objs.Roles {
		var r onelogin.Role
		ok, err := read(func() (err error) { r, err = c.GetRole(ctx, id); return err }, &res.Failed.Roles, id)
		if ok && err == nil {
			err = step(a.Store.PutRole(ctx, integration, toDirectoryRoles([]onelogin.Role{r})[0]))
		}
		if err != nil && onelogin.CodeOf(err) != errcode.NotFound {
			return res, appError(err)
		}
	}
	if !oldest.IsZero() && res.Reads > 0 {
		res.Lag = a.now().Sub(oldest)
	}
	res.BudgetRemaining, res.BudgetLimit = budget(c)
	a.eventMetrics(ctx, res)
	return res, nil
}

func (a *Activities) eventMetrics(ctx context.Context, res ApplyEventsResult) {
	if !activity.IsActivity(ctx) {
		return
	}
	m := activity.GetMetricsHandler(ctx)
	m.Counter(MetricEventsReads).Inc(int64(res.Reads))
	m.Counter(MetricEventsApplied).Inc(int64(res.Applied))
	m.Counter(MetricEventsDeleted).Inc(int64(res.Deleted))
	if res.Lag > 0 {
		m.Timer(MetricEventsLag).Record(res.Lag)
	}
}

func budget(c *onelogin.Client) (remaining, limit int) {
	if rl, ok := c.RateLimit(); ok {
		return rl.Remaining, rl.Limit
	}
	return 0, 0
}

// advance moves the cursor to an event: the newest created_at, and the ids
// read at exactly that instant, so the next poll (since is inclusive) skips
// them.
func advanceCursor(c *api.EventsCursor, e onelogin.Event) {
	switch {
	case e.CreatedAt.After(c.Since):
		c.Since, c.SeenAtSince = e.CreatedAt, []int64{e.ID}
	case e.CreatedAt.Equal(c.Since) && !slices.Contains(c.SeenAtSince, e.ID):
		c.SeenAtSince = append(c.SeenAtSince, e.ID)
	}
}
