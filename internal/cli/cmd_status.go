package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/ops"
)

const timeFormat = "2006-01-02 15:04:05"

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(timeFormat)
}

func (a *app) scheduleCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Show, pause, resume or trigger an integration's periodic sync",
	}
	var integration, note string
	sub := func(use, short string, run func(ctx context.Context, op *ops.Ops) (any, func(io.Writer), error)) *cobra.Command {
		c := &cobra.Command{
			Use: use, Short: short, Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				ctx, cancel := withTimeout(cmd.Context())
				defer cancel()
				op, err := a.dialOps(ctx)
				if err != nil {
					return err
				}
				defer op.Close()
				v, human, err := run(ctx, op)
				if err != nil {
					return err
				}
				return a.emit(v, human)
			},
		}
		integrationFlag(c, &integration)
		return c
	}
	done := func(what string) (any, func(io.Writer), error) {
		v := map[string]string{"IntegrationID": integration, "Schedule": what}
		return v, func(w io.Writer) { fmt.Fprintf(w, "Periodic sync of %s %s.\n", integration, what) }, nil
	}
	show := sub("show", "Show the schedule: interval, paused or not, next and recent runs",
		func(ctx context.Context, op *ops.Ops) (any, func(io.Writer), error) {
			info, err := op.Schedule(ctx, integration)
			return info, func(w io.Writer) { printSchedule(w, info) }, err
		})
	pause := sub("pause", "Pause the periodic sync (a sync running now finishes)",
		func(ctx context.Context, op *ops.Ops) (any, func(io.Writer), error) {
			if err := op.PauseSchedule(ctx, integration, note); err != nil {
				return nil, nil, err
			}
			return done("paused")
		})
	resume := sub("resume", "Resume a paused periodic sync",
		func(ctx context.Context, op *ops.Ops) (any, func(io.Writer), error) {
			if err := op.ResumeSchedule(ctx, integration, note); err != nil {
				return nil, nil, err
			}
			return done("resumed")
		})
	trigger := sub("trigger", "Start a scheduled sync now (skipped while one runs)",
		func(ctx context.Context, op *ops.Ops) (any, func(io.Writer), error) {
			if err := op.TriggerSchedule(ctx, integration); err != nil {
				return nil, nil, err
			}
			return done("triggered")
		})
	for _, c := range []*cobra.Command{pause, resume} {
		c.Flags().StringVar(&note, "note", "", "why, shown on the schedule in the UI")
	}
	cmd.AddCommand(show, pause, resume, trigger)
	return cmd
}

func printSchedule(w io.Writer, s ops.ScheduleInfo) {
	state := "active"
	if s.Paused {
		state = "PAUSED"
	}
	fmt.Fprintf(w, "Schedule %s: every %s, %s", s.ID, ops.HumanDuration(s.Interval), state)
	if s.Note != "" {
		fmt.Fprintf(w, " (%s)", s.Note)
	}
	fmt.Fprintf(w, ", %d runs started.\n", s.Actions)
	if len(s.Next) > 0 && !s.Paused {
		fmt.Fprintf(w, "  next: %s\n", fmtTime(s.Next[0]))
	}
	for _, id := range s.Running {
		fmt.Fprintf(w, "  running: %s\n", id)
	}
	for i := len(s.Recent) - 1; i >= 0 && i >= len(s.Recent)-3; i-- {
		fmt.Fprintf(w, "  started %s: %s\n", fmtTime(s.Recent[i].StartedAt), s.Recent[i].WorkflowID)
	}
}

