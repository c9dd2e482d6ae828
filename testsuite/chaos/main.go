// Command chaos is `make chaos`: rounds of syncs and a bulk action while
// the harness kills workers, restarts the Temporal dev server and changes
// the simulated org underneath, then checks the stores against the
// simulator field by field and the simulator's write counters per user.
//
// Everything runs as separate processes, so a kill -9 is real: a Temporal
// dev server on a persistent database file, olsim with latency, 5xx and
// 429 bursts, and one olflow worker per store (PostgreSQL and SQLite, each
// with its own integration and task queue). Settings come from CHAOS_*
// variables (see config); it prints a line per round and
//
//	N/N rounds equal, 0 false deletions, 0 double writes
//
// and exits 1 unless every round was equal.
package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/onelogin/olsim"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/starter"
	"github.com/olflow/olflow/temporalclient"
)

type config struct {
	rounds, users, bulk, mutations, kills, burst429 int
	latency                                         time.Duration
	errorRate                                       float64
	stores                                          []string
	pgDSN, dir, bin, temporalCLI                    string
	seed                                            int64
	roundTimeout                                    time.Duration
}

func env(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}

func loadConfig() (config, error) {
	var (
		c    config
		errs []error
	)
	num := func(name, def string) int {
		n, err := strconv.Atoi(env(name, def))
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("%s: want a number", name))
		}
		return n
	}
	dur := func(name, def string) time.Duration {
		d, err := time.ParseDuration(env(name, def))
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: want a duration like 20ms", name))
		}
		return d
	}
	c.rounds = num("CHAOS_ROUNDS", "20")
	c.users = num("CHAOS_USERS", "5000")
	c.bulk = num("CHAOS_BULK", "200")
	c.mutations = num("CHAOS_MUTATIONS", "20")
	c.kills = num("CHAOS_KILLS", "3")
	c.burst429 = num("CHAOS_BURST_429", "5")
	c.seed = int64(num("CHAOS_SEED", "1"))
	c.latency = dur("CHAOS_LATENCY", "20ms")
	c.roundTimeout = dur("CHAOS_ROUND_TIMEOUT", "20m")
	rate, err := strconv.ParseFloat(env("CHAOS_ERROR_RATE", "0.05"), 64)
	if err != nil || rate < 0 || rate > 1 {
		errs = append(errs, errors.New("CHAOS_ERROR_RATE: want a probability"))
	}
	c.errorRate = rate
	c.stores = strings.Split(env("CHAOS_STORES", "postgres,sqlite"), ",")
	for _, s := range c.stores {
		if s != "postgres" && s != "sqlite" {
			errs = append(errs, fmt.Errorf("CHAOS_STORES: %q is not postgres or sqlite", s))
		}
	}
	c.pgDSN = env("CHAOS_PG_DSN", env("OLFLOW_TEST_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"))
	c.dir = env("CHAOS_DIR", "tmp/chaos")
	c.bin = env("CHAOS_BIN", "bin")
	c.temporalCLI = env("CHAOS_TEMPORAL", filepath.Join(c.bin, "temporal"))
	if c.bulk > api.MaxExplicitUsers {
		errs = append(errs, fmt.Errorf("CHAOS_BULK: at most %d", api.MaxExplicitUsers))
	}
	if c.rounds == 0 || c.users < c.bulk+4*c.mutations*c.rounds {
		errs = append(errs, errors.New("CHAOS_USERS must cover the bulk action and every round's deletions"))
	}
	return c, errors.Join(errs...)
}

