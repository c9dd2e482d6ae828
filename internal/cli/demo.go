package cli

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.temporal.io/sdk/client"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/codec"
	"github.com/olflow/olflow/internal/serve"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/starter"
	"github.com/olflow/olflow/temporalclient"
	"github.com/olflow/olflow/worker"
)

// DemoTenant is the OneLogin stand-in the demo connects to. The olflow
// binary has none (it must not link a simulator); cmd/olflow-demo passes
// the simulator's through WithDemo.
type DemoTenant interface {
	http.Handler
	// Subdomain, ClientID and ClientSecret connect to it.
	Subdomain() string
	ClientID() string
	ClientSecret() string
	// NewHire adds a user who has not started yet and names a group and
	// two roles to onboard them into.
	NewHire() (Hire, error)
}

// Hire is who the demo onboards, and into what.
type Hire struct {
	Email, Username string
	Group           NamedID
	Roles           []NamedID
}

// NamedID is a OneLogin group or role.
type NamedID struct {
	ID   int64
	Name string
}

// NewDemoTenant makes a tenant of users users whose every call takes
// latency.
type NewDemoTenant func(users int, latency time.Duration) DemoTenant

// Option changes what Main offers.
type Option func(*app)

// WithDemo adds the demo command, with tenants from newTenant.
func WithDemo(newTenant NewDemoTenant) Option { return func(a *app) { a.newTenant = newTenant } }

// demoOptions are the demo's knobs; port 0 picks a free one.
type demoOptions struct {
	temporalCLI                                          string
	dir                                                  string
	integration                                          string
	port, uiPort, codecPort, simPort, metricsPort, users int
	simLatency                                           time.Duration
	exit                                                 bool
}

func (a *app) demoCmd() *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:    "demo",
		Short:  "Run the whole flow locally: dev server, simulator, worker, connect, onboard (make demo)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runDemo(cmd.Context(), o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.temporalCLI, "temporal-cli", "bin/temporal", "the temporal CLI (make temporal)")
	fs.StringVar(&o.dir, "dir", "tmp/demo", "where the demo keeps its store, logs and environment file")
	fs.StringVar(&o.integration, "integration", "demo-acme", "integration id to connect")
	fs.IntVar(&o.port, "port", 7233, "Temporal frontend port (0: any free port)")
	fs.IntVar(&o.uiPort, "ui-port", 8233, "Temporal UI port (0: any free port)")
	fs.IntVar(&o.codecPort, "codec-port", 8081, "codec server port (0: any free port)")
	fs.IntVar(&o.simPort, "sim-port", 8089, "OneLogin simulator port (0: any free port)")
	fs.IntVar(&o.metricsPort, "metrics-port", 9090, "worker metrics port (0: any free port)")
	fs.IntVar(&o.users, "users", 3000, "users in the simulated org")
	fs.DurationVar(&o.simLatency, "sim-latency", 150*time.Millisecond, "latency the simulator adds to each call")
	fs.BoolVar(&o.exit, "exit", false, "stop everything after the summary instead of waiting for Ctrl-C (CI)")
	return cmd
}

// demo holds what the demo started, to stop it in reverse order.
type demo struct {
	newTenant NewDemoTenant
	o         demoOptions
	out       io.Writer
	stops     []func()
	env       map[string]string
	address   string
	uiURL     string
	codec     string
	token     string
	metrics   string
	sim       DemoTenant
	simURL    string
}

func (d *demo) onStop(f func()) { d.stops = append(d.stops, f) }

func (d *demo) stop() {
	for i := len(d.stops) - 1; i >= 0; i-- {
		d.stops[i]()
	}
}

func (d *demo) step(format string, args ...any) {
	fmt.Fprintf(d.out, "==> "+format+"\n", args...)
}

