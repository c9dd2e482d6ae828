package olsim

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is an in-memory OneLogin tenant. It implements http.Handler and is
// safe for concurrent use: one mutex guards all state.
type Server struct {
	opts  Options
	clock Clock
	admin http.Handler
	seq   atomic.Uint64 // request sequence, feeds x-request-id

	routes []*route

	mu         sync.Mutex
	rng        *rand.Rand // fault decisions, tokens, invite links
	users      map[int64]*user
	order      userList         // every user, ascending by id
	groupIdx   map[int64]idList // group id -> member user ids
	updIdx     updIndex         // users by updated_at
	version    uint64           // bumped by every change; keys the list cache
	cache      listCache
	nextUserID int64
	ownerID    int64 // the account owner: "added_by" for API role changes
	groups     []Group
	roles      []*role
	apps       []App
	connectors []Connector
	customAttr []string

	creds  map[string]*credential
	tokens map[string]*token

	by             actor                    // who makes the current change
	writes         map[int64]map[string]int // per user: applied API writes by kind
	events         eventLog
	eventTypesList []EventType
	eventTypeIDs   map[string]int // type name -> id
	hooks          *webhooks      // nil without a webhook

	rate    rateWindow
	faults  faultState
	counts  map[string]int
	invites []SentInvite
	logouts []Logout
	logMu   sync.Mutex
}

// New builds a simulator with a generated org.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		opts:     opts,
		clock:    opts.Clock,
		rng:      rand.New(rand.NewPCG(uint64(opts.Seed), 0x6f6c73696d)), // "olsim"
		users:    map[int64]*user{},
		groupIdx: map[int64]idList{},
		creds:    map[string]*credential{},
		tokens:   map[string]*token{},
		counts:   map[string]int{},
		writes:   map[int64]map[string]int{},
		events:   newEventLog(max(opts.EventCapacity, 0)),
	}
	s.eventTypesList = eventTypes(opts.EventTypeIDs)
	s.eventTypeIDs = eventTypeIDs(s.eventTypesList)
	for _, c := range opts.Credentials {
		s.addCredential(c)
	}
	s.faults.set(opts.Faults)
	generate(s, opts)
	s.routes = s.buildRoutes()
	s.admin = s.adminHandler()
	s.hooks = startWebhooks(opts.Webhook, opts.Seed)
	return s
}

// Options returns the effective options (defaults filled in).
func (s *Server) Options() Options { return s.opts }

// Clock returns the simulator's clock.
func (s *Server) Clock() Clock { return s.clock }

// apiVersion selects envelopes, content types and rate limiting.
type apiVersion int

const (
	apiToken apiVersion = iota // token endpoints: client credentials, v1-style bodies
	apiV1                      // status envelope, rate limited
	apiV2                      // bare bodies
)

type route struct {
	method  string
	segs    []string // pattern segments; ":id" matches any one segment
	key     string   // endpoint key: "METHOD /pattern"
	version apiVersion
	need    Scope // weakest scope allowed; empty for token endpoints
	handle  func(*call) *response
	// free marks resource routes that never consume the v1 budget.
	free bool
}

// call is one routed request, handled under the server lock.
type call struct {
	s     *Server
	r     *http.Request
	rt    *route
	param string // the :id segment, if any
	query url.Values
	body  []byte
	now   time.Time
	tok   *token
}

