package api

import (
	"time"

	"github.com/olflow/olflow/seal"
)

// ClientSecretAAD binds a sealed OneLogin client secret to its integration.
func ClientSecretAAD(integration string) string { return "onelogin-client-secret/" + integration }

// ConnectRequest starts ConnectIntegration. The client secret arrives
// sealed (the starter seals it with ClientSecretAAD), so history
// never holds it in plaintext. Running it again for the same integration
// with a new credential rotates the credential.
type ConnectRequest struct {
	IntegrationID string
	Subdomain     string
	Region        string
	ClientID      string
	ClientSecret  seal.Sealed
	RequestedBy   string
	// SyncInterval is the PeriodicSync interval (default 15m), in
	// nanoseconds in JSON.
	SyncInterval time.Duration
}

// ConnectResult summarises a connected integration.
type ConnectResult struct {
	IntegrationID string
	// Scope is the credential's level: read_all can sync, manage_all can
	// also run actions.
	Scope     string
	CanAct    bool
	AccountID int64
	Subdomain string
	Sync      SyncResult
	// ScheduleID is the PeriodicSync schedule; ScheduleCreated is false
	// when an existing one was updated.
	ScheduleID      string
	ScheduleCreated bool
	// Duration is in nanoseconds in JSON (kept for existing readers);
	// DurationSeconds is the same for people and other languages.
	Duration        time.Duration
	DurationSeconds float64 `json:",omitempty"`
}

// DisconnectRequest starts DisconnectIntegration.
type DisconnectRequest struct {
	IntegrationID string
	RequestedBy   string
}
