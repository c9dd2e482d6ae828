package benchscale

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/olflow/olflow/onelogin/olsim"
)

// simPages times GET /api/2/users pages spread over a simulator of
// SimUsers users, calling ServeHTTP directly (the server's work, no
// network), and the heap the directory takes.
func simPages(cfg Config) ([]Row, error) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	sim := olsim.New(olsim.Options{Seed: 1, Users: cfg.SimUsers, Groups: 20, Roles: 40, Apps: 30, EventCapacity: -1})
	load := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	token, err := simToken(sim)
	if err != nil {
		return nil, err
	}
	pages := (cfg.SimUsers + 49) / 50
	n := max(cfg.SimPages, 1)
	took := make([]time.Duration, 0, n)
	for i := range n {
		page := 1 + i*pages/n
		req := httptest.NewRequest(http.MethodGet, "/api/2/users?limit=50&page="+strconv.Itoa(page), nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		t0 := time.Now()
		sim.ServeHTTP(rec, req)
		took = append(took, time.Since(t0))
		if rec.Code != http.StatusOK {
			return nil, fmt.Errorf("page %d: HTTP %d: %s", page, rec.Code, rec.Body.String())
		}
	}
	runtime.KeepAlive(sim)
	p50, p95 := quantile(took, 0.5), quantile(took, 0.95)
	users := fmt.Sprintf("%s users", count(cfg.SimUsers))
	return []Row{
		row("olsim GET /api/2/users page at "+users+" (p50 / p95 of "+strconv.Itoa(n)+" pages)",
			fmt.Sprintf("%s / %s (loaded in %s)", ms(p50), ms(p95), load.Round(100*time.Millisecond)), "≤ 5 ms", p95 <= 5*time.Millisecond),
		row("olsim memory at "+users+" (Go heap)", mib(heap), "≤ 1 GB", heap <= 1<<30),
	}, nil
}

// simToken gets an access token the way a client does.
func simToken(sim *olsim.Server) (string, error) {
	req := httptest.NewRequest(http.MethodPost, "/auth/oauth2/v2/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "client_id:"+olsim.DefaultClientID+", client_secret:"+olsim.DefaultClientSecret)
	rec := httptest.NewRecorder()
	sim.ServeHTTP(rec, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("token: HTTP %d: %s", rec.Code, rec.Body.String())
	}
	return tok.AccessToken, nil
}

// storeBench runs the directory package's upsert benchmarks (SQLite file
// and PostgreSQL) and reads their users/s.
func storeBench(ctx context.Context, cfg Config) ([]Row, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "^BenchmarkUpsertUsers$", "-benchtime", "1x",
		"-timeout", "30m", "./directory/")
	cmd.Dir = cfg.RepoDir
	cmd.Env = append(os.Environ(), "OLFLOW_TEST_POSTGRES_DSN="+cfg.PostgresDSN)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, out.String())
	}
	return storeRows(out.String())
}

var upsertLine = regexp.MustCompile(`^BenchmarkUpsertUsers/(sqlite-file|postgres)/(new|unchanged)(-x\d+)?(?:-\d+)?\s.*?\s([0-9.e+]+) users/s`)

// storeRows turns the benchmark output into rows: for each backend and
// case the better of one page per write and 20 pages per write (the sync
// writes the pages that arrived together in one call).
func storeRows(out string) ([]Row, error) {
	type key struct{ backend, kind string }
	best := map[key]float64{}
	detail := map[key][]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := upsertLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[4], 64)
		if err != nil {
			return nil, fmt.Errorf("users/s %q: %w", m[4], err)
		}
		k := key{m[1], m[2]}
		best[k] = max(best[k], v)
		per := "pages of 50"
		if m[3] != "" {
			per = strings.TrimPrefix(m[3], "-") + " pages"
		}
		detail[k] = append(detail[k], fmt.Sprintf("%s: %s", per, count(int(v))))
	}
	goals := []struct {
		backend, name, kind string
		goal                float64
	}{
		{"sqlite-file", "SQLite", "new", 50_000}, {"sqlite-file", "SQLite", "unchanged", 150_000},
		{"postgres", "PostgreSQL", "new", 50_000}, {"postgres", "PostgreSQL", "unchanged", 100_000},
	}
	var rows []Row
	for _, g := range goals {
		k := key{g.backend, g.kind}
		v, ok := best[k]
		if !ok {
			return rows, fmt.Errorf("no BenchmarkUpsertUsers/%s/%s result in:\n%s", g.backend, g.kind, out)
		}
		what := "store upsert, first sync, " + g.name + " (users/s)"
		if g.kind == "unchanged" {
			what = "store upsert, re-sync, " + g.name + " (users/s)"
		}
		rows = append(rows, row(what, fmt.Sprintf("%s (%s)", count(int(v)), strings.Join(detail[k], "; ")),
			"≥ "+count(int(g.goal)), v >= g.goal))
	}
	return rows, nil
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s)) + 0.5)
	return s[min(max(i-1, 0), len(s)-1)]
}

func ms(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.3f ms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func mib(b int64) string { return fmt.Sprintf("%d MiB", b>>20) }

// count writes n with thousands separators.
func count(n int) string {
	if n < 0 {
		return "-" + count(-n)
	}
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
