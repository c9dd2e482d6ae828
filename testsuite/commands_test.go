package testsuite

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// notRunHere are the documented commands this test does not run against
// the demo, and why. Every other fenced shell command in README.md and
// RUNBOOK.md is run as printed.
var notRunHere = map[string]string{
	"bin/olflow action show -i acme --request-id R --failed --store \"$OLFLOW_STORE_DSN\"": "needs a bulk request R (TestBulkSuspendGroupOf10000 pages outcomes through the CLI)",
	"make replay-check": "runs in the repository; the same tests run in make test (TestReplayCorpus)",
	"OLD=$(temporal worker deployment describe --name olflow --output json | jq -r .routingConfig.currentVersionBuildID)":                                                                          "needs a versioned deployment (the demo is unversioned; TestRolloutKeepsPinnedRunsOnTheirBuild drives the rollout commands)",
	"temporal worker deployment describe-version --deployment-name olflow --build-id \"$NEW\"":                                                                                                     "needs a versioned deployment and $NEW",
	"temporal worker deployment set-ramping-version --deployment-name olflow --build-id \"$NEW\" --percentage 10 --yes":                                                                            "needs a versioned deployment; changes routing",
	"temporal worker deployment set-current-version --deployment-name olflow --build-id \"$NEW\" --yes":                                                                                            "needs a versioned deployment; changes routing (the rollout test runs it)",
	"temporal worker deployment describe --name olflow":                                                                                                                                            "needs a versioned deployment",
	"temporal worker deployment describe-version --deployment-name olflow --build-id \"$OLD\"":                                                                                                     "needs a versioned deployment and $OLD",
	"temporal workflow update-options --workflow-id onelogin-sync/acme --versioning-override-behavior pinned --versioning-override-deployment-name olflow --versioning-override-build-id \"$OLD\"": "needs a versioned deployment; changes a run",
	"temporal workflow reset -w onelogin-action/acme/req-7 --type FirstWorkflowTask --reason \"fixed in $NEW\"":                                                                                    "destructive: resets a run",
	"make demo":  "starts the interactive demo (the stack this test runs is make demo-ci's)",
	"make test":  "the whole test suite: it contains this test",
	"make build": "builds bin/ (this test builds bin/olflow itself)",
	"make sim":   "a foreground simulator on the fixed port 8089",
	"curl -s -u olsim-client:olsim-secret -H 'Content-Type: application/json' -d '{\"grant_type\":\"client_credentials\"}' http://127.0.0.1:8089/auth/oauth2/v2/token": "needs make sim on 8089",
	"curl -si -H \"Authorization: bearer <access_token>\" 'http://127.0.0.1:8089/api/2/users?limit=50'":                                                                "needs make sim and a token pasted in",
	"make compose-env":                                         "docker-compose stack (no engine here)",
	"docker-compose up -d --build":                             "docker-compose stack (no engine here)",
	"source .env && export OLFLOW_CODEC_KEYS OLFLOW_SEAL_KEYS": "docker-compose stack's .env",
	"printf olsim-secret | bin/olflow connect -i acme --subdomain acme --client-id olsim-client --client-secret-file -":            "the docker-compose stack's simulator",
	"docker-compose logs --no-log-prefix olflow-worker | jq 'select(.integration == \"acme\")'":                                    "docker-compose stack",
	"printf %s \"$CLIENT_SECRET\" | bin/olflow connect -i acme --subdomain acme --client-id \"$CLIENT_ID\" --client-secret-file -": "a live OneLogin credential",
	"printf %s \"$NEW_SECRET\" | bin/olflow connect -i acme --subdomain acme --client-id \"$ID\" --client-secret-file -":           "a live OneLogin credential",
	"OLFLOW_CODEC_KEYS=... OLFLOW_CODEC_TOKENS=$TOKEN bin/olflow codec-server":                                                     "a long-running server (the demo runs one)",
	"export TEMPORAL_CODEC_ENDPOINT=http://127.0.0.1:8081 TEMPORAL_CODEC_AUTH=\"Bearer $TOKEN\"":                                   "points the shell at make demo's fixed port; the demo's env file sets these",
	"export OLFLOW_TEMPORAL_ADDRESS=temporal.internal:7233 OLFLOW_NAMESPACE=default":                                               "production settings; the demo's env file sets these",
	"export OLFLOW_CODEC_KEYS=...":                                                                        "production settings; the demo's env file sets these",
	"export TEMPORAL_ADDRESS=temporal.internal:7233 TEMPORAL_NAMESPACE=default":                           "production settings; the demo's env file sets these",
	"export TEMPORAL_CODEC_ENDPOINT=https://codec.internal TEMPORAL_CODEC_AUTH=\"Bearer ...\"":            "production settings; the demo's env file sets these",
	"bin/olflow replay history.json other.json":                                                           "needs exported history files",
	"temporal workflow reset -w onelogin-sync/acme --type FirstWorkflowTask --reason \"fixed in v1.4.2\"": "destructive: resets a run",
	"temporal workflow reset --query 'OneLoginSyncStatus = \"failed\" AND CloseTime > \"2026-11-27T00:00:00Z\"' --type LastWorkflowTask --reason \"fixed in v1.4.2\" --yes": "destructive: resets runs",
}

