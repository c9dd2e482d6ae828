package activities

import (
	"context"
	"errors"
	"iter"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
)

// BeginSyncInput asks for a sync run.
type BeginSyncInput struct {
	IntegrationID string
	// Mode is what was asked for; it may be upgraded to full.
	Mode string
	// Key makes the call idempotent: "<workflow id>/<run id>" (runs before
	// v0.2.0 sent the run id alone).
	Key string
}

// BeginSyncResult is the run to carry out.
type BeginSyncResult struct {
	RunID int64
	Mode  string
	// UsersSince is the incremental read's updated_since (watermark minus
	// overlap); zero for a full read.
	UsersSince time.Time
	// Watermark is the integration's current users watermark.
	Watermark time.Time
	// Upgraded says an incremental request became full, and why.
	Upgraded string
	// Busy names the workflow of another sync of this integration that is
	// still running; no run was opened and the caller does nothing.
	Busy string `json:",omitempty"`
}

// BeginSync decides the mode and opens a sync run. An incremental request
// becomes full when there is no watermark yet or the last full sync is older
// than Config.FullSyncInterval, so deletions are reconciled at least that
// often.
func (a *Activities) BeginSync(ctx context.Context, in BeginSyncInput) (BeginSyncResult, error) {
	in0, err := a.Store.GetIntegration(ctx, in.IntegrationID)
	if err != nil {
		return BeginSyncResult{}, appError(err)
	}
	if in0.Status == directory.StatusDisconnected {
		return BeginSyncResult{}, failure(errcode.NotFound, "integration "+in.IntegrationID+" is disconnected")
	}
	if holder := a.liveHolder(ctx, in.IntegrationID, in.Key); holder != "" {
		return BeginSyncResult{Busy: holder}, nil
	}
	cfg := a.config()
	res := BeginSyncResult{Mode: in.Mode, Watermark: in0.UsersWatermark}
	switch {
	case in.Mode != api.ModeFull && in.Mode != api.ModeIncremental:
		return BeginSyncResult{}, failure(errcode.InvalidInput, "mode must be full or incremental")
	case in.Mode == api.ModeIncremental && in0.UsersWatermark.IsZero():
		res.Mode, res.Upgraded = api.ModeFull, "no watermark yet"
	case in.Mode == api.ModeIncremental && a.now().Sub(in0.LastFullSyncAt) > cfg.FullSyncInterval:
		res.Mode, res.Upgraded = api.ModeFull, "last full sync older than "+cfg.FullSyncInterval.String()
	}
	res.RunID, err = a.Store.StartSyncRun(ctx, in.IntegrationID, directory.SyncMode(res.Mode), in.Key)
	if errors.Is(err, directory.ErrInvalid) && in.Key != "" {
		// A retry whose mode decision changed since an earlier attempt opened
		// the run (the full-sync interval ran out in between): the key names
		// that run, so carry it out in the mode it was opened with.
		if run, ok := a.runWithKey(ctx, in.IntegrationID, in.Key); ok {
			res.RunID, res.Mode, err = run.ID, string(run.Mode), nil
			switch {
			case res.Mode == api.ModeIncremental:
				res.Upgraded = ""
			case in.Mode == api.ModeIncremental && res.Upgraded == "":
				res.Upgraded = "opened as full by an earlier attempt"
			}
		}
	}
	if res.Mode == api.ModeIncremental {
		res.UsersSince = in0.UsersWatermark.Add(-cfg.UsersOverlap)
	}
	return res, appError(err)
}

// staleRunAge is how long a run opened by a pre-v0.2.0 workflow (its key
// names no workflow to ask about) counts as still going.
const staleRunAge = 2 * time.Hour