func (s *Server) buildRoutes() []*route {
	o := s.opts
	var rs []*route
	add := func(method, pattern string, v apiVersion, need Scope, h func(*call) *response) *route {
		r := &route{method: method, segs: splitPath(pattern), key: method + " " + pattern, version: v, need: need, handle: h}
		rs = append(rs, r)
		return r
	}
	// Tokens (§2).
	add("POST", "/auth/oauth2/v2/token", apiToken, "", s.tokenV2)
	add("POST", "/auth/oauth2/token", apiToken, "", s.tokenV1)
	add("POST", "/auth/oauth2/revoke", apiToken, "", s.revoke)
	add("GET", "/auth/rate_limit", apiV1, ScopeReadUsers, s.rateLimitStatus).free = !o.RateLimitCountsStatusCall

	// Users (§6).
	add("GET", "/api/2/users", apiV2, ScopeReadUsers, s.listUsers)
	add("POST", "/api/2/users", apiV2, ScopeManageUsers, s.createUserV2)
	add("GET", "/api/2/users/:id", apiV2, ScopeReadUsers, s.getUser)
	add("PUT", "/api/2/users/:id", apiV2, ScopeManageUsers, s.updateUserV2)
	add("DELETE", "/api/2/users/:id", apiV2, ScopeManageUsers, s.deleteUser)
	add("POST", "/api/2/users/:id/unlock", apiV2, ScopeManageUsers, s.unlockUser)
	add("GET", "/api/1/users", apiV1, ScopeReadUsers, s.listUsers)
	add("GET", "/api/1/users/:id", apiV1, ScopeReadUsers, s.getUser)
	add("DELETE", "/api/1/users/:id", apiV1, ScopeManageUsers, s.deleteUser)
	add("PUT", "/api/1/users/:id/set_state", apiV1, ScopeManageAll, s.setState)
	add("PUT", "/api/1/users/set_password_clear_text/:id", apiV1, ScopeManageAll, s.setPasswordClearText)
	add("PUT", "/api/1/users/:id/logout", apiV1, ScopeManageUsers, s.logoutUser)
	add("PUT", "/api/1/users/:id/lock_user", apiV1, ScopeManageAll, s.lockUser)
	add("PUT", "/api/1/users/:id/add_roles", apiV1, o.AddRolesScope, s.addRolesV1)
	add("PUT", "/api/1/users/:id/remove_roles", apiV1, o.AddRolesScope, s.removeRolesV1)

	// Invites (§6.6).
	add("POST", "/api/1/invites/get_invite_link", apiV1, ScopeManageAll, s.getInviteLink)
	add("POST", "/api/1/invites/send_invite_link", apiV1, ScopeManageAll, s.sendInviteLink)

	// Groups (§7).
	add("GET", "/api/1/groups", apiV1, ScopeReadUsers, s.listGroups)
	add("GET", "/api/1/groups/:id", apiV1, ScopeReadUsers, s.getGroup)

	// Roles (§8).
	add("GET", "/api/1/roles", apiV1, ScopeReadUsers, s.listRolesV1)
	add("GET", "/api/2/roles", apiV2, ScopeReadUsers, s.listRoles)
	add("GET", "/api/2/roles/:id", apiV2, ScopeReadUsers, s.getRole)
	for _, kind := range []memberKind{roleUsers, roleAdmins} {
		p := "/api/2/roles/:id/" + string(kind)
		add("GET", p, apiV2, ScopeReadUsers, s.listRoleMembers(kind))
		add("POST", p, apiV2, ScopeManageAll, s.addRoleMembers(kind))
		add("DELETE", p, apiV2, ScopeManageAll, s.removeRoleMembers(kind))
	}

	// Events (§11). types before :id, which would match it.
	add("GET", "/api/1/events", apiV1, ScopeReadUsers, s.listEvents)
	add("GET", "/api/1/events/types", apiV1, ScopeReadUsers, s.listEventTypes)
	add("GET", "/api/1/events/:id", apiV1, ScopeReadUsers, s.getEvent)

	// Apps (§9).
	add("GET", "/api/2/apps", apiV2, ScopeReadAll, s.listApps)
	add("GET", "/api/2/apps/:id/users", apiV2, ScopeReadAll, s.listAppUsers)
	add("GET", "/api/2/connectors", apiV2, o.ConnectorsScope, s.listConnectors)
	return rs
}

// EndpointKeys lists every endpoint key, in routing order. A key is the HTTP
// method, a space, and the path pattern with ":id" for the id segment, e.g.
// "GET /api/2/users/:id" or "POST /auth/oauth2/v2/token". Tenant prefixes are
// not part of the key.
func (s *Server) EndpointKeys() []string {
	keys := make([]string, len(s.routes))
	for i, r := range s.routes {
		keys[i] = r.key
	}
	return keys
}

func splitPath(p string) []string { return strings.Split(strings.Trim(p, "/"), "/") }

// match finds the route for method and path. An unknown path and a known
// path with the wrong method both get OneLogin's 404 "No Route Exists".
func (s *Server) match(method, path string) (rt *route, param string) {
	segs := splitPath(path)
	for _, r := range s.routes {
		if r.method != method || len(r.segs) != len(segs) {
			continue
		}
		ok, p := true, ""
		for i, want := range r.segs {
			switch {
			case want == ":id" && segs[i] != "":
				p = segs[i]
			case want != segs[i]:
				ok = false
			}
		}
		if ok {
			return r, p
		}
	}
	return nil, ""
}

// adminPrefix is where the admin API lives; the real API never uses it.
const adminPrefix = "/__olsim/"

// tenantPath strips an optional "/t/<subdomain>" prefix. ok is false when the
// prefix names another tenant.
func (s *Server) tenantPath(p string) (rest string, ok bool) {
	if !strings.HasPrefix(p, "/t/") {
		return p, true
	}
	sub, rest, _ := strings.Cut(p[len("/t/"):], "/")
	return "/" + rest, strings.EqualFold(sub, s.opts.Subdomain)
}

