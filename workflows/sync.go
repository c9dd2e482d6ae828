package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
)

// syncRetryCap caps the backoff between attempts of a sync's activities.
// The client already absorbs transient errors, an attempt that made
// progress asks for a 1 s retry itself and a 429 for its announced reset, so
// the policy's backoff only paces attempts that got nowhere: a minute, not
// five, so a sync resumes soon after OneLogin does.
const syncRetryCap = time.Minute

// syncKinds are what a sync reads, in this order: one activity each. The
// list belongs to the workflow: changing it changes the commands a sync
// issues, and is gated.
var syncKinds = []string{api.KindUsers, api.KindGroups, api.KindRoles, api.KindApps}

// SyncDirectory reads a OneLogin directory into the store: the four kinds
// in parallel, then deletions reconciled (full runs only), then the run is
// recorded. Large data never enters history: activities page and write.
func SyncDirectory(ctx workflow.Context, req api.SyncRequest) (api.SyncResult, error) {
	w := &syncWorkflow{req: req}
	if err := w.setup(ctx); err != nil {
		return api.SyncResult{}, err
	}
	return w.run(ctx)
}

type syncWorkflow struct {
	req      api.SyncRequest
	log      log.Logger
	progress api.SyncProgress
	// totals are page totals known ahead (a full users read), for details.
	totals map[string]int
}

func (w *syncWorkflow) setup(ctx workflow.Context) error {
	if w.req.Mode == "" {
		w.req.Mode = api.ModeIncremental
	}
	if err := api.ValidateIntegrationID(w.req.IntegrationID); err != nil {
		return refuse(err)
	}
	if w.req.Mode != api.ModeFull && w.req.Mode != api.ModeIncremental {
		return invalidInput("mode", "must be full or incremental")
	}
	w.log = log.With(workflow.GetLogger(ctx), "integration", w.req.IntegrationID)
	w.totals = map[string]int{}
	w.progress = api.SyncProgress{IntegrationID: w.req.IntegrationID, Phase: api.PhaseStarting, Mode: w.req.Mode,
		StartedAt: workflow.Now(ctx), Kinds: map[string]*api.KindStatus{}}
	for _, k := range syncKinds {
		w.progress.Kinds[string(k)] = &api.KindStatus{State: api.KindPending}
	}
	if err := workflow.SetQueryHandler(ctx, api.ProgressQuery, func() (api.SyncProgress, error) { return w.progress, nil }); err != nil {
		return err
	}
	return w.setStatus(ctx, api.SyncStatusRunning)
}

func (w *syncWorkflow) setStatus(ctx workflow.Context, status string) error {
	return workflow.UpsertTypedSearchAttributes(ctx,
		api.IntegrationAttribute.ValueSet(w.req.IntegrationID), api.SyncStatusAttribute.ValueSet(status))
}

// skip ends a sync that found another one of the integration running: it
// read nothing and opened no run.
func (w *syncWorkflow) skip(ctx workflow.Context, holder string) (api.SyncResult, error) {
	w.log.Info("sync skipped: another sync of the integration is running", "running", holder)
	w.progress.Phase = api.PhaseDone
	res := api.SyncResult{IntegrationID: w.req.IntegrationID, Mode: w.req.Mode, Status: api.SyncStatusSkipped,
		SkippedFor: holder, Kinds: w.progress.Kinds}
	return res, w.setStatus(ctx, api.SyncStatusSkipped)
}