// liveHolder returns the workflow of another sync of the integration that
// is still running, or "". One sync per integration at a time: a scheduled
// and an on-demand sync must not read and sweep the same directory at
// once. A run whose workflow is gone (terminated, or its history lost) is
// closed as failed on the way, so it never blocks again.
func (a *Activities) liveHolder(ctx context.Context, integration, key string) string {
	runs, err := a.Store.ListSyncRuns(ctx, integration, 20)
	if err != nil {
		return "" // the store will answer StartSyncRun the same way
	}
	for _, r := range runs {
		if r.Status != directory.RunRunning || r.Key == key || r.Key == "" {
			continue
		}
		slash := strings.LastIndexByte(r.Key, '/') // workflow ids hold slashes, run ids none
		if slash < 0 {
			if a.now().Sub(r.StartedAt) < staleRunAge {
				return "an earlier sync (run " + r.Key + ")"
			}
			continue
		}
		wf, run := r.Key[:slash], r.Key[slash+1:]
		if a.Workflows == nil {
			return wf
		}
		desc, err := a.Workflows.DescribeWorkflowExecution(ctx, wf, run)
		if err == nil && desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			return wf
		}
		var nf *serviceerror.NotFound
		if err == nil || errors.As(err, &nf) {
			_, _ = a.Store.FinishSyncRun(ctx, integration, r.ID, directory.RunResult{Status: directory.RunFailed, ErrorCode: "abandoned"})
		}
	}
	return ""
}

// runWithKey finds the recent run opened with key.
func (a *Activities) runWithKey(ctx context.Context, integration, key string) (directory.SyncRun, bool) {
	runs, err := a.Store.ListSyncRuns(ctx, integration, 100)
	if err != nil {
		return directory.SyncRun{}, false
	}
	for _, r := range runs {
		if r.Key == key {
			return r, true
		}
	}
	return directory.SyncRun{}, false
}

// SyncKindInput is one kind's read within a run.
type SyncKindInput struct {
	IntegrationID string
	RunID         int64
	Mode          string
	UsersSince    time.Time
}

// KindProgress is a kind's progress. Sync activities heartbeat it after
// every store write (a page, or the pages that arrived together) and resume
// from it on retry; operators read it live from the
// pending activity's heartbeat details, counts first, then where the read
// stands: {"Kind":"users","Items":12050,"Pages":241,...,"PagesDone":"1-241",
// "TotalPages":401}.
type KindProgress struct {
	Kind    string
	Items   int
	Pages   int
	Created int
	Updated int
	Calls   int64
	// PagesDone are the page numbers a user read has written, as ranges
	// ("1-241,250"). User reads go by page number, full and incremental.
	PagesDone string `json:",omitempty"`
	// TotalPages is the user read's page count as OneLogin last announced it.
	TotalPages int `json:",omitempty"`
	// Cursor resumes a cursor-paged read (groups, roles, apps).
	Cursor string `json:",omitempty"`
	// MaxUpdatedAt is the newest updated_at read (users only): the next
	// watermark once the whole run succeeds. It is heartbeated so a resumed
	// read keeps it.
	MaxUpdatedAt time.Time `json:",omitzero"`
	// DonePages is how workers before PagesDone heartbeated a full user
	// read's pages, one entry per page. It is read when resuming an attempt
	// such a worker started, and never written.
	DonePages []int `json:",omitempty"`
}

// KindResult is a finished read of one kind.
type KindResult struct {
	KindProgress
	// Budget is the account's rate budget as last seen (zero if none).
	BudgetRemaining int
	BudgetLimit     int
}

// progress tracks one kind's read and heartbeats it.
type progress struct {
	ctx   context.Context
	mu    sync.Mutex
	p     KindProgress
	done  pageSet
	calls atomic.Int64
	base  int64
	// advanced says this attempt wrote a page: its failure is then not the
	// retry policy's to back off from (failedRead).
	advanced bool
}

