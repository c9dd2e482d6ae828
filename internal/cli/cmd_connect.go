package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/ops"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/starter"
)

// DefaultSecretEnv is where connect looks for the client secret when no
// file is given.
const DefaultSecretEnv = "OLFLOW_ONELOGIN_CLIENT_SECRET"

func integrationFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVarP(p, "integration", "i", "", "integration id (the product's tenant id)")
	_ = cmd.MarkFlagRequired("integration")
}

func (a *app) requestedBy() string {
	if u := a.Getenv("USER"); u != "" {
		return u + "@olflow-cli"
	}
	return "olflow-cli"
}

// readSecret reads the client secret from a file, stdin ("-") or a
// variable. A flag value would end up in shell history and process lists.
func (a *app) readSecret(file, envName, what string) (seal.Secret, error) {
	var raw []byte
	var err error
	switch file {
	case "":
		v := a.Getenv(envName)
		if strings.TrimSpace(v) == "" {
			return seal.Secret{}, usagef("give the %s with --%s-file PATH, --%s-file - (stdin) or $%s", what, flagStem(what), flagStem(what), envName)
		}
		return seal.NewSecret(strings.TrimSpace(v)), nil
	case "-":
		raw, err = io.ReadAll(io.LimitReader(a.Stdin, 64<<10))
	default:
		raw, err = os.ReadFile(file)
	}
	if err != nil {
		return seal.Secret{}, starter.Refuse(strings.ReplaceAll(what, " ", "_")+"_file", "cannot be read: "+err.Error())
	}
	s := strings.TrimSpace(string(raw))
	clear(raw)
	if s == "" {
		return seal.Secret{}, usagef("the %s read from %s is empty", what, map[bool]string{true: "stdin", false: file}[file == "-"])
	}
	return seal.NewSecret(s), nil
}

// flagStem is "client-secret" for "client secret".
func flagStem(what string) string { return strings.ReplaceAll(what, " ", "-") }

func (a *app) connectCmd() *cobra.Command {
	var (
		in                 starter.ConnectInput
		secretFile, envVar string
		wait               bool
	)
	cmd := &cobra.Command{
		Use:   "connect",
		Short: "Connect a OneLogin tenant: validate the credential, sync, schedule",
		Long: `Validate a OneLogin API credential, record the integration with its secret
sealed, run the first full sync (with a live progress bar) and create the
periodic sync. Connecting again with a new credential rotates it.

The client secret is read from --client-secret-file (a path, or - for
stdin) or from the variable --client-secret-env names; never from a flag.`,
		Example: `  printf %s "$SECRET" | olflow connect -i acme --subdomain acme --client-id abc --client-secret-file -
  OLFLOW_ONELOGIN_CLIENT_SECRET=... olflow connect -i acme --subdomain acme.onelogin.com --client-id abc`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			secret, err := a.readSecret(secretFile, envVar, "client secret")
			if err != nil {
				return err
			}
			in.ClientSecret = secret
			ctx := cmd.Context()
			st, err := a.starter(ctx, true)
			if err != nil {
				return err
			}
			defer st.Close()
			run, err := st.StartConnect(ctx, in)
			if err != nil {
				return err
			}
			if !wait {
				return a.emitStarted(run.GetID(), run.GetRunID())
			}
			since := time.Time{}
			if d, err := st.Client.DescribeWorkflow(ctx, run.GetID(), run.GetRunID()); err == nil {
				since = d.RawResponse.GetWorkflowExecutionInfo().GetStartTime().AsTime()
			}
			var res api.ConnectResult
			err = a.follow(ctx, st, "connect "+in.IntegrationID, api.InitialSyncWorkflowID(in.IntegrationID), since,
				func() error { res, err = run.Get(ctx); return err })
			if err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) { printConnect(w, res) })
		},
	}
	integrationFlag(cmd, &in.IntegrationID)
	fs := cmd.Flags()
	fs.StringVar(&in.Subdomain, "subdomain", "", "OneLogin subdomain: acme, acme.onelogin.com or https://acme.onelogin.com/")
	fs.StringVar(&in.Region, "region", "", "legacy region from old setup guides: us or eu (optional)")
	fs.StringVar(&in.ClientID, "client-id", "", "API credential client ID")
	fs.StringVar(&secretFile, "client-secret-file", "", "file holding the client secret, or - for stdin")
	fs.StringVar(&envVar, "client-secret-env", DefaultSecretEnv, "variable holding the client secret")
	fs.StringVar(&in.RequestedBy, "requested-by", a.requestedBy(), "who asked, for the audit trail")
	fs.DurationVar(&in.SyncInterval, "sync-interval", api.DefaultSyncInterval, "periodic sync interval")
	fs.BoolVar(&wait, "wait", true, "wait for the result, drawing the first sync's progress")
	_ = cmd.MarkFlagRequired("subdomain")
	_ = cmd.MarkFlagRequired("client-id")
	a.l.secret(fs, &a.sealKeys, setSealKeys)
	return cmd
}

