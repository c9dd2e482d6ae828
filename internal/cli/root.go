// Package cli is the olflow command: cobra commands over the worker,
// codec and starter packages. cmd/olflow only calls Main; the tests run the
// same commands in process.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/ops"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/starter"
	"github.com/olflow/olflow/temporalclient"
)

// Env is what a command run sees of its process.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// OSEnv is the real process.
func OSEnv() Env {
	return Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
}

// Main runs the olflow command line and returns the exit code: 0, 1 for
// a failure, 2 for a usage error.
func Main(ctx context.Context, args []string, env Env, opts ...Option) int {
	a := &app{Env: env, l: &loader{getenv: env.Getenv}}
	for _, o := range opts {
		o(a)
	}
	root := a.root()
	root.SetArgs(args)
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	for _, prefix := range []string{"unknown command", "required flag(s)", "accepts ", "if any flags in the group"} {
		if strings.HasPrefix(err.Error(), prefix) {
			err = usagef("%v", err) // cobra's own: a command line mistake
		}
	}
	if !a.json && slices.Contains(args, "--json") {
		a.json = true // the mistake came before flags were parsed
	}
	return a.report(err)
}

type app struct {
	Env
	l    *loader
	json bool
	// newTenant, when set, offers the demo (cmd/olflow-demo only).
	newTenant NewDemoTenant

	temporal  temporalclient.Options
	taskQueue string
	apiKey    string
	codecKeys string
	migrate   string
	sealKeys  string
}

// usageError is a mistake on the command line (exit code 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