func newProgress(ctx context.Context, kind directory.Kind) (*progress, context.Context) {
	pr := &progress{p: KindProgress{Kind: string(kind)}}
	if activity.HasHeartbeatDetails(ctx) {
		var prev KindProgress
		if activity.GetHeartbeatDetails(ctx, &prev) == nil && prev.Kind == string(kind) {
			if done, err := resumedPages(prev); err != nil {
				activity.GetLogger(ctx).Warn("starting the read over", "kind", kind, "error", err)
			} else {
				pr.p, pr.done = prev, done
				pr.p.DonePages, pr.p.PagesDone = nil, done.String()
				pr.base = prev.Calls
			}
		}
	}
	pr.ctx = onelogin.WithCallCounter(ctx, &pr.calls)
	return pr, pr.ctx
}

// resumedPages reads the written pages from either heartbeat form.
func resumedPages(p KindProgress) (pageSet, error) {
	done, err := parsePageSet(p.PagesDone)
	if err != nil {
		return nil, err
	}
	for _, n := range p.DonePages {
		done = done.add(n)
	}
	return done, nil
}

// adoptCursorRead turns the progress of a user read an older worker made by
// cursor (incremental reads did) into pages: a cursor read goes in order,
// so its Pages pages are 1..Pages, and no cursor left means it was done.
func (pr *progress) adoptCursorRead() {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if pr.p.Pages == 0 || len(pr.done) > 0 {
		return
	}
	for n := 1; n <= pr.p.Pages; n++ {
		pr.done = pr.done.add(n)
	}
	if pr.p.Cursor == "" {
		pr.p.TotalPages = pr.p.Pages
	}
	pr.p.Cursor, pr.p.PagesDone = "", pr.done.String()
}

// page records a written page of a cursor read and heartbeats.
func (pr *progress) page(n int, res directory.PageResult, update func(*KindProgress)) {
	pr.mu.Lock()
	pr.countLocked(n, res)
	if update != nil {
		update(&pr.p)
	}
	snap := pr.p
	pr.mu.Unlock()
	activity.RecordHeartbeat(pr.ctx, snap)
}

// pagesDone records written pages of a by-number read and heartbeats once.
func (pr *progress) pagesDone(pages []fetchedPage, res directory.PageResult) {
	pr.mu.Lock()
	for i, f := range pages {
		if i > 0 {
			res = directory.PageResult{} // counted with the first
		}
		pr.countLocked(len(f.page.Items), res)
		pr.done = pr.done.add(f.n)
		pr.p.TotalPages = max(pr.p.TotalPages, f.page.TotalPages)
	}
	pr.p.PagesDone = pr.done.String()
	snap := pr.p
	pr.mu.Unlock()
	activity.RecordHeartbeat(pr.ctx, snap)
}

func (pr *progress) countLocked(items int, res directory.PageResult) {
	pr.p.Pages++
	pr.p.Items += items
	pr.p.Created += res.Created
	pr.p.Updated += res.Updated
	pr.p.Calls = pr.base + pr.calls.Load()
	pr.advanced = true
}

func (pr *progress) donePages() (pageSet, int) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return slices.Clone(pr.done), pr.p.TotalPages
}

func (pr *progress) setTotal(t int) {
	pr.mu.Lock()
	pr.p.TotalPages = max(pr.p.TotalPages, t)
	pr.mu.Unlock()
}

func (pr *progress) heartbeat() {
	pr.mu.Lock()
	snap := pr.p
	pr.mu.Unlock()
	activity.RecordHeartbeat(pr.ctx, snap)
}

func (pr *progress) seenUpdatedAt(users []onelogin.User) {
	pr.mu.Lock()
	for _, u := range users {
		if u.UpdatedAt != nil && u.UpdatedAt.After(pr.p.MaxUpdatedAt) {
			pr.p.MaxUpdatedAt = *u.UpdatedAt
		}
	}
	pr.mu.Unlock()
}

func (pr *progress) result(c *onelogin.Client) KindResult {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.p.Calls = pr.base + pr.calls.Load()
	r := KindResult{KindProgress: pr.p}
	if rl, ok := c.RateLimit(); ok {
		r.BudgetRemaining, r.BudgetLimit = rl.Remaining, rl.Limit
	}
	return r
}

