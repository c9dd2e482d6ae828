package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/ops"
	"github.com/olflow/olflow/starter"
)

func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(t.Context(), args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

func TestFlagsDefaultToTheirVariables(t *testing.T) {
	a := &app{Env: Env{Getenv: func(k string) string {
		return map[string]string{"OLFLOW_TEMPORAL_ADDRESS": "temporal:7233", "OLFLOW_TLS": "true"}[k]
	}}}
	a.l = &loader{getenv: a.Getenv}
	root := a.root()
	require.NoError(t, root.ParseFlags(nil))
	assert.Equal(t, "temporal:7233", a.temporal.Address)
	assert.True(t, a.temporal.TLS)
	assert.Equal(t, "default", a.temporal.Namespace, "unset variables take the built-in default")

	require.NoError(t, root.ParseFlags([]string{"--address", "other:7233"}))
	assert.Equal(t, "other:7233", a.temporal.Address, "a flag beats its variable")
}

func TestBadVariablesAreUsageErrors(t *testing.T) {
	code, _, errOut := run(t, map[string]string{"OLFLOW_TLS": "maybe", "OLFLOW_SHUTDOWN_TIMEOUT": "soon"}, "keygen")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "OLFLOW_TLS")
	assert.Contains(t, errOut, "OLFLOW_SHUTDOWN_TIMEOUT")
}

func TestSecretsComeFromFilesOrVariablesNeverFlags(t *testing.T) {
	file := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(file, []byte("from-file\n"), 0o600))
	a := &app{Env: Env{Getenv: func(k string) string { return map[string]string{"OLFLOW_SEAL_KEYS": "from-env"}[k] }}}
	a.l = &loader{getenv: a.Getenv}
	root := a.root()
	connect, _, err := root.Find([]string{"connect"})
	require.NoError(t, err)
	require.NoError(t, connect.ParseFlags([]string{"--seal-keys-file", file}))
	require.NoError(t, a.l.resolve())
	assert.Equal(t, "from-file", a.sealKeys, "the file named on the command that runs wins over the variable")
	assert.Nil(t, connect.Flags().Lookup("seal-keys"), "no flag carries a secret's value")
	assert.Nil(t, connect.Flags().Lookup("client-secret"))

	b := &app{Env: a.Env}
	b.l = &loader{getenv: b.Getenv}
	b.root()
	require.NoError(t, b.l.resolve())
	assert.Equal(t, "from-env", b.sealKeys)
}

func TestParseUser(t *testing.T) {
	for in, want := range map[string]api.UserRef{
		"123":              {ID: 123},
		"id:42":            {ID: 42},
		"ada@example.com":  {Email: "ada@example.com"},
		"email:x@y":        {Email: "x@y"},
		"ada.lovelace":     {Username: "ada.lovelace"},
		"username:12345x":  {Username: "12345x"},
		"username:007":     {Username: "007"},
		" 7 ":              {ID: 7},
		"username:a:b:c@d": {Username: "a:b:c@d"},
	} {
		got, err := parseUser(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "id:x", "id:-1", "phone:555"} {
		_, err := parseUser(bad)
		assert.Error(t, err, bad)
	}
}

func TestEveryActionWorkflowHasACommand(t *testing.T) {
	_, out, _ := run(t, nil, "--help")
	for _, wf := range []string{api.ActivateUsersWorkflow, api.SuspendUsersWorkflow, api.AddUsersToGroupWorkflow,
		api.RemoveUsersFromGroupWorkflow, api.CheckGroupMembershipWorkflow, api.AddUsersToRoleWorkflow,
		api.RemoveUsersFromRoleWorkflow, api.GeneratePasswordResetLinkWorkflow, api.SendPasswordResetEmailWorkflow,
		api.SetUserPasswordWorkflow, api.OnboardUserWorkflow, api.OffboardUserWorkflow} {
		assert.Contains(t, out, commandName(wf)+" ", wf)
	}
	assert.Equal(t, "add-users-to-group", commandName("AddUsersToGroup"))
}

func TestErrorsShowTheCodeAndTheMessage(t *testing.T) {
	var out, errb bytes.Buffer
	a := &app{Env: Env{Stdout: &out, Stderr: &errb}}
	wf := temporal.NewNonRetryableApplicationError("The API credential's scope is too narrow.", "insufficient_scope", nil)
	assert.Equal(t, 1, a.report(wf))
	assert.Equal(t, "olflow: insufficient_scope: The API credential's scope is too narrow.\n", errb.String())

	errb.Reset()
	assert.Equal(t, 2, a.report(&starter.Error{Code: "invalid_input", Field: "subdomain", Message: "must be the tenant name"}), "bad input exits 2, like a usage error")
	assert.Equal(t, "olflow: invalid_input: subdomain: must be the tenant name\n", errb.String())

	a.json = true
	assert.Equal(t, 2, a.report(usagef("give --integration")))
	assert.JSONEq(t, `{"error":{"code":"usage","message":"give --integration","field":""}}`, out.String())
	out.Reset()
	assert.Equal(t, 1, a.report(errors.New("dial: connection refused")))
	assert.JSONEq(t, `{"error":{"code":"error","message":"dial: connection refused","field":""}}`, out.String())
}

func TestProgressView(t *testing.T) {
	p := &ops.LiveProgress{SyncProgress: api.SyncProgress{Phase: api.PhaseReading, Calls: 3,
		Kinds: map[string]*api.KindStatus{
			"users":  {State: api.KindRunning, Pages: 30, Items: 1500},
			"groups": {State: api.KindDone, Items: 20},
			"roles":  {State: api.KindDone, Items: 40},
			"apps":   {State: api.KindPending},
		}}, TotalPages: map[string]int{"users": 60}}
	assert.Equal(t, 52, percent(p), "users are 70%% of the work and half read; groups and roles are done")
	var b bytes.Buffer
	v := newProgressView(&b, "sync acme")
	v.update(nil, "checking the credential")
	v.update(nil, "checking the credential")
	v.update(p, "")
	p.Kinds["users"].Pages = 31
	v.update(p, "")
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 2, "off a terminal, a line per step only: %q", b.String())
	assert.Contains(t, lines[1], "52%")
	assert.Contains(t, lines[1], "users 1500 (page 30/60)")
	assert.Contains(t, lines[1], "groups 20 ok")
	p.Phase = api.PhaseDone
	assert.Equal(t, 100, percent(p))
}