func (a *app) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "olflow",
		Short: "olflow: the OneLogin integration on Temporal",
		Long: `olflow connects OneLogin tenants, keeps their directories in sync and runs
identity actions as Temporal workflows. Every flag defaults to its OLFLOW_*
variable; secrets come from variables or --*-file flags, never from flags.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.l.resolve()
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{msg: err.Error()} })
	pf := root.PersistentFlags()
	pf.BoolVar(&a.json, "json", false, "print results as JSON (for scripts)")
	a.l.str(pf, &a.temporal.Address, setAddress)
	a.l.str(pf, &a.temporal.Namespace, setNamespace)
	a.l.str(pf, &a.taskQueue, setTaskQueue)
	a.l.boolean(pf, &a.temporal.TLS, setTLS)
	a.l.str(pf, &a.temporal.TLSCertFile, setTLSCert)
	a.l.str(pf, &a.temporal.TLSKeyFile, setTLSKey)
	a.l.str(pf, &a.temporal.TLSCAFile, setTLSCA)
	a.l.str(pf, &a.temporal.TLSServerName, setTLSServer)
	a.l.secret(pf, &a.apiKey, setAPIKey)
	a.l.secret(pf, &a.codecKeys, setCodecKeys)

	root.AddGroup(&cobra.Group{ID: "integrations", Title: "Integrations:"},
		&cobra.Group{ID: "actions", Title: "Identity actions (one workflow each):"},
		&cobra.Group{ID: "ops", Title: "Running and on-call:"})
	for _, c := range []*cobra.Command{a.connectCmd(), a.disconnectCmd(), a.syncCmd(), a.scheduleCmd(), a.statusCmd()} {
		c.GroupID = "integrations"
		root.AddCommand(c)
	}
	for _, c := range []*cobra.Command{a.workerCmd(), a.codecServerCmd(), a.webhookServerCmd(), a.replayCmd(), a.keygenCmd(), a.versionCmd(), a.migrateCmd(), a.actionGroupCmd()} {
		c.GroupID = "ops"
		root.AddCommand(c)
	}
	if a.newTenant != nil {
		root.AddCommand(a.demoCmd())
	}
	root.AddCommand(a.actionCmds()...)
	return root
}

// keyring parses a key list; empty gives nil (no keys).
func keyring(setting Setting, text string) (*seal.Keyring, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	k, err := seal.ParseKeyring(text)
	if err != nil {
		return nil, usagef("%s: %v", setting.Env, err) // configuration, like a bad flag
	}
	return k, nil
}

// connOptions are the Temporal connection settings with the codec keys.
func (a *app) connOptions() (temporalclient.Options, error) {
	o := a.temporal
	o.APIKey = a.apiKey
	keys, err := keyring(setCodecKeys, a.codecKeys)
	if err != nil {
		return o, err
	}
	o.CodecKeys = keys
	return o, nil
}

// starter is the product API over a lazy Temporal client: the connection
// is made by the first call that needs it, so every input the starter
// checks is refused as invalid_input before anything reaches Temporal
// (and whether or not Temporal is up). Commands that start workflows need
// codec keys (the codec refuses to write plaintext); connect also needs
// sealing keys.
func (a *app) starter(_ context.Context, needSeal bool) (*starter.Starter, error) {
	o, err := a.connOptions()
	if err != nil {
		return nil, err
	}
	keys, err := keyring(setSealKeys, a.sealKeys)
	if err != nil {
		return nil, err
	}
	if needSeal && keys == nil {
		return nil, usagef("this command needs the sealing keys the workers use: set %s or %s", setSealKeys.Env, setSealKeys.FlagName())
	}
	o.Logger = a.quietLogger()
	c, err := lazyClient(o)
	if err != nil {
		return nil, err
	}
	return &starter.Starter{Client: c, Keys: keys, TaskQueue: a.taskQueue, DataConverter: o.DataConverter()}, nil
}

// dialOps is the operator API (status, schedules, progress, replay) over a
// lazy client, so its inputs too are checked before Temporal is reached.
func (a *app) dialOps(_ context.Context) (*ops.Ops, error) {
	o, err := a.connOptions()
	if err != nil {
		return nil, err
	}
	o.Logger = a.quietLogger()
	c, err := lazyClient(o)
	if err != nil {
		return nil, err
	}
	return &ops.Ops{Client: c, DataConverter: o.DataConverter()}, nil
}

// lazyClient makes the Temporal client without connecting: the first call
// that needs the server connects.
func lazyClient(o temporalclient.Options) (client.Client, error) {
	co, err := o.ClientOptions()
	if err != nil {
		return nil, err
	}
	c, err := client.NewLazyClient(co)
	if err != nil {
		return nil, fmt.Errorf("temporal at %s: %w", co.HostPort, err)
	}
	return c, nil
}

// opsFor is the operator API over a starter's client, for commands that
// start a workflow and then follow it.
func (a *app) opsFor(st *starter.Starter) (*ops.Ops, error) {
	o, err := a.connOptions()
	if err != nil {
		return nil, err
	}
	return &ops.Ops{Client: st.Client, DataConverter: o.DataConverter()}, nil
}

// emit prints v as JSON with --json, or the human form.
func (a *app) emit(v any, human func(w io.Writer)) error {
	if a.json {
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	human(a.Stdout)
	return nil
}

// shownError is a failure the command's output already reports, as
// replay's per-run results do. It still sets the exit code.
type shownError struct{ err *starter.Error }

func (e *shownError) Error() string { return e.err.Error() }
func (e *shownError) Unwrap() error { return e.err }

// transportCode is the code of a failure that is not olflow's own: the
// Temporal frontend's refusals and an unreachable server. What none of
// them explains stays "error".
func transportCode(err error) errcode.Code {
	var (
		unavailable *serviceerror.Unavailable
		deadline    *serviceerror.DeadlineExceeded
		invalid     *serviceerror.InvalidArgument
		notFound    *serviceerror.NotFound
		exhausted   *serviceerror.ResourceExhausted
		internal    *serviceerror.Internal
		netErr      net.Error
	)
	switch {
	case errors.As(err, &unavailable), errors.As(err, &deadline), errors.As(err, &netErr), errors.Is(err, context.DeadlineExceeded):
		return errcode.Network
	case errors.As(err, &invalid):
		return errcode.InvalidInput // e.g. "Blob data size exceeds limit."
	case errors.As(err, &notFound):
		return errcode.NotFound
	case errors.As(err, &exhausted):
		return errcode.RateLimited
	case errors.As(err, &internal):
		return errcode.ServerError
	}
	return "error"
}

// report prints an error with its code and human message, and returns the
// exit code. It is the one error printer.
func (a *app) report(err error) int {
	code, field, msg, exit := "error", "", err.Error(), 1
	usage := false
	var ue *usageError
	var se *starter.Error
	switch {
	case errors.As(err, &ue):
		code, exit, usage = "usage", 2, true
	case errors.As(err, &se):
		code, field, msg = string(se.Code), se.Field, se.Message
		var uf *usersFailedError
		if se.Code == errcode.InvalidInput && !errors.As(err, &uf) {
			exit = 2 // the caller's input, like a usage error: retrying cannot help
		}
	case errcode.Of(err) != "":
		code, msg = string(errcode.Of(err)), starter.Message(err)
	case errors.Is(err, context.Canceled):
		code, msg = "canceled", "interrupted"
	default:
		code = string(transportCode(err))
	}
	if a.json {
		var shown *shownError
		if errors.As(err, &shown) {
			// The output document already says what failed; a second JSON
			// document would break scripts that parse stdout.
			return exit
		}
		out := map[string]any{"error": map[string]string{"code": code, "message": msg, "field": field}}
		b, _ := json.Marshal(out)
		fmt.Fprintln(a.Stdout, string(b))
		return exit
	}
	if field != "" {
		msg = field + ": " + msg
	}
	fmt.Fprintf(a.Stderr, "olflow: %s: %s\n", code, msg)
	if usage {
		fmt.Fprintln(a.Stderr, "Run 'olflow --help' for usage.")
	}
	return exit
}
