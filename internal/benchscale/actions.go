package benchscale

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"golang.org/x/sync/errgroup"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/onelogin/olsim"
)

// actor runs actions against one tenant (0-latency simulator).
type actor struct {
	e    *env
	sim  *olsim.Server
	name string
	mu   sync.Mutex
	seq  int
	// next is the next synced user SuspendUsers may take.
	next int
}

func newActor(ctx context.Context, e *env, name string) (*actor, error) {
	sim, _, err := e.tenant(ctx, name, olsim.Options{Users: e.cfg.ActUsers, Groups: 5, Roles: 6}, 0)
	if err != nil {
		return nil, err
	}
	return &actor{e: e, sim: sim, name: name}, nil
}

// onboard hires a user in OneLogin and runs OnboardUser end to end: start,
// activate, group, role, reset link, result.
func (a *actor) onboard(ctx context.Context) (time.Duration, error) {
	a.mu.Lock()
	a.seq++
	n := a.seq
	a.mu.Unlock()
	login := fmt.Sprintf("hire.%d", n)
	if _, err := a.sim.CreateUser(olsim.Fields{"email": login + "@acme.com", "username": login, "firstname": "Hire", "lastname": fmt.Sprint(n)}); err != nil {
		return 0, err
	}
	req := api.OnboardRequest{IntegrationID: a.name, RequestID: fmt.Sprintf("onboard-%d", n), RequestedBy: "benchscale",
		User: api.UserRef{Email: login + "@acme.com"}, Activate: true, GroupID: a.sim.Groups()[1].ID,
		RoleIDs: []int64{a.sim.Roles()[2].ID}, Reset: api.ResetLink}
	start := time.Now()
	run, err := a.e.starter.OnboardUser(ctx, req)
	if err != nil {
		return 0, err
	}
	res, err := run.Get(ctx)
	took := time.Since(start)
	if err != nil {
		return took, fmt.Errorf("onboard %s: %w", login, err)
	}
	if len(res.Users) != 1 || res.Users[0].Outcome != api.OutcomeChanged {
		return took, fmt.Errorf("onboard %s: %+v", login, res.Users)
	}
	return took, nil
}

// onboardN runs n onboardings one after another (after one warm-up).
func (a *actor) onboardN(ctx context.Context, n int) ([]time.Duration, error) {
	if _, err := a.onboard(ctx); err != nil {
		return nil, err
	}
	var took []time.Duration
	for range n {
		d, err := a.onboard(ctx)
		if err != nil {
			return took, err
		}
		took = append(took, d)
	}
	return took, nil
}

// suspend suspends the next n synced users at the default parallelism.
func (a *actor) suspend(ctx context.Context, n int) (time.Duration, error) {
	users := a.sim.Users()
	a.mu.Lock()
	if a.next+n > len(users) {
		a.mu.Unlock()
		return 0, fmt.Errorf("%s has no %d more users to suspend", a.name, n)
	}
	refs := make([]api.UserRef, n)
	for i := range refs {
		refs[i] = api.UserRef{ID: users[a.next+i].ID}
	}
	a.next += n
	a.seq++
	id := fmt.Sprintf("suspend-%d", a.seq)
	a.mu.Unlock()
	start := time.Now()
	run, err := a.e.starter.SuspendUsers(ctx, api.ActionRequest{IntegrationID: a.name, RequestID: id, RequestedBy: "benchscale", Users: refs})
	if err != nil {
		return 0, err
	}
	res, err := run.Get(ctx)
	took := time.Since(start)
	if err != nil {
		return took, err
	}
	for _, u := range res.Users {
		if u.Outcome == api.OutcomeFailed {
			return took, fmt.Errorf("suspend user %d failed: %+v", u.UserID, u)
		}
	}
	return took, nil
}