func TestReplayNeedsOneSource(t *testing.T) {
	code, _, errOut := run(t, nil, "replay")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "give one of")
	code, _, _ = run(t, nil, "replay", "-w", "x", "--failed-since", "1h")
	assert.Equal(t, 2, code)
	assert.Equal(t, "ExecutionStatus = 'Failed' AND CloseTime > '2026-11-27T10:00:00Z'",
		FailedSinceQuery(mustTime(t, "2026-11-27T11:00:00+01:00")))
}

func TestKeygenMakesAUsableEntry(t *testing.T) {
	code, out, _ := run(t, nil, "keygen", "--id", "k2")
	require.Equal(t, 0, code)
	assert.Regexp(t, `^k2:[A-Za-z0-9+/]{43}=\n$`, out)
	code, _, _ = run(t, nil, "keygen", "--id", "bad id")
	assert.Equal(t, 2, code)
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	require.NoError(t, err)
	return v
}

// --help shows each flag's default, taken from its variable: a store DSN's
// password must not appear there, while the flag still gets the full value.
func TestHelpDoesNotPrintTheStorePassword(t *testing.T) {
	env := map[string]string{"OLFLOW_STORE_DSN": "postgres://olflow:Sup3rS3cret@db:5432/olflow"}
	for _, cmd := range []string{"worker", "status"} {
		code, out, errOut := run(t, env, cmd, "--help")
		assert.Equal(t, 0, code)
		assert.Contains(t, out+errOut, "postgres://olflow:xxxxx@db:5432/olflow", cmd)
		assert.NotContains(t, out+errOut, "Sup3rS3cret", cmd)
	}
	a := &app{Env: Env{Getenv: func(k string) string { return env[k] }}}
	a.l = &loader{getenv: a.Getenv}
	worker, _, err := a.root().Find([]string{"worker"})
	require.NoError(t, err)
	require.NoError(t, worker.ParseFlags(nil))
	assert.Equal(t, env["OLFLOW_STORE_DSN"], worker.Flags().Lookup("store").Value.String(), "the value itself is intact")
}

// olflow replay on history files: OK, each divergence kind's report, and a
// file that is not a history refused with invalid_input and exit 2.
func TestReplayFilesReportsAndExitCodes(t *testing.T) {
	const corpus = "../../testsuite/testdata/histories"
	keys, err := os.ReadFile(filepath.Join(corpus, "codec-keys.txt"))
	require.NoError(t, err)
	env := map[string]string{"OLFLOW_CODEC_KEYS": strings.TrimSpace(string(keys))}

	code, out, _ := run(t, env, "replay", filepath.Join(corpus, "v0.1.0", "action-suspend-users.json"))
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "OK ")

	code, out, _ = run(t, env, "replay", filepath.Join(corpus, "v0.1.0", "action-suspend-users-cancelled.json"))
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "DIVERGES")
	assert.Regexp(t, `at event \d+ ActivityTaskScheduled activity RecordAction: history has this step, this build no longer takes it`, out)

	empty := filepath.Join(t.TempDir(), "empty.json")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	for _, bad := range []string{empty, filepath.Join(t.TempDir(), "missing.json")} {
		code, out, errOut := run(t, env, "replay", bad)
		assert.Equal(t, 2, code, bad)
		assert.NotContains(t, out, "DIVERGES")
		assert.Contains(t, errOut, "invalid_input: file:")
	}
	code, out, _ = run(t, env, "--json", "replay", empty)
	assert.Equal(t, 2, code)
	assert.Contains(t, out, `"code":"invalid_input"`)
}

// The olflow binary offers no demo: only cmd/olflow-demo links a simulator.
func TestDemoOnlyWithATenant(t *testing.T) {
	code, _, errOut := run(t, nil, "demo")
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "unknown command")
}

func TestMigrateAtStart(t *testing.T) {
	for _, tc := range []struct {
		setting, dsn string
		want         bool
	}{
		{"auto", "sqlite://x.db", true},
		{"", "sqlite://x.db", true},
		{"auto", "postgres://db/olflow", false},
		{"true", "postgres://db/olflow", true},
		{"false", "sqlite://x.db", false},
	} {
		got, err := migrateAtStart(tc.setting, tc.dsn)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "%+v", tc)
	}
	_, err := migrateAtStart("sometimes", "sqlite://x.db")
	assert.Error(t, err)
}

// olflow migrate applies what is pending, once; status opens without DDL.
func TestMigrateCommand(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "olflow.db")
	code, out, errOut := run(t, nil, "--json", "migrate", "--store", dsn)
	require.Equal(t, 0, code, errOut)
	var first struct{ Applied []string }
	require.NoError(t, json.Unmarshal([]byte(out), &first))
	assert.NotEmpty(t, first.Applied)
	code, out, _ = run(t, nil, "migrate", "--store", dsn)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "up to date")
}
