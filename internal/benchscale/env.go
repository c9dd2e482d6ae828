package benchscale

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	sdktest "go.temporal.io/sdk/testsuite"
	"golang.org/x/sync/errgroup"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/codec"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/ops"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/starter"
	"github.com/olflow/olflow/temporalclient"
	"github.com/olflow/olflow/worker"
)

// env is one dev server, one HTTP front for every simulated tenant, one
// worker and the clients the phases start workflows with.
type env struct {
	cfg     Config
	dir     string
	dev     *sdktest.DevServer
	client  client.Client
	sims    *simMux
	simURL  string
	simSrv  *http.Server
	starter *starter.Starter
	ops     *ops.Ops
	worker  workerProc
	keys    *seal.Keyring
	// big is the big full sync's tenant, reused by the 5xx phase.
	big *olsim.Server
}

// simMux routes /t/<subdomain>/… to that tenant's simulator, so one port
// serves every account and the worker's base URL holds {subdomain}.
type simMux struct {
	mu   sync.RWMutex
	sims map[string]*olsim.Server
}

func (m *simMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sub, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/t/"), "/")
	m.mu.RLock()
	s := m.sims[strings.ToLower(sub)]
	m.mu.RUnlock()
	if s == nil {
		http.NotFound(w, r)
		return
	}
	s.ServeHTTP(w, r)
}

func (m *simMux) add(s *olsim.Server) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sims[s.Options().Subdomain] = s
}

func quietLogger() tlog.Logger {
	return tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// startEnv starts the dev server (tuned or as the CLI defaults it), the
// simulator front and the worker.
func startEnv(ctx context.Context, cfg Config, tuned bool) (_ *env, err error) {
	e := &env{cfg: cfg, sims: &simMux{sims: map[string]*olsim.Server{}}}
	defer func() {
		if err != nil {
			e.stop()
		}
	}()
	if e.dir, err = os.MkdirTemp("", "benchscale-"); err != nil {
		return nil, err
	}
	var extra []string
	if tuned {
		extra = temporalclient.DevServerArgs()
	}
	e.dev, err = sdktest.StartDevServer(ctx, sdktest.DevServerOptions{
		ExistingPath:     cfg.TemporalCLI,
		ClientOptions:    &client.Options{Namespace: "default", Logger: quietLogger()},
		SearchAttributes: api.SearchAttributes(),
		LogLevel:         "error",
		DBFilename:       filepath.Join(e.dir, "temporal.db"),
		ExtraArgs:        extra,
		Stdout:           io.Discard,
		Stderr:           io.Discard,
	})
	if err != nil {
		return nil, fmt.Errorf("start dev server: %w", err)
	}
	codecKey, err := seal.GenerateKey()
	if err != nil {
		return nil, err
	}
	sealKey, err := seal.GenerateKey()
	if err != nil {
		return nil, err
	}
	codecKeys, sealKeys := "bench-codec:"+codecKey, "bench-seal:"+sealKey
	ck, err := seal.ParseKeyring(codecKeys)
	if err != nil {
		return nil, err
	}
	if e.keys, err = seal.ParseKeyring(sealKeys); err != nil {
		return nil, err
	}
	e.client, err = temporalclient.Dial(ctx, temporalclient.Options{Address: e.dev.FrontendHostPort(),
		CodecKeys: ck, Logger: quietLogger()})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e.simSrv = &http.Server{Handler: e.sims, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = e.simSrv.Serve(ln) }()
	e.simURL = "http://" + ln.Addr().String()
	const queue = "olflow-bench"
	e.starter = &starter.Starter{Client: e.client, Keys: e.keys, TaskQueue: queue}
	e.ops = &ops.Ops{Client: e.client, DataConverter: codec.DataConverter(ck)}
	wcfg := workerSettings{address: e.dev.FrontendHostPort(), queue: queue, codecKeys: codecKeys, sealKeys: sealKeys,
		store: "sqlite://" + filepath.Join(e.dir, "olflow.db"), baseURL: e.simURL + "/t/{subdomain}",
		parallelism: cfg.Parallelism, log: filepath.Join(e.dir, "worker.log")}
	if cfg.Olflow != "" {
		e.worker, err = startWorkerProcess(ctx, cfg.Olflow, wcfg)
	} else {
		e.worker, err = startWorkerInProcess(ctx, wcfg)
	}
	if err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	return e, nil
}

func (e *env) stop() {
	if e.worker != nil {
		e.worker.stop()
	}
	if e.simSrv != nil {
		_ = e.simSrv.Close()
	}
	if e.client != nil {
		e.client.Close()
	}
	if e.dev != nil {
		_ = e.dev.Stop()
	}
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
}

// tenant adds a simulated account (its subdomain is name) and connects an
// integration of the same name to it. Unless it syncs on a schedule for the
// phase, its schedule is paused so periodic syncs stay out of the figures.
func (e *env) tenant(ctx context.Context, name string, opts olsim.Options, interval time.Duration) (*olsim.Server, api.ConnectResult, error) {
	opts.Subdomain = name
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	opts.EventCapacity = -1
	sim := olsim.New(opts)
	e.sims.add(sim)
	res, err := e.starter.Connect(ctx, starter.ConnectInput{IntegrationID: name, Subdomain: name,
		ClientID: olsim.DefaultClientID, ClientSecret: seal.NewSecret(olsim.DefaultClientSecret),
		RequestedBy: "benchscale", SyncInterval: cmpOr(interval, 24*time.Hour)})
	if err != nil {
		return nil, res, fmt.Errorf("connect %s: %w", name, err)
	}
	if interval == 0 {
		if err := e.ops.PauseSchedule(ctx, name, "benchscale: syncs on demand only"); err != nil {
			return nil, res, err
		}
	}
	return sim, res, nil
}

// tenants connects n tenants name-0 … name-(n-1) a few at a time.
func (e *env) tenants(ctx context.Context, name string, n int, opts olsim.Options, interval time.Duration) ([]*olsim.Server, error) {
	sims := make([]*olsim.Server, n)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range n {
		g.Go(func() error {
			o := opts
			o.Seed = int64(i + 1)
			var err error
			sims[i], _, err = e.tenant(ctx, fmt.Sprintf("%s-%d", name, i), o, interval)
			return err
		})
	}
	return sims, g.Wait()
}

func cmpOr(d, def time.Duration) time.Duration {
	if d != 0 {
		return d
	}
	return def
}

// workerProc is the worker under measurement.
type workerProc interface {
	// peakRSS is the process's peak resident set (VmHWM) in bytes.
	peakRSS() (int64, error)
	// resetPeak starts a new peak from the current resident set.
	resetPeak() error
	// separate says whether the worker is its own process (else the
	// figures include this program: simulators, clients).
	separate() bool
	stop()
}

type workerSettings struct {
	address, queue, codecKeys, sealKeys, store, baseURL, log string
	parallelism                                              int
}

type procWorker struct {
	cmd  *exec.Cmd
	done chan error
}

// startWorkerProcess runs `olflow worker` with the settings in its
// environment and waits until it answers /readyz.
func startWorkerProcess(ctx context.Context, bin string, s workerSettings) (workerProc, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	metrics := ln.Addr().String()
	_ = ln.Close()
	cmd := exec.Command(bin, "worker")
	cmd.Env = append(os.Environ(),
		"OLFLOW_TEMPORAL_ADDRESS="+s.address, "OLFLOW_TASK_QUEUE="+s.queue,
		"OLFLOW_CODEC_KEYS="+s.codecKeys, "OLFLOW_SEAL_KEYS="+s.sealKeys,
		"OLFLOW_STORE_DSN="+s.store, "OLFLOW_MIGRATE=true", "OLFLOW_ONELOGIN_BASE_URL="+s.baseURL,
		"OLFLOW_METRICS_ADDR="+metrics, "OLFLOW_LOG_LEVEL=error",
		"OLFLOW_SYNC_PARALLELISM="+strconv.Itoa(s.parallelism))
	// The SDK logs every failed activity attempt at error level: keep
	// them out of the report, in the run's directory.
	logFile, err := os.Create(s.log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &procWorker{cmd: cmd, done: make(chan error, 1)}
	go func() { w.done <- cmd.Wait() }()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get("http://" + metrics + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return w, nil
			}
		}
		select {
		case err := <-w.done:
			out, _ := os.ReadFile(s.log)
			return nil, fmt.Errorf("olflow worker exited: %v: %s", err, out)
		case <-ctx.Done():
			w.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			w.stop()
			return nil, errors.New("olflow worker not ready after a minute")
		}
	}
}

