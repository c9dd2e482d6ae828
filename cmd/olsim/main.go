// Command olsim serves the in-memory OneLogin simulator (package
// onelogin/olsim) over HTTP, for the demo and for manual poking with curl.
//
//	go run ./cmd/olsim --addr 127.0.0.1:8089 --seed 1 --users 1000 --scope manage_all
//
// It prints what it serves, the credential it accepts and example curl
// commands, then serves until SIGINT or SIGTERM.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/olflow/olflow/onelogin/olsim"
)

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "olsim:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", cfg.addr)
	if err == nil {
		err = serve(ctx, ln, cfg, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "olsim:", err)
		os.Exit(1)
	}
}

type config struct {
	addr      string
	accessLog bool
	opts      olsim.Options
}

// parseFlags turns command-line arguments into a config. Every flag has a
// default that works out of the box.
func parseFlags(args []string, errOut io.Writer) (config, error) {
	var (
		cfg                                  config
		clientID, clientSecret, scope        string
		latency, jitter, tokenTTL            time.Duration
		errorRate                            float64
		v2Denial, users, groups, roles, apps int
		o                                    = &cfg.opts
		fs                                   = flag.NewFlagSet("olsim", flag.ContinueOnError)
	)
	fs.SetOutput(errOut)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8089", "listen address")
	fs.Int64Var(&o.Seed, "seed", 1, "seed for the generated org and for random faults")
	fs.IntVar(&users, "users", 1000, "number of users")
	fs.IntVar(&groups, "groups", 20, "number of groups")
	fs.IntVar(&roles, "roles", 40, "number of roles")
	fs.IntVar(&apps, "apps", 30, "number of apps")
	fs.StringVar(&o.Subdomain, "subdomain", olsim.DefaultSubdomain, "tenant subdomain (also served under /t/<subdomain>/)")
	fs.Int64Var(&o.AccountID, "account-id", olsim.DefaultAccountID, "account id in token responses")
	fs.StringVar(&clientID, "client-id", olsim.DefaultClientID, "API credential client id")
	fs.StringVar(&clientSecret, "client-secret", olsim.DefaultClientSecret, "API credential client secret")
	fs.StringVar(&scope, "scope", string(olsim.ScopeManageAll), "credential scope: auth_only, read_users, manage_users, read_all, manage_all")
	fs.DurationVar(&tokenTTL, "token-ttl", 36000*time.Second, "access token lifetime")
	fs.IntVar(&o.UsersMaxLimit, "users-max-limit", 50, "maximum limit on GET /api/2/users")
	fs.IntVar(&o.RateLimit, "rate-limit", 5000, "v1 calls per hour for the account")
	fs.BoolVar(&o.RateLimitV2, "rate-limit-v2", false, "v2 calls also consume the hourly budget")
	fs.IntVar(&v2Denial, "v2-denial-status", 403, "status of out-of-scope v2 calls: 401 or 403")
	fs.DurationVar(&latency, "latency", 0, "latency added to every call")
	fs.DurationVar(&jitter, "jitter", 0, "random extra latency, up to this much")
	fs.Float64Var(&errorRate, "error-rate", 0, "probability (0..1) of a 500/502/503 on resource calls")
	fs.BoolVar(&cfg.accessLog, "access-log", false, "log every request to stderr")
	fs.IntVar(&o.EventCapacity, "event-capacity", 100000, "events kept for GET /api/1/events (oldest dropped first); -1 keeps none")
	fs.BoolVar(&o.EventsNewestFirst, "events-newest-first", false, "GET /api/1/events lists newest first without a sort parameter")
	fs.BoolVar(&o.CursorKeepsOnlyPaging, "cursor-keeps-only-paging", false, "cursors carry limit/page/sort only; later pages are filtered only by repeated filters")
	fs.BoolVar(&o.V2LinkHeader, "link-header", false, `add a Link header (rel="next"/"prev") to v2 lists`)
	w := &o.Webhook
	fs.StringVar(&w.URL, "webhook-url", "", "POST every event to this URL (Event Broadcaster); empty: off")
	fs.StringVar(&w.Secret, "webhook-secret", "", "secret sent with each webhook POST (default header: Authorization: Bearer <secret>)")
	fs.StringVar(&w.SecretHeader, "webhook-secret-header", "", "header carrying --webhook-secret as is, instead of Authorization: Bearer")
	fs.BoolVar(&w.BasicAuth, "webhook-basic-auth", false, "send --webhook-secret (user:password) with HTTP Basic auth")
	fs.IntVar(&w.BatchSize, "webhook-batch", 1, "events per POST: 1 sends one JSON object, more send JSON arrays")
	fs.IntVar(&w.MaxAttempts, "webhook-max-attempts", 5, "tries per POST before its events are given up")
	fs.Float64Var(&w.DropRate, "webhook-drop-rate", 0, "probability (0..1) that an event is never sent")
	fs.Float64Var(&w.DuplicateRate, "webhook-duplicate-rate", 0, "probability (0..1) that an event is sent twice")
	fs.Float64Var(&w.ReorderRate, "webhook-reorder-rate", 0, "probability (0..1) that an event is held back and sent later")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	sc, err := olsim.ParseScope(scope)
	if err != nil {
		return cfg, err
	}
	for name, rate := range map[string]float64{"error-rate": errorRate, "webhook-drop-rate": w.DropRate,
		"webhook-duplicate-rate": w.DuplicateRate, "webhook-reorder-rate": w.ReorderRate} {
		if rate < 0 || rate > 1 {
			return cfg, fmt.Errorf("--%s must be between 0 and 1, got %v", name, rate)
		}
	}
	if w.DropRate+w.DuplicateRate+w.ReorderRate > 1 {
		return cfg, errors.New("--webhook-drop-rate, --webhook-duplicate-rate and --webhook-reorder-rate must add up to at most 1")
	}
	if w.BatchSize < 1 || w.MaxAttempts < 1 {
		return cfg, errors.New("--webhook-batch and --webhook-max-attempts must be at least 1")
	}
	if o.EventCapacity == 0 || o.EventCapacity < -1 {
		return cfg, fmt.Errorf("--event-capacity must be positive, or -1 for none, got %d", o.EventCapacity)
	}
	if v2Denial != 401 && v2Denial != 403 {
		return cfg, fmt.Errorf("--v2-denial-status must be 401 or 403, got %d", v2Denial)
	}
	if clientID == "" || clientSecret == "" {
		return cfg, errors.New("--client-id and --client-secret must not be empty")
	}
	if min(users, groups, roles, apps) < 0 {
		return cfg, errors.New("--users, --groups, --roles and --apps must not be negative")
	}
	// olsim.Options reads 0 as "default" and a negative count as "none".
	none := func(n int) int { return cmp.Or(n, -1) }
	o.Users, o.Groups, o.Roles, o.Apps = none(users), none(groups), none(roles), none(apps)
	o.Credentials = []olsim.Credential{{ClientID: clientID, ClientSecret: clientSecret, Scope: sc}}
	o.TokenTTL, o.V2ScopeDenialStatus = tokenTTL, v2Denial
	o.Faults = olsim.Faults{Latency: latency, Jitter: jitter, ErrorRate: errorRate}
	return cfg, nil
}

