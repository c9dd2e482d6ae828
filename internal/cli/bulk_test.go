package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
)

// TestBulkTargetFlagsBuildTheRequest: the bulk commands take
// --target-group, --target-role, --exclude, --dry-run and --chunk-size and
// no longer require --user; a group action keeps --group for its own group.
func TestBulkTargetFlagsBuildTheRequest(t *testing.T) {
	a := &app{Env: Env{Getenv: func(string) string { return "" }}}
	a.l = &loader{getenv: a.Getenv}
	act := actions[2]
	require.Equal(t, api.AddUsersToGroupWorkflow, act.workflow)
	cmd := a.actionCmd(act)
	require.NoError(t, cmd.ParseFlags([]string{"-i", "acme", "--group", "3", "--target-group", "7,8", "--target-role", "9",
		"--exclude", "admin@acme.com", "--dry-run", "--chunk-size", "250"}))
	require.NoError(t, cmd.ValidateRequiredFlags(), "--user is not required with targets")

	f := &actionFlags{integration: "acme", requestID: "r1", group: 3, targetGroups: []int64{7, 8}, targetRoles: []int64{9},
		exclude: []string{"admin@acme.com"}, dryRun: true, chunkSize: 250}
	req, err := f.request(act)
	require.NoError(t, err)
	g := req.(*api.GroupRequest)
	require.NoError(t, g.Normalize())
	assert.Equal(t, int64(3), g.GroupID)
	assert.Equal(t, []int64{7, 8}, g.TargetGroupIDs)
	assert.Equal(t, []int64{9}, g.TargetRoleIDs)
	assert.Equal(t, []api.UserRef{{Email: "admin@acme.com"}}, g.Exclude)
	assert.True(t, g.DryRun)
	assert.Equal(t, 250, g.ChunkSize)

	f.exclude = []string{"bad:x"}
	_, err = f.request(act)
	require.Error(t, err, "an exclusion is parsed like --user")
}

// TestActionExitCodeSaysAnyUserFailed: 0 only when no user failed; the
// code names the commonest failure.
func TestActionExitCodeSaysAnyUserFailed(t *testing.T) {
	assert.NoError(t, usersFailed(api.ActionResult{Changed: 3, AlreadyDone: 2}))
	err := usersFailed(api.ActionResult{Changed: 3, Failed: 3, Total: 6,
		FailedByCode: map[errcode.Code]int{errcode.NotFound: 2, errcode.Conflict: 1}})
	require.Error(t, err)
	assert.Equal(t, errcode.NotFound, errcode.Of(err))
	a := &app{Env: Env{Stdout: &discard{}, Stderr: &discard{}}, json: true}
	assert.Equal(t, 1, a.report(err), "a failed user exits 1")
	err = usersFailed(api.ActionResult{Failed: 1, Users: []api.UserResult{{Outcome: api.OutcomeFailed, Code: errcode.InvalidInput}}})
	assert.Equal(t, errcode.InvalidInput, errcode.Of(err))
	assert.Equal(t, 1, (&app{Env: Env{Stdout: &discard{}, Stderr: &discard{}}}).report(err),
		"a user's invalid input is not the command line's")
}

type discard struct{}

func (*discard) Write(p []byte) (int, error) { return len(p), nil }

// TestActionShowPagesOutcomes: olflow action show reads the store and
// pages the failures.
func TestActionShowPagesOutcomes(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "olflow.db")
	s, err := directory.Open(t.Context(), dsn)
	require.NoError(t, err)
	require.NoError(t, s.PutIntegration(t.Context(), directory.Integration{ID: "acme", Subdomain: "acme", Status: directory.StatusConnected}))
	_, err = s.RecordOutcomes(t.Context(), directory.OutcomeBatch{IntegrationID: "acme", RequestID: "r1", Action: "suspend_users",
		Outcomes: []directory.UserOutcome{{UserID: 1, Outcome: directory.OutcomeChanged},
			{UserID: 2, Outcome: directory.OutcomeFailed, ErrorCode: "not_found", Message: "gone"}}})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	code, out, errOut := run(t, nil, "action", "show", "-i", "acme", "--request-id", "r1", "--store", dsn, "--failed", "--json")
	require.Equal(t, 0, code, errOut)
	var page struct {
		Counts   directory.OutcomeCounts
		Outcomes []directory.ActionOutcome
	}
	require.NoError(t, json.Unmarshal([]byte(out), &page))
	assert.Equal(t, directory.OutcomeCounts{Changed: 1, Failed: 1}, page.Counts)
	require.Len(t, page.Outcomes, 1)
	assert.Equal(t, int64(2), page.Outcomes[0].UserID)

	code, _, errOut = run(t, nil, "action", "show", "-i", "acme", "--request-id", "other", "--store", dsn)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not_found")
}

// TestActionFailureKeepsJSONOutput: with --json a failed user adds no
// second document to stdout.
func TestActionFailureKeepsJSONOutput(t *testing.T) {
	var out discardCount
	a := &app{Env: Env{Stdout: &out, Stderr: &discard{}}, json: true}
	assert.Equal(t, 1, a.report(usersFailed(api.ActionResult{Failed: 1, Total: 1})))
	assert.Zero(t, out.n, "nothing more on stdout")
}

type discardCount struct{ n int }

func (d *discardCount) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }
