package onelogin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/olflow/olflow/tenant"
)

// Region is OneLogin's legacy data-centre shard. Current endpoints live on
// the tenant's subdomain, so the region only selects nothing today; it is
// validated and kept because admins still copy it from old setup guides.
type Region string

// Regions OneLogin has.
const (
	RegionNone Region = ""
	RegionUS   Region = "us"
	RegionEU   Region = "eu"
)

const (
	defaultTimeout = 30 * time.Second
	// defaultAttemptTimeout leaves a call that hangs two more tries within
	// defaultTimeout.
	defaultAttemptTimeout = 10 * time.Second
	defaultMaxAttempts    = 5
	defaultRetryBackoff   = 50 * time.Millisecond
	// DefaultMaxConnsPerHost covers a full read's default four pages in
	// flight, the three other kinds' reads and an action.
	DefaultMaxConnsPerHost = 8
	defaultUserAgent       = "olflow-onelogin/1"
	// SubdomainPlaceholder in Config.BaseURL is replaced by the normalised
	// subdomain, so a simulator can route tenants by path.
	SubdomainPlaceholder = "{subdomain}"
)

// Config is everything one tenant's client needs. Nothing is read from the
// environment: one process serves many tenants.
type Config struct {
	Subdomain    string
	Region       string
	ClientID     string
	ClientSecret string
	// BaseURL replaces https://<subdomain>.onelogin.com; for the simulator
	// and tests only. It may contain SubdomainPlaceholder.
	BaseURL    string
	HTTPClient *http.Client
	// Timeout bounds one call, its retries included (default 30s). Callers
	// that report liveness (activity heartbeats) can count on a call
	// returning within it.
	Timeout time.Duration
	// AttemptTimeout bounds one try of a call that may be repeated (default
	// 10s, at most Timeout), so a hung request leaves time for another.
	AttemptTimeout time.Duration
	// MaxAttempts is how many times a call that failed transiently is sent
	// (default 5; 1 turns retries off). See retry.go for what is repeated.
	MaxAttempts int
	// RetryBackoff is the first retry's delay before jitter; each later
	// retry doubles it (default 50ms).
	RetryBackoff time.Duration
	// MaxConnsPerHost sizes the connection pool of the HTTP client New
	// builds when HTTPClient is nil: that many idle connections are kept
	// per host, twice as many may be open (default 8). Set it to at least
	// the number of requests callers make at once.
	MaxConnsPerHost int
	UserAgent       string
	// Now is the clock used for token expiry (default time.Now).
	Now func() time.Time
	// OnCall, when set, is told about every HTTP exchange (for metrics).
	OnCall func(CallInfo)
}

// String never shows the client secret.
func (c Config) String() string {
	return fmt.Sprintf("onelogin.Config{Subdomain:%q Region:%q ClientID:%q ClientSecret:[REDACTED] BaseURL:%q}",
		c.Subdomain, c.Region, c.ClientID, c.BaseURL)
}

// GoString keeps %#v from printing the secret.
func (c Config) GoString() string { return c.String() }

// Normalize trims every field, normalises the subdomain and region, and
// checks that the credential is present. Errors are invalid_input naming the
// field.
func (c Config) Normalize() (Config, error) {
	c.ClientID = strings.TrimSpace(c.ClientID)
	c.ClientSecret = strings.TrimSpace(c.ClientSecret)
	c.BaseURL = strings.TrimSpace(c.BaseURL)
	c.UserAgent = strings.TrimSpace(c.UserAgent)
	sub, err := NormalizeSubdomain(c.Subdomain)
	if err != nil {
		return c, err
	}
	c.Subdomain = sub
	region, err := NormalizeRegion(c.Region)
	if err != nil {
		return c, err
	}
	c.Region = string(region)
	if c.ClientID == "" {
		return c, invalidInput("client_id", "client ID is empty")
	}
	if c.ClientSecret == "" {
		return c, invalidInput("client_secret", "client secret is empty")
	}
	if strings.ContainsAny(c.ClientID, "\r\n") || strings.ContainsAny(c.ClientSecret, "\r\n") {
		return c, invalidInput("client_id", "credential contains a line break")
	}
	if c.Timeout < 0 || c.AttemptTimeout < 0 || c.RetryBackoff < 0 || c.MaxAttempts < 0 || c.MaxConnsPerHost < 0 {
		return c, invalidInput("timeout", "timeouts, retries and connection counts must not be negative")
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = defaultAttemptTimeout
	}
	c.AttemptTimeout = min(c.AttemptTimeout, c.Timeout)
	if c.MaxAttempts == 0 {
		c.MaxAttempts = defaultMaxAttempts
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = defaultRetryBackoff
	}
	if c.MaxConnsPerHost == 0 {
		c.MaxConnsPerHost = DefaultMaxConnsPerHost
	}
	if c.UserAgent == "" {
		c.UserAgent = defaultUserAgent
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Transport: NewTransport(c.MaxConnsPerHost)}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// NormalizeRegion accepts "", "us" and "eu" in any case (tenant's rules).
func NormalizeRegion(s string) (Region, error) {
	r, err := tenant.NormalizeRegion(s)
	return Region(r), fieldError(err)
}

// NormalizeSubdomain turns what an admin pastes into the tenant's label
// (tenant's rules: "https://ACME.onelogin.com/" gives "acme").
func NormalizeSubdomain(s string) (string, error) {
	sub, err := tenant.NormalizeSubdomain(s)
	return sub, fieldError(err)
}

// fieldError keeps this package's one error type for a refused field.
func fieldError(err error) error {
	var te *tenant.Error
	if errors.As(err, &te) {
		return invalidInput(te.Field, te.Message)
	}
	return err
}

// baseURL is where requests go for this configuration.
func (c Config) baseURL() string {
	if c.BaseURL == "" {
		return "https://" + c.Subdomain + tenant.Domain
	}
	return strings.TrimSuffix(strings.ReplaceAll(c.BaseURL, SubdomainPlaceholder, c.Subdomain), "/")
}

// NewTransport is an HTTP transport for one tenant's calls: Go's default
// keeps only 2 idle connections per host, so a read with more requests in
// flight would open and close connections on every page.
func NewTransport(connsPerHost int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = connsPerHost
	t.MaxIdleConns = max(t.MaxIdleConns, connsPerHost)
	// A cap well above the expected parallelism: a burst of actions waits
	// for a connection instead of opening dozens at OneLogin.
	t.MaxConnsPerHost = 2 * connsPerHost
	return t
}
