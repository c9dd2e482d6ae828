package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
)

// Sync modes.
const (
	ModeFull        = activities.ModeFull
	ModeIncremental = activities.ModeIncremental
)

// SyncRequest starts SyncDirectory.
type SyncRequest struct {
	IntegrationID string
	// Mode is "incremental" (the default) or "full". An incremental request
	// runs full when the last full sync is older than the worker's interval.
	Mode string
}

// KindStatus is one kind's part of a sync.
type KindStatus struct {
	// State is pending, running, done or failed.
	State   string
	Pages   int
	Items   int
	Created int
	Updated int
	Deleted int64
	Calls   int64
	Error   string `json:",omitempty"`
}

// Kind states.
const (
	KindPending = "pending"
	KindRunning = "running"
	KindDone    = "done"
	KindFailed  = "failed"
)

// SyncProgress answers the progress query. Per-page counts of a kind still
// running are in its activity's heartbeat details (KindProgress): every
// workflow-visible update would be a history event.
type SyncProgress struct {
	IntegrationID string
	// Phase is starting, reading, reconciling, done or failed.
	Phase     string
	RunID     int64
	Mode      string
	Upgraded  string `json:",omitempty"`
	StartedAt time.Time
	Kinds     map[string]*KindStatus
	Calls     int64
	// BudgetRemaining and BudgetLimit are the account's rate budget as last
	// seen (zero when OneLogin sent none).
	BudgetRemaining int
	BudgetLimit     int
}

// Sync phases.
const (
	PhaseStarting    = "starting"
	PhaseReading     = "reading"
	PhaseReconciling = "reconciling"
	PhaseDone        = "done"
	PhaseFailed      = "failed"
)

// SyncResult is what SyncDirectory returns.
type SyncResult struct {
	IntegrationID string
	RunID         int64
	Mode          string
	Upgraded      string `json:",omitempty"`
	Status        string
	Kinds         map[string]*KindStatus
	Calls         int64
	// KeptAfterConfirm counts users missing from the full read that OneLogin
	// still had, so they were kept.
	KeptAfterConfirm int
	Duration         time.Duration
}

// Users is the users kind's status (a convenience for callers).
func (r SyncResult) Users() KindStatus { return kindOr(r.Kinds, directory.KindUsers) }

func kindOr(m map[string]*KindStatus, k directory.Kind) KindStatus {
	if s, ok := m[string(k)]; ok && s != nil {
		return *s
	}
	return KindStatus{}
}

// SyncDirectory reads a OneLogin directory into the store: the four kinds
// in parallel, then deletions reconciled (full runs only), then the run is
// recorded. Large data never enters history: activities page and write.
func SyncDirectory(ctx workflow.Context, req SyncRequest) (SyncResult, error) {
	w := &syncWorkflow{req: req}
	if err := w.setup(ctx); err != nil {
		return SyncResult{}, err
	}
	return w.run(ctx)
}

type syncWorkflow struct {
	req      SyncRequest
	log      log.Logger
	progress SyncProgress
}

func (w *syncWorkflow) setup(ctx workflow.Context) error {
	if w.req.Mode == "" {
		w.req.Mode = ModeIncremental
	}
	if err := ValidateIntegrationID(w.req.IntegrationID); err != nil {
		return err
	}
	if w.req.Mode != ModeFull && w.req.Mode != ModeIncremental {
		return invalidInput("mode", "must be full or incremental")
	}
	w.log = log.With(workflow.GetLogger(ctx), "integration", w.req.IntegrationID)
	w.progress = SyncProgress{IntegrationID: w.req.IntegrationID, Phase: PhaseStarting, Mode: w.req.Mode,
		StartedAt: workflow.Now(ctx), Kinds: map[string]*KindStatus{}}
	for _, k := range directory.Kinds {
		w.progress.Kinds[string(k)] = &KindStatus{State: KindPending}
	}
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, func() (SyncProgress, error) { return w.progress, nil }); err != nil {
		return err
	}
	return w.setStatus(ctx, SyncStatusRunning)
}

func (w *syncWorkflow) setStatus(ctx workflow.Context, status string) error {
	return workflow.UpsertTypedSearchAttributes(ctx,
		IntegrationAttribute.ValueSet(w.req.IntegrationID), SyncStatusAttribute.ValueSet(status))
}

