package activities

import (
	"sync"

	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
	"github.com/olflow/olflow/seal"
)

// Credential is what an admin entered, with the secret sealed.
type Credential struct {
	Subdomain    string
	Region       string
	ClientID     string
	ClientSecret seal.Sealed
}

// Clients hands out one OneLogin client per integration and keeps it, so
// its token is reused across activities until it expires and its view of
// the account's rate budget is shared by every sync and action in the
// process.
type Clients struct {
	// Template carries the settings common to every tenant: BaseURL (tests
	// and the simulator only), HTTPClient, Timeout, UserAgent, OnCall.
	Template onelogin.Config
	Keys     *seal.Keyring

	mu sync.Mutex
	m  map[string]clientEntry
}

type clientEntry struct {
	fingerprint string
	client      *onelogin.Client
}

// ForIntegration returns the client for a stored integration.
func (c *Clients) ForIntegration(in directory.Integration) (*onelogin.Client, error) {
	return c.For(in.ID, Credential{Subdomain: in.Subdomain, Region: in.Region, ClientID: in.ClientID, ClientSecret: in.ClientSecret})
}

// For returns the cached client for the integration, or a new one when the
// credential changed (a rotation) or none exists yet.
func (c *Clients) For(integration string, cred Credential) (*onelogin.Client, error) {
	fp := cred.Subdomain + "\x00" + cred.Region + "\x00" + cred.ClientID + "\x00" + cred.ClientSecret.String()
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[integration]; ok && e.fingerprint == fp {
		return e.client, nil
	}
	secret, err := c.Keys.Open(cred.ClientSecret, api.ClientSecretAAD(integration))
	if err != nil {
		// Retryable: a worker deployed with the right keys will open it.
		return nil, temporal.NewApplicationError("cannot open the sealed client secret: check the worker's sealing keys", string(errcode.ServerError))
	}
	cfg := c.Template
	cfg.Subdomain, cfg.Region, cfg.ClientID, cfg.ClientSecret = cred.Subdomain, cred.Region, cred.ClientID, secret.Reveal()
	client, err := onelogin.New(cfg)
	if err != nil {
		return nil, appError(err)
	}
	if c.m == nil {
		c.m = map[string]clientEntry{}
	}
	c.m[integration] = clientEntry{fingerprint: fp, client: client}
	return client, nil
}

// Forget drops an integration's client, as after a disconnect.
func (c *Clients) Forget(integration string) {
	c.mu.Lock()
	delete(c.m, integration)
	c.mu.Unlock()
}
