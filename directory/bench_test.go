package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Benchmarks are not part of make test. Run them with
//
//	go test -run '^$' -bench . -benchtime 1x ./directory/
//
// Each op handles benchUsers users; users/s and allocs/user are measured over
// the timed work only (allocs/user counts Go heap allocations in the store and
// the driver).

const (
	benchUsers = 100_000
	benchPage  = 50
)

// benchBackends are the file-backed SQLite and PostgreSQL: what production
// would run.
var benchBackends = []backend{backends[0], backends[2]}

// benchDirectory builds benchUsers realistic users once.
func benchDirectory() []User {
	us := make([]User, benchUsers)
	for i := range us {
		id := int64(i + 1)
		us[i] = User{OneLoginID: id, Email: fmt.Sprintf("user%d@example.com", id), Username: "user" + strconv.Itoa(i+1),
			FirstName: "First", LastName: "Last" + strconv.Itoa(i+1), Title: "Engineer", Department: "R&D",
			Company: "Acme", Phone: "+15550100", Status: UserActive, State: 1, GroupID: id%20 + 1,
			ManagerID: (id-1)/10*10 + 1, RoleIDs: []int64{id%5 + 1, 100}, CreatedAt: t0, UpdatedAt: t0, LastLogin: t0,
			CustomAttributes: json.RawMessage(`{"employeenumber":"` + strconv.Itoa(i+1) + `","cost_center":"cc-7"}`)}
	}
	return us
}

// meter accumulates timed work, the CPU time this process spent on it and
// the heap allocations made during it.
type meter struct {
	rows   int
	allocs uint64
	dur    time.Duration
	cpu    time.Duration
}

func (m *meter) measure(rows int, fn func()) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu := processCPU()
	start := time.Now()
	fn()
	m.dur += time.Since(start)
	m.cpu += processCPU() - cpu
	runtime.ReadMemStats(&after)
	m.allocs += after.Mallocs - before.Mallocs
	m.rows += rows
}

// processCPU is the user and system CPU time of this process so far. On a
// shared machine it varies less than wall time; for SQLite it is all the
// work, for PostgreSQL only the client's share.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// report reports the rate of rows (named unit) and allocations per row, and
// with cpu the rate per CPU-second of this process.
func (m *meter) report(b *testing.B, unit string, cpu bool) {
	b.ReportMetric(float64(m.rows)/m.dur.Seconds(), unit+"/s")
	if cpu && m.cpu > 0 {
		b.ReportMetric(float64(m.rows)/m.cpu.Seconds(), unit+"/cpu-s")
	}
	b.ReportMetric(float64(m.allocs)/float64(m.rows), "allocs/"+unit[:len(unit)-1])
}

// upsertAll writes us as one run, per users in each UpsertUsers call, and
// returns the run.
func upsertAll(b *testing.B, s Store, integration string, mode SyncMode, us []User, per int) int64 {
	ctx := context.Background()
	run, err := s.StartSyncRun(ctx, integration, mode, "")
	if err != nil {
		b.Fatal(err)
	}
	for lo := 0; lo < len(us); lo += per {
		if _, err := s.UpsertUsers(ctx, integration, run, us[lo:min(lo+per, len(us))]); err != nil {
			b.Fatal(err)
		}
	}
	return run
}

// finishRun completes a run as a sync does (which refreshes planner
// statistics); benchmarks keep it out of the timed work.
func finishRun(b *testing.B, s Store, integration string, run int64) {
	if _, err := s.FinishSyncRun(context.Background(), integration, run, RunResult{Status: RunCompleted}); err != nil {
		b.Fatal(err)
	}
}

func benchIntegration(b *testing.B, s Store, id string) {
	if err := s.PutIntegration(context.Background(), Integration{ID: id, Subdomain: id, Region: "us",
		Status: StatusConnected}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkUpsertUsers: a first sync writing 100,000 new users, and a re-sync
// where nothing changed (only seen-by stamps are written), one page of 50
// per call (new, unchanged) or 20 pages per call (new-x20, unchanged-x20).
func BenchmarkUpsertUsers(b *testing.B) {
	us := benchDirectory()
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			for _, per := range []int{benchPage, 20 * benchPage} {
				suffix := ""
				if per != benchPage {
					suffix = "-x" + strconv.Itoa(per/benchPage)
				}
				benchUpsertUsers(b, be, us, per, suffix)
			}
		})
	}
}

