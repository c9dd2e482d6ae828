package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/directory"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/onelogin"
)

// ValidateInput is a credential to check for an integration.
type ValidateInput struct {
	IntegrationID string
	Credential    Credential
}

// ValidateResult is what a valid credential can do.
type ValidateResult struct {
	// Scope is the credential's level (onelogin.Scope words).
	Scope     string
	AccountID int64
	// Subdomain and Region are as normalised by the client.
	Subdomain string
	Region    string
	// CanAct says the scope allows actions (Manage All).
	CanAct bool
}

// ValidateCredential gets a token and probes the scope. A credential that
// cannot sync fails with a non-retryable error whose Type is the code:
// invalid_credentials, insufficient_scope, subdomain_not_found,
// credential_owner_deleted or invalid_input. Transient failures retry.
func (a *Activities) ValidateCredential(ctx context.Context, in ValidateInput) (ValidateResult, error) {
	if in.IntegrationID == "" {
		return ValidateResult{}, failure(errcode.InvalidInput, "integration id is empty")
	}
	c, err := a.Clients.For(in.IntegrationID, in.Credential)
	if err != nil {
		return ValidateResult{}, err
	}
	rep, err := c.ProbeScope(ctx)
	if err != nil {
		return ValidateResult{}, appError(err)
	}
	if !rep.Scope.CanSync() {
		// The details carry the detected scope, so the workflow can record
		// it and tell Authentication Only from Read or Manage Users.
		return ValidateResult{}, temporal.NewNonRetryableApplicationError(
			StatusMessage(errcode.InsufficientScope, string(rep.Scope), c.Subdomain()), string(errcode.InsufficientScope), nil,
			ScopeDetails{Scope: string(rep.Scope)})
	}
	cred := normalized(in.Credential)
	return ValidateResult{Scope: string(rep.Scope), AccountID: rep.AccountID, Subdomain: cred.Subdomain, Region: cred.Region,
		CanAct: rep.Scope.CanAct()}, nil
}

// SaveInput records an integration after its credential validated.
type SaveInput struct {
	IntegrationID string
	Credential    Credential
	Scope         string
	Status        directory.IntegrationStatus
	Message       string
}

// SaveIntegration stores the integration with its secret sealed (it arrives
// sealed and is stored as is).
func (a *Activities) SaveIntegration(ctx context.Context, in SaveInput) error {
	return appError(a.Store.PutIntegration(ctx, integrationRecord(in.IntegrationID, in.Credential,
		toScopeLevel(onelogin.Scope(in.Scope)), in.Status, in.Message)))
}

func integrationRecord(id string, cred Credential, scope directory.ScopeLevel, status directory.IntegrationStatus, msg string) directory.Integration {
	cred = normalized(cred)
	return directory.Integration{ID: id, Subdomain: cred.Subdomain, Region: cred.Region, ClientID: cred.ClientID,
		ClientSecret: cred.ClientSecret, ScopeLevel: scope, Status: status, StatusMessage: msg}
}

// normalized is the credential as the client reads it; fields that do not
// normalise are kept trimmed, so a refused subdomain is recorded as typed.
func normalized(c Credential) Credential {
	c.Subdomain, c.Region, c.ClientID = strings.TrimSpace(c.Subdomain), strings.TrimSpace(c.Region), strings.TrimSpace(c.ClientID)
	if s, err := onelogin.NormalizeSubdomain(c.Subdomain); err == nil {
		c.Subdomain = s
	}
	if r, err := onelogin.NormalizeRegion(c.Region); err == nil {
		c.Region = string(r)
	}
	return c
}

// ScopeDetails are the details of ValidateCredential's insufficient_scope
// failure: the scope the credential has.
type ScopeDetails struct {
	Scope string
}

// ConnectFailure is a connect attempt that ended with a classified error.
type ConnectFailure struct {
	IntegrationID string
	Credential    Credential
	Code          errcode.Code
	// Scope is the credential's detected scope (insufficient_scope only).
	Scope string `json:",omitempty"`
}