func (w *syncWorkflow) run(ctx workflow.Context) (SyncResult, error) {
	var begin activities.BeginSyncResult
	err := workflow.ExecuteActivity(shortActivity(ctx, "open a sync run"), a.BeginSync, activities.BeginSyncInput{
		IntegrationID: w.req.IntegrationID, Mode: w.req.Mode, Key: workflow.GetInfo(ctx).WorkflowExecution.RunID,
	}).Get(ctx, &begin)
	if err != nil {
		w.progress.Phase = PhaseFailed
		_ = w.setStatus(ctx, SyncStatusFailed)
		return SyncResult{}, err
	}
	w.progress.RunID, w.progress.Mode, w.progress.Upgraded = begin.RunID, begin.Mode, begin.Upgraded
	w.progress.Phase = PhaseReading
	w.log.Info("sync started", "run", begin.RunID, "mode", begin.Mode, "upgraded", begin.Upgraded)

	results, firstErr := w.readAll(ctx, begin)

	status := SyncStatusCompleted
	if firstErr != nil {
		status = SyncStatusPartial
		if allFailed(w.progress.Kinds) {
			status = SyncStatusFailed
		}
	}
	watermark := begin.Watermark
	if r, ok := results[directory.KindUsers]; ok && r.MaxUpdatedAt.After(watermark) {
		watermark = r.MaxUpdatedAt
	}
	w.progress.Phase = PhaseReconciling
	w.details(ctx)
	var fin activities.FinishResult
	finishCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute, HeartbeatTimeout: time.Minute, ScheduleToCloseTimeout: 2 * time.Hour,
		RetryPolicy: retryPolicy(5 * time.Minute), Summary: "reconcile deletions and record the run",
	})
	err = workflow.ExecuteActivity(finishCtx, a.FinishSyncRun, activities.FinishInput{
		IntegrationID: w.req.IntegrationID, RunID: begin.RunID, Mode: begin.Mode, Status: status,
		ErrorCode: string(errcode.Of(firstErr)), Calls: w.progress.Calls, Watermark: watermark,
	}).Get(ctx, &fin)
	if err != nil {
		w.progress.Phase = PhaseFailed
		_ = w.setStatus(ctx, SyncStatusFailed)
		return SyncResult{}, err
	}
	for _, k := range directory.Kinds {
		w.progress.Kinds[string(k)].Deleted = fin.Run.Counts(k).Deleted
	}
	w.progress.Calls = fin.Run.OneLoginCalls
	res := SyncResult{IntegrationID: w.req.IntegrationID, RunID: begin.RunID, Mode: begin.Mode, Upgraded: begin.Upgraded,
		Status: status, Kinds: w.progress.Kinds, Calls: w.progress.Calls, KeptAfterConfirm: fin.Confirmed,
		Duration: workflow.Now(ctx).Sub(w.progress.StartedAt)}
	if firstErr != nil {
		w.progress.Phase = PhaseFailed
		w.details(ctx)
		_ = w.setStatus(ctx, status)
		// The kinds that were read are stored; the run failed as a whole and
		// deleted nothing.
		return res, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("sync %s: %v", status, firstErr), string(codeOr(errcode.Of(firstErr))), firstErr, res)
	}
	w.progress.Phase = PhaseDone
	w.details(ctx)
	w.log.Info("sync finished", "run", begin.RunID, "users", res.Users().Items, "calls", res.Calls)
	return res, w.setStatus(ctx, SyncStatusCompleted)
}

// readAll runs the four kinds' reads in parallel. Each waits for rate budget
// itself, so the parallelism shrinks when the budget runs low.
func (w *syncWorkflow) readAll(ctx workflow.Context, begin activities.BeginSyncResult) (map[directory.Kind]activities.KindResult, error) {
	in := activities.SyncKindInput{IntegrationID: w.req.IntegrationID, RunID: begin.RunID, Mode: begin.Mode, UsersSince: begin.UsersSince}
	fns := map[directory.Kind]any{
		directory.KindUsers: a.SyncUsers, directory.KindGroups: a.SyncGroups,
		directory.KindRoles: a.SyncRoles, directory.KindApps: a.SyncApps,
	}
	sel := workflow.NewSelector(ctx)
	results := map[directory.Kind]activities.KindResult{}
	var firstErr error
	for _, kind := range directory.Kinds {
		kctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Hour, HeartbeatTimeout: time.Minute, ScheduleToCloseTimeout: 6 * time.Hour,
			RetryPolicy: retryPolicy(5 * time.Minute), Summary: "read " + string(kind),
		})
		w.progress.Kinds[string(kind)].State = KindRunning
		sel.AddFuture(workflow.ExecuteActivity(kctx, fns[kind], in), func(f workflow.Future) {
			st := w.progress.Kinds[string(kind)]
			var r activities.KindResult
			if err := f.Get(ctx, &r); err != nil {
				st.State, st.Error = KindFailed, err.Error()
				if firstErr == nil {
					firstErr = err
				}
				w.log.Warn("sync of a kind failed", "kind", kind, "error", err)
				return
			}
			results[kind] = r
			st.State, st.Pages, st.Items, st.Created, st.Updated, st.Calls = KindDone, r.Pages, r.Items, r.Created, r.Updated, r.Calls
			w.progress.Calls += r.Calls
			if r.BudgetLimit > 0 {
				w.progress.BudgetRemaining, w.progress.BudgetLimit = r.BudgetRemaining, r.BudgetLimit
			}
		})
	}
	w.details(ctx)
	for range directory.Kinds {
		sel.Select(ctx)
		w.details(ctx)
	}
	return results, firstErr
}

func allFailed(kinds map[string]*KindStatus) bool {
	for _, k := range kinds {
		if k.State != KindFailed {
			return false
		}
	}
	return true
}

// details shows the progress in the UI as markdown.
func (w *syncWorkflow) details(ctx workflow.Context) {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** sync of `%s` (run %d): %s\n\n", w.progress.Mode, w.req.IntegrationID, w.progress.RunID, w.progress.Phase)
	b.WriteString("| kind | state | pages | items | created | updated | deleted |\n|---|---|---|---|---|---|---|\n")
	for _, k := range directory.Kinds {
		s := w.progress.Kinds[string(k)]
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d | %d |\n", k, s.State, s.Pages, s.Items, s.Created, s.Updated, s.Deleted)
	}
	fmt.Fprintf(&b, "\nOneLogin calls: %d", w.progress.Calls)
	if w.progress.BudgetLimit > 0 {
		fmt.Fprintf(&b, "; rate budget %d/%d", w.progress.BudgetRemaining, w.progress.BudgetLimit)
	}
	workflow.SetCurrentDetails(ctx, b.String())
}
