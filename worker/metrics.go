package worker

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.temporal.io/sdk/interceptor"

	"github.com/olflow/olflow/activities"
	"github.com/olflow/olflow/onelogin"
)

// Metric names olflow adds to the SDK's (counters get _total and timers
// _seconds from the Prometheus naming scope).
const (
	MetricSyncItems       = "olflow_sync_items"                     // {kind}
	MetricOneLoginCalls   = "olflow_onelogin_calls"                 // {endpoint, code}
	MetricOneLoginLatency = "olflow_onelogin_call_latency"          // {endpoint}
	MetricBudgetRemaining = "olflow_onelogin_rate_budget_remaining" // {subdomain}
	MetricBudgetLimit     = "olflow_onelogin_rate_budget_limit"     // {subdomain}
)

// sanitize follows Prometheus' rules for names and keys but keeps label
// values readable ("GET /api/2/users/:id"); the SDK's options would turn
// every / and : into _.
var sanitize = tally.SanitizeOptions{
	NameCharacters:       sdktally.PrometheusSanitizeOptions.NameCharacters,
	KeyCharacters:        sdktally.PrometheusSanitizeOptions.KeyCharacters,
	ValueCharacters:      tally.ValidCharacters{Ranges: tally.AlphanumericRange, Characters: []rune{'_', '-', '.', '/', ':', ' '}},
	ReplacementCharacter: tally.DefaultReplacementCharacter,
}

// Metrics is one process's Prometheus registry: the SDK's metrics through
// tally, and olflow's own.
type Metrics struct {
	registry *prom.Registry
	root     tally.Scope
	scope    tally.Scope
	closer   interface{ Close() error }
	sdk      client.MetricsHandler

	mu      sync.Mutex
	budgets map[string]tally.Scope
}

// NewMetrics builds a registry that reports every second.
func NewMetrics() *Metrics {
	reg := prom.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:       reg,
		DefaultTimerType: tallyprom.HistogramTimerType,
		// A tag-set mismatch must not take the worker down.
		OnRegisterError: func(error) {},
	})
	root, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sanitize,
	}, time.Second)
	scope := sdktally.NewPrometheusNamingScope(root)
	return &Metrics{registry: reg, root: root, scope: scope, closer: closer,
		sdk: sdktally.NewMetricsHandler(scope), budgets: map[string]tally.Scope{}}
}

// SDK is the handler for client.Options.MetricsHandler.
func (m *Metrics) SDK() client.MetricsHandler { return m.sdk }

// Handler serves /metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Close flushes and stops reporting.
func (m *Metrics) Close() error { return m.closer.Close() }

// OnCall records one OneLogin exchange; set it as onelogin.Config.OnCall.
func (m *Metrics) OnCall(info onelogin.CallInfo) {
	code := string(info.Code)
	if code == "" {
		code = "ok"
	}
	endpoint := info.Endpoint
	m.scope.Tagged(map[string]string{"endpoint": endpoint, "code": code}).Counter(MetricOneLoginCalls).Inc(1)
	m.scope.Tagged(map[string]string{"endpoint": endpoint}).Timer(MetricOneLoginLatency).Record(info.Duration)
	if info.RateLimit != nil && info.Subdomain != "" {
		s := m.budgetScope(info.Subdomain)
		s.Gauge(MetricBudgetRemaining).Update(float64(info.RateLimit.Remaining))
		s.Gauge(MetricBudgetLimit).Update(float64(info.RateLimit.Limit))
	}
}

func (m *Metrics) budgetScope(subdomain string) tally.Scope {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.budgets[subdomain]
	if !ok {
		s = m.scope.Tagged(map[string]string{"subdomain": subdomain})
		m.budgets[subdomain] = s
	}
	return s
}

// Interceptor counts synced items from the sync activities' results, so
// the activities stay free of metrics code.
func (m *Metrics) Interceptor() interceptor.WorkerInterceptor { return &metricsInterceptor{m: m} }

type metricsInterceptor struct {
	interceptor.WorkerInterceptorBase
	m *Metrics
}

func (i *metricsInterceptor) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	a := &activityMetrics{m: i.m}
	a.Next = next
	return a
}

type activityMetrics struct {
	interceptor.ActivityInboundInterceptorBase
	m *Metrics
}

func (a *activityMetrics) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	res, err := a.Next.ExecuteActivity(ctx, in)
	if err != nil {
		return res, err
	}
	if kr, ok := res.(activities.KindResult); ok && kr.Items > 0 {
		kind := kr.Kind
		if kind == "" {
			kind = strings.ToLower(strings.TrimPrefix(activity.GetInfo(ctx).ActivityType.Name, "Sync"))
		}
		a.m.scope.Tagged(map[string]string{"kind": kind}).Counter(MetricSyncItems).Inc(int64(kr.Items))
	}
	return res, err
}
