// Command benchscale measures olflow at scale and writes the figures into
// BENCHMARKS.md, section "Scale" (make bench-scale). Every size is a flag;
// a zero size skips its phase:
//
//	go run ./cmd/benchscale --temporal-cli bin/temporal --olflow bin/olflow
//	go run ./cmd/benchscale --sync-users 5000 --tenants 20 --storm 2m --sim-users 0
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/olflow/olflow/internal/benchscale"
)

func main() {
	cfg := benchscale.Defaults()
	out := "BENCHMARKS.md"
	fs := flag.NewFlagSet("benchscale", flag.ExitOnError)
	fs.StringVar(&cfg.TemporalCLI, "temporal-cli", "bin/temporal", "temporal CLI (dev server)")
	fs.StringVar(&cfg.Olflow, "olflow", "bin/olflow", "olflow binary the worker runs as (its own process); empty: in this process")
	fs.StringVar(&cfg.RepoDir, "repo", ".", "module root for the store benchmarks (go test ./directory/); empty skips them")
	fs.StringVar(&cfg.PostgresDSN, "postgres", cfg.PostgresDSN, "PostgreSQL for the store benchmarks")
	fs.StringVar(&out, "out", out, "file whose \"Scale\" section is replaced; empty writes none")
	fs.IntVar(&cfg.SimUsers, "sim-users", cfg.SimUsers, "simulator page time and memory at this many users")
	fs.IntVar(&cfg.SimPages, "sim-pages", cfg.SimPages, "pages timed")
	fs.IntVar(&cfg.SyncUsers, "sync-users", cfg.SyncUsers, "users of the big full sync (and the 5xx and cursor runs)")
	fs.DurationVar(&cfg.Latency, "latency", cfg.Latency, "simulator latency in the sync phases")
	fs.IntVar(&cfg.Parallelism, "parallelism", cfg.Parallelism, "worker sync parallelism (OLFLOW_SYNC_PARALLELISM)")
	fs.IntVar(&cfg.SmallUsers, "small-users", cfg.SmallUsers, "users of the small full sync (history events)")
	fs.IntVar(&cfg.ErrorUsers, "error-users", cfg.ErrorUsers, "users of the small 5xx full sync")
	fs.IntVar(&cfg.ErrorReps, "error-reps", cfg.ErrorReps, "pairs of small full syncs (without, with 5xx); the median wall ratio is reported")
	fs.Float64Var(&cfg.ErrorRate, "error-rate", cfg.ErrorRate, "5xx rate of the 5xx full syncs")
	fs.DurationVar(&cfg.FaultTimeout, "fault-timeout", cfg.FaultTimeout, "each 5xx full sync is terminated (and reported) after this long")
	fs.IntVar(&cfg.ActUsers, "act-users", cfg.ActUsers, "users of the tenant actions run against")
	fs.IntVar(&cfg.Onboards, "onboards", cfg.Onboards, "OnboardUser runs per idle latency figure")
	fs.IntVar(&cfg.Suspend, "suspend", cfg.Suspend, "users per SuspendUsers")
	fs.BoolVar(&cfg.Untuned, "untuned", cfg.Untuned, "also measure OnboardUser on an untuned dev server")
	fs.IntVar(&cfg.BusySyncs, "busy-syncs", cfg.BusySyncs, "full syncs running while OnboardUser is measured")
	fs.IntVar(&cfg.BusyUsers, "busy-users", cfg.BusyUsers, "users of each of those syncs")
	fs.IntVar(&cfg.Tenants, "tenants", cfg.Tenants, "integrations in the many-tenant run")
	fs.IntVar(&cfg.TenantUsers, "tenant-users", cfg.TenantUsers, "users of each")
	fs.DurationVar(&cfg.Interval, "interval", cfg.Interval, "their schedule interval (at least 1m)")
	fs.DurationVar(&cfg.Storm, "storm", cfg.Storm, "how long the many-tenant run lasts")
	fs.DurationVar(&cfg.StormLatency, "storm-latency", cfg.StormLatency, "simulator latency in the many-tenant run")
	_ = fs.Parse(os.Args[1:])
	cfg.Progress = os.Stderr
	command := "go run ./cmd/benchscale " + strings.Join(os.Args[1:], " ")
	var writeErr error
	cfg.AfterPhase = func(r *benchscale.Report) { writeErr = write(out, r.Markdown(command)) }

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep := benchscale.Run(ctx, cfg)
	md := rep.Markdown(command)
	fmt.Println(md)
	if err := write(out, md); err != nil || writeErr != nil {
		fmt.Fprintln(os.Stderr, "benchscale:", errors.Join(err, writeErr))
		os.Exit(1)
	}
	if err := rep.Err(); err != nil {
		fmt.Fprintln(os.Stderr, "benchscale: some phases failed:", err)
		os.Exit(1)
	}
}

// write replaces the "Scale" section of the file out ("" writes nothing).
func write(out, md string) error {
	if out == "" {
		return nil
	}
	doc, err := os.ReadFile(out)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return os.WriteFile(out, []byte(benchscale.ReplaceSection(string(doc), md)), 0o644)
}
