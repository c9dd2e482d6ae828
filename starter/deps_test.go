package starter_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The product backend imports only starter: it must not link the store's
// drivers (a second "sqlite" database/sql driver panics at start), the
// OneLogin client or the worker's code.
func TestStarterLinksNoStoreOneLoginOrWorkerCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"modernc.org/sqlite", "github.com/jackc/pgx", "olflow/activities", "olflow/onelogin",
			"olflow/directory", "olflow/workflows", "olflow/worker", "olflow/ops"} {
			require.NotContains(t, dep, banned, "starter depends on %s", dep)
		}
	}
}

// olflow, the production binary, links no simulator (the demo is
// cmd/olflow-demo).
func TestOlflowLinksNoSimulator(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../cmd/olflow").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NotContains(t, string(out), "olflow/onelogin/olsim")
	require.NotContains(t, string(out), "olflow/internal/demosim")
}