func (a *app) statusCmd() *cobra.Command {
	var integration, store string
	var runs int
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show an integration: its record, schedule, last runs and a running sync",
		Long: `Show an integration as operators need it: the record the workers keep (status,
the message the admin sees, scope, directory size, last syncs) when the
store is reachable, the periodic sync, and the last runs from Temporal.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := withTimeout(cmd.Context())
			defer cancel()
			op, err := a.dialOps(ctx)
			if err != nil {
				return err
			}
			defer op.Close()
			if s, ok := openStoreIfPresent(ctx, store); ok {
				defer s.Close()
				op.Store = s
			}
			status, err := op.Status(ctx, integration, runs)
			if err != nil {
				return err
			}
			return a.emit(status, func(w io.Writer) { printStatus(w, status) })
		},
	}
	integrationFlag(cmd, &integration)
	cmd.Flags().IntVar(&runs, "runs", 10, "how many recent runs to list")
	a.l.str(cmd.Flags(), &store, setStore)
	return cmd
}

// openStoreIfPresent opens the store read-side, but never creates one: a
// SQLite file that does not exist means this machine has none.
func openStoreIfPresent(ctx context.Context, dsn string) (directory.Store, bool) {
	if dsn == "" {
		return nil, false
	}
	if path, ok := sqlitePath(dsn); ok {
		if _, err := os.Stat(path); err != nil {
			return nil, false
		}
	}
	// Read only: status never runs DDL on a production database.
	s, err := directory.OpenWith(ctx, dsn, directory.OpenOptions{MaxConns: 2})
	if err != nil {
		return nil, false
	}
	return s, true
}

func sqlitePath(dsn string) (string, bool) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return "", false
	case strings.HasPrefix(dsn, "sqlite://"):
		return strings.TrimPrefix(dsn, "sqlite://"), true
	case strings.HasPrefix(dsn, "sqlite:"):
		return strings.TrimPrefix(dsn, "sqlite:"), true
	}
	return dsn, true
}

func printStatus(w io.Writer, s ops.Status) {
	if in := s.Integration; in != nil {
		scope := activities.ScopeWords(string(in.Integration.ScopeLevel)) + " scope"
		if in.Integration.ScopeLevel == "" {
			scope = "scope not known yet"
		}
		fmt.Fprintf(w, "Integration %s: %s (%s, %s.onelogin.com)\n", s.IntegrationID, in.Integration.Status, scope, in.Integration.Subdomain)
		if in.Integration.StatusMessage != "" {
			fmt.Fprintf(w, "  %s\n", in.Integration.StatusMessage)
		}
		fmt.Fprintf(w, "  directory: %d users, %d groups, %d roles, %d apps\n", in.Users, in.Groups, in.Roles, in.Apps)
		fmt.Fprintf(w, "  last full sync %s, last incremental %s\n", fmtTime(in.Integration.LastFullSyncAt), fmtTime(in.Integration.LastIncrementalSyncAt))
		if r := in.LastRun; r != nil {
			fmt.Fprintf(w, "  last run %d: %s %s", r.ID, r.Mode, r.Status)
			if r.ErrorCode != "" {
				fmt.Fprintf(w, " (%s)", r.ErrorCode)
			}
			fmt.Fprintf(w, ", started %s\n", fmtTime(r.StartedAt))
		}
	} else {
		fmt.Fprintf(w, "Integration %s (no store record here; pass --store to read it)\n", s.IntegrationID)
	}
	if s.Summary != "" {
		fmt.Fprintf(w, "  => %s\n", s.Summary)
	}
	if s.Schedule != nil {
		printSchedule(w, *s.Schedule)
	} else {
		fmt.Fprintln(w, "No periodic sync.")
	}
	if p := s.Sync; p != nil {
		fmt.Fprintf(w, "Sync running: %s, %d%%  %s\n", p.Phase, percent(p), kindText(p))
	}
	if e := s.Events; e != nil {
		printEvents(w, *e)
	}
	if len(s.Runs) == 0 {
		return
	}
	fmt.Fprintln(w, "Recent runs (newest first):")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  STARTED\tTYPE\tSTATUS\tSYNC\tWORKFLOW ID")
	for _, r := range s.Runs {
		sync := r.SyncStatus
		if sync == "" {
			sync = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", fmtTime(r.Start), r.Type, r.Status, sync, r.WorkflowID)
	}
	_ = tw.Flush()
}
