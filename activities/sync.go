package activities

import (
	"context"
	"errors"
	"iter"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"

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
// every page and resume from it on retry; operators read it live from the
// pending activity's heartbeat details.
type KindProgress struct {
	Kind string
	// Cursor resumes a cursor-paged read.
	Cursor string
	// DonePages are the page numbers a parallel full user read has written.
	DonePages  []int
	TotalPages int
	Pages      int
	Items      int
	Created    int
	Updated    int
	Calls      int64
	// MaxUpdatedAt is the newest updated_at read (users only): the next
	// watermark once the whole run succeeds. It is heartbeated so a resumed
	// read keeps it.
	MaxUpdatedAt time.Time
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
	calls atomic.Int64
	base  int64
}

func newProgress(ctx context.Context, kind directory.Kind) (*progress, context.Context) {
	pr := &progress{p: KindProgress{Kind: string(kind)}}
	if activity.HasHeartbeatDetails(ctx) {
		var prev KindProgress
		if activity.GetHeartbeatDetails(ctx, &prev) == nil && prev.Kind == string(kind) {
			pr.p = prev
			pr.base = prev.Calls
		}
	}
	pr.ctx = onelogin.WithCallCounter(ctx, &pr.calls)
	return pr, pr.ctx
}

// page records a written page and heartbeats.
func (pr *progress) page(n int, res directory.PageResult, update func(*KindProgress)) {
	pr.mu.Lock()
	pr.p.Pages++
	pr.p.Items += n
	pr.p.Created += res.Created
	pr.p.Updated += res.Updated
	pr.p.Calls = pr.base + pr.calls.Load()
	if update != nil {
		update(&pr.p)
	}
	snap := pr.snapshotLocked()
	pr.mu.Unlock()
	activity.RecordHeartbeat(pr.ctx, snap)
}

func (pr *progress) heartbeat() {
	pr.mu.Lock()
	snap := pr.snapshotLocked()
	pr.mu.Unlock()
	activity.RecordHeartbeat(pr.ctx, snap)
}

func (pr *progress) snapshotLocked() KindProgress {
	s := pr.p
	s.DonePages = append([]int(nil), pr.p.DonePages...)
	return s
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
	r := KindResult{KindProgress: pr.snapshotLocked()}
	if rl, ok := c.RateLimit(); ok {
		r.BudgetRemaining, r.BudgetLimit = rl.Remaining, rl.Limit
	}
	return r
}

// client loads the integration and its cached client.
func (a *Activities) client(ctx context.Context, integration string) (*onelogin.Client, error) {
	in, err := a.Store.GetIntegration(ctx, integration)
	if err != nil {
		return nil, appError(err)
	}
	return a.Clients.ForIntegration(in)
}

// SyncUsers reads users into the store: by updated_since for an incremental
// run, and page by page in parallel for a full one.
func (a *Activities) SyncUsers(ctx context.Context, in SyncKindInput) (KindResult, error) {
	c, err := a.client(ctx, in.IntegrationID)
	if err != nil {
		return KindResult{}, err
	}
	pr, ctx := newProgress(ctx, directory.KindUsers)
	write := func(users []onelogin.User) (directory.PageResult, error) {
		pr.seenUpdatedAt(users)
		return a.Store.UpsertUsers(ctx, in.IntegrationID, in.RunID, toDirectoryUsers(users))
	}
	if in.Mode == api.ModeIncremental {
		q := onelogin.UserQuery{UpdatedSince: in.UsersSince, Sort: "id"}
		err = byCursor(ctx, a, c, pr, func(cur string) iter.Seq2[onelogin.Page[onelogin.User], error] {
			return c.UserPages(ctx, q, cur)
		}, write)
	} else {
		err = a.usersByPage(ctx, c, pr, write)
	}
	if err != nil {
		return KindResult{}, appError(err)
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
		return KindResult{}, appError(err)
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
	if err := a.waitForBudget(ctx, c, pr); err != nil {
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
			if err := a.waitForBudget(ctx, c, pr); err != nil {
				return err
			}
		}
	}
	return nil
}

// usersByPage is the full user read. OneLogin's cursor is an encoded page
// number, so pages are fetched by number, several at once, sorted by id;
// the set of written pages is heartbeated so a retry fetches only the rest.
// A user deleted during the read shifts later pages and can hide another
// user: the sweep in FinishSyncRun confirms every unseen user with OneLogin
// before deleting, so that user is found again there, not deleted.
func (a *Activities) usersByPage(ctx context.Context, c *onelogin.Client, pr *progress,
	write func([]onelogin.User) (directory.PageResult, error)) error {
	q := onelogin.UserQuery{Sort: "id"}
	limit := onelogin.MaxUsersPage
	done := map[int]bool{}
	for _, n := range pr.p.DonePages {
		done[n] = true
	}
	fetch := func(ctx context.Context, n int) (int, error) {
		if err := a.waitForBudget(ctx, c, pr); err != nil {
			return 0, err
		}
		page, err := c.UsersPage(ctx, q, n)
		if err != nil {
			return 0, err
		}
		res, err := write(page.Items)
		if err != nil {
			return 0, err
		}
		pr.page(len(page.Items), res, func(p *KindProgress) {
			if page.TotalPages > 0 && p.TotalPages == 0 {
				p.TotalPages = page.TotalPages
			}
			p.DonePages = insertSorted(p.DonePages, n)
		})
		return page.TotalPages, nil
	}
	total := pr.p.TotalPages
	if !done[1] {
		t, err := fetch(ctx, 1)
		if err != nil {
			return err
		}
		total = t
	}
	var todo []int
	for n := 2; n <= total; n++ {
		if !done[n] {
			todo = append(todo, n)
		}
	}
	if err := a.parallelPages(ctx, todo, fetch); err != nil {
		return err
	}
	// Users created during the read land after the announced last page; read
	// on until a short page so they are not missed.
	for n := max(total, 1) + 1; ; n++ {
		if err := a.waitForBudget(ctx, c, pr); err != nil {
			return err
		}
		page, err := c.UsersPage(ctx, q, n)
		if err != nil {
			return err
		}
		if len(page.Items) > 0 {
			res, err := write(page.Items)
			if err != nil {
				return err
			}
			pr.page(len(page.Items), res, nil)
		}
		if len(page.Items) < limit {
			return nil
		}
	}
}

// parallelPages runs fetch over pages with bounded parallelism; the first
// error stops the rest.
func (a *Activities) parallelPages(ctx context.Context, pages []int, fetch func(context.Context, int) (int, error)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	for range min(a.config().FullReadParallelism, max(len(pages), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range work {
				if _, err := fetch(ctx, n); err != nil {
					once.Do(func() { firstErr = err; cancel(err) })
					return
				}
			}
		}()
	}
feed:
	for _, n := range pages {
		select {
		case work <- n:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return context.Cause(ctx)
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
func (a *Activities) waitForBudget(ctx context.Context, c *onelogin.Client, pr *progress) error {
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
			pr.heartbeat()
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

func insertSorted(s []int, n int) []int {
	i := sort.SearchInts(s, n)
	if i < len(s) && s[i] == n {
		return s
	}
	return append(s[:i], append([]int{n}, s[i:]...)...)
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
// the read is deleted only after GET /api/2/users/:id answers 404.
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
				kept, err := a.confirmUnseenUsers(cctx, c, in)
				if err != nil {
					return res, appError(err)
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

// confirmUnseenUsers asks OneLogin about every user the full read did not
// see. Those it still has are written with the run, so the sweep keeps them.
func (a *Activities) confirmUnseenUsers(ctx context.Context, c *onelogin.Client, in FinishInput) (int, error) {
	ids, err := a.Store.Unseen(ctx, in.IntegrationID, in.RunID, directory.KindUsers)
	if errors.Is(err, directory.ErrSweepRefused) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	kept := 0
	for i, id := range ids {
		u, err := c.GetUser(ctx, id)
		switch onelogin.CodeOf(err) {
		case "":
			if _, err := a.Store.UpsertUsers(ctx, in.IntegrationID, in.RunID, []directory.User{toDirectoryUser(u)}); err != nil {
				return kept, err
			}
			kept++
		case errcode.NotFound:
			// Gone at OneLogin: the sweep deletes it.
		default:
			return kept, err
		}
		if i%20 == 19 {
			activity.RecordHeartbeat(ctx, i+1)
		}
	}
	return kept, nil
}