// untuned measures OnboardUser p50 on a dev server as the CLI defaults it.
func untuned(ctx context.Context, cfg Config) (time.Duration, error) {
	e, err := startEnv(ctx, cfg, false)
	if err != nil {
		return 0, err
	}
	defer e.stop()
	a, err := newActor(ctx, e, "untuned")
	if err != nil {
		return 0, err
	}
	took, err := a.onboardN(ctx, cfg.Onboards)
	return quantile(took, 0.5), err
}

// actionsIdle: OnboardUser p50 and SuspendUsers on an idle worker.
func actionsIdle(ctx context.Context, e *env, untunedP50 time.Duration) (*actor, []Row, error) {
	a, err := newActor(ctx, e, "act")
	if err != nil {
		return nil, nil, err
	}
	var rows []Row
	if e.cfg.Onboards > 0 {
		took, err := a.onboardN(ctx, e.cfg.Onboards)
		if err != nil {
			return a, nil, err
		}
		p50 := quantile(took, 0.5)
		fig := fmt.Sprintf("p50 %s, p95 %s (%d runs, tuned dev server)", ms(p50), ms(quantile(took, 0.95)), len(took))
		if untunedP50 > 0 {
			fig += fmt.Sprintf("; untuned dev server p50 %s", ms(untunedP50))
		}
		rows = append(rows, row("OnboardUser end to end, 0-latency sim, idle", fig, "p50 ≤ 250 ms", p50 <= 250*time.Millisecond))
	}
	if n := e.cfg.Suspend; n > 0 && 3*n <= e.cfg.ActUsers {
		var took []time.Duration
		for range 3 {
			d, err := a.suspend(ctx, n)
			if err != nil {
				return a, rows, err
			}
			took = append(took, d)
		}
		med := quantile(took, 0.5)
		rows = append(rows, row(fmt.Sprintf("SuspendUsers %d users, default parallelism (median of 3)", n),
			fmt.Sprintf("%s (runs %s, %s, %s)", ms(med), ms(took[0]), ms(took[1]), ms(took[2])), "≤ 2 s", med <= 2*time.Second))
	}
	return a, rows, nil
}

// actionsBusy: OnboardUser while BusySyncs full syncs run on the worker.
func actionsBusy(ctx context.Context, e *env, a *actor) ([]Row, error) {
	sims, err := e.tenants(ctx, "busy", e.cfg.BusySyncs, olsim.Options{Users: e.cfg.BusyUsers}, 0)
	if err != nil {
		return nil, err
	}
	g, gctx := errgroup.WithContext(ctx)
	start := time.Now()
	for i := range sims {
		g.Go(func() error {
			_, _, _, err := e.sync(gctx, sims[i], fmt.Sprintf("busy-%d", i), api.ModeFull)
			return err
		})
	}
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	var took []time.Duration
	var syncErr error
	for running := true; running; {
		d, err := a.onboard(ctx)
		if err != nil {
			return nil, err
		}
		took = append(took, d)
		select {
		case syncErr = <-done:
			running = false
		default:
		}
	}
	syncs := time.Since(start)
	if syncErr != nil {
		return nil, syncErr
	}
	p95 := quantile(took, 0.95)
	return []Row{row(fmt.Sprintf("OnboardUser p95 while %d full syncs of %s users run on the worker", len(sims), count(e.cfg.BusyUsers)),
		fmt.Sprintf("p95 %s, p50 %s (%d runs; the syncs took %s)", ms(p95), ms(quantile(took, 0.5)), len(took), syncs.Round(time.Second)),
		"p95 ≤ 1 s", p95 <= time.Second)}, nil
}