func main() {
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ok, err := runChaos(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// lane is one store: its worker process, integration and task queue.
type lane struct {
	kind, dsn, integration string
	worker                 *proc
	st                     *starter.Starter
	store                  directory.Store
}

type harness struct {
	cfg      config
	rng      *rand.Rand
	dev, sim *proc
	admin    simAdmin
	lanes    []*lane
	faults   map[string]any
	out      *os.File
}

func runChaos(ctx context.Context, cfg config) (bool, error) {
	dir, err := filepath.Abs(cfg.dir)
	if err != nil {
		return false, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return false, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	h := &harness{cfg: cfg, rng: rand.New(rand.NewPCG(uint64(cfg.seed), 7)), out: os.Stdout}
	defer h.stopAll()
	if err := h.setup(ctx, dir); err != nil {
		return false, err
	}
	host, _ := os.Hostname()
	h.printf("chaos: %d rounds, %d users, bulk %d, %d kill -9 per worker per sync, latency %s, 5xx rate %g, 429 bursts of %d; stores %s; %d CPUs (%s)",
		cfg.rounds, cfg.users, cfg.bulk, cfg.kills, cfg.latency, cfg.errorRate, cfg.burst429, strings.Join(cfg.stores, ", "), runtime.NumCPU(), host)

	var (
		equal, falseDeletions, doubleWrites, missedWrites int
		started                                           = time.Now()
	)
	for r := 1; r <= cfg.rounds; r++ {
		res, err := h.round(ctx, r)
		if err != nil {
			return false, fmt.Errorf("round %d: %w", r, err)
		}
		if res.ok() {
			equal++
		}
		falseDeletions += res.falseDeletions
		doubleWrites += res.doubleWrites
		missedWrites += res.missedWrites
		h.printf("%s", res)
	}
	total := time.Since(started)
	h.printf("%d/%d rounds equal, %d false deletions, %d double writes (%d missed writes); %s per round, %s in all",
		equal, cfg.rounds, falseDeletions, doubleWrites, missedWrites, (total / time.Duration(cfg.rounds)).Round(time.Second), total.Round(time.Second))
	return equal == cfg.rounds && falseDeletions == 0 && doubleWrites == 0 && missedWrites == 0, nil
}

func (h *harness) printf(format string, args ...any) {
	fmt.Fprintf(h.out, format+"\n", args...)
}

func (h *harness) stopAll() {
	for _, l := range h.lanes {
		if l.store != nil {
			_ = l.store.Close()
		}
		if l.st != nil {
			l.st.Close()
		}
		if l.worker != nil {
			l.worker.stop()
		}
	}
	for _, p := range []*proc{h.sim, h.dev} {
		if p != nil {
			p.stop()
		}
	}
}

func (h *harness) setup(ctx context.Context, dir string) error {
	cfg := h.cfg
	tport, err := freePort()
	if err != nil {
		return err
	}
	sport, err := freePort()
	if err != nil {
		return err
	}
	temporalAddr := fmt.Sprintf("127.0.0.1:%d", tport)
	simURL := fmt.Sprintf("http://127.0.0.1:%d", sport)
	args := []string{cfg.temporalCLI, "server", "start-dev", "--headless", "--ip", "127.0.0.1", "--port", strconv.Itoa(tport),
		"--db-filename", filepath.Join(dir, "temporal.db"), "--log-level", "error"}
	kinds := map[enumspb.IndexedValueType]string{enumspb.INDEXED_VALUE_TYPE_KEYWORD: "Keyword", enumspb.INDEXED_VALUE_TYPE_TEXT: "Text",
		enumspb.INDEXED_VALUE_TYPE_INT: "Int", enumspb.INDEXED_VALUE_TYPE_DOUBLE: "Double", enumspb.INDEXED_VALUE_TYPE_BOOL: "Bool",
		enumspb.INDEXED_VALUE_TYPE_DATETIME: "Datetime", enumspb.INDEXED_VALUE_TYPE_KEYWORD_LIST: "KeywordList"}
	for key := range api.SearchAttributes().GetUntypedValues() {
		args = append(args, "--search-attribute", key.GetName()+"="+kinds[key.GetValueType()])
	}
	if h.dev, err = newProc(dir, "temporal", nil, args...); err != nil {
		return err
	}
	if h.sim, err = newProc(dir, "olsim", nil, filepath.Join(cfg.bin, "olsim"), "--addr", fmt.Sprintf("127.0.0.1:%d", sport),
		"--seed", strconv.FormatInt(cfg.seed, 10), "--users", strconv.Itoa(cfg.users), "--rate-limit", "100000000", "--rate-limit-v2"); err != nil {
		return err
	}
	for _, p := range []*proc{h.dev, h.sim} {
		if err := p.start(); err != nil {
			return err
		}
	}
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := waitTCP(waitCtx, temporalAddr); err != nil {
		return err
	}
	h.admin = simAdmin{base: simURL}
	if err := waitHTTP(waitCtx, simURL+"/__olsim/stats"); err != nil {
		return err
	}
	h.faults = map[string]any{"latency": cfg.latency, "jitter": cfg.latency, "error_rate": cfg.errorRate}
	if err := h.admin.do(ctx, "PUT", "/faults", h.faults, nil); err != nil {
		return err
	}

	codecKey, err := seal.GenerateKey()
	if err != nil {
		return err
	}
	sealKey, err := seal.GenerateKey()
	if err != nil {
		return err
	}
	codecKeys, err := seal.ParseKeyring("chaos-codec:" + codecKey)
	if err != nil {
		return err
	}
	sealKeys, err := seal.ParseKeyring("chaos-seal:" + sealKey)
	if err != nil {
		return err
	}
	tOpts := temporalclient.Options{Address: temporalAddr, Namespace: "default", CodecKeys: codecKeys}
	for _, kind := range cfg.stores {
		l := &lane{kind: kind, integration: "chaos-" + kind}
		switch kind {
		case "postgres":
			if l.dsn, err = pgSchema(ctx, cfg.pgDSN); err != nil {
				return err
			}
		case "sqlite":
			l.dsn = "sqlite://" + filepath.Join(dir, "olflow.db")
		}
		queue := "chaos-" + kind
		mport, err := freePort()
		if err != nil {
			return err
		}
		env := []string{fmt.Sprintf("OLFLOW_METRICS_ADDR=127.0.0.1:%d", mport), "OLFLOW_TEMPORAL_ADDRESS=" + temporalAddr, "OLFLOW_TASK_QUEUE=" + queue,
			"OLFLOW_CODEC_KEYS=chaos-codec:" + codecKey, "OLFLOW_SEAL_KEYS=chaos-seal:" + sealKey, "OLFLOW_STORE_DSN=" + l.dsn,
			"OLFLOW_ONELOGIN_BASE_URL=" + simURL + "/t/{subdomain}", "OLFLOW_LOG_LEVEL=warn",
			"OLFLOW_SHUTDOWN_TIMEOUT=20s"}
		// Schema changes are a deploy step, run once before the workers.
		migrate := exec.CommandContext(ctx, filepath.Join(cfg.bin, "olflow"), "migrate")
		migrate.Env = append(os.Environ(), env...)
		if out, err := migrate.CombinedOutput(); err != nil {
			return fmt.Errorf("olflow migrate (%s): %w: %s", kind, err, out)
		}
		if l.worker, err = newProc(dir, "worker-"+kind, env, filepath.Join(cfg.bin, "olflow"), "worker"); err != nil {
			return err
		}
		l.worker.supervise = true
		if err := l.worker.start(); err != nil {
			return err
		}
		if l.st, err = starter.Dial(waitCtx, starter.Config{Temporal: tOpts, SealKeys: sealKeys, TaskQueue: queue}); err != nil {
			return err
		}
		h.lanes = append(h.lanes, l)
	}
	// Connect every lane (the first full sync), without chaos.
	g, gctx := errgroup.WithContext(ctx)
	for _, l := range h.lanes {
		g.Go(func() error {
			started := time.Now()
			run, err := l.st.StartConnect(gctx, starter.ConnectInput{IntegrationID: l.integration, Subdomain: olsim.DefaultSubdomain,
				ClientID: olsim.DefaultClientID, ClientSecret: seal.NewSecret(olsim.DefaultClientSecret), RequestedBy: "make chaos",
				SyncInterval: 24 * time.Hour})
			if err != nil {
				return fmt.Errorf("connect %s: %w", l.integration, err)
			}
			if _, err := run.Get(gctx); err != nil {
				return fmt.Errorf("connect %s: %w", l.integration, err)
			}
			h.printf("connected %s (%s store): first full sync in %s", l.integration, l.kind, time.Since(started).Round(time.Millisecond))
			// The worker has migrated the schema: read the store from here.
			l.store, err = directory.OpenWith(gctx, l.dsn, directory.OpenOptions{MaxConns: 2})
			return err
		})
	}
	return g.Wait()
}

// pgSchema creates a schema of its own for this run, so that the shared
// test database's other users never see the harness's tables, and returns
// the DSN that uses it.
func pgSchema(ctx context.Context, dsn string) (string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return "", fmt.Errorf("postgres: %w", err)
	}
	defer conn.Close(ctx)
	schema := fmt.Sprintf("chaos_%d", os.Getpid())
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE; CREATE SCHEMA "+schema); err != nil {
		return "", fmt.Errorf("postgres: %w", err)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema, nil
}

// roundResult is what one round found.
type roundResult struct {
	n                                          int
	mode                                       string
	took                                       time.Duration
	kills, restarts, deleted, changed          int
	selfExits                                  int      // workers that exited by themselves so far (restarted)
	chaos, settled                             []string // per lane: comparison after the chaotic sync, and after the settling sync
	allEqual                                   bool
	falseDeletions, doubleWrites, missedWrites int
	bulk                                       string
	failure                                    string
}

func (r roundResult) ok() bool {
	return r.allEqual && r.failure == "" && r.falseDeletions == 0 && r.doubleWrites == 0 && r.missedWrites == 0
}

func (r roundResult) String() string {
	state := "EQUAL"
	if !r.ok() {
		state = "NOT EQUAL"
	}
	s := fmt.Sprintf("round %d (%s sync): %s in %s; %d kill -9, %d dev-server restart (workers exited by themselves so far: %d), %d users deleted and %d changed during the read; after the sync: %s; settled: %s; %s",
		r.n, r.mode, state, r.took.Round(time.Second), r.kills, r.restarts, r.selfExits, r.deleted, r.changed,
		strings.Join(r.chaos, ", "), strings.Join(r.settled, ", "), r.bulk)
	if r.failure != "" {
		s += "; FAILED: " + r.failure
	}
	return s
}

func (h *harness) round(ctx context.Context, n int) (roundResult, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.roundTimeout)
	defer cancel()
	res := roundResult{n: n, mode: api.ModeFull, allEqual: true}
	if n%2 == 0 {
		res.mode = api.ModeIncremental
	}
	started := time.Now()

	// The chaotic syncs, with the harness's trouble around them.
	syncsDone := make(chan struct{})
	var syncErr error
	go func() {
		defer close(syncsDone)
		syncErr = h.syncAll(ctx, res.mode)
	}()
	changed, trouble := h.trouble(ctx, syncsDone, &res)
	<-syncsDone
	if err := <-trouble; err != nil {
		return res, err
	}
	if syncErr != nil {
		res.failure = "sync: " + syncErr.Error()
	}
	sim, err := h.admin.state(ctx)
	if err != nil {
		return res, err
	}
	for _, l := range h.lanes {
		c, err := compare(ctx, l.store, l.integration, sim, changed)
		if err != nil {
			return res, err
		}
		res.chaos = append(res.chaos, l.kind+" "+c.String())
		res.falseDeletions += len(c.missing)
		res.allEqual = res.allEqual && c.equal()
	}

	// A bulk action under SIGTERM, on one lane per round.
	if err := h.bulk(ctx, n, h.lanes[(n-1)%len(h.lanes)], sim, changed, &res); err != nil {
		return res, err
	}

	// Settle: a full sync without kills; then the stores must equal the
	// simulator exactly, deletions swept and changes read.
	if err := h.syncAll(ctx, api.ModeFull); err != nil {
		res.failure = strings.TrimPrefix(res.failure+"; ", "; ") + "settling sync: " + err.Error()
	}
	if sim, err = h.admin.state(ctx); err != nil {
		return res, err
	}
	for _, l := range h.lanes {
		c, err := compare(ctx, l.store, l.integration, sim, nil)
		if err != nil {
			return res, err
		}
		res.settled = append(res.settled, l.kind+" "+c.String())
		res.falseDeletions += len(c.missing)
		res.allEqual = res.allEqual && c.equal()
	}
	for _, p := range []*proc{h.dev, h.sim} {
		if n := p.exits(); n > 0 {
			return res, fmt.Errorf("%s exited by itself %d times (see its log in %s)", p.name, n, h.cfg.dir)
		}
	}
	for _, l := range h.lanes {
		res.selfExits += l.worker.exits()
	}
	res.took = time.Since(started)
	return res, nil
}

// syncAll runs a sync of every lane at once and waits for them.
func (h *harness) syncAll(ctx context.Context, mode string) error {
	g, gctx := errgroup.WithContext(ctx)
	for _, l := range h.lanes {
		g.Go(func() error {
			run, err := retry(gctx, func() (*starter.Run[api.SyncResult], error) {
				return l.st.StartSync(gctx, api.SyncRequest{IntegrationID: l.integration, Mode: mode})
			})
			if err != nil {
				return fmt.Errorf("%s: start: %w", l.kind, err)
			}
			_, err = retry(gctx, func() (api.SyncResult, error) { return run.Get(gctx) })
			if err != nil {
				return fmt.Errorf("%s: %w", l.kind, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// retry repeats f while Temporal is unreachable (the dev server restarts
// during a round); a workflow's own failure is final.
func retry[T any](ctx context.Context, f func() (T, error)) (T, error) {
	for {
		v, err := f()
		var wfErr *temporal.WorkflowExecutionError
		var appErr *temporal.ApplicationError
		if err == nil || errors.As(err, &wfErr) || errors.As(err, &appErr) || ctx.Err() != nil {
			return v, err
		}
		var se *starter.Error
		if errors.As(err, &se) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, err
		case <-time.After(time.Second):
		}
	}
}

// trouble kills each worker cfg.kills times, restarts the dev server once,
// sends a 429 burst and deletes and changes users, each at a random point
// of the sync, skipping what would land after the syncs are done. It
// returns the ids of the users it changed, once it is done.
func (h *harness) trouble(ctx context.Context, syncsDone <-chan struct{}, res *roundResult) (map[int64]bool, <-chan error) {
	changed := map[int64]bool{}
	errc := make(chan error, 1)
	// Trouble lands early in the sync: a full sync of the CI size takes
	// seconds, an incremental one about one.
	window := 4 * time.Second
	if res.mode == api.ModeIncremental {
		window = time.Second
	}
	at := func() time.Duration { return time.Duration(h.rng.Int64N(int64(window))) }
	// An event with chaos set (a kill, a restart, a burst) proves nothing
	// once the syncs are done, and is skipped; deletions and changes still
	// land, so that every round changes the org.
	type event struct {
		at    time.Duration
		chaos bool
		do    func() error
	}
	var events []event
	for _, l := range h.lanes {
		for range h.cfg.kills {
			pause := time.Duration(200+h.rng.IntN(1500)) * time.Millisecond
			events = append(events, event{at(), true, func() error {
				res.kills++
				return h.restart(l.worker, syscall.SIGKILL, pause)
			}})
		}
	}
	events = append(events, event{at(), true, func() error {
		res.restarts++
		return h.restart(h.dev, syscall.SIGTERM, time.Second)
	}})
	if h.cfg.burst429 > 0 {
		events = append(events, event{at(), true, func() error { return h.burst429(ctx) }})
	}
	// Pick the users to delete and change now, from the simulator's list.
	var users []int64
	sim, err := h.admin.state(ctx)
	if err != nil {
		errc <- err
		return changed, errc
	}
	for id := range sim.users {
		users = append(users, id)
	}
	slices.Sort(users)
	h.rng.Shuffle(len(users), func(i, j int) { users[i], users[j] = users[j], users[i] })
	groups := sim.groups
	for i := range h.cfg.mutations {
		del, upd := users[2*i], users[2*i+1]
		changed[upd] = true
		events = append(events, event{at(), false, func() error {
			res.deleted++
			return h.admin.do(ctx, "DELETE", fmt.Sprintf("/users/%d", del), nil, nil)
		}}, event{at(), false, func() error {
			res.changed++
			body := map[string]any{"title": fmt.Sprintf("chaos round %d", res.n), "department": "Chaos"}
			if len(groups) > 0 {
				body["group_id"] = groups[h.rng.IntN(len(groups))].ID
			}
			return h.admin.do(ctx, "PUT", fmt.Sprintf("/users/%d", upd), body, nil)
		}})
	}
	slices.SortFunc(events, func(a, b event) int { return int(a.at - b.at) })
	go func() {
		start := time.Now()
		for _, e := range events {
			select {
			case <-syncsDone:
			case <-time.After(time.Until(start.Add(e.at))):
			case <-ctx.Done():
				errc <- ctx.Err()
				return
			}
			select {
			case <-syncsDone:
				if e.chaos {
					continue
				}
			default:
			}
			if err := e.do(); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	return changed, errc
}

// burst429 makes the next calls answer 429. A 429 announces the reset of
// OneLogin's hourly window, and olflow rightly waits for it; so the
// simulator's clock first moves to burstMargin before that reset, or every
// burst would stall the round for up to an hour. The margin outlasts a
// killed worker's heartbeat timeout (a minute), so that the burst is spent
// before the window rolls over and a new one announces an hour again.
// (v2 calls count against the budget here, --rate-limit-v2, so that the
// window is open.)
const burstMargin = 150 * time.Second

func (h *harness) burst429(ctx context.Context) error {
	var stats struct {
		RateLimit struct{ Reset int } `json:"rate_limit"`
	}
	if err := h.admin.do(ctx, "GET", "/stats", nil, &stats); err != nil {
		return err
	}
	if left := stats.RateLimit.Reset - int(burstMargin/time.Second); left > 0 {
		if err := h.admin.do(ctx, "POST", "/clock", map[string]string{"advance": fmt.Sprintf("%ds", left)}, nil); err != nil {
			return err
		}
	}
	f := map[string]any{"burst_429": h.cfg.burst429}
	for k, v := range h.faults {
		f[k] = v
	}
	if err := h.admin.do(ctx, "PUT", "/faults", f, nil); err != nil {
		return err
	}
	// What the syncs have not spent by shortly before the window rolls over
	// is withdrawn: a 429 from the next window would announce an hour.
	time.AfterFunc(burstMargin-30*time.Second, func() {
		var now struct {
			Burst429 int `json:"burst_429"`
		}
		if h.admin.do(ctx, "GET", "/faults", nil, &now) == nil && now.Burst429 > 0 {
			_ = h.admin.do(ctx, "PUT", "/faults", h.faults, nil)
		}
	})
	return nil
}

// restart stops p with sig, waits pause, and starts it again.
func (h *harness) restart(p *proc, sig syscall.Signal, pause time.Duration) error {
	if err := p.signal(sig, time.Minute); err != nil {
		return err
	}
	time.Sleep(pause)
	return p.start()
}

// bulk suspends (odd rounds) or activates (even rounds) cfg.bulk users on
// the lane, SIGTERMs its worker at a random point and starts it again,
// and then counts the simulator's writes per user: a user the action
// changed has exactly one write, one already done none.
func (h *harness) bulk(ctx context.Context, n int, l *lane, sim simState, changed map[int64]bool, res *roundResult) error {
	action, kind := api.SuspendUsersWorkflow, olsim.WriteSuspend
	if n%2 == 0 {
		action, kind = api.ActivateUsersWorkflow, olsim.WriteActivate
	}
	var ids []int64
	for id := range sim.users {
		if !changed[id] {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	h.rng.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	req := &api.ActionRequest{IntegrationID: l.integration, RequestID: fmt.Sprintf("chaos-round-%d", n), RequestedBy: "make chaos"}
	for _, id := range ids[:min(h.cfg.bulk, len(ids))] {
		req.Users = append(req.Users, api.UserRef{ID: id})
	}
	before, err := h.admin.writes(ctx)
	if err != nil {
		return err
	}
	run, err := retry(ctx, func() (*starter.Run[starter.ActionResult], error) { return l.st.StartAction(ctx, action, req) })
	if err != nil {
		return fmt.Errorf("start %s: %w", action, err)
	}
	time.Sleep(time.Duration(100+h.rng.IntN(1500)) * time.Millisecond)
	if err := h.restart(l.worker, syscall.SIGTERM, 500*time.Millisecond); err != nil {
		return err
	}
	out, err := retry(ctx, func() (starter.ActionResult, error) { return run.Get(ctx) })
	if err != nil {
		res.failure = strings.TrimPrefix(res.failure+"; ", "; ") + action + ": " + err.Error()
		return nil
	}
	after, err := h.admin.writes(ctx)
	if err != nil {
		return err
	}
	for _, u := range out.Users {
		delta := after[u.UserID][kind] - before[u.UserID][kind]
		if delta > 1 {
			res.doubleWrites++
		}
		switch u.Outcome {
		case api.OutcomeChanged:
			if delta != 1 {
				res.missedWrites++
			}
		case api.OutcomeAlreadyDone:
			if delta != 0 {
				res.missedWrites++
			}
		default:
			res.failure = strings.TrimPrefix(res.failure+"; ", "; ") + fmt.Sprintf("%s: user %d %s [%s] %s", action, u.UserID, u.Outcome, u.Code, u.Message)
		}
	}
	res.bulk = fmt.Sprintf("%s of %d users on %s under SIGTERM: %d changed, %d already done, %d failed",
		action, len(req.Users), l.kind, out.Changed, out.AlreadyDone, out.Failed)
	return nil
}