// ServeHTTP serves the OneLogin API, the admin API and tenant routing.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-Id", s.requestID())
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		s.admin.ServeHTTP(w, r)
		return
	}
	path, ok := s.tenantPath(r.URL.Path)
	if !ok {
		s.write(w, r, tenantNotFound(), "")
		return
	}
	rt, param := s.match(r.Method, path)
	if rt == nil {
		s.write(w, r, v1Err(404, "No Route Exists"), "")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return // the client went away
	}
	if !sleepCtx(r.Context(), s.countAndDelay(rt.key)) {
		return
	}
	c := &call{s: s, r: r, rt: rt, param: param, query: r.URL.Query(), body: body}
	s.write(w, r, s.serve(c), rt.key)
}

// serve runs a routed call under the lock: faults first (they stand in for
// the load balancer and flaky infrastructure), then authentication, budget,
// scope and the handler.
func (s *Server) serve(c *call) *response {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.now = s.clock.Now()
	fault, reset := s.injectFault(c)
	resp := fault
	if resp == nil {
		resp = s.dispatch(c)
	}
	resp.reset = resp.reset || reset
	return resp
}

func (s *Server) dispatch(c *call) *response {
	if c.rt.version == apiToken {
		return c.rt.handle(c)
	}
	metered := c.rt.version == apiV1 || s.opts.RateLimitV2
	resp := s.authorize(c, metered)
	if resp == nil {
		resp = s.handleAPI(c)
	}
	if metered {
		s.setRateHeaders(resp, c.now, false)
	}
	return resp
}

// handleAPI runs the handler with the caller as the actor of its changes.
func (s *Server) handleAPI(c *call) *response {
	s.by = actor{api: true, clientID: c.tok.clientID}
	defer func() { s.by = actor{} }()
	return c.rt.handle(c)
}

// authorize checks the bearer token, consumes the budget and checks scope.
// It returns nil when the call may proceed.
func (s *Server) authorize(c *call, metered bool) *response {
	raw, ok := bearerToken(c.r.Header.Get("Authorization"))
	if !ok && c.rt.version == apiV1 {
		return v1Err(400, "Authorization Information is incorrect")
	}
	tok := s.validToken(raw, c.now)
	if !ok || tok == nil {
		return c.fail(401, "")
	}
	c.tok = tok
	if metered && !c.rt.free && !s.rate.consume(c.now, s.opts.RateLimit) {
		return s.rateLimited(c)
	}
	if !s.creds[tok.clientID].scope().Includes(c.rt.need) {
		return s.denied(c)
	}
	return nil
}

// denied is the out-of-scope answer (§3): v1 401 "Insufficient Permission";
// v2 401 or 403 per Options.V2ScopeDenialStatus.
func (s *Server) denied(c *call) *response {
	if c.rt.version == apiV2 {
		return c.fail(s.opts.V2ScopeDenialStatus, "")
	}
	return v1Err(401, "Insufficient Permission")
}

// fail answers an error in the call's API version. An empty message takes
// the standard text for the status.
func (c *call) fail(status int, message string) *response {
	if message == "" {
		message = defaultMessage(c.rt.version, status)
	}
	if c.rt.version == apiV2 {
		return v2Err(status, message)
	}
	return v1Err(status, message)
}

func defaultMessage(v apiVersion, status int) string {
	switch {
	case status == 401 && v == apiV2:
		return "Unauthorized"
	case status == 401:
		return "Authentication Failure"
	case status == 403:
		return "Forbidden"
	case status == 404 && v == apiV2:
		return notFoundV2
	case status == 429:
		return "Rate Limit Exceeded"
	}
	return http.StatusText(status)
}

// write sends resp, or half of it when a connection-reset fault hit.
func (s *Server) write(w http.ResponseWriter, r *http.Request, resp *response, key string) {
	s.logAccess(r, resp, key)
	if resp.reset {
		writeReset(w, resp)
		return
	}
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	if resp.body != nil || resp.status != http.StatusNoContent {
		h.Set("Content-Length", fmt.Sprint(len(resp.body)))
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

func (s *Server) logAccess(r *http.Request, resp *response, key string) {
	if s.opts.AccessLog == nil {
		return
	}
	if key == "" {
		key = "-"
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	fmt.Fprintf(s.opts.AccessLog, "olsim %s %s %d [%s]%s\n", r.Method, r.URL.RequestURI(), resp.status, key, map[bool]string{true: " (reset)"}[resp.reset])
}

// requestID mimics OneLogin's x-request-id: 7 dash-separated hex groups, the
// first being the epoch seconds of the (simulated) clock.
func (s *Server) requestID() string {
	n := s.seq.Add(1)
	x := splitmix(n ^ uint64(s.opts.Seed))
	return fmt.Sprintf("%08X-%08X-%04X-%08X-%04X-%06X-%04X",
		uint32(s.clock.Now().Unix()), uint32(x), uint16(x>>32), 0x0A0B01F0, 0x01BB, n&0xFFFFFF, uint16(x>>48))
}

// splitmix is a tiny stateless mixer: request ids vary without a lock.
func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
