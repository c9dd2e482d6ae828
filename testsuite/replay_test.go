package testsuite

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/olflow/olflow/starter"
)

// TestReplay replays every recorded history against today's workflow code,
// through the same API `olflow replay` uses: a change that would break
// running workflows fails here. The histories are encrypted with the test
// codec key. Record them again with `make histories` after a deliberate,
// versioned change.
func TestReplay(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(historiesDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no recorded histories in %s: run make histories", historiesDir)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			res := starter.ReplayHistoryFile(f, dataConverter())
			assert.True(t, res.OK, "%s does not replay: %s", f, res.Error)
			assert.NotEmpty(t, res.WorkflowType)
			plain := starter.ReplayHistoryFile(f, converter.GetDefaultDataConverter())
			assert.False(t, plain.OK, "%s must hold encrypted payloads (record it again with make histories)", f)
		})
	}
}