// failedRead is the activity error for a read that stopped. Temporal's
// retry backoff grows with every attempt and never resets, so a long read
// that keeps getting further would wait minutes between attempts for
// failures that were each one bad moment. An attempt that wrote pages
// (heartbeated, so the next attempt starts after them) asks for a short
// delay instead; one that made no progress gets the policy's backoff.
func (pr *progress) failedRead(err error) error {
	pr.mu.Lock()
	advanced := pr.advanced
	pr.mu.Unlock()
	return retryAfterProgress(err, advanced)
}

// progressRetryDelay is the wait before the attempt after one that made
// progress (the retry policy's initial interval).
const progressRetryDelay = time.Second

func retryAfterProgress(err error, advanced bool) error {
	var oe *onelogin.Error
	if !advanced || !errors.As(err, &oe) || (oe.Code != onelogin.CodeServerError && oe.Code != onelogin.CodeNetwork) {
		return appError(err)
	}
	return temporal.NewApplicationErrorWithOptions(oe.Error(), string(oe.Code),
		temporal.ApplicationErrorOptions{NextRetryDelay: max(progressRetryDelay, oe.RetryAfter)})
}

// client loads the integration and its cached client.
func (a *Activities) client(ctx context.Context, integration string) (*onelogin.Client, error) {
	in, err := a.Store.GetIntegration(ctx, integration)
	if err != nil {
		return nil, appError(err)
	}
	return a.Clients.ForIntegration(in)
}

// SyncUsers reads users into the store by page number, sorted by id: every
// user for a full run, those updated since UsersSince for an incremental
// one. A full read fetches FullReadParallelism pages at once; an
// incremental read goes in order, one page ahead of the store, because a
// user updated during the read then joins a page not read yet (at worst
// read twice) instead of pushing another user off the end of a page
// already read.
func (a *Activities) SyncUsers(ctx context.Context, in SyncKindInput) (KindResult, error) {
	c, err := a.client(ctx, in.IntegrationID)
	if err != nil {
		return KindResult{}, err
	}
	pr, ctx := newProgress(ctx, directory.KindUsers)
	r := &userPages{a: a, c: c, pr: pr, q: onelogin.UserQuery{Sort: "id"}, parallel: a.config().FullReadParallelism,
		write: func(users []onelogin.User) (directory.PageResult, error) {
			pr.seenUpdatedAt(users)
			return a.Store.UpsertUsers(ctx, in.IntegrationID, in.RunID, toDirectoryUsers(users))
		}}
	if in.Mode == api.ModeIncremental {
		r.q.UpdatedSince, r.parallel = in.UsersSince, 1
		pr.adoptCursorRead()
	}
	if err := r.run(ctx); err != nil {
		return KindResult{}, pr.failedRead(err)
	}
	return a.completeRead(ctx, c, pr, in, directory.KindUsers)
}

// SyncGroups reads every group (v1, body cursor).
func (a *Activities) SyncGroups(ctx context.Context, in SyncKindInput) (KindResult, error) {
	return syncKind(ctx, a, in, directory.KindGroups, func(c *onelogin.Client, ctx context.Context, cur string) iter.Seq2[onelogin.Page[onelogin.Group], error] {
		return c.GroupPages(ctx, cur)
	}, func(ctx context.Context, gs []onelogin.Group) (directory.PageResult, error) {
		return a.Store.UpsertGroups(ctx, in.IntegrationID, in.RunID, toDirectoryGroups(gs))
	})
}

// SyncRoles reads every role. Membership comes from the users' role_ids,
// not from one call per role.
func (a *Activities) SyncRoles(ctx context.Context, in SyncKindInput) (KindResult, error) {
	return syncKind(ctx, a, in, directory.KindRoles, func(c *onelogin.Client, ctx context.Context, cur string) iter.Seq2[onelogin.Page[onelogin.Role], error] {
		return c.RolePages(ctx, onelogin.RoleQuery{}, cur)
	}, func(ctx context.Context, rs []onelogin.Role) (directory.PageResult, error) {
		return a.Store.UpsertRoles(ctx, in.IntegrationID, in.RunID, toDirectoryRoles(rs))
	})
}

