package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
)

// Bounds of one DirectoryEvents run, so its history stays small.
const (
	defaultEventsMaxPolls = 100
	// eventsHistoryBound continues as new once the history is this long,
	// whatever the poll count (a busy webhook adds events between polls).
	eventsHistoryBound = 5000
	// eventsKnownBound is how many delivered event ids are kept to spare
	// polls from reading their objects again; more are simply read again.
	eventsKnownBound = 1000
	// eventsRecentBound is how many delivered event ids are remembered to
	// drop duplicate and replayed deliveries.
	eventsRecentBound = 5000
	// eventsHealthyWindow: webhooks count as healthy when a delivery came
	// within it and the last poll found nothing they had missed.
	eventsHealthyWindow = time.Hour
	// slowPollFactor is how much slower polling gets with healthy webhooks.
	slowPollFactor = 5
)

// DirectoryEvents keeps an integration's store fresh between syncs: it polls
// OneLogin's events since its cursor and takes webhook deliveries (the
// api.EventsSignal signal), re-reads every user, group and role they name
// and applies it; a user that answers 404 is deleted. It runs until the
// integration is disconnected (disconnect cancels it), continuing as new
// every MaxPolls polls.
func DirectoryEvents(ctx workflow.Context, req api.EventsRequest) (api.EventsStatus, error) {
	w := &eventsWorkflow{req: req}
	if err := w.setup(ctx); err != nil {
		return api.EventsStatus{}, err
	}
	return w.run(ctx)
}

type eventsWorkflow struct {
	req   api.EventsRequest
	st    *api.EventsState
	log   log.Logger
	polls int
	// pending objects, each once, in first-seen order.
	pending  api.EventObjects
	recent   []int64
	isRecent map[int64]bool
	known    []int64 // delivered since the poll before last
	debounce workflow.Future
}

func (w *eventsWorkflow) setup(ctx workflow.Context) error {
	if err := api.ValidateIntegrationID(w.req.IntegrationID); err != nil {
		return refuse(err)
	}
	r := &w.req
	if r.PollInterval == 0 {
		r.PollInterval = api.DefaultEventsPollInterval
	}
	if r.PollInterval < time.Second {
		return invalidInput("poll_interval", "must be at least a second")
	}
	if r.SlowPollInterval < r.PollInterval {
		r.SlowPollInterval = slowPollFactor * r.PollInterval
	}
	if r.Debounce <= 0 {
		r.Debounce = api.DefaultEventsDebounce
	}
	if r.Burst <= 0 {
		r.Burst = api.DefaultEventsBurst
	}
	if r.MaxPolls <= 0 {
		r.MaxPolls = defaultEventsMaxPolls
	}
	w.st = &r.State
	if w.st.Cursor.Since.IsZero() {
		// Earlier changes are the initial sync's; a little overlap costs
		// only re-reads.
		w.st.Cursor.Since = workflow.Now(ctx).Add(-5 * time.Minute)
	}
	w.pending = w.st.Pending
	w.known = slices.Clone(w.st.Known)
	w.isRecent = map[int64]bool{}
	w.log = log.With(workflow.GetLogger(ctx), "integration", r.IntegrationID)
	if err := workflow.SetQueryHandler(ctx, api.EventsStatusQuery, func() (api.EventsStatus, error) {
		return w.status(ctx), nil
	}); err != nil {
		return err
	}
	return workflow.UpsertTypedSearchAttributes(ctx, api.IntegrationAttribute.ValueSet(r.IntegrationID))
}