func (a *app) runDemo(ctx context.Context, o demoOptions) error {
	start := time.Now()
	d := &demo{o: o, out: a.Stdout, env: map[string]string{}, newTenant: a.newTenant}
	defer d.stop()
	if _, err := os.Stat(o.temporalCLI); err != nil {
		return usagef("no temporal CLI at %s: run make temporal (or pass --temporal-cli)", o.temporalCLI)
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	codecKeys, sealKeys, err := d.keys()
	if err != nil {
		return err
	}
	if err := d.startSim(ctx); err != nil {
		return err
	}
	if err := d.startCodecServer(ctx, codecKeys); err != nil {
		return err
	}
	if err := d.startDevServer(ctx); err != nil {
		return err
	}
	topts := temporalclient.Options{Address: d.address, Namespace: temporalclient.DefaultNamespace, CodecKeys: codecKeys, Logger: a.quietLogger()}
	if err := d.startWorker(ctx, topts, sealKeys); err != nil {
		return err
	}
	if err := d.writeEnv(); err != nil {
		return err
	}

	st, err := starter.Dial(ctx, starter.Config{Temporal: topts, SealKeys: sealKeys})
	if err != nil {
		return err
	}
	defer st.Close()

	d.step("Connecting %s to the simulated tenant %s (%d users)", o.integration, d.sim.Subdomain(), o.users)
	run, err := st.StartConnect(ctx, starter.ConnectInput{IntegrationID: o.integration, Subdomain: d.sim.Subdomain(),
		ClientID: d.sim.ClientID(), ClientSecret: seal.NewSecret(d.sim.ClientSecret()), RequestedBy: "make demo"})
	if err != nil {
		return err
	}
	var res api.ConnectResult
	since := time.Now().Add(-time.Minute)
	if err := a.follow(ctx, st, "connect", api.InitialSyncWorkflowID(o.integration), since,
		func() error { res, err = run.Get(ctx); return err }); err != nil {
		return err
	}
	printConnect(d.out, res)

	onboard, err := a.demoOnboard(ctx, st, d)
	if err != nil {
		return err
	}

	d.summary(res, onboard, time.Since(start))
	if o.exit {
		d.step("Stopping (--exit)")
		return nil
	}
	fmt.Fprintln(d.out, "Press Ctrl-C to stop everything.")
	<-ctx.Done()
	fmt.Fprintln(d.out)
	d.step("Stopping")
	return nil
}

// keys makes fresh keys and a codec token for this demo run.
func (d *demo) keys() (codecKeys, sealKeys *seal.Keyring, err error) {
	ck, err := seal.GenerateKey()
	if err != nil {
		return nil, nil, err
	}
	sk, err := seal.GenerateKey()
	if err != nil {
		return nil, nil, err
	}
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return nil, nil, err
	}
	d.token = base64.RawURLEncoding.EncodeToString(tok)
	d.env[setCodecKeys.Env] = "demo:" + ck
	d.env[setSealKeys.Env] = "demo:" + sk
	d.env[setCodecTokens.Env] = d.token
	if codecKeys, err = seal.ParseKeyring(d.env[setCodecKeys.Env]); err != nil {
		return nil, nil, err
	}
	sealKeys, err = seal.ParseKeyring(d.env[setSealKeys.Env])
	return codecKeys, sealKeys, err
}

func listen(port int) (net.Listener, error) {
	ln, err := serve.Listen("127.0.0.1:" + strconv.Itoa(port))
	if err != nil {
		return nil, fmt.Errorf("port %d is taken (pass another, or 0 for any): %w", port, err)
	}
	return ln, nil
}

func (d *demo) startSim(ctx context.Context) error {
	ln, err := listen(d.o.simPort)
	if err != nil {
		return err
	}
	d.sim = d.newTenant(d.o.users, d.o.simLatency)
	d.simURL = "http://" + ln.Addr().String()
	d.background(ctx, func(ctx context.Context) { _ = serve.Serve(ctx, ln, d.sim) })
	d.step("OneLogin simulator on %s: %d users", d.simURL, d.o.users)
	return nil
}

