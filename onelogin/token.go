package onelogin

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

const (
	tokenEndpoint  = "/auth/oauth2/v2/token"
	revokeEndpoint = "/auth/oauth2/revoke"
	// tokenMargin renews a token this long before OneLogin expires it, so a
	// request never leaves with a token that dies on the way.
	tokenMargin = 2 * time.Minute
	// maxClockSkew is how far in the future created_at may be before we
	// distrust it and count from when we received the token.
	maxClockSkew = 5 * time.Minute
)

// token is one access token. The v2 endpoint hands back the same token until
// it expires, with created_at fixed at issue time, so expiry is
// created_at + expires_in and not now + expires_in.
type token struct {
	access    string
	createdAt time.Time
	expiresAt time.Time
	// renewAt is when to ask for a new token: a margin before expiry, or at
	// expiry when asking early handed back this same token.
	renewAt   time.Time
	accountID int64
}

func (t *token) usable(now time.Time) bool { return now.Before(t.renewAt) }

// TokenInfo is what callers may know about the current token: never the
// token itself.
type TokenInfo struct {
	AccountID int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// tokenSource caches one token per client; concurrent callers that need a
// new one share one token request.
type tokenSource struct {
	client *Client
	mu     sync.Mutex
	cur    *token
	flight singleflight.Group
}

// get returns a usable token. When stale is the cached token (a resource
// call was refused with it) it is dropped first. fresh reports that the
// token was fetched during this call.
func (s *tokenSource) get(ctx context.Context, stale *token) (tok *token, fresh bool, err error) {
	s.mu.Lock()
	if stale != nil && s.cur == stale {
		s.cur = nil
	}
	if s.cur != nil && s.cur.usable(s.client.cfg.Now()) {
		tok = s.cur
		s.mu.Unlock()
		return tok, false, nil
	}
	s.mu.Unlock()
	// The fetch outlives a caller that gives up, so the others still get its
	// result; it is bounded by the client's timeout.
	ch := s.flight.DoChan("token", func() (any, error) { return s.fetch(context.WithoutCancel(ctx)) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, true, r.Err
		}
		return r.Val.(*token), true, nil
	case <-ctx.Done():
		return nil, false, context.Cause(ctx)
	}
}

func (s *tokenSource) fetch(ctx context.Context) (*token, error) {
	s.mu.Lock()
	if cur := s.cur; cur != nil && cur.usable(s.client.cfg.Now()) {
		// A flight that ended while this caller queued already renewed it.
		s.mu.Unlock()
		return cur, nil
	}
	s.mu.Unlock()
	tok, err := s.client.requestToken(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev := s.cur; prev != nil && prev.access == tok.access {
		// OneLogin returns the same token until it expires; renewing early
		// again would only ask for it on every call.
		tok.renewAt = tok.expiresAt
	}
	s.cur = tok
	return tok, nil
}

func (s *tokenSource) current() *token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

func (s *tokenSource) drop(t *token) {
	s.mu.Lock()
	if s.cur == t {
		s.cur = nil
	}
	s.mu.Unlock()
}

// requestToken asks for a client-credentials token with HTTP Basic auth.
func (c *Client) requestToken(ctx context.Context) (*token, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.cfg.ClientID+":"+c.cfg.ClientSecret)))
	body := []byte(`{"grant_type":"client_credentials"}`)
	op := http.MethodPost + " " + tokenEndpoint
	// The token request is repeatable: OneLogin hands back the same token.
	var resp *http.Response
	var raw []byte
	err := c.withRetries(ctx, op, true, func(ctx context.Context) error {
		var err error
		if resp, raw, err = c.exchange(ctx, kindToken, http.MethodPost, c.base+tokenEndpoint, tokenEndpoint, h, body); err != nil {
			return err
		}
		if resp.StatusCode >= 500 {
			return responseError(op, kindToken, resp, raw, false, c.cfg.Now())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	received := c.cfg.Now()
	if resp.StatusCode != http.StatusOK {
		return nil, responseError(op, kindToken, resp, raw, false, received)
	}
	var w struct {
		AccessToken string    `json:"access_token"`
		CreatedAt   looseTime `json:"created_at"`
		ExpiresIn   looseInt  `json:"expires_in"`
		TokenType   string    `json:"token_type"`
		AccountID   looseInt  `json:"account_id"`
	}
	if json.Unmarshal(raw, &w) != nil || w.AccessToken == "" || !strings.EqualFold(w.TokenType, "bearer") {
		// A 200 that is not a token: OneLogin's legacy error envelope, or a
		// host that is not OneLogin at all.
		return nil, responseError(op, kindToken, resp, raw, false, received)
	}
	created := received
	if w.CreatedAt.t != nil && !w.CreatedAt.t.After(received.Add(maxClockSkew)) {
		created = *w.CreatedAt.t
	}
	expires := created.Add(time.Duration(w.ExpiresIn.int64()) * time.Second)
	return &token{access: w.AccessToken, createdAt: created, expiresAt: expires, renewAt: expires.Add(-tokenMargin),
		accountID: w.AccountID.int64()}, nil
}

// Authenticate makes sure the client holds a token and reports on it. It is
// the cheapest way to check a credential: token calls do not spend the
// account's rate budget.
func (c *Client) Authenticate(ctx context.Context) (TokenInfo, error) {
	tok, _, err := c.tokens.get(ctx, nil)
	if err != nil {
		return TokenInfo{}, err
	}
	return TokenInfo{AccountID: tok.accountID, CreatedAt: tok.createdAt, ExpiresAt: tok.expiresAt}, nil
}

// Revoke invalidates the current token at OneLogin and forgets it. Without a
// cached token it does nothing.
func (c *Client) Revoke(ctx context.Context) error {
	tok := c.tokens.current()
	if tok == nil {
		return nil
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	// The revoke endpoint wants the pair that minted the token in OneLogin's
	// own header form.
	h.Set("Authorization", "client_id:"+c.cfg.ClientID+", client_secret:"+c.cfg.ClientSecret)
	body, err := jsonBody(map[string]string{"access_token": tok.access})
	if err != nil {
		return err
	}
	var resp *http.Response
	var raw []byte
	err = c.withRetries(ctx, http.MethodPost+" "+revokeEndpoint, false, func(ctx context.Context) (err error) {
		resp, raw, err = c.exchange(ctx, kindToken, http.MethodPost, c.base+revokeEndpoint, revokeEndpoint, h, body)
		return err
	})
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return responseError(http.MethodPost+" "+revokeEndpoint, kindToken, resp, raw, false, c.cfg.Now())
	}
	c.tokens.drop(tok)
	return nil
}
