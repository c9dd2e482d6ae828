package testsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/internal/cli"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/ops"
	"github.com/olflow/olflow/starter"
	"github.com/olflow/olflow/temporalclient"
)

type cliResult struct {
	code           int
	stdout, stderr string
}

// decode reads the command's --json output.
func (r cliResult) decode(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal([]byte(r.stdout), v), "stdout: %s\nstderr: %s", r.stdout, r.stderr)
}

// olflow runs the olflow command in process against the shared dev server
// and this harness's task queue, with the settings a deployment would put
// in the environment.
func (h *harness) olflow(stdin string, env map[string]string, args ...string) cliResult {
	h.t.Helper()
	vars := map[string]string{
		"OLFLOW_TEMPORAL_ADDRESS": devServer.FrontendHostPort(),
		"OLFLOW_TASK_QUEUE":       h.queue,
		"OLFLOW_CODEC_KEYS":       testCodecKeys,
		"OLFLOW_SEAL_KEYS":        h.sealKeys,
	}
	for k, v := range env {
		vars[k] = v
	}
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := cli.Main(ctx, args, cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return vars[k] }})
	return cliResult{code: code, stdout: out.String(), stderr: errb.String()}
}

func TestCLIConnectSyncScheduleStatusReplay(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 250, Groups: 8, Roles: 10, Apps: 6, Faults: olsim.Faults{Latency: 5 * time.Millisecond}})
	const id = "cli-acme"

	// The secret from stdin; the progress bar goes to stderr, the result to stdout.
	r := h.olflow(olsim.DefaultClientSecret+"\n", nil, "connect", "--json", "-i", id, "--subdomain", "acme.onelogin.com",
		"--client-id", olsim.DefaultClientID, "--client-secret-file", "-", "--requested-by", "ops@example")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	var res api.ConnectResult
	r.decode(t, &res)
	assert.Equal(t, 250, res.Sync.Users().Items)
	assert.Equal(t, "manage_all", res.Scope)
	assert.Contains(t, r.stderr, "connect "+id, "a progress line per step")
	assert.Contains(t, r.stderr, "100%")
	assert.NotContains(t, r.stdout+r.stderr, olsim.DefaultClientSecret)

	// Again, human output, the secret from a variable: a rotation.
	r = h.olflow("", map[string]string{cli.DefaultSecretEnv: olsim.DefaultClientSecret},
		"connect", "-i", id, "--subdomain", "acme", "--client-id", olsim.DefaultClientID)
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Contains(t, r.stdout, "Connected "+id+" to acme.onelogin.com")
	assert.Contains(t, r.stdout, "Periodic sync updated")

	// The secret is never a flag value, and a missing one is a usage error.
	r = h.olflow("", nil, "connect", "-i", id, "--subdomain", "acme", "--client-id", "x")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "--client-secret-file")
	r = h.olflow("", nil, "connect", "-i", id, "--subdomain", "acme", "--client-id", "x", "--client-secret", "oops")
	assert.Equal(t, 2, r.code, "there is no --client-secret flag")

	// A refused credential shows its code and the admin's message.
	r = h.olflow("wrong-secret", nil, "--json", "connect", "-i", "cli-bad", "--subdomain", "acme",
		"--client-id", olsim.DefaultClientID, "--client-secret-file", "-")
	assert.Equal(t, 1, r.code)
	var fail struct {
		Error struct{ Code, Message string }
	}
	r.decode(t, &fail)
	assert.Equal(t, string(errcode.InvalidCredentials), fail.Error.Code)
	assert.NotEmpty(t, fail.Error.Message)
	r = h.olflow("wrong-secret", nil, "connect", "-i", "cli-bad", "--subdomain", "acme",
		"--client-id", olsim.DefaultClientID, "--client-secret-file", "-")
	assert.Contains(t, r.stderr, "olflow: invalid_credentials: ")
	r = h.olflow("", nil, "connect", "-i", "cli-bad", "--subdomain", "acme", "--client-id", "x", "--client-secret-file", "-")
	assert.Equal(t, 2, r.code, "an empty secret on stdin is refused before anything starts: %s", r.stderr)
	r = h.olflow("s", nil, "--json", "connect", "-i", "cli-bad", "--subdomain", "acme.example.com", "--client-id", "x",
		"--client-secret-file", "-")
	assert.Equal(t, 2, r.code, "bad input exits 2")
	var refused struct{ Error struct{ Code, Field string } }
	r.decode(t, &refused)
	assert.Equal(t, string(errcode.InvalidInput), refused.Error.Code)
	assert.Equal(t, "subdomain", refused.Error.Field)

	// On-demand full sync with a live progress bar.
	r = h.olflow("", nil, "--json", "sync", "-i", id, "--mode", "full", "--wait")
	require.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	var sync api.SyncResult
	r.decode(t, &sync)
	assert.Equal(t, api.SyncStatusCompleted, sync.Status)
	assert.Equal(t, 250, sync.Users().Items)
	assert.Contains(t, r.stderr, "sync "+id)

	// Schedule: pause, show, resume, trigger.
	require.Equal(t, 0, h.olflow("", nil, "schedule", "pause", "-i", id, "--note", "admin rotating the key").code)
	r = h.olflow("", nil, "--json", "schedule", "show", "-i", id)
	require.Equal(t, 0, r.code, r.stderr)
	var sched ops.ScheduleInfo
	r.decode(t, &sched)
	assert.True(t, sched.Paused)
	assert.Equal(t, "admin rotating the key", sched.Note)
	assert.Equal(t, api.DefaultSyncInterval, sched.Interval)
	require.Equal(t, 0, h.olflow("", nil, "schedule", "resume", "-i", id).code)

	r = h.olflow("", nil, "schedule", "trigger", "-i", id)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "triggered")

	r = h.olflow("", nil, "schedule", "show", "-i", "cli-nobody")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "not_found")

	// Status: the record from the store, the schedule, the runs.
	assert.Eventually(t, func() bool {
		r = h.olflow("", nil, "--json", "status", "-i", id, "--store", h.storeDSN)
		var st ops.Status
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &st) != nil {
			return false
		}
		return st.Integration != nil && st.Schedule != nil && !st.Schedule.Paused && st.Schedule.Actions >= 1 && len(st.Runs) >= 4
	}, 30*time.Second, 200*time.Millisecond)
	require.Equal(t, 0, r.code, "%s %s", r.stdout, r.stderr)
	var status ops.Status
	r.decode(t, &status)
	assert.EqualValues(t, 250, status.Integration.Users)
	assert.Equal(t, "connected", string(status.Integration.Integration.Status))
	r = h.olflow("", nil, "status", "-i", id, "--store", h.storeDSN)
	require.Equal(t, 0, r.code)
	assert.Contains(t, r.stdout, "Integration "+id+": connected")
	assert.Contains(t, r.stdout, "ConnectIntegration")
	assert.Contains(t, r.stdout, "Schedule "+api.ScheduleID(id))

	// Replay: one run from the server, every run of the integration.
	r = h.olflow("", nil, "replay", "-w", api.ConnectWorkflowID(id))
	require.Equal(t, 0, r.code, "%s %s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "OK ")
	assert.Contains(t, r.stdout, "1 of 1 runs replay")
	r = h.olflow("", nil, "--json", "replay", "-q", ops.IntegrationQuery(id))
	require.Equal(t, 0, r.code, "%s %s", r.stdout, r.stderr)
	var replays []ops.ReplayResult
	r.decode(t, &replays)
	assert.GreaterOrEqual(t, len(replays), 4)
	for _, rr := range replays {
		assert.True(t, rr.OK, "%s: %s", rr.WorkflowID, rr.Error)
	}
	r = h.olflow("", map[string]string{"OLFLOW_CODEC_KEYS": ""}, "replay", "-w", api.ConnectWorkflowID(id))
	assert.Equal(t, 1, r.code, "without the codec keys the history cannot be read")

	// Disconnect.
	r = h.olflow("", nil, "disconnect", "-i", id)
	require.Equal(t, 0, r.code, r.stderr)
	r = h.olflow("", nil, "schedule", "show", "-i", id)
	assert.Equal(t, 1, r.code)
}