// SyncApps reads every app (needs Read All).
func (a *Activities) SyncApps(ctx context.Context, in SyncKindInput) (KindResult, error) {
	return syncKind(ctx, a, in, directory.KindApps, func(c *onelogin.Client, ctx context.Context, cur string) iter.Seq2[onelogin.Page[onelogin.App], error] {
		return c.AppPages(ctx, onelogin.AppQuery{}, cur)
	}, func(ctx context.Context, as []onelogin.App) (directory.PageResult, error) {
		return a.Store.UpsertApps(ctx, in.IntegrationID, in.RunID, toDirectoryApps(as))
	})
}

// syncKind is the whole read of a cursor-paged kind.
func syncKind[T any](ctx context.Context, a *Activities, in SyncKindInput, kind directory.Kind,
	pages func(*onelogin.Client, context.Context, string) iter.Seq2[onelogin.Page[T], error],
	write func(context.Context, []T) (directory.PageResult, error)) (KindResult, error) {
	c, err := a.client(ctx, in.IntegrationID)
	if err != nil {
		return KindResult{}, err
	}
	pr, ctx := newProgress(ctx, kind)
	err = byCursor(ctx, a, c, pr, func(cur string) iter.Seq2[onelogin.Page[T], error] { return pages(c, ctx, cur) },
		func(items []T) (directory.PageResult, error) { return write(ctx, items) })
	if err != nil {
		return KindResult{}, pr.failedRead(err)
	}
	return a.completeRead(ctx, c, pr, in, kind)
}

// byCursor walks a cursor-paged list from the heartbeated cursor, writing
// each page and heartbeating the cursor of the page after it.
func byCursor[T any](ctx context.Context, a *Activities, c *onelogin.Client, pr *progress,
	pages func(cursor string) iter.Seq2[onelogin.Page[T], error], write func([]T) (directory.PageResult, error)) error {
	if pr.p.Cursor == "" && pr.p.Pages > 0 {
		return nil // the previous attempt read the last page
	}
	if err := a.waitForBudget(ctx, c, pr.heartbeat); err != nil {
		return err
	}
	for page, err := range pages(pr.p.Cursor) {
		if err != nil {
			return err
		}
		res, err := write(page.Items)
		if err != nil {
			return err
		}
		next := page.NextCursor
		pr.page(len(page.Items), res, func(p *KindProgress) { p.Cursor = next })
		if next != "" {
			if err := a.waitForBudget(ctx, c, pr.heartbeat); err != nil {
				return err
			}
		}
	}
	return nil
}

// completeRead marks the kind's read complete and returns its result.
func (a *Activities) completeRead(ctx context.Context, c *onelogin.Client, pr *progress, in SyncKindInput, kind directory.Kind) (KindResult, error) {
	if err := a.Store.CompleteRead(ctx, in.IntegrationID, in.RunID, kind); err != nil {
		return KindResult{}, appError(err)
	}
	return pr.result(c), nil
}

