package olsim

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/url"
	"strings"
	"time"
)

type credential struct {
	Credential
	v2 *token // the token the v2 endpoint keeps handing out
	v1 *token // the latest legacy token; a new one invalidates it
}

func (c *credential) scope() Scope {
	if c.Scope == "" {
		return ScopeManageAll
	}
	return c.Scope
}

type token struct {
	access, refresh string
	clientID        string
	createdAt       time.Time
	expiresAt       time.Time
	revoked         bool
}

func (t *token) usable(now time.Time) bool { return !t.revoked && now.Before(t.expiresAt) }

// tokenBody is the flat six-field v2 token object (§2.1); the legacy endpoint
// wraps the same object in the v1 envelope.
type tokenBody struct {
	AccessToken  string `json:"access_token"`
	CreatedAt    string `json:"created_at"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	AccountID    int64  `json:"account_id"`
}

func (s *Server) addCredential(c Credential) {
	old := s.creds[c.ClientID]
	s.creds[c.ClientID] = &credential{Credential: c}
	if old != nil {
		s.revokeCredentialTokens(old.ClientID)
	}
}

func (s *Server) revokeCredentialTokens(clientID string) {
	for _, t := range s.tokens {
		if t.clientID == clientID {
			t.revoked = true
		}
	}
}

// validToken resolves a bearer token. Tokens of removed credentials, or of a
// credential whose owner was deleted, no longer work.
func (s *Server) validToken(access string, now time.Time) *token {
	t := s.tokens[access]
	if t == nil || !t.usable(now) {
		return nil
	}
	if c := s.creds[t.clientID]; c == nil || c.OwnerDeleted {
		return nil
	}
	return t
}

func (s *Server) mint(clientID string, now time.Time) *token {
	t := &token{access: s.randHex(32), refresh: s.randHex(32), clientID: clientID, createdAt: now, expiresAt: now.Add(s.opts.TokenTTL)}
	s.tokens[t.access] = t
	return t
}

func (s *Server) randHex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.rng.Uint32())
	}
	return hex.EncodeToString(b)
}

func (s *Server) tokenBody(t *token) tokenBody {
	return tokenBody{
		AccessToken: t.access, CreatedAt: formatTime(t.createdAt), ExpiresIn: int(s.opts.TokenTTL / time.Second),
		RefreshToken: t.refresh, TokenType: "bearer", AccountID: s.opts.AccountID,
	}
}

// clientCredentials reads the credential pair and grant type from any of the
// three accepted forms (§2.1): the custom "client_id:X, client_secret:Y"
// header, HTTP Basic, or a form body.
func clientCredentials(c *call) (id, secret, grant string) {
	h := strings.TrimSpace(c.r.Header.Get("Authorization"))
	if scheme, rest, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "basic") {
		if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(rest)); err == nil {
			id, secret, _ = strings.Cut(string(raw), ":")
		}
	} else if strings.Contains(strings.ToLower(h), "client_id:") {
		for part := range strings.SplitSeq(h, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), ":")
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "client_id":
				id = strings.TrimSpace(v)
			case "client_secret":
				secret = strings.TrimSpace(v)
			}
		}
	}
	fields := map[string]string{}
	if mediaType(c) == "application/x-www-form-urlencoded" {
		if v, err := url.ParseQuery(string(c.body)); err == nil {
			for k := range v {
				fields[k] = v.Get(k)
			}
		}
	} else {
		var m map[string]any
		if json.Unmarshal(c.body, &m) == nil {
			for k, v := range m {
				if str, ok := v.(string); ok {
					fields[k] = str
				}
			}
		}
	}
	if id == "" && secret == "" {
		id, secret = fields["client_id"], fields["client_secret"]
	}
	return id, secret, fields["grant_type"]
}

func mediaType(c *call) string {
	mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	return mt
}

// authenticateClient checks the credential pair for the token endpoints.
func (s *Server) authenticateClient(id, secret string) (*credential, *response) {
	cred := s.creds[id]
	if id == "" || cred == nil || cred.ClientSecret != secret {
		return nil, v1Err(401, "Authentication Failure")
	}
	return cred, nil
}

func (s *Server) issue(c *call, legacy bool) (*token, *response) {
	id, secret, grant := clientCredentials(c)
	cred, fail := s.authenticateClient(id, secret)
	if fail != nil {
		return nil, fail
	}
	if grant != "client_credentials" {
		return nil, v1Err(400, "grant_type is incorrect/absent")
	}
	if cred.OwnerDeleted {
		// OneLogin answers 500 when the credential's owner was deleted (§2.1).
		return nil, v1Err(500, "Internal Server Error")
	}
	if legacy {
		if cred.v1 != nil {
			cred.v1.revoked = true
		}
		cred.v1 = s.mint(id, c.now)
		return cred.v1, nil
	}
	if cred.v2 == nil || !cred.v2.usable(c.now) {
		cred.v2 = s.mint(id, c.now)
	}
	return cred.v2, nil
}

// tokenV2 serves POST /auth/oauth2/v2/token: the same token set until it
// expires or is revoked, created_at fixed at issue time.
func (s *Server) tokenV2(c *call) *response {
	t, fail := s.issue(c, false)
	if fail != nil {
		if s.opts.TokenErrorsWith200 && fail.status < 500 {
			fail.status = 200
		}
		return fail
	}
	r := newResponse(200, contentTypeV1, mustJSON(s.tokenBody(t)))
	r.header.Set("Cache-Control", "no-store")
	return r
}

// tokenV1 serves the legacy POST /auth/oauth2/token: a fresh token every
// time, wrapped in the v1 envelope, invalidating the previous one.
func (s *Server) tokenV1(c *call) *response {
	t, fail := s.issue(c, true)
	if fail != nil {
		return fail
	}
	return v1OK([]tokenBody{s.tokenBody(t)})
}

// revoke serves POST /auth/oauth2/revoke (§2.3).
func (s *Server) revoke(c *call) *response {
	if mediaType(c) != "application/json" {
		return v1Err(400, "Content Type is not specified or specified incorrectly. Content-Type header must be set to application/json")
	}
	id, secret, _ := clientCredentials(c)
	if id == "" && secret == "" {
		return v1Err(400, "The authorization information is missing")
	}
	if _, fail := s.authenticateClient(id, secret); fail != nil {
		return fail
	}
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(c.body, &body) != nil || body.AccessToken == "" {
		return v1Err(400, "Access Token Missing")
	}
	// Like RFC 7009, an unknown token is not an error. Only the minting
	// credential can revoke a token.
	if t := s.tokens[body.AccessToken]; t != nil && t.clientID == id {
		t.revoked = true
	}
	return v1OK(nil)
}

// bearerToken accepts "Bearer x", "bearer x" and "bearer:x" (§2.4).
func bearerToken(h string) (string, bool) {
	h = strings.TrimSpace(h)
	const scheme = "bearer"
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	rest := h[len(scheme):]
	switch rest[0] {
	case ':':
		rest = rest[1:]
	case ' ', '\t':
	default:
		return "", false
	}
	rest = strings.TrimSpace(rest)
	if rest == "" || strings.ContainsAny(rest, " \t") {
		return "", false
	}
	return rest, true
}

// rateLimitStatus serves GET /auth/rate_limit.
func (s *Server) rateLimitStatus(c *call) *response {
	limit, remaining, reset := s.rate.state(c.now, s.opts.RateLimit)
	return v1OK(map[string]int{"X-RateLimit-Limit": limit, "X-RateLimit-Remaining": remaining, "X-RateLimit-Reset": reset})
}