// background runs f until the demo stops, and waits for it then.
func (d *demo) background(ctx context.Context, f func(ctx context.Context)) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { f(ctx) })
	d.onStop(func() { cancel(); wg.Wait() })
}

func (d *demo) startCodecServer(ctx context.Context, keys *seal.Keyring) error {
	ln, err := listen(d.o.codecPort)
	if err != nil {
		return err
	}
	uiPort := d.o.uiPort
	if uiPort == 0 {
		if uiPort, err = freePort(); err != nil {
			return err
		}
		d.o.uiPort = uiPort
	}
	origins := []string{fmt.Sprintf("http://localhost:%d", uiPort), fmt.Sprintf("http://127.0.0.1:%d", uiPort)}
	h, err := codec.NewHandler(codec.ServerOptions{Codec: codec.New(keys), Tokens: []string{d.token}, Origins: origins})
	if err != nil {
		return err
	}
	d.codec = "http://" + ln.Addr().String()
	d.env[setCodecOrigins.Env] = strings.Join(origins, ",")
	d.background(ctx, func(ctx context.Context) { _ = serve.Serve(ctx, ln, h) })
	d.step("Codec server on %s (bearer token required)", d.codec)
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startDevServer runs `temporal server start-dev` with the UI, olflow's
// search attributes and the codec endpoint, and waits until it answers.
func (d *demo) startDevServer(ctx context.Context) error {
	port := d.o.port
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return err
		}
	}
	if ln, err := listen(port); err != nil {
		return err
	} else {
		ln.Close()
	}
	d.address = fmt.Sprintf("127.0.0.1:%d", port)
	d.uiURL = fmt.Sprintf("http://localhost:%d", d.o.uiPort)
	args := []string{"server", "start-dev", "--ip", "127.0.0.1", "--port", strconv.Itoa(port),
		"--ui-port", strconv.Itoa(d.o.uiPort), "--namespace", temporalclient.DefaultNamespace,
		"--ui-codec-endpoint", d.codec + codec.TokenPathPrefix + d.token,
		"--log-level", "error", "--dynamic-config-value", "frontend.enableServerVersionCheck=false"}
	for key := range api.SearchAttributes().GetUntypedValues() {
		args = append(args, "--search-attribute", key.GetName()+"="+key.GetValueType().String())
	}
	logFile, err := os.Create(filepath.Join(d.o.dir, "temporal.log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(d.o.temporalCLI, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group: a Ctrl-C reaches it through us, in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start the dev server: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	d.onStop(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
	})
	d.step("Starting the Temporal dev server on %s (UI %s)", d.address, d.uiURL)
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := client.DialContext(ctx, client.Options{HostPort: d.address, Logger: quietSDK{}})
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("the dev server exited (%v); see %s", err, logFile.Name())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the dev server did not answer within a minute; see %s", logFile.Name())
		}
	}
}

func (d *demo) startWorker(ctx context.Context, topts temporalclient.Options, sealKeys *seal.Keyring) error {
	logFile, err := os.Create(filepath.Join(d.o.dir, "worker.log"))
	if err != nil {
		return err
	}
	store := "sqlite://" + filepath.Join(d.o.dir, "olflow.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Remove(filepath.Join(d.o.dir, "olflow.db"+suffix))
	}
	ready := make(chan string, 1)
	failed := make(chan error, 1)
	topts.Logger = nil
	cfg := worker.Config{Temporal: topts, StoreDSN: store, MigrateStore: true, SealKeys: sealKeys,
		OneLoginBaseURL: d.simURL + "/t/{subdomain}", MetricsAddr: fmt.Sprintf("127.0.0.1:%d", d.o.metricsPort),
		Log:   worker.LogConfig{Level: "info", Format: "text", Output: logFile},
		Ready: func(addr string) { ready <- addr }}
	d.background(ctx, func(ctx context.Context) {
		if err := worker.Run(ctx, cfg); err != nil {
			failed <- err
		}
		logFile.Close()
	})
	select {
	case d.metrics = <-ready:
	case err := <-failed:
		return fmt.Errorf("the worker failed to start: %w", err)
	case <-ctx.Done():
		return ctx.Err()
	}
	d.env[setStore.Env] = store
	d.env[setBaseURL.Env] = cfg.OneLoginBaseURL
	d.step("Worker on task queue %s, store %s, metrics http://%s/metrics", api.TaskQueue, store, d.metrics)
	return nil
}

