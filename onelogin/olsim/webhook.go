package olsim

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Webhook delivers every event to an HTTP endpoint, like OneLogin's Event
// Broadcaster. The reference leaves its wire format open ([U]): each POST
// carries one event object (BatchSize 0 or 1) or a JSON array of up to
// BatchSize events, each in the GET /api/1/events item shape. Deliveries run
// on one background goroutine, in event order unless ReorderRate says
// otherwise, and stop on Server.Close.
//
// In JSON (PUT /__olsim/webhook) durations are strings such as "250ms".
type Webhook struct {
	URL string `json:"url"` // empty: no webhook

	Secret string `json:"secret"` // sent with every POST, see SecretHeader and BasicAuth
	// SecretHeader names the header carrying Secret as is. Empty means
	// "Authorization: Bearer <Secret>".
	SecretHeader string `json:"secret_header"`
	BasicAuth    bool   `json:"basic_auth"` // send Secret, as "user:password", with HTTP Basic auth instead

	BatchSize   int           `json:"batch_size"`   // [U] see above; default 1
	MaxAttempts int           `json:"max_attempts"` // tries per POST before the events are given up, default 5
	Backoff     time.Duration `json:"-"`            // wait after the first failed try, doubling up to 5s; default 100ms
	Timeout     time.Duration `json:"-"`            // per POST, default 5s
	QueueSize   int           `json:"queue_size"`   // events waiting at most; more are dropped (Overflow), default 10000

	// Faults, drawn per event from a RNG seeded with Options.Seed.
	DropRate      float64       `json:"drop_rate"`      // the event is never sent
	DuplicateRate float64       `json:"duplicate_rate"` // the event is sent twice
	ReorderRate   float64       `json:"reorder_rate"`   // the event is held back and sent after the next POST (or ReorderDelay)
	ReorderDelay  time.Duration `json:"-"`              // default 200ms
}

