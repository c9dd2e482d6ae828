package testsuite

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/internal/cli"
	"github.com/olflow/olflow/internal/demosim"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/starter"
	"github.com/olflow/olflow/temporalclient"
)

// demoStack is `make demo-ci` kept running: its own dev server with the
// UI, simulator, codec server and worker, connected and with one
// onboarding done, until the test ends.
type demoStack struct {
	dir   string
	env   map[string]string
	uiURL string
	out   *syncBuffer
}

var uiLine = regexp.MustCompile(`Temporal UI +(http://\S+?)/namespaces/`)

// startDemo runs the demo (without --exit) with extra flags and waits for
// its summary. The demo stops when the test ends.
func startDemo(t *testing.T, extra ...string) *demoStack {
	t.Helper()
	d := &demoStack{dir: t.TempDir(), out: &syncBuffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	var errb syncBuffer
	done := make(chan int, 1)
	args := append([]string{"demo", "--dir", d.dir, "--temporal-cli", temporalCLI(),
		"--port", "0", "--ui-port", "0", "--codec-port", "0", "--sim-port", "0", "--metrics-port", "0"}, extra...)
	go func() {
		done <- cli.Main(ctx, args, cli.Env{Stdin: strings.NewReader(""), Stdout: d.out, Stderr: &errb,
			Getenv: func(string) string { return "" }}, cli.WithDemo(demosim.New))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Error("the demo did not stop within a minute")
		}
	})
	deadline := time.After(3 * time.Minute)
	for !strings.Contains(d.out.String(), "olflow demo ready") {
		select {
		case code := <-done:
			t.Fatalf("the demo exited (%d):\n%s\n%s", code, d.out.String(), errb.String())
		case <-deadline:
			t.Fatalf("the demo was not ready in 3 minutes:\n%s\n%s", d.out.String(), errb.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	m := uiLine.FindStringSubmatch(d.out.String())
	require.NotNil(t, m, "the summary names the UI")
	d.uiURL = m[1]
	d.env = readEnvFile(t, filepath.Join(d.dir, "olflow.env"))
	return d
}

// readEnvFile reads the demo's `export K="v"` lines.
func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		}
		env[k] = v
	}
	require.NoError(t, sc.Err())
	return env
}

// starter dials the demo's Temporal with its keys.
func (d *demoStack) starter(t *testing.T) *starter.Starter {
	t.Helper()
	ck, err := seal.ParseKeyring(d.env["OLFLOW_CODEC_KEYS"])
	require.NoError(t, err)
	sk, err := seal.ParseKeyring(d.env["OLFLOW_SEAL_KEYS"])
	require.NoError(t, err)
	st, err := starter.Dial(context.Background(), starter.Config{
		Temporal: temporalclient.Options{Address: d.env["OLFLOW_TEMPORAL_ADDRESS"], CodecKeys: ck, Logger: quietLogger()}, SealKeys: sk})
	require.NoError(t, err)
	t.Cleanup(st.Close)
	return st
}

// simLatency sets the simulator's latency through its admin API.
func (d *demoStack) simLatency(t *testing.T, latency time.Duration) {
	t.Helper()
	base, _, _ := strings.Cut(d.env["OLFLOW_ONELOGIN_BASE_URL"], "/t/")
	req, err := http.NewRequest(http.MethodPut, base+"/__olsim/faults", strings.NewReader(`{"latency":"`+latency.String()+`"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