func TestReplayThroughTheCLIShowsWhereARunDiverges(t *testing.T) {
	t.Parallel()
	src := filepath.Join(historiesDir, "v0.1.0", "connect-success.json")
	raw, err := os.ReadFile(src)
	require.NoError(t, err)
	// Today's code schedules ValidateCredential first; this history says
	// another activity ran there, as if the code had changed under it.
	changed := strings.Replace(string(raw), `"name": "ValidateCredential"`, `"name": "CheckCredentialV0"`, 1)
	require.NotEqual(t, string(raw), changed)
	file := filepath.Join(t.TempDir(), "changed.json")
	require.NoError(t, os.WriteFile(file, []byte(changed), 0o600))

	h := &harness{t: t}
	r := h.olflow("", nil, "replay", src, file)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "OK        "+src)
	assert.Contains(t, r.stdout, "DIVERGES  "+file)
	assert.Contains(t, r.stdout, "ActivityTaskScheduled activity CheckCredentialV0")
	assert.Contains(t, r.stdout, "1 of 2 runs replay")

	// --json prints one document a script can parse, and still exits 1.
	// A run that does not exist is not a divergence: nothing replayed.
	r = h.olflow("", nil, "replay", "-w", "onelogin-sync/nobody-here")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stdout, "UNREADABLE")
	assert.Contains(t, r.stdout, "not_found: no workflow onelogin-sync/nobody-here")
	assert.NotContains(t, r.stdout, "DIVERGES")

	r = h.olflow("", nil, "--json", "replay", src, file)
	assert.Equal(t, 1, r.code)
	var results []ops.ReplayResult
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &results), "stdout is one JSON document: %s", r.stdout)
	require.Len(t, results, 2)
	assert.True(t, results[0].OK)
	assert.False(t, results[1].OK)

	res, err := ops.ReplayHistoryFile(file, dataConverter())
	require.NoError(t, err)
	require.False(t, res.OK)
	require.NotNil(t, res.Divergence)
	assert.Equal(t, "activity CheckCredentialV0", res.Divergence.Detail)
	assert.Positive(t, res.Divergence.EventID)
	assert.Equal(t, "ConnectIntegration", res.WorkflowType)
}

