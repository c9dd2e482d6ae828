package olsim_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/olflow/olflow/onelogin/olsim"
)

// Benchmarks at a million users. They call ServeHTTP directly, so they time
// the server's work (routing, auth, paging, rendering), not a network.
//
//	go test -run '^$' -bench . -benchtime 200x ./onelogin/olsim/

const benchUsers = 1_000_000

var bigOrg = sync.OnceValue(func() *olsim.Server {
	return olsim.New(olsim.Options{Seed: 1, Users: benchUsers, Groups: 20, Roles: 40, Apps: 30, Clock: olsim.NewManualClock(epoch)})
})

// BenchmarkGenerate builds a million-user org and reports the heap it keeps.
func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		s := olsim.New(olsim.Options{Seed: 1, Users: benchUsers, Groups: 20, Roles: 40, Apps: 30, Clock: olsim.NewManualClock(epoch)})
		b.ReportMetric(time.Since(start).Seconds(), "s/org")
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
		runtime.KeepAlive(s)
	}
}

// benchGet serves one authenticated GET and fails on a non-200.
func benchGet(b *testing.B, s *olsim.Server, tok, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return rec
}

func benchToken(b *testing.B, s *olsim.Server) string {
	req := httptest.NewRequest("POST", "/auth/oauth2/v2/token", stringsReader(`{"grant_type":"client_credentials"}`))
	req.SetBasicAuth(olsim.DefaultClientID, olsim.DefaultClientSecret)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	var tb struct {
		AccessToken string `json:"access_token"`
	}
	if err := jsonDecode(rec.Body.Bytes(), &tb); err != nil || tb.AccessToken == "" {
		b.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	return tb.AccessToken
}

// BenchmarkListPage times one page of each list shape at a million users.
func BenchmarkListPage(b *testing.B) {
	s := bigOrg()
	s.SetFaults(olsim.Faults{})
	tok := benchToken(b, s)
	users := s.Users()
	mid := users[len(users)/2]
	role := s.Roles()[0]
	group := s.Groups()[3]
	recent := users[len(users)-1].UpdatedAt.Add(-24 * time.Hour)
	cursor := benchGet(b, s, tok, "/api/2/users?limit=50&page=9999").Header().Get("After-Cursor")
	cases := []struct{ name, path string }{
		{"v2 first page", "/api/2/users?limit=50"},
		{"v2 page 10000 by cursor", "/api/2/users?cursor=" + url.QueryEscape(cursor)},
		{"v2 last page desc", "/api/2/users?limit=50&page=20000&sort=-id"},
		{"v2 fields=id,updated_at", "/api/2/users?limit=50&page=777&fields=id,updated_at"},
		{"v1 page", "/api/1/users?limit=50"},
		{"user_ids", fmt.Sprintf("/api/2/users?user_ids=%d,%d", mid.ID, users[7].ID)},
		{"updated_since last day", "/api/2/users?limit=50&updated_since=" + recent.Format(time.RFC3339Nano)},
		{"group_id page 100", fmt.Sprintf("/api/2/users?limit=50&page=100&group_id=%d", group.ID)},
		{"role users page 100", fmt.Sprintf("/api/2/roles/%d/users?limit=50&page=100", role.ID)},
		{"status=2 page 10 (cached scan)", "/api/2/users?limit=50&page=10&status=2"},
		{"app users", fmt.Sprintf("/api/2/apps/%d/users?limit=50&page=10", s.Apps()[0].ID)},
		{"roles", "/api/2/roles"},
		{"v1 groups", "/api/1/groups"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				benchGet(b, s, tok, c.path)
			}
		})
	}
}

// BenchmarkFilterScan times a filter no index answers, on a fresh data
// version each time, so every request scans the million users.
func BenchmarkFilterScan(b *testing.B) {
	s := bigOrg()
	tok := benchToken(b, s)
	id := s.Users()[0].ID
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		if _, err := s.UpdateUser(id, olsim.Fields{"title": fmt.Sprint("t", i)}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		benchGet(b, s, tok, "/api/2/users?limit=50&status=2")
	}
}

// BenchmarkWrite times one user write (PUT status) at a million users.
func BenchmarkWrite(b *testing.B) {
	s := bigOrg()
	tok := benchToken(b, s)
	users := s.Users()
	for i := 0; b.Loop(); i++ {
		u := users[(i*7919)%len(users)]
		req := httptest.NewRequest("PUT", fmt.Sprintf("/api/2/users/%d", u.ID), stringsReader(fmt.Sprintf(`{"status":%d}`, 1+i%2)))
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkEventsPage times GET /api/1/events pages with a full log of
// 100,000 events.
func BenchmarkEventsPage(b *testing.B) {
	clock := olsim.NewManualClock(epoch)
	s := olsim.New(olsim.Options{Seed: 1, Users: 1000, Clock: clock})
	users := s.Users()
	for i := range 100_000 {
		clock.Advance(time.Second)
		if _, err := s.UpdateUser(users[i%len(users)].ID, olsim.Fields{"title": fmt.Sprint("T", i)}); err != nil {
			b.Fatal(err)
		}
	}
	tok := benchToken(b, s)
	s.SetFaults(olsim.Faults{})
	since := epoch.Add(99_000 * time.Second).Format(time.RFC3339)
	cases := []struct{ name, path string }{
		{"first page", "/api/1/events"},
		{"since, last 1000", "/api/1/events?since=" + since},
		{"newest first", "/api/1/events?sort=-id"},
		{"user_id (cached scan)", fmt.Sprintf("/api/1/events?user_id=%d", users[3].ID)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				benchGet(b, s, tok, c.path)
			}
		})
	}
}
