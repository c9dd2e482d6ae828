// Package benchscale measures olflow at scale (issue "Scale", item 6): it
// starts a dev server tuned as a production cluster, a simulator front
// serving every tenant and a worker, and measures each row of the issue's
// table against its goal. cmd/benchscale runs it (make bench-scale) and
// writes the figures into BENCHMARKS.md, section "Scale"; the smoke test
// runs the same path at tiny sizes.
package benchscale

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"
)

// Config sizes every phase; zero sizes skip the phase.
type Config struct {
	TemporalCLI string
	// Olflow is the olflow binary; the worker then runs as its own process
	// (its RSS is measured alone). Empty runs the worker in this process.
	Olflow string
	// RepoDir is the module root for the store benchmarks (go test
	// ./directory/); empty skips them. PostgresDSN is passed to them.
	RepoDir     string
	PostgresDSN string

	SimUsers int // simulator page time and memory at this many users
	SimPages int // pages timed

	SyncUsers   int           // the big full sync
	Latency     time.Duration // simulator latency of the sync phases
	Parallelism int           // worker's sync parallelism
	SmallUsers  int           // history events at a small size
	ErrorUsers  int           // the 10%-5xx full sync at a small size (the big one uses SyncUsers)
	ErrorReps   int           // pairs (without, with 5xx) at the small size; the median ratio is reported
	ErrorRate   float64
	// FaultTimeout bounds each 5xx full sync (a client without retries
	// backs off for up to 5 minutes an attempt).
	FaultTimeout time.Duration

	ActUsers  int // the tenant actions run against (0 latency)
	Onboards  int // OnboardUser runs per latency figure
	Suspend   int // users per SuspendUsers
	Untuned   bool
	BusySyncs int // full syncs running while onboarding
	BusyUsers int

	Tenants      int
	TenantUsers  int
	Interval     time.Duration
	Storm        time.Duration
	StormLatency time.Duration

	Progress io.Writer
	// AfterPhase, when set, gets the report so far after each phase (so a
	// long run that is cut short still leaves its figures).
	AfterPhase func(*Report)
}

// Defaults are the sizes.
func Defaults() Config {
	return Config{SimUsers: 1_000_000, SimPages: 200, SyncUsers: 100_000, Latency: 50 * time.Millisecond,
		Parallelism: 4, SmallUsers: 1000, ErrorUsers: 5000, ErrorReps: 5, ErrorRate: 0.1, FaultTimeout: 3 * time.Minute, ActUsers: 2000, Onboards: 30,
		Suspend: 200, Untuned: true, BusySyncs: 50, BusyUsers: 2000, Tenants: 200, TenantUsers: 2000,
		Interval: time.Minute, Storm: 10 * time.Minute, StormLatency: 50 * time.Millisecond,
		PostgresDSN: "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"}
}

// Row is one line of the table: what, the figure, the goal, and whether
// it is met ("yes", "no", or "" when the row has no goal).
type Row struct {
	What, Figure, Goal, Met string
}

func row(what, figure, goal string, met bool) Row {
	m := "no"
	if met {
		m = "yes"
	}
	return Row{What: what, Figure: figure, Goal: goal, Met: m}
}

// Report is a run's rows and the machine they were measured on.
type Report struct {
	Machine string
	Started time.Time
	Took    time.Duration
	Rows    []Row
	// Errors are the phases that failed; their rows say so too.
	Errors []error
}

// Run runs every phase whose size is not zero and returns the rows.
func Run(ctx context.Context, cfg Config) *Report {
	r := &Report{Machine: Machine(), Started: time.Now()}
	p := cfg.Progress
	if p == nil {
		p = io.Discard
	}
	phase := func(name string, f func() ([]Row, error)) {
		fmt.Fprintf(p, "benchscale: %s…\n", name)
		start := time.Now()
		rows, err := f()
		r.Rows = append(r.Rows, rows...)
		if err != nil {
			err = fmt.Errorf("%s: %w", name, err)
			r.Errors = append(r.Errors, err)
			r.Rows = append(r.Rows, Row{What: name, Figure: "failed: " + err.Error(), Met: "no"})
		}
		fmt.Fprintf(p, "benchscale: %s done in %s\n", name, time.Since(start).Round(time.Second))
		for _, row := range rows {
			fmt.Fprintf(p, "  %s: %s (goal %s) %s\n", row.What, row.Figure, row.Goal, row.Met)
		}
		if cfg.AfterPhase != nil {
			r.Machine, r.Took = Machine(), time.Since(r.Started)
			cfg.AfterPhase(r)
		}
	}
	if cfg.SimUsers > 0 {
		phase("simulator at scale", func() ([]Row, error) { return simPages(cfg) })
	}
	if cfg.RepoDir != "" {
		phase("store upsert", func() ([]Row, error) { return storeBench(ctx, cfg) })
	}
	var untunedP50 time.Duration
	if cfg.Untuned && cfg.Onboards > 0 {
		phase("untuned dev server", func() ([]Row, error) {
			var err error
			untunedP50, err = untuned(ctx, cfg)
			return nil, err
		})
	}
	e, err := startEnv(ctx, cfg, true)
	if err != nil {
		r.Errors = append(r.Errors, err)
		r.Rows = append(r.Rows, Row{What: "environment", Figure: "failed: " + err.Error(), Met: "no"})
		r.Took = time.Since(r.Started)
		return r
	}
	defer e.stop()
	var act *actor
	if cfg.ActUsers > 0 {
		phase("actions", func() ([]Row, error) {
			var rows []Row
			var err error
			act, rows, err = actionsIdle(ctx, e, untunedP50)
			return rows, err
		})
	}
	if cfg.SmallUsers > 0 {
		phase("small full sync", func() ([]Row, error) { return smallSync(ctx, e) })
	}
	if cfg.SyncUsers > 0 {
		phase("big full sync", func() ([]Row, error) { return bigSync(ctx, e) })
		phase("incremental, cursor keeps only paging", func() ([]Row, error) { return cursorSync(ctx, e) })
	}
	if cfg.ErrorUsers > 0 {
		phase("5xx at small size", func() ([]Row, error) { return errorSync(ctx, e, "err-small", cfg.ErrorUsers) })
	}
	if e.big != nil && cfg.ErrorRate > 0 {
		phase("5xx at big size", func() ([]Row, error) { return fiveXX(ctx, e, e.big, "big", len(e.big.Users()), 1) })
	}
	if cfg.BusySyncs > 0 && act != nil {
		phase("actions during full syncs", func() ([]Row, error) { return actionsBusy(ctx, e, act) })
	}
	if cfg.Tenants > 0 && act != nil {
		phase("many tenants", func() ([]Row, error) { return storm(ctx, e, act) })
	}
	r.Machine, r.Took = Machine(), time.Since(r.Started)
	return r
}

// Err joins the phases' errors.
func (r *Report) Err() error { return errors.Join(r.Errors...) }

// Machine describes the machine: CPUs, memory, load average, Go.
func Machine() string {
	mem := "memory unknown"
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kb int64
				if _, err := fmt.Sscan(strings.TrimSpace(rest), &kb); err == nil {
					mem = fmt.Sprintf("%.1f GiB memory", float64(kb)/(1<<20))
				}
			}
		}
	}
	load := "load average unknown"
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			load = "load average " + strings.Join(f[:3], " ")
		}
	}
	return fmt.Sprintf("%d CPUs (nproc), %s, %s, %s %s/%s", runtime.NumCPU(), mem, load,
		runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
