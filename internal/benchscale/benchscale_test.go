package benchscale

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func temporalCLI(t *testing.T) string {
	p := os.Getenv("OLFLOW_TEMPORAL_CLI")
	if p == "" {
		p, _ = filepath.Abs("../../bin/temporal")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the smoke run needs the temporal CLI at %s (make temporal)", p)
		}
		t.Skipf("no temporal CLI at %s (make temporal)", p)
	}
	return p
}

// TestSmoke runs every phase but the store benchmarks at tiny sizes, the
// worker in this process: the path make bench-scale takes, in well under a
// minute. Figures are not judged here (no wall-clock assertions); every row
// must be measured.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two dev servers")
	}
	cfg := Config{TemporalCLI: temporalCLI(t), SimUsers: 2000, SimPages: 5, SyncUsers: 300, Latency: 2 * time.Millisecond,
		Parallelism: 4, SmallUsers: 60, ErrorUsers: 120, ErrorRate: 0.1, FaultTimeout: time.Minute, ActUsers: 40, Onboards: 2, Suspend: 3,
		Untuned: true, BusySyncs: 2, BusyUsers: 60, Tenants: 2, TenantUsers: 60, Interval: time.Minute,
		Storm: 3 * time.Second, StormLatency: time.Millisecond, Progress: testWriter{t}}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep := Run(ctx, cfg)
	require.NoError(t, rep.Err())
	var whats []string
	for _, r := range rep.Rows {
		whats = append(whats, r.What)
		assert.NotEmpty(t, r.Figure, r.What)
		assert.NotEmpty(t, r.Goal, r.What)
		assert.Contains(t, []string{"yes", "no"}, r.Met, r.What)
	}
	for _, want := range []string{
		"olsim GET /api/2/users page at 2,000 users", "olsim memory",
		"OnboardUser end to end, 0-latency sim, idle", "SuspendUsers 3 users",
		"history events per full sync at 60 users", "history events per full sync at 300 users",
		"full sync 300 users, first (connect): OneLogin user calls", "full sync 300 users, re-sync: wall",
		"worker peak RSS, full sync 300 users", "full sync after 1% of 300 users deleted",
		"incremental sync, 1% of 297 changed", "CursorKeepsOnlyPaging",
		"full sync 297 users, 10% 5xx: wall / no-error wall", "full sync 120 users, 10% 5xx: user calls / minimal",
		"OnboardUser p95 while 2 full syncs", "scheduled runs completed", "accounts over their budget",
		"many tenants: worker peak RSS", "OnboardUser p95 during the storm",
	} {
		assert.True(t, containsPrefix(whats, want), "no row %q in %q", want, whats)
	}
	for _, r := range rep.Rows {
		if strings.Contains(r.What, "OnboardUser end to end") {
			assert.Contains(t, r.Figure, "untuned dev server p50")
		}
	}
	md := rep.Markdown("go run ./cmd/benchscale")
	assert.Contains(t, md, "| olsim memory at 2,000 users (Go heap) |")
	assert.Contains(t, md, rep.Machine)
}