func (w *eventsWorkflow) run(ctx workflow.Context) (api.EventsStatus, error) {
	ch := workflow.GetSignalChannel(ctx, api.EventsSignal)
	if w.pending.Len() > 0 {
		w.debounce = workflow.NewTimer(ctx, w.req.Debounce)
	}
	for {
		if ctx.Err() != nil {
			return w.status(ctx), ctx.Err()
		}
		if w.polls >= w.req.MaxPolls || workflow.GetInfo(ctx).GetCurrentHistoryLength() > eventsHistoryBound ||
			workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return w.status(ctx), w.continueAsNew(ctx, ch)
		}
		done, err := w.poll(ctx)
		if done || err != nil {
			return w.status(ctx), err
		}
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		pollTimer := workflow.NewTimer(timerCtx, w.interval(ctx))
		for due := false; !due; {
			sel := workflow.NewSelector(ctx)
			sel.AddFuture(pollTimer, func(workflow.Future) { due = true })
			sel.AddReceive(ch, func(c workflow.ReceiveChannel, _ bool) {
				var d api.EventsDelivery
				c.Receive(ctx, &d)
				w.deliver(ctx, d)
			})
			if w.debounce != nil {
				sel.AddFuture(w.debounce, func(workflow.Future) {
					w.debounce = nil
					if done, err = w.applyPending(ctx); done || err != nil {
						due = true
					}
				})
			}
			sel.Select(ctx)
			if workflow.GetInfo(ctx).GetCurrentHistoryLength() > eventsHistoryBound {
				due = true // a flood of deliveries: continue as new now
			}
			if done || err != nil || ctx.Err() != nil {
				cancelTimer()
				break
			}
		}
		cancelTimer()
		if done || err != nil {
			return w.status(ctx), err
		}
	}
}

// deliver takes one webhook delivery: events already seen (duplicates,
// replays) are dropped, the objects of the rest wait for the debounce.
func (w *eventsWorkflow) deliver(ctx workflow.Context, d api.EventsDelivery) {
	w.st.Deliveries++
	w.st.LastDelivery = workflow.Now(ctx)
	for _, e := range d.Events {
		if e.ID != 0 {
			if w.isRecent[e.ID] {
				continue
			}
			w.remember(e.ID)
		}
		if w.pending.Add(e.UserID, e.GroupID, e.RoleID) && !e.CreatedAt.IsZero() &&
			(w.st.PendingSince.IsZero() || e.CreatedAt.Before(w.st.PendingSince)) {
			w.st.PendingSince = e.CreatedAt
		}
	}
	if w.pending.Len() > 0 && w.debounce == nil {
		w.debounce = workflow.NewTimer(ctx, w.req.Debounce)
	}
}

// remember keeps a delivered event id for dedupe and for the next polls.
func (w *eventsWorkflow) remember(id int64) {
	w.isRecent[id] = true
	w.recent = append(w.recent, id)
	if len(w.recent) > eventsRecentBound {
		delete(w.isRecent, w.recent[0])
		w.recent = w.recent[1:]
	}
	w.known = append(w.known, id)
	if len(w.known) > eventsKnownBound {
		w.known = w.known[len(w.known)-eventsKnownBound:]
	}
}

func (w *eventsWorkflow) interval(ctx workflow.Context) time.Duration {
	if w.healthy(ctx) {
		return w.req.SlowPollInterval
	}
	return w.req.PollInterval
}

func (w *eventsWorkflow) healthy(ctx workflow.Context) bool {
	return !w.st.LastDelivery.IsZero() && w.st.MissedByWebhook == 0 &&
		workflow.Now(ctx).Sub(w.st.LastDelivery) < eventsHealthyWindow
}

// poll runs one PollEvents. done reports that the integration is gone.
func (w *eventsWorkflow) poll(ctx workflow.Context) (done bool, err error) {
	pctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// A rate-limit wait can last until the hour's reset.
		StartToCloseTimeout: 10 * time.Minute, HeartbeatTimeout: time.Minute, ScheduleToCloseTimeout: 75 * time.Minute,
		RetryPolicy: retryPolicy(time.Minute), Summary: "poll OneLogin events",
	})
	var res activities.PollEventsResult
	err = workflow.ExecuteActivity(pctx, a.PollEvents, activities.PollEventsInput{
		IntegrationID: w.req.IntegrationID, Cursor: w.st.Cursor, Known: w.known, Burst: w.req.Burst,
		WithTypes: w.st.EventTypes == nil,
	}).Get(ctx, &res)
	w.polls++
	if err != nil {
		return w.failed(ctx, "poll", err)
	}
	// Deliveries wait while a poll runs, so every known id was before
	// this poll's cursor.
	w.known = nil
	w.st.Polls++
	w.st.LastPoll = workflow.Now(ctx)
	w.st.Cursor = res.Cursor
	w.st.MissedByWebhook = 0
	if !w.st.LastDelivery.IsZero() {
		w.st.MissedByWebhook = res.Missed
	}
	if res.EventTypes != nil {
		w.st.EventTypes = res.EventTypes
	}
	w.st.LastError = ""
	w.counted(ctx, res.ApplyEventsResult)
	w.retryLater(ctx, res.Failed)
	if res.Burst {
		w.log.Info("event burst: asking for an incremental sync", "events", res.Events)
		return w.requestSync(ctx)
	}
	w.details(ctx)
	return false, nil
}