// RecordConnectFailure tells the admin why the credential was refused. A
// connected integration keeps its working credential (a failed rotation
// must not stop its syncs), so only a new or already failing integration is
// updated; the failed workflow reports the code to the caller either way.
// It returns the message it chose.
func (a *Activities) RecordConnectFailure(ctx context.Context, in ConnectFailure) (string, error) {
	// The subdomain as the client read it: what the admin typed may be a URL.
	msg := StatusMessage(in.Code, in.Scope, normalized(in.Credential).Subdomain)
	existing, err := a.Store.GetIntegration(ctx, in.IntegrationID)
	switch {
	case err == nil && existing.Status == directory.StatusConnected:
		return msg, nil
	case err != nil && !errors.Is(err, directory.ErrNotFound):
		return "", appError(err)
	}
	status, ok := StatusOfCode(in.Code)
	if !ok {
		return msg, nil
	}
	scope := existing.ScopeLevel
	if in.Scope != "" {
		scope = toScopeLevel(onelogin.Scope(in.Scope))
	}
	return msg, appError(a.Store.PutIntegration(ctx, integrationRecord(in.IntegrationID, in.Credential, scope, status, msg)))
}

// StatusInput sets an integration's status.
type StatusInput struct {
	IntegrationID string
	Status        directory.IntegrationStatus
	Message       string
}

// SetIntegrationStatus records the integration's status and message.
func (a *Activities) SetIntegrationStatus(ctx context.Context, in StatusInput) error {
	return appError(a.Store.SetIntegrationStatus(ctx, in.IntegrationID, in.Status, in.Message))
}

// StatusMessage is what to tell the admin for a code, in the words of
// OneLogin's setup guide.
func StatusMessage(code errcode.Code, scope, subdomain string) string {
	host := "your OneLogin subdomain"
	if subdomain != "" {
		host = subdomain + ".onelogin.com"
	}
	switch code {
	case errcode.InvalidCredentials:
		return "OneLogin rejected the client ID and secret. Check that both were copied without extra spaces, " +
			"that the API credential still exists under Developers > API Credentials, or create a new one."
	case errcode.InsufficientScope:
		have := ""
		if scope != "" {
			have = fmt.Sprintf(" (it has %s)", ScopeWords(scope))
		}
		return "The API credential's scope is too narrow" + have + ". olflow needs Read All to sync the directory " +
			"and Manage All to run actions: create a credential with Manage All under Developers > API Credentials."
	case errcode.SubdomainNotFound:
		return "No OneLogin account answers at " + host + ". Enter the subdomain you sign in at: acme for acme.onelogin.com."
	case errcode.CredentialOwnerDeleted:
		return "OneLogin could not issue a token for this credential: the admin who created it has been deleted. " +
			"Create a new API credential while signed in as an active admin."
	case errcode.InvalidInput:
		return "The connection details are not valid: check the subdomain, region, client ID and secret."
	}
	return "OneLogin could not be reached; olflow will keep retrying."
}

// RevokeToken revokes the integration's current token and forgets its
// client. A credential OneLogin already refuses has nothing to revoke.
func (a *Activities) RevokeToken(ctx context.Context, integration string) error {
	in, err := a.Store.GetIntegration(ctx, integration)
	if errors.Is(err, directory.ErrNotFound) {
		return nil
	}
	if err != nil {
		return appError(err)
	}
	c, err := a.Clients.ForIntegration(in)
	if err != nil {
		return err
	}
	if err := c.Revoke(ctx); err != nil && onelogin.CodeOf(err).Retryable() {
		return appError(err)
	}
	a.Clients.Forget(integration)
	return nil
}

// ScopeWords names a credential scope as OneLogin's admin screens do:
// read_users is "Read Users".
func ScopeWords(scope string) string {
	switch scope {
	case string(onelogin.ScopeAuthOnly), string(directory.ScopeAuthOnly):
		return "Authentication Only"
	case string(onelogin.ScopeReadUsers):
		return "Read Users"
	case string(onelogin.ScopeManageUsers):
		return "Manage Users"
	case string(onelogin.ScopeReadAll):
		return "Read All"
	case string(onelogin.ScopeManageAll):
		return "Manage All"
	}
	return scope
}