func TestGoAPIForOperators(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 60})
	ctx := ctxT(t, time.Minute)
	const id = "api-ops"
	st, err := starter.Dial(ctx, starter.Config{
		Temporal: temporalclient.Options{Address: devServer.FrontendHostPort(), CodecKeys: codecKeys, Logger: quietLogger()},
		SealKeys: h.keys, TaskQueue: h.queue,
	})
	require.NoError(t, err)
	defer st.Close()
	op := &ops.Ops{Client: st.Client, DataConverter: dataConverter(), Store: h.store}
	res, err := st.Connect(ctx, h.connectInput(id))
	require.NoError(t, err)
	assert.Equal(t, 60, res.Sync.Users().Items)

	status, err := op.Status(ctx, id, 5)
	require.NoError(t, err)
	require.NotNil(t, status.Integration)
	assert.EqualValues(t, 60, status.Integration.Users)
	require.NotNil(t, status.Schedule)
	assert.False(t, status.Schedule.Paused)

	require.NoError(t, op.PauseSchedule(ctx, id, ""))
	info, err := op.Schedule(ctx, id)
	require.NoError(t, err)
	assert.True(t, info.Paused)
	assert.Equal(t, "Paused with olflow.", info.Note)

	rr := op.ReplayExecution(ctx, api.InitialSyncWorkflowID(id), "")
	assert.True(t, rr.OK, rr.Error)
	assert.Equal(t, api.SyncWorkflow, rr.WorkflowType)

	_, err = op.Status(ctx, "api-nobody", 5)
	assert.Equal(t, errcode.NotFound, errcode.Of(err))

	noKeys := &starter.Starter{Client: st.Client, TaskQueue: h.queue}
	_, err = noKeys.StartConnect(ctx, h.connectInput("api-nokeys"))
	assert.ErrorContains(t, err, "OLFLOW_SEAL_KEYS")
	assert.Contains(t, fmt.Sprint(starter.Message(err)), "sealing keys")
}

