package worker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"
	"go.uber.org/zap"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/internal/serve"
	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/temporalclient"
)

// Defaults for Config.
const (
	DefaultStoreDSN                   = "sqlite://olflow.db"
	DefaultMetricsAddr                = "127.0.0.1:9090"
	DefaultMaxConcurrentActivities    = 100
	DefaultMaxConcurrentWorkflowTasks = 100
	DefaultShutdownTimeout            = 30 * time.Second
)

// Config is everything a worker process needs. The cmd layer fills it from
// flags and OLFLOW_* variables.
type Config struct {
	Temporal  temporalclient.Options
	TaskQueue string
	// StoreDSN is a directory.Open DSN (default: SQLite file olflow.db).
	StoreDSN string
	// StoreMaxConns bounds the store's connections (0: the DSN's, else 8).
	StoreMaxConns int
	// MigrateStore applies pending schema migrations at start; without it
	// a store that needs them stops the worker with a message to run
	// olflow migrate.
	MigrateStore bool
	// SealKeys open the sealed client secrets (the starter's keys).
	SealKeys *seal.Keyring
	// OneLoginBaseURL replaces https://<subdomain>.onelogin.com; for the
	// simulator and tests only. It may contain {subdomain}.
	OneLoginBaseURL string
	// MetricsAddr serves /metrics, /healthz and /readyz; "" turns it off.
	MetricsAddr string
	Log         LogConfig
	// Concurrency limits (0: the defaults above).
	MaxConcurrentActivities    int
	MaxConcurrentWorkflowTasks int
	// SyncParallelism is how many user pages a full read fetches at once.
	SyncParallelism int
	// ShutdownTimeout is how long running activities may keep running (and
	// heartbeating) after a stop is asked for, before they are cancelled
	// and left to retry on another worker.
	ShutdownTimeout time.Duration
	// Deployment turns Worker Versioning on when it has a name.
	Deployment Deployment
	// Ready, when set, is called once the worker polls, with the address
	// the metrics and health endpoints listen on ("" when off).
	Ready func(metricsAddr string)
}