func (w *syncWorkflow) run(ctx workflow.Context) (api.SyncResult, error) {
	var begin activities.BeginSyncResult
	exec := workflow.GetInfo(ctx).WorkflowExecution
	err := workflow.ExecuteActivity(shortActivity(ctx, "open a sync run"), a.BeginSync, activities.BeginSyncInput{
		IntegrationID: w.req.IntegrationID, Mode: w.req.Mode, Key: exec.ID + "/" + exec.RunID,
	}).Get(ctx, &begin)
	if err != nil {
		w.progress.Phase = api.PhaseFailed
		_ = w.setStatus(ctx, api.SyncStatusFailed)
		return api.SyncResult{}, w.failed(ctx, "sync not started", err)
	}
	// Only BeginSync results from v0.2.0 on can be Busy, so older
	// histories never reach the gate.
	if begin.Busy != "" && workflow.GetVersion(ctx, changeOneSyncAtATime, workflow.DefaultVersion, 1) == 1 {
		return w.skip(ctx, begin.Busy)
	}
	w.progress.RunID, w.progress.Mode, w.progress.Upgraded = begin.RunID, begin.Mode, begin.Upgraded
	w.progress.Phase = api.PhaseReading
	w.log.Info("sync started", "run", begin.RunID, "mode", begin.Mode, "upgraded", begin.Upgraded)

	results, firstErr := w.readAll(ctx, begin)

	status := api.SyncStatusCompleted
	if firstErr != nil {
		status = api.SyncStatusPartial
		if allFailed(w.progress.Kinds) {
			status = api.SyncStatusFailed
		}
	}
	watermark := begin.Watermark
	if r, ok := results[api.KindUsers]; ok && r.MaxUpdatedAt.After(watermark) {
		watermark = r.MaxUpdatedAt
	}
	w.progress.Phase = api.PhaseReconciling
	w.details(ctx)
	var fin activities.FinishResult
	finishCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute, HeartbeatTimeout: time.Minute, ScheduleToCloseTimeout: 2 * time.Hour,
		RetryPolicy: retryPolicy(syncRetryCap), Summary: "reconcile deletions and record the run",
	})
	err = workflow.ExecuteActivity(finishCtx, a.FinishSyncRun, activities.FinishInput{
		IntegrationID: w.req.IntegrationID, RunID: begin.RunID, Mode: begin.Mode, Status: status,
		ErrorCode: string(errcode.Of(firstErr)), Calls: w.progress.Calls, Watermark: watermark,
	}).Get(ctx, &fin)
	if err != nil {
		w.progress.Phase = api.PhaseFailed
		_ = w.setStatus(ctx, api.SyncStatusFailed)
		return api.SyncResult{}, w.failed(ctx, "sync read the directory but could not record the run", err)
	}
	for _, k := range syncKinds {
		w.progress.Kinds[k].Deleted = fin.Run.Counts(directory.Kind(k)).Deleted
	}
	w.progress.Calls = fin.Run.OneLoginCalls
	res := api.SyncResult{IntegrationID: w.req.IntegrationID, RunID: begin.RunID, Mode: begin.Mode, Upgraded: begin.Upgraded,
		Status: status, Kinds: w.progress.Kinds, Calls: w.progress.Calls, KeptAfterConfirm: fin.Confirmed,
		Duration: workflow.Now(ctx).Sub(w.progress.StartedAt)}
	res.DurationSeconds = seconds(res.Duration)
	if firstErr != nil {
		// The phase and the search attribute agree: partial or failed.
		w.progress.Phase = api.PhaseFailed
		if status == api.SyncStatusPartial {
			w.progress.Phase = api.PhasePartial
		}
		w.details(ctx)
		_ = w.setStatus(ctx, status)
		// The kinds that were read are stored; the run failed as a whole and
		// deleted nothing. The message names each kind not read, its code
		// and what to do; the cause stays for callers that unwrap it.
		return res, temporal.NewNonRetryableApplicationError(
			partialMessage(status, w.progress.Kinds), string(codeOr(errcode.Of(firstErr))), firstErr, res)
	}
	w.progress.Phase = api.PhaseDone
	w.details(ctx)
	w.log.Info("sync finished", "run", begin.RunID, "users", res.Users().Items, "calls", res.Calls)
	return res, w.setStatus(ctx, api.SyncStatusCompleted)
}