// serve runs the simulator on ln until ctx ends, then shuts down gracefully.
func serve(ctx context.Context, ln net.Listener, cfg config, out io.Writer) error {
	if cfg.accessLog {
		cfg.opts.AccessLog = os.Stderr
	}
	sim := olsim.New(cfg.opts)
	defer sim.Close()
	// Generating a large org leaves garbage behind: hand it back before
	// serving, so a million-user org runs well under 1 GB.
	debug.FreeOSMemory()
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	banner(out, "http://"+ln.Addr().String(), sim)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	fmt.Fprintln(out, "olsim: stopped")
	return nil
}

// banner prints what the server serves and how to try it.
func banner(w io.Writer, base string, sim *olsim.Server) {
	o := sim.Options()
	limit, _, _ := sim.RateLimitStatus()
	cred := o.Credentials[0]
	size := sim.Size()
	fmt.Fprintf(w, `olsim: OneLogin simulator listening on %[1]s
  tenant:      %[2]s (account %[3]d); also served under %[1]s/t/%[2]s/
  org:         %[4]d users, %[5]d groups, %[6]d roles, %[7]d apps (seed %[8]d)
  credential:  client_id=%[9]s client_secret=%[10]s scope=%[11]s
  limits:      %[12]d v1 calls/hour; GET /api/2/users max limit %[13]d; tokens live %[14]s
  faults:      latency %[15]s + jitter %[16]s, error rate %[17]g
  events:      %[1]s/api/1/events; webhook: %[18]s
  admin API:   %[1]s/__olsim/state

Try:
  TOKEN=$(curl -s -X POST %[1]s/auth/oauth2/v2/token \
    -H 'Authorization: client_id:%[9]s, client_secret:%[10]s' \
    -H 'Content-Type: application/json' -d '{"grant_type":"client_credentials"}' \
    | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  curl -s -D - "%[1]s/api/2/users?limit=2" -H "Authorization: Bearer $TOKEN"
  # next page: pass the After-Cursor header back alone, URL-encoded:
  curl -s -D - "%[1]s/api/2/users?cursor=<After-Cursor>" -H "Authorization: Bearer $TOKEN"
`,
		base, o.Subdomain, o.AccountID,
		size.Users, size.Groups, size.Roles, size.Apps, o.Seed,
		cred.ClientID, cred.ClientSecret, cred.Scope,
		limit, o.UsersMaxLimit, o.TokenTTL, o.Faults.Latency, o.Faults.Jitter, o.Faults.ErrorRate, cmp.Or(o.Webhook.URL, "off"))
}