func (c Config) withDefaults() Config {
	if c.TaskQueue == "" {
		c.TaskQueue = api.TaskQueue
	}
	if c.StoreDSN == "" {
		c.StoreDSN = DefaultStoreDSN
	}
	if c.MaxConcurrentActivities <= 0 {
		c.MaxConcurrentActivities = DefaultMaxConcurrentActivities
	}
	if c.MaxConcurrentWorkflowTasks <= 0 {
		c.MaxConcurrentWorkflowTasks = DefaultMaxConcurrentWorkflowTasks
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	c.Deployment = c.Deployment.withDefaults()
	return c
}

// Validate reports what is missing before anything is opened.
func (c Config) Validate() error {
	var errs []error
	if c.SealKeys.NewestID() == "" {
		errs = append(errs, errors.New("sealing keys are required (OLFLOW_SEAL_KEYS)"))
	}
	if c.Temporal.CodecKeys.NewestID() == "" {
		errs = append(errs, errors.New("payload codec keys are required (OLFLOW_CODEC_KEYS)"))
	}
	if err := c.Deployment.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Run runs a worker until ctx ends, then stops it gracefully: it stops
// polling, lets running activities finish (heartbeating) for up to
// ShutdownTimeout, and closes the client and the store.
func Run(ctx context.Context, cfg Config) error {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	zl, err := NewLogger(cfg.Log)
	if err != nil {
		return err
	}
	defer func() { _ = zl.Sync() }()
	logger := SDKLogger(zl)

	metrics := NewMetrics()
	defer func() { _ = metrics.Close() }()

	var health healthState
	var ln net.Listener
	if cfg.MetricsAddr != "" {
		if ln, err = serve.Listen(cfg.MetricsAddr); err != nil {
			return fmt.Errorf("metrics address: %w", err)
		}
		// Serve closes it on a normal stop; an early return (the store or
		// Temporal unreachable) must not leave the port bound.
		defer func() { _ = ln.Close() }()
	}

	store, err := directory.OpenWith(ctx, cfg.StoreDSN, directory.OpenOptions{MaxConns: cfg.StoreMaxConns, Migrate: cfg.MigrateStore})
	if err != nil {
		return fmt.Errorf("open the store: %w", err)
	}
	defer func() { _ = store.Close() }()

	topts := cfg.Temporal
	topts.Logger, topts.MetricsHandler = logger, metrics.SDK()
	c, err := temporalclient.Dial(ctx, topts)
	if err != nil {
		return err
	}
	defer c.Close()
	health.client = c

	fatal := make(chan error, 1)
	w, err := New(c, cfg.TaskQueue, Deps{
		Store: store, Keys: cfg.SealKeys,
		// A full read's pages in flight, plus the other kinds and an action,
		// each on a kept-alive connection (one TLS handshake, not one per call).
		OneLogin: onelogin.Config{BaseURL: cfg.OneLoginBaseURL, OnCall: metrics.OnCall,
			MaxConnsPerHost: max(cfg.SyncParallelism, activities.DefaultFullReadParallelism) + 4},
		Sync:          activities.Config{FullReadParallelism: cfg.SyncParallelism},
		DataConverter: topts.DataConverter(),
	}, cfg.workerOptions(metrics.Interceptor(), func(err error) {
		select {
		case fatal <- err:
		default: // the first one stops the worker already
		}
	}))
	if err != nil {
		return err
	}

	httpDone := make(chan error, 1)
	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHTTP()
	addr := ""
	if ln != nil {
		addr = ln.Addr().String()
		go func() { httpDone <- serve.Serve(httpCtx, ln, health.mux(metrics.Handler())) }()
	} else {
		close(httpDone)
	}

	if err := w.Start(); err != nil {
		return fmt.Errorf("start the worker: %w", err)
	}
	health.ready.Store(true)
	zl.Info("worker started", zap.String("task_queue", cfg.TaskQueue), zap.String("namespace", topts.Namespace),
		zap.String("address", topts.Address), zap.String("metrics", addr),
		zap.Strings("codec_keys", topts.CodecKeys.IDs()), zap.Strings("seal_keys", cfg.SealKeys.IDs()),
		zap.String("deployment", cfg.Deployment.Name), zap.String("build_id", cfg.Deployment.BuildID))
	if cfg.Ready != nil {
		cfg.Ready(addr)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-fatal:
		zl.Error("worker failed", zap.Error(runErr))
	}
	health.ready.Store(false)
	zl.Info("worker stopping: running activities get time to finish", zap.Duration("timeout", cfg.ShutdownTimeout))
	w.Stop()
	zl.Info("worker stopped")
	stopHTTP()
	if err := <-httpDone; err != nil && runErr == nil {
		runErr = err
	}
	return runErr
}

// workerOptions are the SDK worker's options for cfg (with defaults).
func (c Config) workerOptions(metrics interceptor.WorkerInterceptor, onFatal func(error)) sdkworker.Options {
	return sdkworker.Options{
		MaxConcurrentActivityExecutionSize:     c.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize: c.MaxConcurrentWorkflowTasks,
		WorkerStopTimeout:                      c.ShutdownTimeout,
		// Sync activities heartbeat their page counts; sending them every
		// second (not every 48s, 0.8 x their heartbeat timeout) keeps
		// progress bars and the UI live for one small call a second.
		MaxHeartbeatThrottleInterval: time.Second,
		Interceptors:                 []interceptor.WorkerInterceptor{metrics},
		OnFatalError:                 onFatal,
		DeploymentOptions:            c.Deployment.Options(),
	}
}

// healthState answers /healthz (the process is up) and /readyz (the worker
// polls and Temporal answers).
type healthState struct {
	ready  atomic.Bool
	client client.Client
}

func (h *healthState) mux(metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !h.ready.Load() {
			http.Error(w, "not ready: starting or stopping", http.StatusServiceUnavailable)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if _, err := h.client.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
			http.Error(w, "not ready: Temporal does not answer", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	return mux
}