func TestCLIActions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, olsim.Options{Users: 30, Groups: 4, Roles: 5})
	const id = "cli-actions"
	_, err := h.starter.Connect(ctxT(t, time.Minute), h.connectInput(id))
	require.NoError(t, err)
	users, groups, roles := h.sim.Users(), h.sim.Groups(), h.sim.Roles()
	hire, err := h.sim.CreateUser(olsim.Fields{"email": "new.hire@acme.example", "username": "new.hire", "firstname": "New",
		"lastname": "Hire", "status": 0})
	require.NoError(t, err)

	// Onboard by email; the reset link only with --show-links.
	args := []string{"onboard-user", "-i", id, "--request-id", "hire-1", "-u", hire.Email,
		"--group", fmt.Sprint(groups[1].ID), "--role", fmt.Sprint(roles[0].ID), "--role", fmt.Sprint(roles[1].ID), "--reset", "link"}
	r := h.olflow("", nil, args...)
	require.Equal(t, 0, r.code, "%s %s", r.stdout, r.stderr)
	assert.Contains(t, r.stdout, "OnboardUser on "+id+" (request hire-1): 1 changed")
	assert.Contains(t, r.stdout, "reset link: (hidden")
	r = h.olflow("", nil, append([]string{"--json"}, append(args, "--show-links")...)...)
	require.Equal(t, 0, r.code, r.stderr)
	var onboard struct {
		api.ActionResult
		Links []string
	}
	r.decode(t, &onboard)
	assert.Equal(t, 1, onboard.Changed, "the same request id returns the first run's result")
	require.Len(t, onboard.Links, 1)
	assert.Contains(t, onboard.Links[0], "http")
	u, ok := h.sim.User(hire.ID)
	require.True(t, ok)
	assert.Equal(t, 1, u.Status)
	assert.Equal(t, groups[1].ID, u.GroupID)

	// Bulk actions by id and username; membership checks.
	r = h.olflow("", nil, "--json", "add-users-to-group", "-i", id, "-u", fmt.Sprint(users[0].ID), "-u", "username:"+users[1].Username,
		"--group", fmt.Sprint(groups[2].ID))
	require.Equal(t, 0, r.code, r.stderr)
	var bulk api.ActionResult
	r.decode(t, &bulk)
	assert.Equal(t, 2, bulk.Changed+bulk.AlreadyDone)
	r = h.olflow("", nil, "check-group-membership", "-i", id, "-u", fmt.Sprintf("%d,%d", users[0].ID, hire.ID), "--group", fmt.Sprint(groups[2].ID))
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "in group: true")
	assert.Contains(t, r.stdout, "in group: false")

	// A password from stdin; never a flag.
	r = h.olflow("Sup3r-secret-pw\n", nil, "set-user-password", "-i", id, "-u", fmt.Sprint(hire.ID), "--password-file", "-")
	require.Equal(t, 0, r.code, "%s %s", r.stdout, r.stderr)
	assert.True(t, h.sim.CheckPassword(hire.ID, "Sup3r-secret-pw"))
	assert.NotContains(t, r.stdout+r.stderr, "Sup3r-secret-pw")
	r = h.olflow("", nil, "set-user-password", "-i", id, "-u", fmt.Sprint(hire.ID))
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "--password-file")

	// Offboard without waiting: the workflow id comes back.
	r = h.olflow("", nil, "--json", "offboard-user", "-i", id, "-u", hire.Email, "--request-id", "bye-1", "--wait=false")
	require.Equal(t, 0, r.code, r.stderr)
	var started map[string]string
	r.decode(t, &started)
	assert.Equal(t, api.ActionWorkflowID(id, "bye-1"), started["WorkflowID"])
	require.NoError(t, h.client.GetWorkflow(ctxT(t, time.Minute), started["WorkflowID"], "").Get(context.Background(), nil))

	// Bad input: the field and the message.
	r = h.olflow("", nil, "--json", "add-users-to-role", "-i", id, "-u", "1", "--role", "-4")
	assert.Equal(t, 2, r.code, "bad input exits 2")
	var refused struct{ Error struct{ Code, Field string } }
	r.decode(t, &refused)
	assert.Equal(t, string(errcode.InvalidInput), refused.Error.Code)
	assert.NotEmpty(t, refused.Error.Field)
}
