// Package docs checks that README.md and RUNBOOK.md say what the code and
// the deployment files do.
package docs

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/olflow/olflow/internal/cli"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// tableAfter returns the rows of the first markdown table after heading,
// as trimmed cells.
func tableAfter(t *testing.T, doc, heading string) [][]string {
	t.Helper()
	i := strings.Index(doc, heading)
	require.GreaterOrEqual(t, i, 0, "no %q in the document", heading)
	var rows [][]string
	sc := bufio.NewScanner(strings.NewReader(doc[i:]))
	inTable := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		if strings.HasPrefix(line, "|---") {
			continue
		}
		var cells []string
		for _, c := range strings.Split(strings.Trim(line, "|"), "|") {
			cells = append(cells, strings.TrimSpace(c))
		}
		rows = append(rows, cells)
	}
	require.NotEmpty(t, rows, "no table after %q", heading)
	return rows[1:] // without the header
}

func TestREADMEConfigurationTableMatchesTheSettings(t *testing.T) {
	rows := tableAfter(t, read(t, "../../README.md"), "## Configuration")
	byEnv := map[string][]string{}
	for _, r := range rows {
		require.Len(t, r, 5, "row %v", r)
		byEnv[strings.Trim(r[0], "`")] = r
	}
	for _, s := range cli.Settings {
		r, ok := byEnv[s.Env]
		if !assert.True(t, ok, "README's configuration table lacks %s", s.Env) {
			continue
		}
		assert.Equal(t, "`"+s.FlagName()+"`", r[1], "%s's flag", s.Env)
		if s.Default != "" {
			assert.Equal(t, "`"+s.Default+"`", r[2], "%s's default", s.Env)
		} else {
			assert.True(t, strings.HasPrefix(r[2], "—"), "%s has no default, README says %s", s.Env, r[2])
		}
		delete(byEnv, s.Env)
	}
	assert.Empty(t, byEnv, "README lists settings that do not exist")
}

type compose struct {
	Services map[string]struct {
		Ports       []string       `yaml:"ports"`
		Environment map[string]any `yaml:"environment"`
	} `yaml:"services"`
}

func TestComposeHasTheServicesPortsAndEnvironmentTheREADMEGives(t *testing.T) {
	var c compose
	require.NoError(t, yaml.Unmarshal([]byte(read(t, "../../docker-compose.yml")), &c))
	rows := tableAfter(t, read(t, "../../README.md"), "## docker-compose")
	envName := regexp.MustCompile("`([A-Z][A-Z0-9_]+)`")
	port := regexp.MustCompile(`\d+`)
	for _, r := range rows {
		require.Len(t, r, 3, "row %v", r)
		name := strings.Trim(r[0], "`")
		svc, ok := c.Services[name]
		if !assert.True(t, ok, "README names service %s; docker-compose.yml lacks it", name) {
			continue
		}
		var published []string
		for _, p := range svc.Ports {
			published = append(published, port.FindAllString(p, -1)...)
		}
		for _, p := range port.FindAllString(r[1], -1) {
			assert.Contains(t, published, p, "service %s: README gives port %s", name, p)
		}
		if len(port.FindAllString(r[1], -1)) == 0 {
			assert.Empty(t, svc.Ports, "service %s publishes ports the README does not give", name)
		}
		for _, m := range envName.FindAllStringSubmatch(r[2], -1) {
			_, ok := svc.Environment[m[1]]
			if !ok {
				// Merged from an anchor (<<: *temporal-db).
				if merged, isMap := svc.Environment["<<"].(map[string]any); isMap {
					_, ok = merged[m[1]]
				}
			}
			assert.True(t, ok, "service %s: README gives %s, docker-compose.yml does not set it", name, m[1])
		}
	}
	var named []string
	for _, r := range rows {
		named = append(named, strings.Trim(r[0], "`"))
	}
	for name := range c.Services {
		assert.Contains(t, named, name, "docker-compose.yml has %s; the README's table does not", name)
	}
}

// TestComposeFileValidates runs Debian's docker-compose when it is there
// (CI installs it: apt-get install docker-compose).
func TestComposeFileValidates(t *testing.T) {
	bin, err := exec.LookPath("docker-compose")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("docker-compose is not installed (apt-get install docker-compose)")
		}
		t.Skip("docker-compose is not installed")
	}
	out, err := exec.Command(bin, "-f", "../../docker-compose.yml", "config", "-q").CombinedOutput()
	assert.NoError(t, err, "%s", out)
}

func TestEveryMakeTargetIsInTheREADME(t *testing.T) {
	mk := read(t, "../../Makefile")
	rows := tableAfter(t, read(t, "../../README.md"), "## Make targets")
	var documented []string
	for _, r := range rows {
		documented = append(documented, strings.TrimPrefix(strings.Trim(r[0], "`"), "make "))
	}
	for _, m := range regexp.MustCompile(`(?m)^## ([a-z-]+):`).FindAllStringSubmatch(mk, -1) {
		assert.True(t, slices.Contains(documented, m[1]), "make %s is not in the README's table", m[1])
	}
	for _, d := range documented {
		assert.Regexp(t, "(?m)^"+regexp.QuoteMeta(d)+":", mk, "README documents make %s; the Makefile lacks it", d)
	}
}

func TestRunbookCommandsExist(t *testing.T) {
	runbook := read(t, "../../RUNBOOK.md")
	for _, m := range regexp.MustCompile(`bin/olflow ([a-z-]+)`).FindAllStringSubmatch(runbook, -1) {
		var out strings.Builder
		code := cli.Main(t.Context(), []string{m[1], "--help"}, cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
			Getenv: func(string) string { return "" }})
		assert.Equal(t, 0, code, "olflow %s: %s", m[1], out.String())
		assert.Contains(t, out.String(), "Usage:", "olflow %s exists", m[1])
	}
}