// applyPending re-reads what deliveries named.
func (w *eventsWorkflow) applyPending(ctx workflow.Context) (done bool, err error) {
	objs, since := w.pending, w.st.PendingSince
	if objs.Len() == 0 {
		return false, nil
	}
	w.pending = api.EventObjects{}
	w.st.PendingSince = time.Time{}
	if objs.Len() > w.req.Burst {
		w.log.Info("delivery burst: asking for an incremental sync", "objects", objs.Len())
		return w.requestSync(ctx)
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute, HeartbeatTimeout: time.Minute, ScheduleToCloseTimeout: 75 * time.Minute,
		RetryPolicy: retryPolicy(time.Minute), Summary: "apply webhook events",
	})
	var res activities.ApplyEventsResult
	if err := workflow.ExecuteActivity(actx, a.ApplyEvents, activities.ApplyEventsInput{
		IntegrationID: w.req.IntegrationID, Objects: objs, Oldest: since,
	}).Get(ctx, &res); err != nil {
		return w.failed(ctx, "apply", err)
	}
	w.st.LastError = ""
	w.counted(ctx, res)
	w.retryLater(ctx, res.Failed)
	w.details(ctx)
	return false, nil
}

// retryLater puts objects whose read failed back with the pending ones,
// to be applied after the next debounce.
func (w *eventsWorkflow) retryLater(ctx workflow.Context, failed api.EventObjects) {
	if failed.Len() == 0 {
		return
	}
	for _, id := range failed.Users {
		w.pending.Add(id, 0, 0)
	}
	for _, id := range failed.Groups {
		w.pending.Add(0, id, 0)
	}
	for _, id := range failed.Roles {
		w.pending.Add(0, 0, id)
	}
	if w.st.PendingSince.IsZero() {
		w.st.PendingSince = workflow.Now(ctx)
	}
	if w.debounce == nil {
		w.debounce = workflow.NewTimer(ctx, w.req.Debounce)
	}
}

func (w *eventsWorkflow) requestSync(ctx workflow.Context) (bool, error) {
	w.st.Bursts++
	err := workflow.ExecuteActivity(shortActivity(ctx, "ask for an incremental sync"), a.RequestSync, w.req.IntegrationID).Get(ctx, nil)
	if err != nil {
		if ctx.Err() != nil {
			return true, ctx.Err()
		}
		// No schedule to trigger (paused integrations keep theirs): the
		// next scheduled or full sync covers the burst; events go on.
		w.st.LastError = "request a sync: " + err.Error()
		w.log.Warn("could not ask for a sync after a burst", "error", err)
	}
	w.details(ctx)
	return false, nil
}

// failed decides what a failed activity means: a disconnected or removed
// integration ends the workflow; anything else is recorded and the next
// poll tries again (polling is the safety net, it must not stop).
func (w *eventsWorkflow) failed(ctx workflow.Context, what string, err error) (bool, error) {
	if ctx.Err() != nil {
		return true, ctx.Err()
	}
	w.st.LastError = what + ": " + err.Error()
	w.details(ctx)
	if errcode.Of(err) == errcode.NotFound {
		w.log.Info("integration gone: events stop", "error", err)
		return true, nil
	}
	w.log.Warn("events "+what+" failed; the next poll tries again", "error", err)
	return false, nil
}