func containsPrefix(ss []string, sub string) bool {
	for _, s := range ss {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestRunReportsAnEnvironmentThatCannotStart(t *testing.T) {
	rep := Run(context.Background(), Config{TemporalCLI: filepath.Join(t.TempDir(), "no-temporal")})
	require.Error(t, rep.Err())
	require.Len(t, rep.Rows, 1)
	assert.Equal(t, "no", rep.Rows[0].Met)
	assert.Contains(t, rep.Rows[0].Figure, "failed: start dev server")
}

const benchOut = `goos: linux
BenchmarkUpsertUsers/sqlite-file/new-2         	       1	6835491712 ns/op	     0.3 cpu-s	  14630 users/s	  9000 users/cpu-s	 105.0 allocs/user
BenchmarkUpsertUsers/sqlite-file/unchanged-2   	       1	1114956123 ns/op	  89700 users/s	  38.00 allocs/user
BenchmarkUpsertUsers/sqlite-file/new-x20-2     	       1	1 ns/op	  52000 users/s
BenchmarkUpsertUsers/sqlite-file/unchanged-x20-2	       1	1 ns/op	  160000 users/s
BenchmarkUpsertUsers/postgres/new-2            	       1	1 ns/op	  10800 users/s
BenchmarkUpsertUsers/postgres/unchanged-2      	       1	1 ns/op	  24800 users/s
PASS
`

func TestStoreRows(t *testing.T) {
	rows, err := storeRows(benchOut)
	require.NoError(t, err)
	require.Len(t, rows, 4)
	assert.Equal(t, Row{What: "store upsert, first sync, SQLite (users/s)", Figure: "52,000 (pages of 50: 14,630; x20 pages: 52,000)",
		Goal: "≥ 50,000", Met: "yes"}, rows[0])
	assert.Equal(t, "yes", rows[1].Met)
	assert.Equal(t, Row{What: "store upsert, first sync, PostgreSQL (users/s)", Figure: "10,800 (pages of 50: 10,800)",
		Goal: "≥ 50,000", Met: "no"}, rows[2])
	assert.Equal(t, "no", rows[3].Met)
}

func TestStoreRowsMissingBackend(t *testing.T) {
	_, err := storeRows(strings.ReplaceAll(benchOut, "postgres/unchanged", "postgres/other"))
	assert.ErrorContains(t, err, "no BenchmarkUpsertUsers/postgres/unchanged result")
}

func TestReplaceSection(t *testing.T) {
	sec := "## Scale\n\nnew figures\n"
	assert.Equal(t, "# B\n\n## A\n\na\n\n## Scale\n\nnew figures\n", ReplaceSection("# B\n\n## A\n\na\n", sec), "appended")
	assert.Equal(t, "# B\n\n## Scale\n\nnew figures\n\n## C\n\nc\n",
		ReplaceSection("# B\n\n## Scale\n\nold\n| x |\n\n## C\n\nc\n", sec), "replaced in the middle")
	assert.Equal(t, "# B\n\n## Scale\n\nnew figures\n", ReplaceSection("# B\n\n## Scale\n\nold\n", sec), "replaced at the end")
	assert.Equal(t, "## Scale\n\nnew figures\n\n## C\n", ReplaceSection("## Scale\nold\n\n## C\n", sec), "replaced at the start")
	assert.Equal(t, "# B\n\n## Scaled\n\nx\n\n## Scale\n\nnew figures\n", ReplaceSection("# B\n\n## Scaled\n\nx\n", sec),
		"a longer title is another section")
}

func TestParseVmHWM(t *testing.T) {
	n, err := parseVmHWM("Name:\tolflow\nVmPeak:\t  900 kB\nVmHWM:\t   68400 kB\nVmRSS:\t 1 kB\n")
	require.NoError(t, err)
	assert.Equal(t, int64(68400)<<10, n)
	_, err = parseVmHWM("Name:\tolflow\n")
	assert.ErrorContains(t, err, "no VmHWM")
	_, err = parseVmHWM("VmHWM:\tlots kB\n")
	assert.ErrorContains(t, err, "VmHWM")
	own, err := vmHWM(os.Getpid())
	require.NoError(t, err)
	assert.Positive(t, own)
}

func TestCountAndQuantile(t *testing.T) {
	assert.Equal(t, "1,000,000", count(1_000_000))
	assert.Equal(t, "999", count(999))
	assert.Equal(t, "-1,234", count(-1234))
	ds := []time.Duration{5, 1, 4, 2, 3}
	assert.Equal(t, time.Duration(3), quantile(ds, 0.5))
	assert.Equal(t, time.Duration(5), quantile(ds, 0.95))
	assert.Equal(t, time.Duration(0), quantile(nil, 0.5))
}

// TestFiveXXOverItsTime: a 5xx sync that cannot finish in FaultTimeout is
// terminated and reported as not met, and the run goes on.
func TestFiveXXOverItsTime(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a dev server")
	}
	cfg := Config{TemporalCLI: temporalCLI(t), Latency: time.Millisecond, Parallelism: 4, ErrorRate: 1, FaultTimeout: 5 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e, err := startEnv(ctx, cfg, true)
	require.NoError(t, err)
	defer e.stop()
	rows, err := errorSync(ctx, e, "err-never", 100)
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Contains(t, rows[0].Figure, "not done after 5s")
	assert.Equal(t, "no", rows[0].Met)
	assert.Contains(t, rows[1].Figure, "calls by then / 2")
	desc, err := e.client.DescribeWorkflow(ctx, "onelogin-sync/err-never", "")
	require.NoError(t, err)
	assert.Equal(t, "Terminated", desc.RawResponse.GetWorkflowExecutionInfo().GetStatus().String())
}