func printConnect(w io.Writer, r api.ConnectResult) {
	fmt.Fprintf(w, "Connected %s to %s.onelogin.com (account %d) with %s scope.\n", r.IntegrationID, r.Subdomain, r.AccountID, activities.ScopeWords(r.Scope))
	if !r.CanAct {
		fmt.Fprintln(w, "Limited scope: it syncs, but actions (activate, suspend, groups, roles, passwords) need Manage All.")
	}
	fmt.Fprintf(w, "First sync (%s): %s in %s, %d OneLogin calls.\n", r.Sync.Mode, counts(r.Sync), ops.HumanDuration(r.Sync.Duration), r.Sync.Calls)
	verb := "updated"
	if r.ScheduleCreated {
		verb = "created"
	}
	fmt.Fprintf(w, "Periodic sync %s: %s.\n", verb, r.ScheduleID)
}

func counts(r api.SyncResult) string {
	var parts []string
	for _, kind := range []string{"users", "groups", "roles", "apps"} {
		if st, ok := r.Kinds[kind]; ok && st != nil {
			s := fmt.Sprintf("%d %s", st.Items, kind)
			if st.Deleted > 0 {
				s += fmt.Sprintf(" (%d deleted)", st.Deleted)
			}
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

func (a *app) emitStarted(id, runID string) error {
	v := map[string]string{"WorkflowID": id, "RunID": runID}
	return a.emit(v, func(w io.Writer) { fmt.Fprintf(w, "Started %s (run %s).\n", id, runID) })
}

func (a *app) disconnectCmd() *cobra.Command {
	var integration, by string
	cmd := &cobra.Command{
		Use:   "disconnect",
		Short: "Disconnect an integration: delete its schedule, revoke the token",
		Long: `Delete the periodic sync, revoke the OneLogin token and mark the integration
disconnected. Synced data stays in the store for the product to keep or purge.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.starter(ctx, false)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := st.Disconnect(ctx, api.DisconnectRequest{IntegrationID: integration, RequestedBy: by}); err != nil {
				return err
			}
			v := map[string]string{"IntegrationID": integration, "Status": "disconnected"}
			return a.emit(v, func(w io.Writer) { fmt.Fprintf(w, "Disconnected %s.\n", integration) })
		},
	}
	integrationFlag(cmd, &integration)
	cmd.Flags().StringVar(&by, "requested-by", a.requestedBy(), "who asked, for the audit trail")
	return cmd
}

func (a *app) syncCmd() *cobra.Command {
	var integration, mode string
	var wait bool
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Sync an integration's directory now",
		Long: `Start an on-demand sync, or join the one running. An incremental sync reads
users changed since the last one; a full sync reads everything and deletes
what OneLogin no longer has. With --wait it draws a live progress bar.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, err := a.starter(ctx, false)
			if err != nil {
				return err
			}
			defer st.Close()
			run, err := st.StartSync(ctx, api.SyncRequest{IntegrationID: integration, Mode: mode})
			if err != nil {
				return err
			}
			if !wait {
				return a.emitStarted(run.GetID(), run.GetRunID())
			}
			var res api.SyncResult
			err = a.follow(ctx, st, "sync "+integration, run.GetID(), time.Time{}, func() error { res, err = run.Get(ctx); return err })
			if err != nil {
				return err
			}
			return a.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "Sync of %s (%s, run %d) %s: %s in %s, %d OneLogin calls.\n", res.IntegrationID, res.Mode,
					res.RunID, res.Status, counts(res), ops.HumanDuration(res.Duration), res.Calls)
			})
		},
	}
	integrationFlag(cmd, &integration)
	cmd.Flags().StringVar(&mode, "mode", api.ModeIncremental, "incremental or full")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the result, drawing a live progress bar")
	return cmd
}

// withTimeout bounds a short command.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, time.Minute)
}
