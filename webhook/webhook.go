// Package webhook receives OneLogin Event Broadcaster deliveries and
// signals the integration's DirectoryEvents workflow with them.
//
// Each integration has its own URL, POST /onelogin/events/{integration},
// and its own secret, sent by OneLogin as "Authorization: Bearer <secret>",
// as the X-Olflow-Webhook-Secret header, or as the password of HTTP Basic
// auth (the user name is ignored). A request for an unknown integration or
// with a wrong or missing secret is 401; a body over the size limit is 413;
// neither signals anything. A delivery is one event object or an array of
// them in the GET /api/1/events item shape (decoded tolerantly: ids as
// numbers or strings, nulls anywhere). Events already signalled recently
// (duplicates, replays) and events older than MaxAge are acknowledged with
// 200 but not signalled again: the workflow would only re-read what it
// already read. When signalling fails the answer is 503, so OneLogin
// retries.
package webhook

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/onelogin"
)

// SecretHeader is the header that may carry an integration's secret.
const SecretHeader = "X-Olflow-Webhook-Secret"

// PathPrefix starts every delivery URL: PathPrefix + integration.
const PathPrefix = "/onelogin/events/"

// Defaults for Options.
const (
	DefaultMaxBodyBytes = 1 << 20
	DefaultMaxAge       = 24 * time.Hour
	// DefaultRemember is how many event ids per integration are kept to
	// drop duplicates and replays.
	DefaultRemember = 20000
	// MinSecretLength keeps guessable secrets out of the configuration.
	MinSecretLength = 16
)

// Signaler hands a delivery to the integration's events workflow.
type Signaler interface {
	SignalEvents(ctx context.Context, integration string, d api.EventsDelivery) error
}

// Options configure the handler.
type Options struct {
	// Secrets maps integration ids to their webhook secrets.
	Secrets  map[string]string
	Signaler Signaler
	// MaxBodyBytes limits a delivery (default 1 MiB).
	MaxBodyBytes int64
	// MaxAge drops events older than this at receipt (default 24h): the
	// poll and the syncs have long covered them.
	MaxAge time.Duration
	// Remember is how many event ids per integration dedupe keeps.
	Remember int
	// Registerer gets the metrics (none if nil).
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	Now        func() time.Time
}

type handler struct {
	o       Options
	secrets map[string][sha256.Size]byte
	mu      sync.Mutex
	seen    map[string]*recent
	m       metrics
}

type metrics struct {
	requests *prometheus.CounterVec
	events   *prometheus.CounterVec
	lag      prometheus.Histogram
}

// Results a request is counted under.
const (
	ResultSignalled    = "signalled"
	ResultDuplicate    = "duplicate"
	ResultUnauthorized = "unauthorized"
	ResultTooLarge     = "too_large"
	ResultBadRequest   = "bad_request"
	ResultError        = "error"
)

// ParseSecrets reads "integration=secret" pairs separated by commas or
// newlines (the OLFLOW_WEBHOOK_SECRETS format).
func ParseSecrets(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, line := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		id, secret, ok := strings.Cut(line, "=")
		id, secret = strings.TrimSpace(id), strings.TrimSpace(secret)
		if !ok {
			return nil, errors.New("webhook secrets: want integration=secret pairs")
		}
		if err := api.ValidateIntegrationID(id); err != nil {
			return nil, fmt.Errorf("webhook secrets: %w", err)
		}
		if len(secret) < MinSecretLength {
			// The message names the integration, never the secret.
			return nil, fmt.Errorf("webhook secrets: the secret of %s is shorter than %d characters", id, MinSecretLength)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("webhook secrets: %s is listed twice", id)
		}
		out[id] = secret
	}
	return out, nil
}

// NewHandler serves deliveries, and GET /healthz.
func NewHandler(o Options) (http.Handler, error) {
	if o.Signaler == nil {
		return nil, errors.New("webhook: a signaler is required")
	}
	if len(o.Secrets) == 0 {
		return nil, errors.New("webhook: no integration has a secret")
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.Remember <= 0 {
		o.Remember = DefaultRemember
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{o: o, secrets: map[string][sha256.Size]byte{}, seen: map[string]*recent{}}
	for id, s := range o.Secrets {
		// Digests compare in constant time whatever the lengths.
		h.secrets[id] = sha256.Sum256([]byte(s))
	}
	h.m = metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "olflow_webhook_requests_total",
			Help: "Event Broadcaster deliveries by result."}, []string{"result"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "olflow_webhook_events_total",
			Help: "Events received, by what became of them (signalled, duplicate, stale)."}, []string{"result"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "olflow_webhook_event_lag_seconds",
			Help:    "Time from an event's created_at to its receipt.",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300}}),
	}
	if o.Registerer != nil {
		for _, c := range []prometheus.Collector{h.m.requests, h.m.events, h.m.lag} {
			if err := o.Registerer.Register(c); err != nil {
				return nil, err
			}
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+PathPrefix+"{integration}", h.deliver)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
	return mux, nil
}

