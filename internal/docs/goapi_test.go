package docs

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestREADMEGoAPIExampleCompiles builds the README's Go API file as
// written, inside this module, so a renamed method or type breaks the test
// rather than the product backend's first build.
func TestREADMEGoAPIExampleCompiles(t *testing.T) {
	doc := read(t, "../../README.md")
	i := strings.Index(doc, "## The Go API")
	require.GreaterOrEqual(t, i, 0)
	start := strings.Index(doc[i:], "```go\n")
	require.GreaterOrEqual(t, start, 0, "no Go block under The Go API")
	src := doc[i+start+len("```go\n"):]
	src = src[:strings.Index(src, "```")]
	require.Contains(t, src, "errcode.", "the example switches on errcode constants")

	dir, err := os.MkdirTemp(".", "readme-example-")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "backend.go"), []byte(src), 0o600))
	out, err := exec.Command("go", "vet", "./"+filepath.Base(dir)).CombinedOutput()
	require.NoError(t, err, "the README's Go API example does not compile:\n%s", out)
}