// UnmarshalJSON reads durations ("backoff", "timeout", "reorder_delay") as
// strings such as "250ms".
func (w *Webhook) UnmarshalJSON(b []byte) error {
	type plain Webhook
	var v struct {
		plain
		Backoff      string `json:"backoff"`
		Timeout      string `json:"timeout"`
		ReorderDelay string `json:"reorder_delay"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*w = Webhook(v.plain)
	for _, d := range []struct {
		s   string
		dst *time.Duration
	}{{v.Backoff, &w.Backoff}, {v.Timeout, &w.Timeout}, {v.ReorderDelay, &w.ReorderDelay}} {
		if d.s == "" {
			continue
		}
		dur, err := time.ParseDuration(d.s)
		if err != nil {
			return err
		}
		*d.dst = dur
	}
	return nil
}

// check refuses rates outside 0..1 or adding up to more than 1.
func (w Webhook) check() error {
	for _, r := range []float64{w.DropRate, w.DuplicateRate, w.ReorderRate} {
		if r < 0 || r > 1 {
			return &Error{Status: 400, Message: "webhook rates must be between 0 and 1"}
		}
	}
	if w.DropRate+w.DuplicateRate+w.ReorderRate > 1 {
		return &Error{Status: 400, Message: "webhook drop, duplicate and reorder rates must add up to at most 1"}
	}
	return nil
}

// WebhookStats counts webhook work since the start.
type WebhookStats struct {
	Queued         int64 `json:"queued"`          // events handed to the webhook
	Delivered      int64 `json:"delivered"`       // events in POSTs that got a 2xx (duplicates included)
	Posts          int64 `json:"posts"`           // POSTs that got a 2xx
	FailedAttempts int64 `json:"failed_attempts"` // tries that got an error or a non-2xx
	Abandoned      int64 `json:"abandoned"`       // events given up after MaxAttempts
	Dropped        int64 `json:"dropped"`         // DropRate fault
	Duplicated     int64 `json:"duplicated"`      // DuplicateRate fault
	Reordered      int64 `json:"reordered"`       // ReorderRate fault
	Overflow       int64 `json:"overflow"`        // dropped because the queue was full
}

type webhooks struct {
	cfg    Webhook
	client *http.Client
	queue  chan Event
	rng    *rand.Rand // used by the delivery goroutine only
	cancel context.CancelFunc
	wg     sync.WaitGroup

	queued, delivered, posts, failed, abandoned, dropped, duplicated, reordered, overflow atomic.Int64
}

// startWebhooks starts delivery, or returns nil when no URL is configured.
func startWebhooks(cfg Webhook, seed int64) *webhooks {
	if cfg.URL == "" {
		return nil
	}
	cfg.BatchSize = max(cfg.BatchSize, 1)
	cfg.MaxAttempts = cmp.Or(max(cfg.MaxAttempts, 0), 5)
	cfg.Backoff = cmp.Or(max(cfg.Backoff, 0), 100*time.Millisecond)
	cfg.Timeout = cmp.Or(max(cfg.Timeout, 0), 5*time.Second)
	cfg.QueueSize = cmp.Or(max(cfg.QueueSize, 0), 10000)
	cfg.ReorderDelay = cmp.Or(max(cfg.ReorderDelay, 0), 200*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	h := &webhooks{
		cfg: cfg, client: &http.Client{Timeout: cfg.Timeout}, queue: make(chan Event, cfg.QueueSize),
		rng: rand.New(rand.NewPCG(uint64(seed), 0x776562686f6f6b)), cancel: cancel, // "webhook"
	}
	h.wg.Add(1)
	go h.run(ctx)
	return h
}

// enqueue hands an event over without ever blocking the caller (it holds
// the server lock); a full queue drops it.
func (h *webhooks) enqueue(e Event) {
	if h == nil {
		return
	}
	h.queued.Add(1)
	select {
	case h.queue <- e:
	default:
		h.overflow.Add(1)
	}
}

func (h *webhooks) close() {
	if h == nil {
		return
	}
	h.cancel()
	h.wg.Wait()
}

func (h *webhooks) stats() WebhookStats {
	if h == nil {
		return WebhookStats{}
	}
	return WebhookStats{
		Queued: h.queued.Load(), Delivered: h.delivered.Load(), Posts: h.posts.Load(),
		FailedAttempts: h.failed.Load(), Abandoned: h.abandoned.Load(), Dropped: h.dropped.Load(),
		Duplicated: h.duplicated.Load(), Reordered: h.reordered.Load(), Overflow: h.overflow.Load(),
	}
}

// run is the delivery loop: it batches what is queued, applies the faults,
// posts, and sends held-back events after the next POST or after
// ReorderDelay without one.
func (h *webhooks) run(ctx context.Context) {
	defer h.wg.Done()
	var held []Event
	flush := time.NewTimer(time.Hour)
	flush.Stop()
	for {
		var batch []Event
		select {
		case <-ctx.Done():
			return
		case <-flush.C:
			batch, held = held, nil
			h.post(ctx, batch)
			continue
		case e := <-h.queue:
			batch = append(batch, e)
		}
		for len(batch) < h.cfg.BatchSize {
			select {
			case e := <-h.queue:
				batch = append(batch, e)
				continue
			default:
			}
			break
		}
		var send []Event
		for _, e := range batch {
			switch r := h.rng.Float64(); {
			case r < h.cfg.DropRate:
				h.dropped.Add(1)
			case r < h.cfg.DropRate+h.cfg.ReorderRate:
				h.reordered.Add(1)
				held = append(held, e)
				flush.Reset(h.cfg.ReorderDelay)
			case r < h.cfg.DropRate+h.cfg.ReorderRate+h.cfg.DuplicateRate:
				h.duplicated.Add(1)
				send = append(send, e, e)
			default:
				send = append(send, e)
			}
		}
		if len(send) == 0 {
			continue
		}
		h.post(ctx, send)
		if len(held) > 0 && len(send) > 0 {
			flush.Stop()
			late := held
			held = nil
			h.post(ctx, late)
		}
	}
}

// post delivers events in POSTs of up to BatchSize, each retried with
// backoff on an error or a non-2xx.
func (h *webhooks) post(ctx context.Context, events []Event) {
	for len(events) > 0 {
		n := min(len(events), h.cfg.BatchSize)
		h.postOne(ctx, events[:n])
		events = events[n:]
	}
}

func (h *webhooks) postOne(ctx context.Context, events []Event) {
	var body []byte
	if h.cfg.BatchSize == 1 {
		body = mustJSON(eventWire(&events[0]))
	} else {
		items := make([]item, len(events))
		for i := range events {
			items[i] = eventWire(&events[i])
		}
		body = mustJSON(items)
	}
	wait := h.cfg.Backoff
	for attempt := 1; ; attempt++ {
		err := h.send(ctx, body)
		if err == nil {
			h.posts.Add(1)
			h.delivered.Add(int64(len(events)))
			return
		}
		h.failed.Add(1)
		if attempt >= h.cfg.MaxAttempts || !sleepCtx(ctx, wait) {
			h.abandoned.Add(int64(len(events)))
			return
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func (h *webhooks) send(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "olsim-event-broadcaster")
	switch {
	case h.cfg.Secret == "":
	case h.cfg.BasicAuth:
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(h.cfg.Secret)))
	case h.cfg.SecretHeader == "":
		req.Header.Set("Authorization", "Bearer "+h.cfg.Secret)
	default:
		req.Header.Set(h.cfg.SecretHeader, h.cfg.Secret)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}

// WebhookStats reports the current webhook's delivery counts; all zero
// without a webhook.
func (s *Server) WebhookStats() WebhookStats {
	s.mu.Lock()
	h := s.hooks
	s.mu.Unlock()
	return h.stats()
}

// SetWebhook replaces the webhook (an empty URL turns it off): delivery of
// the old one stops, events it had not delivered are discarded, and the
// counts start again from zero.
func (s *Server) SetWebhook(w Webhook) error {
	if err := w.check(); err != nil {
		return err
	}
	s.mu.Lock()
	old := s.hooks
	s.hooks = startWebhooks(w, s.opts.Seed)
	s.mu.Unlock()
	old.close()
	return nil
}

// Close stops webhook delivery (events not yet delivered are discarded). The
// handler keeps serving; Close is safe to call more than once.
func (s *Server) Close() error {
	s.mu.Lock()
	h := s.hooks
	s.mu.Unlock()
	h.close()
	return nil
}