// storm: Tenants integrations of TenantUsers, each synced by its schedule
// every Interval for Storm, while onboardings run; then every scheduled run
// must have completed and no account may have gone over its budget.
func storm(ctx context.Context, e *env, a *actor) ([]Row, error) {
	opts := olsim.Options{Users: e.cfg.TenantUsers, RateLimitV2: true, Faults: olsim.Faults{Latency: e.cfg.StormLatency}}
	sims, err := e.tenants(ctx, "storm", e.cfg.Tenants, opts, e.cfg.Interval)
	if err != nil {
		return nil, err
	}
	if err := e.worker.resetPeak(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	var took []time.Duration
	for time.Since(t0) < e.cfg.Storm {
		d, err := a.onboard(ctx)
		if err != nil {
			return nil, err
		}
		took = append(took, d)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range sims {
		g.Go(func() error { return e.ops.PauseSchedule(gctx, fmt.Sprintf("storm-%d", i), "benchscale: storm over") })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	peak, err := e.worker.peakRSS()
	if err != nil {
		return nil, err
	}
	runs, err := e.stormRuns(ctx, t0)
	if err != nil {
		return nil, err
	}
	maxUsed, over, limit := 0, 0, 0
	for _, s := range sims {
		l, remaining, _ := s.RateLimitStatus()
		limit = l
		maxUsed = max(maxUsed, l-remaining)
		if remaining <= 0 {
			over++
		}
	}
	what := fmt.Sprintf("%d integrations × %s users, schedules every %s for %s, %s latency", len(sims), count(e.cfg.TenantUsers),
		e.cfg.Interval, e.cfg.Storm, ms(e.cfg.StormLatency))
	expected := len(sims) * int(e.cfg.Storm/e.cfg.Interval)
	rssWhat := "many tenants: worker peak RSS"
	if !e.worker.separate() {
		rssWhat += " (worker in the bench process: includes the simulators)"
	}
	p95 := quantile(took, 0.95)
	return []Row{
		row("many tenants: "+what+": scheduled runs completed", fmt.Sprintf("%d of %d started (about %d expected); %s",
			runs.completed, runs.started, expected, runs.detail()), "every one completes", runs.started > 0 && runs.completed == runs.started),
		row("many tenants: accounts over their budget", fmt.Sprintf("%d (most calls by one account: %s of %s an hour)", over, count(maxUsed), count(limit)),
			"none", over == 0),
		row(rssWhat, mib(peak), "≤ 100 MB", peak <= 100<<20),
		row("many tenants: OnboardUser p95 during the storm", fmt.Sprintf("p95 %s, p50 %s (%d runs)", ms(p95), ms(quantile(took, 0.5)), len(took)),
			"p95 ≤ 1 s", p95 <= time.Second),
	}, nil
}

type runCounts struct {
	started, completed int
	other              map[string]int
}

func (r runCounts) detail() string {
	if len(r.other) == 0 {
		return "none failed"
	}
	return fmt.Sprintf("not completed: %v", r.other)
}

// stormRuns waits for the storm's syncs to end (up to 5 minutes) and
// counts them by how they ended, reading each result.
func (e *env) stormRuns(ctx context.Context, t0 time.Time) (runCounts, error) {
	query := fmt.Sprintf("WorkflowType = '%s' AND StartTime >= '%s'", api.SyncWorkflow, t0.UTC().Format(time.RFC3339))
	deadline := time.Now().Add(5 * time.Minute)
	for {
		resp, err := e.client.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query + " AND ExecutionStatus = 'Running'"})
		if err != nil {
			return runCounts{}, err
		}
		if resp.GetCount() == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(2 * time.Second)
	}
	rc := runCounts{other: map[string]int{}}
	var token []byte
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for {
		resp, err := e.client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Query: query, NextPageToken: token})
		if err != nil {
			return rc, err
		}
		for _, ex := range resp.GetExecutions() {
			id, runID := ex.GetExecution().GetWorkflowId(), ex.GetExecution().GetRunId()
			rc.started++
			g.Go(func() error {
				var res api.SyncResult
				status := "completed"
				if err := e.client.GetWorkflow(gctx, id, runID).Get(gctx, &res); err != nil {
					status = "error: " + err.Error()
				} else if res.Status != api.SyncStatusCompleted && res.Status != api.SyncStatusSkipped {
					status = "status " + res.Status
				}
				mu.Lock()
				defer mu.Unlock()
				if status == "completed" {
					rc.completed++
				} else {
					rc.other[status]++
				}
				return nil
			})
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	return rc, g.Wait()
}
