package testsuite

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	tlog "go.temporal.io/sdk/log"
	sdktest "go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/codec"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/ops"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/starter"
	"github.com/olflow/olflow/temporalclient"
	"github.com/olflow/olflow/worker"
)

// The end-to-end tests share one Temporal dev server, the `temporal` CLI
// built by `make temporal` (or OLFLOW_TEMPORAL_CLI). Each test has its own
// simulator, store, task queue and integration ids.

var devServer *sdktest.DevServer

// historiesDir holds the replay corpus: one folder per release, each
// recorded by `make histories RELEASE=…` and never rewritten after.
const historiesDir = "testdata/histories"

// testCodecKeys encrypt every payload the end-to-end tests write, as in
// production, so the recorded histories are encrypted too and replay only
// with the codec. The key is for tests only.
const testCodecKeys = "e2e-codec:1zAp8JbMqIccq6msN7/YOJwUbUO+0c6Jwp19L3944zE="

var codecKeys = func() *seal.Keyring {
	k, err := seal.ParseKeyring(testCodecKeys)
	if err != nil {
		panic(err)
	}
	return k
}()

// dataConverter is the converter of every e2e client, worker and replayer.
func dataConverter() converter.DataConverter { return codec.DataConverter(codecKeys) }

func quietLogger() tlog.Logger {
	return tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
}

func temporalCLI() string {
	if p := os.Getenv("OLFLOW_TEMPORAL_CLI"); p != "" {
		return p
	}
	abs, _ := filepath.Abs("../bin/temporal")
	return abs
}

func TestMain(m *testing.M) {
	flag.Parse()
	setParallel()
	os.Exit(run(m))
}

// e2eParallel is how many end-to-end tests run at once unless -parallel
// says otherwise. Most wait on the dev server, timers and a slowed
// simulator more than they compute, so more of them than GOMAXPROCS (go
// test's default) keep the CPUs busy; all of them at once only crowd the
// CPUs (on 2 vCPUs 8 took less time and CPU than 64). Each test has its own
// simulator, store, task queue and integration ids, and every visibility
// query it makes names them.
const e2eParallel = 8

func setParallel() {
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", strconv.Itoa(e2eParallel))
	}
}

func run(m *testing.M) int {
	path := temporalCLI()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			fmt.Fprintf(os.Stderr, "end-to-end tests need the temporal CLI at %s (run `make temporal`)\n", path)
			return 1
		}
		fmt.Fprintf(os.Stderr, "SKIP end-to-end tests: no temporal CLI at %s (run `make temporal`)\n", path)
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var err error
	devServer, err = sdktest.StartDevServer(ctx, sdktest.DevServerOptions{
		ExistingPath:     path,
		ClientOptions:    &client.Options{Namespace: "default", Logger: quietLogger()},
		SearchAttributes: api.SearchAttributes(),
		LogLevel:         "error",
		Stdout:           os.Stderr,
		Stderr:           os.Stderr,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start dev server:", err)
		return 1
	}
	defer func() { _ = devServer.Stop() }()
	return m.Run()
}

type harness struct {
	t       *testing.T
	sim     *olsim.Server
	srv     *httptest.Server
	store   directory.Store
	keys    *seal.Keyring
	client  client.Client
	queue   string
	starter *starter.Starter
	ops     *ops.Ops
	worker  *worker.Worker
	deps    worker.Deps
	// sealKeys and storeDSN are the keyring text and store for CLI runs.
	sealKeys string
	storeDSN string
}

var queueSeq atomic.Int64

func newHarness(t *testing.T, opts olsim.Options) *harness {
	t.Helper()
	if opts.Seed == 0 {
		opts.Seed = 11
	}
	h := &harness{t: t, sim: olsim.New(opts)}
	h.srv = httptest.NewServer(h.sim)
	t.Cleanup(h.srv.Close)
	h.storeDSN = "sqlite://" + filepath.Join(t.TempDir(), "olflow.db")
	store, err := directory.Open(context.Background(), h.storeDSN)
	require.NoError(t, err)
	t.Cleanup(func() { _ = store.Close() })
	h.store = store
	key, err := seal.GenerateKey()
	require.NoError(t, err)
	h.sealKeys = "e2e:" + key
	h.keys, err = seal.ParseKeyring(h.sealKeys)
	require.NoError(t, err)
	h.client, err = temporalclient.Dial(context.Background(), temporalclient.Options{Address: devServer.FrontendHostPort(), Namespace: "default",
		CodecKeys: codecKeys, Logger: quietLogger()})
	require.NoError(t, err)
	t.Cleanup(h.client.Close)
	h.queue = fmt.Sprintf("olflow-e2e-%d-%d", os.Getpid(), queueSeq.Add(1))
	h.deps = worker.Deps{Store: store, Keys: h.keys,
		OneLogin: onelogin.Config{BaseURL: h.srv.URL + "/t/{subdomain}", Timeout: 10 * time.Second},
		Sync:     activities.Config{FullReadParallelism: 4}, DataConverter: dataConverter()}
	h.startWorker()
	h.starter = &starter.Starter{Client: h.client, Keys: h.keys, TaskQueue: h.queue}
	h.ops = &ops.Ops{Client: h.client, DataConverter: dataConverter(), Store: store}
	return h
}

func (h *harness) startWorker() {
	h.t.Helper()
	w, err := worker.New(h.client, h.queue, h.deps, sdkworker.Options{})
	require.NoError(h.t, err)
	require.NoError(h.t, w.Start())
	h.worker = w
	h.t.Cleanup(w.Stop)
}

func (h *harness) connectInput(id string) starter.ConnectInput {
	return starter.ConnectInput{IntegrationID: id, Subdomain: "https://ACME.onelogin.com/", ClientID: olsim.DefaultClientID,
		ClientSecret: seal.NewSecret(olsim.DefaultClientSecret), RequestedBy: "e2e@olflow"}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// history fetches a run's full history.
func (h *harness) history(workflowID, runID string) *historypb.History {
	h.t.Helper()
	it := h.client.GetWorkflowHistory(context.Background(), workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(h.t, err)
		hist.Events = append(hist.Events, ev)
	}
	return hist
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_-]+`)

// record keeps a history under testdata/histories/<release> when
// OLFLOW_RECORD_HISTORIES names a release (`make histories`), for the
// replay corpus. It refuses to overwrite a history: the corpus only grows.
func (h *harness) record(name, workflowID, runID string) {
	h.t.Helper()
	release := os.Getenv("OLFLOW_RECORD_HISTORIES")
	if release == "" {
		return
	}
	hist := h.history(workflowID, runID)
	b, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
	require.NoError(h.t, err)
	var check any
	require.NoError(h.t, json.Unmarshal(b, &check))
	require.NotContains(h.t, string(b), olsim.DefaultClientSecret, "histories never hold the secret in plaintext")
	dir := filepath.Join(historiesDir, release)
	file := filepath.Join(dir, unsafeName.ReplaceAllString(strings.ToLower(name), "-")+".json")
	require.NoError(h.t, os.MkdirAll(dir, 0o755))
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	require.NoError(h.t, err, "the corpus only grows: %s exists already", file)
	_, err = f.Write(append(b, '\n'))
	require.NoError(h.t, errors.Join(err, f.Close()))
}

// wait waits for a started action's result, as the product backend would.
func wait(run *starter.Run[starter.ActionResult], err error) (starter.ActionResult, error) {
	if err != nil {
		return starter.ActionResult{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return run.Get(ctx)
}
