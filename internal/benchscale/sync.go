package benchscale

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/onelogin/olsim"
)

// userCalls counts the user-list and user-by-id calls a simulator served.
func userCalls(sim *olsim.Server) int {
	return sim.RequestCount("GET /api/2/users") + sim.RequestCount("GET /api/2/users/:id")
}

func pages(users int) int { return (users + 49) / 50 }

// fullSync runs an on-demand sync and returns its result, its history
// length and the user calls it made.
func (e *env) sync(ctx context.Context, sim *olsim.Server, integration, mode string) (api.SyncResult, int, int, error) {
	sim.ResetCounters()
	run, err := e.starter.StartSync(ctx, api.SyncRequest{IntegrationID: integration, Mode: mode})
	if err != nil {
		return api.SyncResult{}, 0, 0, err
	}
	res, err := run.Get(ctx)
	if err != nil {
		return res, 0, 0, fmt.Errorf("%s sync of %s: %w", mode, integration, err)
	}
	if res.Status != api.SyncStatusCompleted {
		return res, 0, 0, fmt.Errorf("%s sync of %s: status %s", mode, integration, res.Status)
	}
	events, err := e.historyLength(ctx, run.GetID(), run.GetRunID())
	return res, events, userCalls(sim), err
}

func (e *env) historyLength(ctx context.Context, workflowID, runID string) (int, error) {
	it := e.client.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// wallRow compares a full sync's wall time with minimal calls × latency ÷
// parallelism, the floor when every call waits the latency.
func (e *env) wallRow(what string, wall time.Duration, users int) Row {
	floor := time.Duration(pages(users)) * e.cfg.Latency / time.Duration(e.cfg.Parallelism)
	ratio := wall.Seconds() / floor.Seconds()
	return row(fmt.Sprintf("%s: wall / (minimal calls × %s ÷ %d)", what, ms(e.cfg.Latency), e.cfg.Parallelism),
		fmt.Sprintf("%.2fs / %.2fs = %.2f", wall.Seconds(), floor.Seconds(), ratio), "≤ 1.10", ratio <= 1.10)
}

func callsRow(what string, calls, minimal int) Row {
	return row(what+": OneLogin user calls / minimal", fmt.Sprintf("%s / %s", count(calls), count(minimal)),
		"exactly minimal", calls == minimal)
}

func eventsRow(users, events int) Row {
	return row(fmt.Sprintf("history events per full sync at %s users", count(users)), fmt.Sprint(events), "≤ 100, constant", events <= 100)
}

// smallSync: history events of a full sync at SmallUsers.
func smallSync(ctx context.Context, e *env) ([]Row, error) {
	sim, _, err := e.tenant(ctx, "small", olsim.Options{Users: e.cfg.SmallUsers, Faults: olsim.Faults{Latency: e.cfg.Latency}}, 0)
	if err != nil {
		return nil, err
	}
	_, events, _, err := e.sync(ctx, sim, "small", api.ModeFull)
	if err != nil {
		return nil, err
	}
	return []Row{eventsRow(e.cfg.SmallUsers, events)}, nil
}

// bigSync: the first and a repeated full sync of SyncUsers at the
// configured latency (calls, wall, history, worker RSS), then 1% deleted,
// 1% changed, and 10% 5xx.
func bigSync(ctx context.Context, e *env) ([]Row, error) {
	n, lat := e.cfg.SyncUsers, e.cfg.Latency
	var rows []Row
	if err := e.worker.resetPeak(); err != nil {
		return nil, err
	}
	sim, conn, err := e.tenant(ctx, "big", olsim.Options{Users: n, Faults: olsim.Faults{Latency: lat}}, 0)
	if err != nil {
		return nil, err
	}
	what := fmt.Sprintf("full sync %s users", count(n))
	rows = append(rows, callsRow(what+", first (connect)", int(conn.Sync.Users().Calls), pages(n)),
		e.wallRow(what+", first (connect)", conn.Sync.Duration, n))
	res, events, calls, err := e.sync(ctx, sim, "big", api.ModeFull)
	if err != nil {
		return rows, err
	}
	rows = append(rows, callsRow(what+", re-sync", calls, pages(n)), e.wallRow(what+", re-sync", res.Duration, n),
		eventsRow(n, events))
	peak, err := e.worker.peakRSS()
	if err != nil {
		return rows, err
	}
	rssWhat := "worker peak RSS, " + what
	if !e.worker.separate() {
		rssWhat += " (worker in the bench process: includes the simulators)"
	}
	rows = append(rows, row(rssWhat, mib(peak), "≤ 100 MB", peak <= 100<<20))

	all := sim.Users()
	deleted := 0
	for i := 0; i < len(all); i += 100 {
		if err := sim.DeleteUser(all[i].ID); err != nil {
			return rows, err
		}
		deleted++
	}
	if _, _, calls, err = e.sync(ctx, sim, "big", api.ModeFull); err != nil {
		return rows, err
	}
	limit := pages(n-deleted) + pages(deleted)
	rows = append(rows, row(fmt.Sprintf("full sync after 1%% of %s users deleted (%d): user calls", count(n), deleted),
		fmt.Sprintf("%s (pages %s + confirmations %d)", count(calls), count(pages(n-deleted)), pages(deleted)),
		fmt.Sprintf("≤ %s (pages + ⌈deleted/50⌉)", count(limit)), calls <= limit))

	e.big = sim
	r, err := incremental(ctx, e, sim, "big", "")
	return append(rows, r...), err
}

// incremental changes 1% of the users and runs an incremental sync.
func incremental(ctx context.Context, e *env, sim *olsim.Server, integration, note string) ([]Row, error) {
	all := sim.Users()
	changed := 0
	for i := 1; i < len(all); i += 100 {
		if _, err := sim.UpdateUser(all[i].ID, olsim.Fields{"title": fmt.Sprintf("Changed %d", i)}); err != nil {
			return nil, err
		}
		changed++
	}
	res, _, calls, err := e.sync(ctx, sim, integration, api.ModeIncremental)
	if err != nil {
		return nil, err
	}
	if res.Mode != api.ModeIncremental {
		return nil, fmt.Errorf("the incremental sync of %s ran %s", integration, res.Mode)
	}
	limit := pages(changed) + 5
	return []Row{row(fmt.Sprintf("incremental sync, 1%% of %s changed (%d)%s: user calls", count(len(all)), changed, note),
		fmt.Sprintf("%s (%s users read)", count(calls), count(res.Users().Items)), fmt.Sprintf("≤ %d (⌈changed/50⌉ + 5)", limit),
		calls <= limit && res.Users().Items >= changed)}, nil
}

// cursorSync: the incremental sync against cursors that keep only
// limit/page/sort (OneLogin's one cursor on record).
func cursorSync(ctx context.Context, e *env) ([]Row, error) {
	sim, _, err := e.tenant(ctx, "cursor", olsim.Options{Users: e.cfg.SyncUsers, Seed: 2, CursorKeepsOnlyPaging: true}, 0)
	if err != nil {
		return nil, err
	}
	sim.SetFaults(olsim.Faults{Latency: e.cfg.Latency})
	return incremental(ctx, e, sim, "cursor", ", CursorKeepsOnlyPaging")
}

// errorSync: a tenant of n users, full syncs without and with 5xx,
// ErrorReps pairs (a small sync's wall time is mostly the server's
// scheduling, which a loaded machine makes noisy).
func errorSync(ctx context.Context, e *env, name string, n int) ([]Row, error) {
	sim, _, err := e.tenant(ctx, name, olsim.Options{Users: n, Faults: olsim.Faults{Latency: e.cfg.Latency}}, 0)
	if err != nil {
		return nil, err
	}
	return fiveXX(ctx, e, sim, name, n, max(e.cfg.ErrorReps, 1))
}

// fiveXX compares full syncs with ErrorRate 5xx against ones without,
// reps pairs run one after the other: the wall-time ratio is the median
// of the pairs', the calls are all the faulty syncs' together. A faulty
// sync still running after FaultTimeout is terminated and reported as not
// met.
func fiveXX(ctx context.Context, e *env, sim *olsim.Server, integration string, n, reps int) ([]Row, error) {
	what := fmt.Sprintf("full sync %s users, %.0f%% 5xx", count(n), 100*e.cfg.ErrorRate)
	var ratios []float64
	var pairs []string
	calls := 0
	for range reps {
		clean, _, _, err := e.sync(ctx, sim, integration, api.ModeFull)
		if err != nil {
			return nil, err
		}
		faulty, c, timedOut, err := e.faultySync(ctx, sim, integration)
		if err != nil {
			return nil, err
		}
		if timedOut {
			return []Row{
				row(what+": wall / no-error wall", fmt.Sprintf("not done after %s (> %.0f × %.2fs; terminated)", e.cfg.FaultTimeout,
					e.cfg.FaultTimeout.Seconds()/clean.Duration.Seconds(), clean.Duration.Seconds()), "≤ 1.3", false),
				row(what+": user calls / minimal", fmt.Sprintf("%s calls by then / %s", count(c), count(pages(n))), "≤ 1.15", false),
			}, nil
		}
		calls += c
		ratios = append(ratios, faulty.Duration.Seconds()/clean.Duration.Seconds())
		pairs = append(pairs, fmt.Sprintf("%.2fs / %.2fs", faulty.Duration.Seconds(), clean.Duration.Seconds()))
	}
	ratio := median(ratios)
	minimal := reps * pages(n)
	callRatio := float64(calls) / float64(minimal)
	wall := fmt.Sprintf("%s = %.2f", pairs[0], ratio)
	if reps > 1 {
		wall = fmt.Sprintf("median %.2f of %d pairs (%s)", ratio, reps, strings.Join(pairs, ", "))
	}
	return []Row{
		row(what+": wall / no-error wall", wall, "≤ 1.3", ratio <= 1.3),
		row(what+": user calls / minimal", fmt.Sprintf("%s / %s = %.2f", count(calls), count(minimal), callRatio),
			"≤ 1.15", callRatio <= 1.15),
	}, nil
}

// faultySync runs one full sync with ErrorRate 5xx, terminating it after
// FaultTimeout (timedOut, with the user calls made by then).
func (e *env) faultySync(ctx context.Context, sim *olsim.Server, integration string) (api.SyncResult, int, bool, error) {
	sim.SetFaults(olsim.Faults{Latency: e.cfg.Latency, ErrorRate: e.cfg.ErrorRate})
	defer sim.SetFaults(olsim.Faults{Latency: e.cfg.Latency})
	sctx, cancel := context.WithTimeout(ctx, e.cfg.FaultTimeout)
	defer cancel()
	res, _, calls, err := e.sync(sctx, sim, integration, api.ModeFull)
	// The server may cancel the long poll a moment before sctx expires.
	if dl, _ := sctx.Deadline(); err != nil && ctx.Err() == nil && time.Until(dl) < 5*time.Second {
		calls := userCalls(sim)
		if terr := e.client.TerminateWorkflow(ctx, api.SyncWorkflowID(integration), "", "benchscale: over the 5xx phase's time"); terr != nil {
			return res, calls, true, terr
		}
		return res, calls, true, nil
	}
	return res, calls, false, err
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