// waitForBudget keeps syncs from spending the account's last requests: when
// the budget is below the reserve it waits for the window to reset, inline
// for a short wait, else by failing with a rate_limited error whose retry
// delay is the wait (the heartbeated progress survives the retry).
func (a *Activities) waitForBudget(ctx context.Context, c *onelogin.Client, heartbeat func()) error {
	cfg := a.config()
	rl, ok := c.RateLimit()
	if !ok || !rl.Below(cfg.BudgetReserve) {
		return nil
	}
	wait := rl.ResetAt().Sub(a.now())
	if wait <= 0 {
		return nil
	}
	if wait > cfg.MaxInlineBudgetWait {
		return &onelogin.Error{Code: errcode.RateLimited, RetryAfter: wait,
			Message: "rate budget below the reserve kept for actions; waiting for the reset"}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-t.C:
			return nil
		case <-tick.C:
			heartbeat()
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// FinishInput closes a run.
type FinishInput struct {
	IntegrationID string
	RunID         int64
	Mode          string
	// Status is completed, partial or failed.
	Status    string
	ErrorCode string
	Calls     int64
	// Watermark advances the users watermark when the run completed.
	Watermark time.Time
}

// FinishResult is the run as recorded.
type FinishResult struct {
	Run directory.SyncRun
	// Confirmed counts unseen users OneLogin still had (moved between pages
	// during the read) that were kept.
	Confirmed int
}

// FinishSyncRun reconciles deletions and closes the run. Only a completed
// full run sweeps, and only kinds whose read completed; a user missing from
// the read is deleted only after OneLogin, asked for it by id, does not
// return it.
func (a *Activities) FinishSyncRun(ctx context.Context, in FinishInput) (FinishResult, error) {
	var res FinishResult
	if in.Mode == api.ModeFull && in.Status == string(directory.RunCompleted) {
		c, err := a.client(ctx, in.IntegrationID)
		if err != nil {
			return res, err
		}
		var calls atomic.Int64
		cctx := onelogin.WithCallCounter(ctx, &calls)
		for _, kind := range directory.Kinds {
			if kind == directory.KindUsers {
				kept, progressed, err := a.confirmUnseenUsers(cctx, c, in)
				if err != nil {
					return res, retryAfterProgress(err, progressed)
				}
				res.Confirmed = kept
			}
			if _, err := a.Store.Sweep(ctx, in.IntegrationID, in.RunID, kind); err != nil && !errors.Is(err, directory.ErrSweepRefused) {
				return res, appError(err)
			}
		}
		in.Calls += calls.Load()
	}
	run, err := a.Store.FinishSyncRun(ctx, in.IntegrationID, in.RunID, directory.RunResult{
		Status: directory.RunStatus(in.Status), OneLoginCalls: in.Calls, ErrorCode: in.ErrorCode, UsersWatermark: in.Watermark,
	})
	if err != nil {
		return res, appError(err)
	}
	res.Run = run
	return res, nil
}

// ConfirmProgress is FinishSyncRun's heartbeat while it asks OneLogin about
// the users the full read did not see.
type ConfirmProgress struct {
	Unseen int
	Asked  int
	Kept   int
}

// confirmUnseenUsers asks OneLogin about every user the full read did not
// see, 50 per call by id. Those it still has are written with the run, so
// the sweep keeps them (and a retried finish does not ask again); a failed
// call fails the finish before any sweep. It heartbeats after every call,
// which the client bounds by its per-call timeout, well inside the finish's
// heartbeat timeout. progressed says some users were kept before a failure.
func (a *Activities) confirmUnseenUsers(ctx context.Context, c *onelogin.Client, in FinishInput) (kept int, progressed bool, err error) {
	ids, err := a.Store.Unseen(ctx, in.IntegrationID, in.RunID, directory.KindUsers)
	if errors.Is(err, directory.ErrSweepRefused) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	hb := ConfirmProgress{Unseen: len(ids)}
	for batch := range slices.Chunk(ids, onelogin.MaxUsersPage) {
		if err := a.waitForBudget(ctx, c, func() { activity.RecordHeartbeat(ctx, hb) }); err != nil {
			return kept, kept > 0, err
		}
		found, err := c.UsersByID(ctx, batch)
		if err != nil {
			return kept, kept > 0, err
		}
		if len(found) > 0 {
			if _, err := a.Store.UpsertUsers(ctx, in.IntegrationID, in.RunID, toDirectoryUsers(found)); err != nil {
				return kept, kept > 0, err
			}
		}
		kept += len(found)
		hb.Asked, hb.Kept = hb.Asked+len(batch), kept
		activity.RecordHeartbeat(ctx, hb)
	}
	return kept, kept > 0, nil
}