func (w *procWorker) peakRSS() (int64, error) { return vmHWM(w.cmd.Process.Pid) }
func (w *procWorker) resetPeak() error        { return resetHWM(w.cmd.Process.Pid) }
func (w *procWorker) separate() bool          { return true }

func (w *procWorker) stop() {
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
	case <-time.After(45 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.done
	}
}

type inProcWorker struct {
	cancel context.CancelFunc
	done   chan error
}

// startWorkerInProcess runs worker.Run in this process (the smoke test).
func startWorkerInProcess(ctx context.Context, s workerSettings) (workerProc, error) {
	ck, err := seal.ParseKeyring(s.codecKeys)
	if err != nil {
		return nil, err
	}
	sk, err := seal.ParseKeyring(s.sealKeys)
	if err != nil {
		return nil, err
	}
	ready := make(chan struct{})
	wctx, cancel := context.WithCancel(context.Background())
	w := &inProcWorker{cancel: cancel, done: make(chan error, 1)}
	cfg := worker.Config{Temporal: temporalclient.Options{Address: s.address, CodecKeys: ck, Logger: quietLogger()},
		TaskQueue: s.queue, StoreDSN: s.store, MigrateStore: true, SealKeys: sk, OneLoginBaseURL: s.baseURL,
		Log: worker.LogConfig{Level: "error", Output: io.Discard}, SyncParallelism: s.parallelism,
		ShutdownTimeout: 5 * time.Second, Ready: func(string) { close(ready) }}
	go func() { w.done <- worker.Run(wctx, cfg) }()
	select {
	case <-ready:
		return w, nil
	case err := <-w.done:
		cancel()
		return nil, err
	case <-ctx.Done():
		w.stop()
		return nil, ctx.Err()
	}
}

func (w *inProcWorker) peakRSS() (int64, error) { return vmHWM(os.Getpid()) }
func (w *inProcWorker) resetPeak() error        { return resetHWM(os.Getpid()) }
func (w *inProcWorker) separate() bool          { return false }

func (w *inProcWorker) stop() {
	w.cancel()
	<-w.done
}

// vmHWM reads a process's peak resident set from /proc.
func vmHWM(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseVmHWM(string(b))
}

func parseVmHWM(status string) (int64, error) {
	for line := range strings.SplitSeq(status, "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmHWM %q: %w", rest, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// resetHWM resets the peak to the current resident set (Linux clear_refs 5).
func resetHWM(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}
