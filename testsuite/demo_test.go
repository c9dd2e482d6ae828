package testsuite

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/internal/cli"
	"github.com/olflow/olflow/internal/demosim"
)

// TestDemoRunsAndExits runs what `make demo-ci` runs: its own dev server,
// simulator, codec server and worker, a connect with progress, onboarding,
// the summary, then a clean stop.
func TestDemoRunsAndExits(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a second dev server")
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	code := cli.Main(ctx, []string{"demo", "--exit", "--dir", dir, "--temporal-cli", temporalCLI(),
		"--port", "0", "--ui-port", "0", "--codec-port", "0", "--sim-port", "0", "--metrics-port", "0",
		"--users", "400", "--sim-latency", "2ms"},
		cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }},
		cli.WithDemo(demosim.New))
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	s := out.String()
	assert.Contains(t, s, "Connected demo-acme to acme.onelogin.com")
	assert.Contains(t, s, "400 users")
	assert.Contains(t, s, "olflow demo ready")
	assert.Contains(t, s, "Temporal UI   http://localhost:")
	assert.Contains(t, s, "onboarding")
	assert.Contains(t, s, "stop          Ctrl-C")
	assert.NotContains(t, s, "Press Ctrl-C", "--exit does not wait")
	assert.Contains(t, errb.String(), "100%", "the connect drew its progress")

	env, err := os.ReadFile(filepath.Join(dir, "olflow.env"))
	require.NoError(t, err)
	assert.Contains(t, string(env), "OLFLOW_CODEC_KEYS=")
	// The temporal CLI reads its own variables: without them RUNBOOK's
	// temporal commands go to 127.0.0.1:7233 and show encrypted payloads.
	for _, k := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_CODEC_ENDPOINT", "TEMPORAL_CODEC_AUTH"} {
		assert.Contains(t, string(env), "export "+k+"=", "the env file sets %s", k)
	}
	assert.Contains(t, s, "temporal schedule describe -s onelogin-sync-schedule/demo-acme")
	info, err := os.Stat(filepath.Join(dir, "olflow.env"))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the env file holds keys")
	assert.FileExists(t, filepath.Join(dir, "worker.log"))
}
