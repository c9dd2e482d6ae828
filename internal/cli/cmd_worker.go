package cli

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/olflow/olflow/directory"

	"github.com/spf13/cobra"
	tlog "go.temporal.io/sdk/log"

	"github.com/olflow/olflow/codec"
	"github.com/olflow/olflow/internal/serve"
	"github.com/olflow/olflow/worker"
)

func (a *app) quietLogger() tlog.Logger {
	return tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(a.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
}

// workerFlags binds the worker's settings; the demo reuses them.
func (a *app) workerFlags(cmd *cobra.Command, cfg *worker.Config) {
	fs := cmd.Flags()
	a.l.secret(fs, &a.sealKeys, setSealKeys)
	a.l.str(fs, &cfg.StoreDSN, setStore)
	a.l.integer(fs, &cfg.StoreMaxConns, setStoreConns)
	a.l.str(fs, &a.migrate, setMigrate)
	a.l.str(fs, &cfg.OneLoginBaseURL, setBaseURL)
	a.l.str(fs, &cfg.MetricsAddr, setMetricsAddr)
	a.l.str(fs, &cfg.Log.Level, setLogLevel)
	a.l.str(fs, &cfg.Log.Format, setLogFormat)
	a.l.integer(fs, &cfg.MaxConcurrentActivities, setMaxActs)
	a.l.integer(fs, &cfg.MaxConcurrentWorkflowTasks, setMaxWFTasks)
	a.l.integer(fs, &cfg.SyncParallelism, setParallelism)
	a.l.duration(fs, &cfg.ShutdownTimeout, setShutdown)
	a.l.str(fs, &cfg.Deployment.Name, setDeployment)
	a.l.str(fs, &cfg.Deployment.BuildID, setBuildID)
}

// workerConfig completes cfg from the connection settings.
func (a *app) workerConfig(cfg worker.Config) (worker.Config, error) {
	var err error
	if cfg.Temporal, err = a.connOptions(); err != nil {
		return cfg, err
	}
	cfg.TaskQueue = a.taskQueue
	if cfg.MigrateStore, err = migrateAtStart(a.migrate, cfg.StoreDSN); err != nil {
		return cfg, err
	}
	if cfg.SealKeys, err = keyring(setSealKeys, a.sealKeys); err != nil {
		return cfg, err
	}
	if cfg.Log.Output == nil {
		cfg.Log.Output = a.Stderr
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usagef("%v", err)
	}
	return cfg, nil
}

func (a *app) workerCmd() *cobra.Command {
	var cfg worker.Config
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a worker: every olflow workflow and activity on the task queue",
		Long: `Run a worker until SIGINT or SIGTERM. On a stop it stops polling and gives
running activities --shutdown-timeout to finish (they heartbeat, so a
sync cut short resumes where it was on another worker).

It serves /metrics (Prometheus), /healthz and /readyz on --metrics-addr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.workerConfig(cfg)
			if err != nil {
				return err
			}
			return worker.Run(cmd.Context(), c)
		},
	}
	a.workerFlags(cmd, &cfg)
	return cmd
}

func (a *app) codecServerCmd() *cobra.Command {
	var (
		addr, tokens, level, format string
		origins                     []string
	)
	cmd := &cobra.Command{
		Use:   "codec-server",
		Short: "Serve the payload codec for the Temporal UI and CLI",
		Long: `Serve the payload codec over HTTP so the Temporal Web UI and CLI can show
decrypted payloads:

  temporal workflow show --workflow-id onelogin-connect/acme \
    --codec-endpoint http://127.0.0.1:8081/default --codec-auth "Bearer $TOKEN"

Every request needs one of the bearer tokens (OLFLOW_CODEC_TOKENS), in an
Authorization header or, for the Web UI which cannot send one, in the
endpoint's path: http://127.0.0.1:8081/token/$TOKEN. Browsers are allowed
from --origins only. Client secrets stay sealed in what it decodes.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			keys, err := keyring(setCodecKeys, a.codecKeys)
			if err != nil {
				return err
			}
			if keys == nil {
				return usagef("the codec server needs the payload keys: set %s or %s", setCodecKeys.Env, setCodecKeys.FlagName())
			}
			zl, err := worker.NewLogger(worker.LogConfig{Level: level, Format: format, Output: a.Stderr})
			if err != nil {
				return usagef("%v", err)
			}
			h, err := codec.NewHandler(codec.ServerOptions{Codec: codec.New(keys), Tokens: splitList(tokens),
				Origins: origins, Logger: slog.New(worker.SlogHandler(zl))})
			if err != nil {
				return usagef("%v", err)
			}
			ln, err := serve.Listen(addr)
			if err != nil {
				return err
			}
			zl.Sugar().Infow("codec server listening", "addr", ln.Addr().String(), "origins", origins, "keys", keys.IDs())
			return serve.Serve(cmd.Context(), ln, h)
		},
	}
	fs := cmd.Flags()
	a.l.str(fs, &addr, setCodecAddr)
	a.l.secret(fs, &tokens, setCodecTokens)
	a.l.list(fs, &origins, setCodecOrigins)
	a.l.str(fs, &level, setLogLevel)
	a.l.str(fs, &format, setLogFormat)
	return cmd
}

// migrateAtStart reads --migrate: auto applies migrations to SQLite (the
// embedded default, one process) and never to PostgreSQL, whose schema
// changes belong to a deploy step (olflow migrate) run once, not to every
// worker that starts.
func migrateAtStart(setting, dsn string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(setting)) {
	case "", "auto":
		return !directory.IsPostgres(dsn), nil
	case "true", "yes", "1":
		return true, nil
	case "false", "no", "0":
		return false, nil
	}
	return false, usagef("--migrate %q: use auto, true or false", setting)
}

func (a *app) migrateCmd() *cobra.Command {
	var dsn string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply the directory store's pending schema migrations",
		Long: `Apply the store's pending schema migrations, then exit. Run it once per
deploy, before the new workers start, against PostgreSQL (workers apply
them to SQLite themselves; see --migrate on olflow worker). Other commands
never run DDL: a store that needs migrating makes them fail with a message
that says to run this.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			applied, err := directory.Migrate(cmd.Context(), dsn)
			if err != nil {
				return err
			}
			out := map[string]any{"Applied": applied}
			return a.emit(out, func(w io.Writer) {
				if len(applied) == 0 {
					fmt.Fprintln(w, "The store's schema is up to date.")
					return
				}
				fmt.Fprintf(w, "Applied %d migrations: %s.\n", len(applied), strings.Join(applied, ", "))
			})
		},
	}
	a.l.str(cmd.Flags(), &dsn, setStore)
	return cmd
}
