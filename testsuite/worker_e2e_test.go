package testsuite

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/internal/cli"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/ops"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/starter"
	"github.com/olflow/olflow/temporalclient"
)

// syncBuffer is a log sink the worker writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// loggedAddr waits for the JSON log line msg of a command started on port
// 0 and returns the address its field names. A port the test picked and
// freed again could be taken meanwhile by a test running alongside.
func loggedAddr(t *testing.T, logs *syncBuffer, msg, field string) string {
	t.Helper()
	var addr string
	require.Eventually(t, func() bool {
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var entry map[string]any
			if json.Unmarshal(sc.Bytes(), &entry) == nil && entry["msg"] == msg {
				addr, _ = entry[field].(string)
				return addr != ""
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond, "no %q line with %s: %s", msg, field, logs)
	return addr
}

// workerProcess is `olflow worker` run in process with its settings in
// the environment, as a deployment would run it.
type workerProcess struct {
	cancel context.CancelFunc
	done   chan int
	logs   *syncBuffer
	addr   string
}

func startWorkerCommand(t *testing.T, env map[string]string) *workerProcess {
	t.Helper()
	p := &workerProcess{done: make(chan int, 1), logs: &syncBuffer{}}
	vars := map[string]string{"OLFLOW_METRICS_ADDR": "127.0.0.1:0", "OLFLOW_LOG_FORMAT": "json", "OLFLOW_LOG_LEVEL": "debug",
		"OLFLOW_SHUTDOWN_TIMEOUT": "30s"}
	for k, v := range env {
		vars[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() {
		p.done <- cli.Main(ctx, []string{"worker"}, cli.Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: p.logs,
			Getenv: func(k string) string { return vars[k] }})
	}()
	p.addr = loggedAddr(t, p.logs, "worker started", "metrics")
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "worker never ready: %s", p.logs)
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop asks the worker to stop, as SIGTERM does, and waits for it.
func (p *workerProcess) stop(t *testing.T) int {
	t.Helper()
	p.cancel()
	select {
	case code := <-p.done:
		p.done <- code
		return code
	case <-time.After(time.Minute):
		t.Fatal("the worker did not stop")
		return -1
	}
}

func (p *workerProcess) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + p.addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestWorkerCommandMetricsLogsAndGracefulStop(t *testing.T) {
	t.Parallel()
	sim := olsim.New(olsim.Options{Seed: 5, Users: 600, Groups: 5, Roles: 5, Apps: 5})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	sealKey, err := seal.GenerateKey()
	require.NoError(t, err)
	queue := fmt.Sprintf("olflow-worker-cmd-%d", queueSeq.Add(1))
	env := map[string]string{
		"OLFLOW_TEMPORAL_ADDRESS":  devServer.FrontendHostPort(),
		"OLFLOW_TASK_QUEUE":        queue,
		"OLFLOW_CODEC_KEYS":        testCodecKeys,
		"OLFLOW_SEAL_KEYS":         "w:" + sealKey,
		"OLFLOW_STORE_DSN":         "sqlite://" + filepath.Join(t.TempDir(), "olflow.db"),
		"OLFLOW_ONELOGIN_BASE_URL": srv.URL + "/t/{subdomain}",
	}
	w := startWorkerCommand(t, env)
	code, body := w.get(t, "/healthz")
	assert.Equal(t, http.StatusOK, code, body)

	keys, err := seal.ParseKeyring(env["OLFLOW_SEAL_KEYS"])
	require.NoError(t, err)
	ctx := ctxT(t, 2*time.Minute)
	st, err := starter.Dial(ctx, starter.Config{TaskQueue: queue, SealKeys: keys,
		Temporal: temporalclient.Options{Address: devServer.FrontendHostPort(), CodecKeys: codecKeys, Logger: quietLogger()}})
	require.NoError(t, err)
	defer st.Close()
	const id = "worker-cmd"
	in := starter.ConnectInput{IntegrationID: id, Subdomain: "acme", ClientID: olsim.DefaultClientID,
		ClientSecret: seal.NewSecret(olsim.DefaultClientSecret), RequestedBy: "test"}
	res, err := st.Connect(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, 600, res.Sync.Users().Items)

	// Ours next to the SDK's, every second.
	require.Eventually(t, func() bool {
		_, m := w.get(t, "/metrics")
		return strings.Contains(m, `olflow_sync_items_total{kind="users"} 600`) &&
			strings.Contains(m, `olflow_onelogin_calls_total{code="ok",endpoint="GET /api/2/users"}`) &&
			strings.Contains(m, `olflow_onelogin_rate_budget_remaining{subdomain="acme"}`) &&
			strings.Contains(m, `olflow_onelogin_rate_budget_limit{subdomain="acme"} 5000`) &&
			strings.Contains(m, `olflow_onelogin_call_latency_seconds_bucket`) &&
			strings.Contains(m, "temporal_workflow_completed_total")
	}, 20*time.Second, 200*time.Millisecond)

	// A stop mid-sync lets the running reads finish on this worker.
	sim.SetFaults(olsim.Faults{Latency: 40 * time.Millisecond})
	run, err := st.StartSync(ctx, api.SyncRequest{IntegrationID: id, Mode: api.ModeFull})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		p, err := (&ops.Ops{Client: st.Client, DataConverter: dataConverter()}).Progress(ctx, run.GetID(), run.GetRunID())
		return err == nil && p.Kinds["users"].Pages >= 1
	}, 30*time.Second, 20*time.Millisecond)
	assert.Equal(t, 0, w.stop(t), "a stop is not a failure")
	code, _ = w.get(t, "/readyz")
	assert.NotEqual(t, http.StatusOK, code, "a stopped worker is not ready")

	// Another worker takes the run over and finishes it.
	w2 := startWorkerCommand(t, env)
	sync, err := run.Get(ctx)
	require.NoError(t, err)
	assert.Equal(t, 600, sync.Users().Items)
	assert.Equal(t, 0, w2.stop(t))

	// The user read running at the stop completed there, in its first
	// attempt: a lost or failed one would have been retried on w2. (Read
	// after the run: while a workflow task the stopped worker took is
	// open, the server holds the completion back from history.)
	hist := (&harness{t: t, client: st.Client}).history(run.GetID(), run.GetRunID())
	scheduled, attempts := map[int64]string{}, map[string]int32{}
	for _, ev := range hist.Events {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			scheduled[ev.GetEventId()] = ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_STARTED:
			a := ev.GetActivityTaskStartedEventAttributes()
			attempts[scheduled[a.GetScheduledEventId()]] = a.GetAttempt()
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED, enumspb.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
			t.Errorf("an activity did not finish cleanly: %v", ev)
		}
	}
	assert.Equal(t, int32(1), attempts["SyncUsers"], "the user read running at the stop completed on the stopped worker")

	// Logs: structured, the integration on every line about a workflow,
	// never the secret.
	logs := w.logs.String() + w2.logs.String()
	assert.NotContains(t, logs, olsim.DefaultClientSecret)
	assert.NotContains(t, logs, strings.Split(env["OLFLOW_SEAL_KEYS"], ":")[1])
	lines, withWorkflow := 0, 0
	sc := bufio.NewScanner(strings.NewReader(logs))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var entry map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &entry), "not JSON: %s", sc.Text())
		lines++
		if wid, ok := entry["WorkflowID"].(string); ok && strings.HasPrefix(wid, "onelogin-") {
			withWorkflow++
			assert.Equal(t, id, entry["integration"], "%s", sc.Text())
		}
	}
	assert.Positive(t, withWorkflow, "workflow lines were logged (%d lines)", lines)
	assert.Contains(t, logs, `"msg":"worker started"`)
	assert.Contains(t, logs, `"msg":"worker stopped"`)
}

func TestWorkerRefusesToRunWithoutKeys(t *testing.T) {
	t.Parallel()
	var errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"worker"}, cli.Env{Stdin: strings.NewReader(""), Stdout: io.Discard,
		Stderr: &errb, Getenv: func(string) string { return "" }})
	assert.Equal(t, 2, code)
	assert.Contains(t, errb.String(), "OLFLOW_SEAL_KEYS")
	assert.Contains(t, errb.String(), "OLFLOW_CODEC_KEYS")
}
