package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/olflow/olflow/codec"
	"github.com/olflow/olflow/ops"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/starter"
)

func (a *app) replayCmd() *cobra.Command {
	var (
		workflowID, runID, query string
		files                    []string
		limit                    int
		failedSince              time.Duration
	)
	cmd := &cobra.Command{
		Use:   "replay [history.json...]",
		Short: "Replay runs against this build's workflow code (does it still replay? where does it diverge?)",
		Long: `Replay workflow histories against the workflow code of this binary, to check
that a fix or a deploy does not break runs in flight. Histories come from
the server (decoded with the codec keys), from files exported with
'temporal workflow show --output json' or the UI, or from every run a
visibility query matches. Each run prints OK or where it diverges.
Exit code 1 when any run does not replay; 2 when a file is not a workflow
history (missing, empty, truncated or another kind of JSON).`,
		Example: `  olflow replay --workflow-id onelogin-sync/acme
  olflow replay testsuite/testdata/histories/v0.1.0/*.json
  olflow replay --failed-since 24h
  olflow replay --query "OneLoginIntegration = 'acme' AND ExecutionStatus = 'Failed'"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			files = append(files, args...)
			if failedSince > 0 {
				if query != "" {
					return usagef("give --query or --failed-since, not both")
				}
				query = FailedSinceQuery(time.Now().Add(-failedSince))
			}
			sources := 0
			for _, given := range []bool{workflowID != "", query != "", len(files) > 0} {
				if given {
					sources++
				}
			}
			if sources != 1 {
				return usagef("give one of: --workflow-id, --query or --failed-since, or history files")
			}
			var results []ops.ReplayResult
			if len(files) > 0 {
				keys, err := keyring(setCodecKeys, a.codecKeys)
				if err != nil {
					return err
				}
				for _, f := range files {
					res, err := ops.ReplayHistoryFile(f, codec.DataConverter(keys))
					if err != nil {
						return err // not a history: invalid_input, exit 2
					}
					results = append(results, res)
				}
			} else {
				ctx := cmd.Context()
				op, err := a.dialOps(ctx)
				if err != nil {
					return err
				}
				defer op.Close()
				if workflowID != "" {
					results = append(results, op.ReplayExecution(ctx, workflowID, runID))
				} else if results, err = op.ReplayQuery(ctx, query, limit); err != nil {
					return err
				}
			}
			if err := a.emit(results, func(w io.Writer) { printReplay(w, results) }); err != nil {
				return err
			}
			for _, r := range results {
				if !r.OK {
					return errReplayFailed
				}
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVarP(&workflowID, "workflow-id", "w", "", "replay this workflow's run from the server")
	fs.StringVarP(&runID, "run-id", "r", "", "with --workflow-id: this run (default: the latest)")
	fs.StringVarP(&query, "query", "q", "", "replay every run this visibility query matches")
	fs.DurationVar(&failedSince, "failed-since", 0, "replay every run that failed in this window (e.g. 24h)")
	fs.StringSliceVarP(&files, "file", "f", nil, "replay a history file (repeatable; also as arguments)")
	fs.IntVar(&limit, "limit", 100, "with --query: at most this many runs")
	return cmd
}

// errReplayFailed makes the exit code 1 after the results are printed.
var errReplayFailed = &shownError{&starter.Error{Code: "nondeterministic", Field: "replay", Message: "some runs do not replay against this build"}}

// FailedSinceQuery is the visibility query for runs that failed after t.
func FailedSinceQuery(t time.Time) string {
	return fmt.Sprintf("ExecutionStatus = 'Failed' AND CloseTime > '%s'", t.UTC().Format(time.RFC3339))
}

func printReplay(w io.Writer, results []ops.ReplayResult) {
	bad := 0
	for _, r := range results {
		name := r.Source
		if r.WorkflowID != "" {
			name = r.WorkflowID + " (run " + r.RunID + ")"
		}
		if r.OK {
			fmt.Fprintf(w, "OK        %s: %s, %d events replay\n", name, r.WorkflowType, r.Events)
			continue
		}
		bad++
		if r.Unreadable != "" {
			fmt.Fprintf(w, "UNREADABLE %s: %s\n", name, r.Unreadable)
			continue
		}
		fmt.Fprintf(w, "DIVERGES  %s: %s\n", name, r.WorkflowType)
		if d := r.Divergence; d != nil {
			fmt.Fprintf(w, "          %s\n", describeDivergence(d))
		}
		fmt.Fprintf(w, "          %s\n", r.Error)
	}
	fmt.Fprintf(w, "%d of %d runs replay.\n", len(results)-bad, len(results))
}

// describeDivergence says in one line where a run stopped replaying.
func describeDivergence(d *ops.Divergence) string {
	at := "at the end of its history"
	if d.EventID != 0 {
		at = strings.TrimSpace(fmt.Sprintf("at event %d %s %s", d.EventID, d.EventType, d.Detail))
	}
	switch d.Kind {
	case "missing_command":
		return at + ": history has this step, this build no longer takes it"
	case "extra_command":
		return "this build takes a step the history lacks: " + d.Command
	case "mismatch":
		return at + ": this build takes another step there: " + d.Command
	case "version":
		return "a version gate no longer supports the recorded version (" + d.Detail + ")"
	}
	return at
}

func (a *app) keygenCmd() *cobra.Command {
	var id string
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Print a new key entry for OLFLOW_CODEC_KEYS or OLFLOW_SEAL_KEYS",
		Long: `Print a new random 256-bit key as an id:base64 entry. To rotate, put the new
entry first and keep the old ones after it: new data is sealed with the
first key, and every listed key still opens what it sealed.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if id == "" {
				return usagef("--id must not be empty")
			}
			k, err := seal.GenerateKey()
			if err != nil {
				return err
			}
			entry := id + ":" + k
			if _, err := seal.ParseKeyring(entry); err != nil {
				return usagef("--id: %v", err)
			}
			return a.emit(map[string]string{"Entry": entry}, func(w io.Writer) { fmt.Fprintln(w, entry) })
		},
	}
	cmd.Flags().StringVar(&id, "id", time.Now().UTC().Format("k20060102"), "key id (letters, digits, _ and -)")
	return cmd
}
