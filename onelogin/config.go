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
	defaultTimeout   = 30 * time.Second
	defaultUserAgent = "olflow-onelogin/1"
	maxLabelLength   = 63
	oneLoginDomain   = ".onelogin.com"
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
	// Timeout bounds each HTTP exchange (default 30s).
	Timeout   time.Duration
	UserAgent string
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
	if c.Timeout < 0 {
		return c, invalidInput("timeout", "timeout is negative")
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.UserAgent == "" {
		c.UserAgent = defaultUserAgent
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{}
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
		return "https://" + c.Subdomain + oneLoginDomain
	}
	return strings.TrimSuffix(strings.ReplaceAll(c.BaseURL, SubdomainPlaceholder, c.Subdomain), "/")
}
