package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/ops"
)

// actionGroupCmd groups commands about one action request.
func (a *app) actionGroupCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "action", Short: "Look at an action request: its per-user outcomes", Args: cobra.NoArgs}
	cmd.AddCommand(a.actionShowCmd())
	return cmd
}

func (a *app) actionShowCmd() *cobra.Command {
	var (
		integration, requestID, store string
		failed                        bool
		after                         int64
		limit                         int
	)
	cmd := &cobra.Command{
		Use:   "show",
		Short: "Page a bulk action's per-user outcomes from the store",
		Long: `Page a bulk action's per-user outcomes, by OneLogin user id, from the
directory store the workers write (bulk actions keep counts in Temporal and
each user's outcome in the store). --failed shows only the failures; a page
ends with the --after value of the next one.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := withTimeout(cmd.Context())
			defer cancel()
			o := &ops.Ops{}
			if s, ok := openStoreIfPresent(ctx, store); ok {
				defer s.Close()
				o.Store = s
			}
			f := directory.OutcomeFilter{After: after, Limit: limit}
			if failed {
				f.Outcome = directory.OutcomeFailed
			}
			page, err := o.ActionOutcomes(ctx, integration, requestID, f)
			if err != nil {
				return err
			}
			return a.emit(page, func(w io.Writer) { printOutcomes(w, page) })
		},
	}
	integrationFlag(cmd, &integration)
	cmd.Flags().StringVar(&requestID, "request-id", "", "the action's request id")
	_ = cmd.MarkFlagRequired("request-id")
	cmd.Flags().BoolVar(&failed, "failed", false, "only the users that failed")
	cmd.Flags().Int64Var(&after, "after", 0, "start after this OneLogin user id (the previous page's next)")
	cmd.Flags().IntVar(&limit, "limit", 100, "users per page (at most 1000)")
	a.l.str(cmd.Flags(), &store, setStore)
	return cmd
}

func printOutcomes(w io.Writer, p ops.ActionOutcomes) {
	c := p.Counts
	fmt.Fprintf(w, "request %s on %s: %d users: %d changed, %d already done, %d failed", p.RequestID, p.IntegrationID,
		c.Total(), c.Changed, c.AlreadyDone, c.Failed)
	if c.WouldChange > 0 {
		fmt.Fprintf(w, ", %d would change", c.WouldChange)
	}
	fmt.Fprintln(w, ".")
	for _, o := range p.Outcomes {
		fmt.Fprintf(w, "  user %d: %s", o.UserID, o.Outcome)
		if o.ErrorCode != "" {
			fmt.Fprintf(w, " [%s] %s", o.ErrorCode, o.Message)
		}
		fmt.Fprintln(w)
	}
	if p.Next != 0 {
		fmt.Fprintf(w, "next page: --after %d\n", p.Next)
	}
}