func (h *handler) deliver(w http.ResponseWriter, r *http.Request) {
	integration := r.PathValue("integration")
	if !h.authorized(integration, r) {
		h.answer(w, http.StatusUnauthorized, ResultUnauthorized, integration, "unauthorized")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.o.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		h.answer(w, http.StatusRequestEntityTooLarge, ResultTooLarge, integration, "body too large")
		return
	case err != nil:
		h.answer(w, http.StatusBadRequest, ResultBadRequest, integration, "unreadable body")
		return
	}
	events, err := decode(body)
	if err != nil {
		h.answer(w, http.StatusBadRequest, ResultBadRequest, integration, "body is not an event or a list of events")
		return
	}
	now := h.o.Now()
	d := api.EventsDelivery{ReceivedAt: now}
	rec := h.recentFor(integration)
	for _, e := range events {
		switch {
		case e.ID != 0 && rec.has(e.ID):
			h.m.events.WithLabelValues("duplicate").Inc()
		case !e.CreatedAt.IsZero() && now.Sub(e.CreatedAt) > h.o.MaxAge:
			h.m.events.WithLabelValues("stale").Inc()
		default:
			d.Events = append(d.Events, api.EventRef{ID: e.ID, CreatedAt: e.CreatedAt, UserID: e.UserID, GroupID: e.GroupID, RoleID: e.RoleID})
		}
	}
	if len(d.Events) == 0 {
		h.answer(w, http.StatusOK, ResultDuplicate, integration, "nothing new")
		return
	}
	if err := h.o.Signaler.SignalEvents(r.Context(), integration, d); err != nil {
		h.o.Logger.Error("cannot signal the events workflow", "integration", integration, "error", err)
		h.answer(w, http.StatusServiceUnavailable, ResultError, integration, "try again later")
		return
	}
	// Remembered only once signalled, so a retry after a failure goes through.
	for _, e := range d.Events {
		rec.add(e.ID)
		h.m.events.WithLabelValues("signalled").Inc()
		if !e.CreatedAt.IsZero() {
			h.m.lag.Observe(now.Sub(e.CreatedAt).Seconds())
		}
	}
	h.answer(w, http.StatusOK, ResultSignalled, integration, fmt.Sprintf("%d events", len(d.Events)))
}

func (h *handler) answer(w http.ResponseWriter, status int, result, integration, msg string) {
	h.m.requests.WithLabelValues(result).Inc()
	h.o.Logger.Debug("webhook delivery", "integration", integration, "status", status, "result", result)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"result": result, "message": msg})
}

// authorized compares the presented secret with the integration's in
// constant time; an unknown integration is compared with a dummy so its
// answer takes as long.
func (h *handler) authorized(integration string, r *http.Request) bool {
	want, known := h.secrets[integration]
	got := sha256.Sum256([]byte(presented(r)))
	ok := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	return ok && known
}

// presented is the secret a request carries, "" if none.
func presented(r *http.Request) string {
	if s := r.Header.Get(SecretHeader); s != "" {
		return s
	}
	auth := r.Header.Get("Authorization")
	scheme, value, _ := strings.Cut(auth, " ")
	switch strings.ToLower(scheme) {
	case "bearer":
		return strings.TrimSpace(value)
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
		if err != nil {
			return ""
		}
		_, password, _ := strings.Cut(string(raw), ":")
		return password
	}
	return ""
}

// decode reads one event object or an array of them.
func decode(body []byte) ([]onelogin.Event, error) {
	trimmed := strings.TrimSpace(string(body))
	if strings.HasPrefix(trimmed, "[") {
		var evs []onelogin.Event
		return evs, json.Unmarshal(body, &evs)
	}
	if !strings.HasPrefix(trimmed, "{") {
		return nil, errors.New("not JSON")
	}
	var e onelogin.Event
	if err := json.Unmarshal(body, &e); err != nil {
		return nil, err
	}
	return []onelogin.Event{e}, nil
}

func (h *handler) recentFor(integration string) *recent {
	h.mu.Lock()
	defer h.mu.Unlock()
	rec := h.seen[integration]
	if rec == nil {
		rec = &recent{max: h.o.Remember, set: map[int64]bool{}}
		h.seen[integration] = rec
	}
	return rec
}

// recent is a bounded set of event ids, oldest forgotten first.
type recent struct {
	mu    sync.Mutex
	max   int
	order []int64
	set   map[int64]bool
}

func (r *recent) has(id int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.set[id]
}

func (r *recent) add(id int64) {
	if id == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set[id] {
		return
	}
	r.set[id] = true
	r.order = append(r.order, id)
	if len(r.order) > r.max {
		delete(r.set, r.order[0])
		r.order = r.order[1:]
	}
}