func benchUpsertUsers(b *testing.B, be backend, us []User, per int, suffix string) {
	b.Run("new"+suffix, func(b *testing.B) {
		s := openStore(b, be.dsn(b))
		var m meter
		i := 0
		for b.Loop() {
			i++
			integration := "bench-" + strconv.Itoa(i)
			b.StopTimer()
			benchIntegration(b, s, integration)
			b.StartTimer()
			var run int64
			m.measure(len(us), func() { run = upsertAll(b, s, integration, SyncFull, us, per) })
			finishRun(b, s, integration, run)
		}
		m.report(b, "users", true)
	})
	b.Run("unchanged"+suffix, func(b *testing.B) {
		s := openStore(b, be.dsn(b))
		benchIntegration(b, s, "bench")
		finishRun(b, s, "bench", upsertAll(b, s, "bench", SyncFull, us, per))
		var m meter
		for b.Loop() {
			var run int64
			m.measure(len(us), func() { run = upsertAll(b, s, "bench", SyncFull, us, per) })
			finishRun(b, s, "bench", run)
		}
		m.report(b, "users", true)
	})
}

// BenchmarkSweep sweeps 100,000 user rows after a completed full read that
// saw none of them (all deleted: the worst case) or all but 1% of them.
func BenchmarkSweep(b *testing.B) {
	us := benchDirectory()
	ctx := context.Background()
	for _, be := range benchBackends {
		for _, c := range []struct {
			name string
			seen int
		}{{"all-unseen", 0}, {"1pct-unseen", benchUsers * 99 / 100}} {
			b.Run(be.name+"/"+c.name, func(b *testing.B) {
				s := openStore(b, be.dsn(b))
				var m meter
				i := 0
				for b.Loop() {
					b.StopTimer()
					i++
					integration := "bench-" + strconv.Itoa(i)
					benchIntegration(b, s, integration)
					finishRun(b, s, integration, upsertAll(b, s, integration, SyncFull, us, benchPage))
					run := upsertAll(b, s, integration, SyncFull, us[:c.seen], benchPage)
					if err := s.CompleteRead(ctx, integration, run, KindUsers); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
					m.measure(benchUsers, func() {
						n, err := s.Sweep(ctx, integration, run, KindUsers)
						if err != nil || n != int64(benchUsers-c.seen) {
							b.Fatalf("swept %d, %v", n, err)
						}
					})
				}
				m.report(b, "rows", false)
			})
		}
	}
}

// BenchmarkRecordOutcomes records a bulk action's outcomes for 100,000
// users in chunks of 500 (one in ten failed), then, as a rerun of the
// request does, asks for each chunk which users are already done.
func BenchmarkRecordOutcomes(b *testing.B) {
	const chunk = 500
	ctx := context.Background()
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			s := openStore(b, be.dsn(b))
			benchIntegration(b, s, "bench")
			var rec, fin meter
			i := 0
			for b.Loop() {
				i++
				req := "req-" + strconv.Itoa(i)
				rec.measure(benchUsers, func() {
					for lo := 0; lo < benchUsers; lo += chunk {
						outs := make([]UserOutcome, 0, chunk)
						for id := lo + 1; id <= lo+chunk; id++ {
							o := UserOutcome{UserID: int64(id), Outcome: OutcomeChanged}
							if id%10 == 0 {
								o = UserOutcome{UserID: int64(id), Outcome: OutcomeFailed, ErrorCode: "server_error",
									Message: "HTTP 502 from OneLogin"}
							}
							outs = append(outs, o)
						}
						if _, err := s.RecordOutcomes(ctx, OutcomeBatch{IntegrationID: "bench", RequestID: req,
							Action: "suspend_users", Chunk: int64(lo / chunk), Outcomes: outs}); err != nil {
							b.Fatal(err)
						}
					}
				})
				fin.measure(benchUsers, func() {
					ids := make([]int64, chunk)
					for lo := 0; lo < benchUsers; lo += chunk {
						for j := range ids {
							ids[j] = int64(lo + j + 1)
						}
						done, err := s.FinalOutcomes(ctx, "bench", req, ids)
						if err != nil || len(done) != chunk*9/10 {
							b.Fatalf("%d final, %v", len(done), err)
						}
					}
				})
			}
			b.ReportMetric(float64(rec.rows)/rec.dur.Seconds(), "recorded/s")
			b.ReportMetric(float64(fin.rows)/fin.dur.Seconds(), "checked/s")
		})
	}
}