// TestDocumentedCommandsRunAgainstTheDemo runs every fenced shell command
// of README.md and RUNBOOK.md against the demo stack (connected as acme),
// after `source olflow.env`, in a directory with bin/olflow, with the
// temporal CLI on PATH: as an on-call engineer would paste them.
func TestDocumentedCommandsRunAgainstTheDemo(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts the demo stack")
	}
	var cmds []string
	for _, doc := range []string{"../README.md", "../RUNBOOK.md"} {
		cmds = append(cmds, fencedCommands(t, doc)...)
	}
	require.NotEmpty(t, cmds)

	d := startDemo(t, "--integration", "acme", "--users", "300", "--sim-latency", "1ms")
	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	build := exec.Command("go", "build", "-o", bin+"/", "../cmd/olflow")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	path := filepath.Dir(temporalCLI()) + string(os.PathListSeparator) + os.Getenv("PATH")

	// RUNBOOK's replay of onelogin-sync/acme needs an on-demand sync to
	// have run; its own section 4 starts one, so run that first.
	first := "bin/olflow sync -i acme --mode full --wait"
	require.Contains(t, cmds, first)
	ran := 0
	for _, c := range append([]string{first}, cmds...) {
		if why, ok := notRunHere[c]; ok {
			t.Logf("not run (%s): %s", why, c)
			continue
		}
		ran++
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		sh := exec.CommandContext(ctx, "bash", "-c", "set -eo pipefail; source "+filepath.Join(d.dir, "olflow.env")+"\n"+c)
		sh.Dir = work
		sh.Env = append(os.Environ(), "PATH="+path, "HOME="+work)
		out, err := sh.CombinedOutput()
		cancel()
		assert.NoError(t, err, "documented command failed:\n$ %s\n%s", c, out)
		assert.NotContains(t, string(out), "127.0.0.1:7233", "went to the default address: %s", c)
	}
	t.Logf("ran %d documented commands (one twice), %d listed as not run here", ran, len(cmds)+1-ran)
	for c := range notRunHere {
		assert.Contains(t, cmds, c, "notRunHere lists a command the docs no longer have")
	}
}

// fencedCommands are the commands of a markdown file's sh blocks:
// continuation lines joined, comments dropped.
func fencedCommands(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var cmds []string
	in, cur := false, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "```") {
			in = !in && (line == "```sh" || line == "```bash")
			continue
		}
		if !in {
			continue
		}
		line = strings.TrimSpace(stripComment(line))
		if line == "" {
			continue
		}
		if more, ok := strings.CutSuffix(line, `\`); ok {
			cur += strings.TrimSpace(more) + " "
			continue
		}
		cmds = append(cmds, cur+line)
		cur = ""
	}
	require.NoError(t, sc.Err())
	return cmds
}

// stripComment drops a shell comment that is outside quotes.
func stripComment(line string) string {
	var quote rune
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (i == 0 || line[i-1] == ' '):
			return line[:i]
		}
	}
	return line
}

func TestStripComment(t *testing.T) {
	assert.Equal(t, "make demo   ", stripComment("make demo   # dev server"))
	assert.Equal(t, `jq 'select(.a == "#x")'`, stripComment(`jq 'select(.a == "#x")'`))
	assert.Equal(t, "", stripComment("# in another shell:"))
}
