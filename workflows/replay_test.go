package workflows_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"golang.org/x/mod/semver"

	"github.com/olflow/olflow/codec"
	"github.com/olflow/olflow/ops"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/workflows"
)

// The replay corpus: one folder per release under corpusDir, each recorded
// by `make histories RELEASE=…` from that release's code and never
// rewritten. Every history of every release must replay against today's
// workflow code; this runs in plain `go test`, with no server or CLI.
const corpusDir = "../testsuite/testdata/histories"

// knownDivergences are histories that today's code cannot replay, each with
// the reason and the text the replayer's error must contain. v0.1.0
// shipped the audit-on-cancel change ungated; its gate now keeps the runs
// cancelled before it (v0.1.0-pre) replaying, and the two shapes carry no
// marker to tell them apart, so the ungated v0.1.0 cancelled actions with
// an audit step diverge at that step. RUNBOOK.md says what on-call does.
var knownDivergences = map[string]string{}

func init() {
	for _, name := range []string{"activate-users", "suspend-users", "add-users-to-group", "remove-users-from-group",
		"check-group-membership", "add-users-to-role", "remove-users-from-role", "generate-password-reset-link",
		"send-password-reset-email", "onboard-user", "offboard-user", "set-user-password"} {
		knownDivergences["v0.1.0/action-"+name+"-cancelled.json"] = "activity RecordAction"
	}
}

func corpusConverter(t *testing.T) converter.DataConverter {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, "codec-keys.txt"))
	require.NoError(t, err)
	keys, err := seal.ParseKeyring(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return codec.DataConverter(keys)
}

// releases lists the corpus's release folders, oldest first.
func releases(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(corpusDir)
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			require.True(t, semver.IsValid(e.Name()), "release folder %q is not a semantic version", e.Name())
			out = append(out, e.Name())
		}
	}
	require.NotEmpty(t, out, "no release folders in %s", corpusDir)
	slices.SortFunc(out, semver.Compare)
	return out
}

func historyFiles(t *testing.T, release string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, release, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "release %s has no histories", release)
	return files
}

func TestReplayCorpus(t *testing.T) {
	dc := corpusConverter(t)
	inCorpus := map[string]bool{}
	for _, release := range releases(t) {
		for _, f := range historyFiles(t, release) {
			rel := release + "/" + filepath.Base(f)
			inCorpus[rel] = true
			t.Run(rel, func(t *testing.T) {
				res, err := ops.ReplayHistoryFile(f, dc)
				require.NoError(t, err)
				if want, known := knownDivergences[rel]; known {
					require.False(t, res.OK, "%s is listed as diverging but replays: take it off the list", rel)
					require.NotNil(t, res.Divergence, "the report locates the divergence: %s", res.Error)
					assert.Equal(t, "missing_command", res.Divergence.Kind)
					assert.Contains(t, res.Divergence.Detail, want)
					return
				}
				assert.True(t, res.OK, "%s does not replay: %s", rel, res.Error)
				assertEncrypted(t, f, semver.Compare(release, "v0.2.0") < 0)
			})
		}
	}
	for rel := range knownDivergences {
		assert.True(t, inCorpus[rel], "known divergence %s is not in the corpus", rel)
	}
}

// assertEncrypted: every payload in the history is sealed by the codec, as
// in production, so the corpus replays through the same decoding path.
// Releases before v0.2.0 wrote failure details in clear (clearDetails).
func assertEncrypted(t *testing.T, path string, clearDetails bool) {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	require.NoError(t, err)
	n := 0
	require.NoError(t, proxy.VisitPayloads(context.Background(), hist, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true, // the server indexes these: never encoded
		Visitor: func(ctx *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			if _, details := ctx.Parent.(*failurepb.ApplicationFailureInfo); details && clearDetails {
				return ps, nil
			}
			for _, p := range ps {
				if string(p.GetData()) == `"ACTIVITY_ID_NOT_STARTED"` {
					continue // the SDK's own marker for a cancel before the activity started: not our data
				}
				n++
				assert.Equal(t, codec.MetadataEncoding, string(p.GetMetadata()[converter.MetadataEncoding]), "%s holds a payload in clear", path)
			}
			return ps, nil
		},
	}))
	assert.Positive(t, n, "%s holds no payloads", path)
}

// TestNewestReleaseCoversEveryWorkflowType: the newest release folder holds
// at least one completed and one failed run of every registered type, so
// the next release is checked against every workflow it can meet.
func TestNewestReleaseCoversEveryWorkflowType(t *testing.T) {
	all := releases(t)
	newest := all[len(all)-1]
	type closes struct{ completed, failed bool }
	got := map[string]*closes{}
	for _, f := range historyFiles(t, newest) {
		typ, close := historyShape(t, f)
		c := got[typ]
		if c == nil {
			c = &closes{}
			got[typ] = c
		}
		c.completed = c.completed || close == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
		c.failed = c.failed || close == "EVENT_TYPE_WORKFLOW_EXECUTION_FAILED"
	}
	for _, typ := range workflows.Types() {
		c := got[typ]
		if !assert.NotNil(t, c, "release %s has no history of %s", newest, typ) {
			continue
		}
		assert.True(t, c.completed, "release %s has no completed run of %s", newest, typ)
		assert.True(t, c.failed, "release %s has no failed run of %s", newest, typ)
	}
}

// historyShape reads a history file's workflow type and closing event.
func historyShape(t *testing.T, path string) (workflowType, closeEvent string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var h struct {
		Events []struct {
			EventType string `json:"eventType"`
			Started   *struct {
				WorkflowType struct{ Name string } `json:"workflowType"`
			} `json:"workflowExecutionStartedEventAttributes"`
		} `json:"events"`
	}
	require.NoError(t, json.Unmarshal(b, &h), path)
	require.NotEmpty(t, h.Events, path)
	require.NotNil(t, h.Events[0].Started, "%s does not start with WorkflowExecutionStarted", path)
	return h.Events[0].Started.WorkflowType.Name, h.Events[len(h.Events)-1].EventType
}

// TestReplayCatchesADivergence proves the corpus test can fail: the same
// history with one activity renamed no longer replays.
func TestReplayCatchesADivergence(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(corpusDir, "v0.1.0", "action-suspend-users.json"))
	require.NoError(t, err)
	tampered := strings.Replace(string(src), `"name": "SuspendUser"`, `"name": "SuspendUserRenamed"`, 1)
	require.NotEqual(t, string(src), tampered, "the history names the SuspendUser activity")
	f := filepath.Join(t.TempDir(), "tampered.json")
	require.NoError(t, os.WriteFile(f, []byte(tampered), 0o600))
	res, err := ops.ReplayHistoryFile(f, corpusConverter(t))
	require.NoError(t, err)
	assert.False(t, res.OK)
	require.NotNil(t, res.Divergence, "the report locates the divergence: %s", res.Error)
	assert.Equal(t, "mismatch", res.Divergence.Kind)
	assert.Contains(t, res.Divergence.Detail, "SuspendUserRenamed")
	assert.Contains(t, res.Divergence.Command, "SuspendUser")
}