func (w *eventsWorkflow) counted(ctx workflow.Context, r activities.ApplyEventsResult) {
	w.st.Reads += int64(r.Reads)
	w.st.Applied += int64(r.Applied)
	w.st.Deleted += int64(r.Deleted)
	w.st.Calls += r.Calls
	if r.Lag > 0 {
		w.st.Lag = r.Lag
	}
	if r.Reads > 0 {
		w.st.LastEventAt = workflow.Now(ctx)
	}
}

// continueAsNew carries the state over, deliveries already queued included.
func (w *eventsWorkflow) continueAsNew(ctx workflow.Context, ch workflow.ReceiveChannel) error {
	for {
		var d api.EventsDelivery
		if !ch.ReceiveAsync(&d) {
			break
		}
		w.deliver(ctx, d)
	}
	next := w.req
	st := *w.st
	st.Pending = w.pending
	st.Known = slices.Clone(w.known)
	next.State = st
	return workflow.NewContinueAsNewError(ctx, api.EventsWorkflow, next)
}

func (w *eventsWorkflow) status(ctx workflow.Context) api.EventsStatus {
	st := *w.st
	st.Pending = w.pending
	s := api.EventsStatus{IntegrationID: w.req.IntegrationID, EventsState: st, PollInterval: w.interval(ctx),
		WebhookHealthy: w.healthy(ctx)}
	switch {
	case w.st.LastDelivery.IsZero():
		s.Webhook = "never"
	case w.st.MissedByWebhook > 0:
		s.Webhook = "missing events"
	case !s.WebhookHealthy:
		s.Webhook = "silent"
	default:
		s.Webhook = "healthy"
	}
	return s
}

// details shows cursor, last poll, lag and webhook health in the UI.
func (w *eventsWorkflow) details(ctx workflow.Context) {
	s := w.status(ctx)
	var b strings.Builder
	fmt.Fprintf(&b, "**events** of `%s`\n\n", w.req.IntegrationID)
	fmt.Fprintf(&b, "| cursor | last poll | lag | webhook | polls | deliveries | reads | applied | deleted | calls |\n|---|---|---|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %d | %d | %d | %d | %d |\n",
		s.Cursor.Since.UTC().Format(time.RFC3339Nano), s.LastPoll.UTC().Format(time.RFC3339), s.Lag.Round(time.Millisecond),
		s.Webhook, s.Polls, s.Deliveries, s.Reads, s.Applied, s.Deleted, s.Calls)
	if s.LastError != "" {
		fmt.Fprintf(&b, "\nLast error: %s", s.LastError)
	}
	workflow.SetCurrentDetails(ctx, b.String())
}

// startEvents starts the integration's events workflow as an abandoned
// child, so it outlives the connect. One already running (a second
// connect, a credential rotation) is kept: the child start refuses a
// running ID, which here means "use the existing one". Any other failure
// is only logged: events are an addition to the scheduled sync, which is
// set up already, and a webhook delivery or the next connect starts them.
func startEvents(ctx workflow.Context, integration string) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            api.EventsWorkflowID(integration),
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		TypedSearchAttributes: temporal.NewSearchAttributes(api.IntegrationAttribute.ValueSet(integration)),
		StaticSummary:         "OneLogin events of " + integration,
	})
	err := workflow.ExecuteChildWorkflow(cctx, api.EventsWorkflow, api.EventsRequest{IntegrationID: integration}).
		GetChildWorkflowExecution().Get(ctx, nil)
	var running *temporal.ChildWorkflowExecutionAlreadyStartedError
	if err != nil && !errors.As(err, &running) {
		workflow.GetLogger(ctx).Warn("could not start the events workflow", "integration", integration, "error", err)
	}
}

// stopEvents cancels the integration's events workflow; none running is
// fine.
func stopEvents(ctx workflow.Context, integration string) error {
	err := workflow.RequestCancelExternalWorkflow(ctx, api.EventsWorkflowID(integration), "").Get(ctx, nil)
	var unknown *temporal.UnknownExternalWorkflowExecutionError
	if err != nil && !errors.As(err, &unknown) {
		return err
	}
	return nil
}