// failed ends the run with a message for people (what failed, its code,
// what to do) instead of Temporal's wrapping of the activity error, which
// names the worker's pid and host; the cause stays for callers.
func (w *syncWorkflow) failed(ctx workflow.Context, what string, err error) error {
	if temporal.IsCanceledError(err) {
		return err // a cancelled run ends cancelled, not failed
	}
	code := codeOr(errcode.Of(err))
	msg := what + " (" + string(code) + "): " + strings.TrimSuffix(failureMessage(err), ".") + ". " + runAdvice(code)
	workflow.SetCurrentDetails(ctx, "**Failed: "+string(code)+"**  \n"+msg)
	return temporal.NewNonRetryableApplicationError(msg, string(code), err)
}

// readAll runs the four kinds' reads in parallel. Each waits for rate budget
// itself, so the parallelism shrinks when the budget runs low.
func (w *syncWorkflow) readAll(ctx workflow.Context, begin activities.BeginSyncResult) (map[string]activities.KindResult, error) {
	in := activities.SyncKindInput{IntegrationID: w.req.IntegrationID, RunID: begin.RunID, Mode: begin.Mode, UsersSince: begin.UsersSince}
	fns := map[string]any{
		api.KindUsers: a.SyncUsers, api.KindGroups: a.SyncGroups,
		api.KindRoles: a.SyncRoles, api.KindApps: a.SyncApps,
	}
	sel := workflow.NewSelector(ctx)
	results := map[string]activities.KindResult{}
	var firstErr error
	for _, kind := range syncKinds {
		kctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Hour, HeartbeatTimeout: time.Minute, ScheduleToCloseTimeout: 6 * time.Hour,
			RetryPolicy: retryPolicy(syncRetryCap), Summary: "read " + string(kind),
		})
		w.progress.Kinds[string(kind)].State = api.KindRunning
		sel.AddFuture(workflow.ExecuteActivity(kctx, fns[kind], in), func(f workflow.Future) {
			st := w.progress.Kinds[string(kind)]
			var r activities.KindResult
			if err := f.Get(ctx, &r); err != nil {
				st.State, st.Error, st.Code = api.KindFailed, failureMessage(err), string(codeOr(errcode.Of(err)))
				if firstErr == nil {
					firstErr = err
				}
				w.log.Warn("sync of a kind failed", "kind", kind, "error", err)
				return
			}
			results[kind] = r
			st.State, st.Pages, st.Items, st.Created, st.Updated, st.Calls = api.KindDone, r.Pages, r.Items, r.Created, r.Updated, r.Calls
			w.progress.Calls += r.Calls
			if r.BudgetLimit > 0 {
				w.progress.BudgetRemaining, w.progress.BudgetLimit = r.BudgetRemaining, r.BudgetLimit
			}
		})
	}
	w.details(ctx)
	live := workflow.GetVersion(ctx, changeLiveProgress, workflow.DefaultVersion, 1) == 1
	tctx, cancelTimer := workflow.WithCancel(ctx)
	var timer workflow.Future
	woke := false
	for left := len(syncKinds); left > 0; {
		if live && timer == nil {
			timer = workflow.NewTimer(tctx, liveInterval(workflow.Now(ctx).Sub(w.progress.StartedAt)))
			sel.AddFuture(timer, func(workflow.Future) { woke = true })
		}
		sel.Select(ctx)
		if woke {
			woke, timer = false, nil
			info := workflow.GetInfo(ctx).WorkflowExecution
			if r, ok := readLive(ctx, activities.LiveInput{IntegrationID: w.req.IntegrationID, WorkflowID: info.ID, RunID: info.RunID}); ok {
				applyLive(&w.progress, w.totals, r)
			}
		} else {
			left--
		}
		w.details(ctx)
	}
	cancelTimer() // the last wake's timer, if it has not fired
	return results, firstErr
}

func allFailed(kinds map[string]*api.KindStatus) bool {
	for _, k := range kinds {
		if k.State != api.KindFailed {
			return false
		}
	}
	return true
}

// details shows the progress in the UI's Current Details.
func (w *syncWorkflow) details(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, renderProgress(w.progress, w.totals))
}