// writeEnv leaves the settings (keys included, so mode 0600) for running
// olflow commands against the demo from another shell.
func (d *demo) writeEnv() error {
	d.env[setAddress.Env] = d.address
	d.env[setNamespace.Env] = temporalclient.DefaultNamespace
	// The temporal CLI reads its own variables: without them it goes to
	// 127.0.0.1:7233 and shows encrypted payloads.
	d.env["TEMPORAL_ADDRESS"] = d.address
	d.env["TEMPORAL_NAMESPACE"] = temporalclient.DefaultNamespace
	d.env["TEMPORAL_CODEC_ENDPOINT"] = d.codec
	d.env["TEMPORAL_CODEC_AUTH"] = "Bearer " + d.token
	var b strings.Builder
	b.WriteString("# olflow demo settings: source this file, then run bin/olflow and temporal commands.\n")
	for _, k := range demoEnvKeys {
		fmt.Fprintf(&b, "export %s=%q\n", k, d.env[k])
	}
	return os.WriteFile(d.envFile(), []byte(b.String()), 0o600)
}

// demoEnvKeys are the variables the demo's env file sets, in its order.
var demoEnvKeys = []string{setAddress.Env, setNamespace.Env, setCodecKeys.Env, setSealKeys.Env, setStore.Env, setBaseURL.Env,
	setCodecTokens.Env, setCodecOrigins.Env,
	"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_CODEC_ENDPOINT", "TEMPORAL_CODEC_AUTH"}

func (d *demo) envFile() string { return filepath.Join(d.o.dir, "olflow.env") }

func (d *demo) summary(res api.ConnectResult, onboard string, took time.Duration) {
	q := url.QueryEscape(fmt.Sprintf("%s=%q", api.IntegrationAttribute.GetName(), d.o.integration))
	fmt.Fprintf(d.out, `
== olflow demo ready in %s ==
  integration   %s: %s scope, %s
  onboarding    %s
  Temporal UI   %s/namespaces/default/workflows?query=%s
                (payloads are encrypted; the UI decodes them through the codec server)
  Temporal      %s (namespace default, task queue %s)
  codec server  %s (after source: temporal workflow show -w %s)
  metrics       http://%s/metrics
  simulator     %s (admin API %s/__olsim/state)
  files         %s (store, worker.log, temporal.log)
  stop          Ctrl-C in this terminal stops everything the demo started

From another shell:
  source %s
  bin/olflow status -i %s
  bin/olflow sync -i %s --mode full --wait
  bin/olflow schedule show -i %s
  temporal schedule describe -s %s
`, took.Round(100*time.Millisecond), d.o.integration, activities.ScopeWords(res.Scope), counts(res.Sync), onboard,
		d.uiURL, q, d.address, api.TaskQueue,
		d.codec, api.ConnectWorkflowID(d.o.integration),
		d.metrics, d.simURL, d.simURL, d.o.dir, d.envFile(), d.o.integration, d.o.integration, d.o.integration, api.ScheduleID(d.o.integration))
}

// quietSDK keeps the SDK's dial retries out of the demo's output.
type quietSDK struct{}

func (quietSDK) Debug(string, ...any) {}
func (quietSDK) Info(string, ...any)  {}
func (quietSDK) Warn(string, ...any)  {}
func (quietSDK) Error(string, ...any) {}
