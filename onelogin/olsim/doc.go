// Package olsim is an in-memory OneLogin API simulator: an http.Handler that
// behaves like one OneLogin tenant, faithful to the team's reference
// (onelogin-api.md) in status codes, envelopes, error bodies, headers, paging
// rules, scopes and rate limits. Tests and the demo run the real client
// against it; it deliberately shares no code or types with that client, so
// it checks the client independently.
//
// # Use
//
//	sim := olsim.New(olsim.Options{Seed: 1, Users: 200, Clock: olsim.NewManualClock(t0)})
//	srv := httptest.NewServer(sim)
//	// client BaseURL: srv.URL, or srv.URL + "/t/acme" to exercise tenant routing
//
// Requests may carry a "/t/<subdomain>" path prefix. It is stripped when it
// names Options.Subdomain (case-insensitively); any other subdomain gets a
// small text/html 404, like a host that is not a OneLogin tenant. Requests
// without the prefix are served whatever the Host.
//
// # Served endpoints
//
// Tokens: POST /auth/oauth2/v2/token, POST /auth/oauth2/token (legacy),
// POST /auth/oauth2/revoke, GET /auth/rate_limit. Users: GET/POST
// /api/2/users, GET/PUT/DELETE /api/2/users/:id, POST
// /api/2/users/:id/unlock, GET /api/1/users[/:id], DELETE /api/1/users/:id,
// PUT /api/1/users/:id/{set_state,logout,lock_user,add_roles,remove_roles},
// PUT /api/1/users/set_password_clear_text/:id. Invites: POST
// /api/1/invites/{get_invite_link,send_invite_link}. Groups: GET
// /api/1/groups[/:id]. Roles: GET /api/1/roles, GET /api/2/roles[/:id],
// GET/POST/DELETE /api/2/roles/:id/{users,admins}. Apps: GET /api/2/apps,
// GET /api/2/apps/:id/users, GET /api/2/connectors. Events: GET
// /api/1/events, GET /api/1/events/:id, GET /api/1/events/types.
//
// # Scale
//
// Lists are indexed, so a page costs about the same at a million users as
// at a hundred (see BENCHMARKS.md, "Simulator"): users are kept in id order;
// id lists, group_id, role_ids/role_id, app_id and updated_since are
// answered from indexes; other filters and sorts scan once and the result is
// cached until the next change, so the following pages are cheap too.
// Total-Count never needs a scan without a filter.
//
// # Paging
//
// Page numbers and cursors work on every list. A cursor carries the whole
// query (filters included), unless Options.CursorKeepsOnlyPaging. The last
// page has no After-Cursor (v2) and null cursors and links (v1), and its
// Current-Page equals Total-Pages (an empty list: Total-Pages 0, Current-Page
// 1, body []), so a client needs no extra request to find the end;
// Options.V2LinkHeader adds a Link header with the same rule.
//
// # Events and webhooks
//
// Every change, through the API, the admin API or the Go methods, appends
// an Event (reference §11 fields) to a bounded log (Options.EventCapacity)
// served by GET /api/1/events: v1 envelope, up to 50 per page, after_cursor
// and next_link, filters since and until (created_at, inclusive),
// event_type_id (comma list), user_id, client_id and id; oldest first unless
// sort=-id or Options.EventsNewestFirst. API changes name the credential in
// client_id and have actor_system "API"; admin and Go changes have
// actor_system "olsim". A change that changes nothing leaves no event.
//
// Event type ids: only 5, 6, 13 (user created) and 72 are known OneLogin ids.
// Every other id is olsim's own choice (DefaultEventTypes, overridable with
// Options.EventTypeIDs): clients must not depend on event type ids, and
// should read the objects an event names instead.
//
// Options.Webhook posts every event to a URL, like OneLogin's Event
// Broadcaster, with a secret, retries with backoff and optional drop,
// duplicate and reorder faults. Server.Close stops delivery.
//
// # Write counters
//
// Writes and AllWrites count, per user, the writes the OneLogin API accepted
// by kind (WriteSuspend, WriteAddRole, ...), including writes that changed
// nothing: a test can check that a client suspended every member exactly
// once. The admin API and the Go methods do not count; ResetCounters zeroes
// them with the request counts.
//
// # Endpoint keys
//
// Request counters (RequestCount), FailAfter rules and ErrorEndpoints name
// endpoints by key: the method, one space, and the route pattern with ":id"
// for the id segment, without any tenant prefix. Examples:
// "GET /api/2/users", "GET /api/2/users/:id", "PUT /api/1/users/:id/set_state",
// "POST /auth/oauth2/v2/token". Server.EndpointKeys lists them all.
//
// # Order of checks on a request
//
// Latency, then faults (they stand in for the load balancer), then bearer
// authentication, the v1 rate budget, the scope check (before any 404
// lookup) and finally the handler. A connection-reset fault lets the handler
// run (a write does happen) and cuts its response in half.
//
// # Admin API
//
// Everything the Go mutation and reader methods do is also reachable over
// HTTP under /__olsim/, a prefix OneLogin never uses. It needs no auth (a
// local test tool) and speaks plain JSON:
//
//	GET    /__olsim/state                        org, clock, budget, faults, counts, credentials
//	GET    /__olsim/stats                        request counts and rate budget
//	GET    /__olsim/endpoints                    every endpoint key
//	GET    /__olsim/faults                       current faults
//	PUT    /__olsim/faults   (or POST)           replace faults, e.g. {"error_rate":0.1,"latency":"50ms"}
//	DELETE /__olsim/faults                       clear faults
//	POST   /__olsim/clock                        {"advance":"1h"} or {"set":"2030-01-01T00:00:00Z"}
//	GET    /__olsim/users                        all users (v2 wire form)
//	POST   /__olsim/users                        create, body as POST /api/2/users
//	GET|PUT|DELETE /__olsim/users/{id}           read, partial update, delete
//	PUT    /__olsim/users/{id}/group             {"group_id":N} (0 or null clears)
//	POST|DELETE /__olsim/users/{id}/roles        {"role_ids":[...]}
//	GET    /__olsim/groups, /roles, /apps        snapshots
//	GET    /__olsim/invites, /logouts            sent invite emails, logouts
//	GET|POST /__olsim/credentials                list (no secrets) / add {"client_id","client_secret","scope"}
//	DELETE /__olsim/credentials/{client_id}      remove
//	PUT    /__olsim/credentials/{client_id}/owner_deleted   {"owner_deleted":true}
//	POST   /__olsim/tokens/revoke                revoke every token
//	GET    /__olsim/events                       every kept event (API wire form), oldest first
//	GET    /__olsim/writes                       per user id: {"suspend":1,"add_role":2,...}
//	GET    /__olsim/writes/{id}                  one user's write counts ({} if none)
//	GET    /__olsim/webhook                      webhook delivery counts (WebhookStats)
//	PUT    /__olsim/webhook                      replace the webhook: {"url","secret","secret_header","basic_auth",
//	                                             "batch_size","max_attempts","backoff":"100ms","timeout","queue_size",
//	                                             "drop_rate","duplicate_rate","reorder_rate","reorder_delay"}
//	DELETE /__olsim/webhook                      turn the webhook off
//	POST   /__olsim/counters/reset               zero the request counts and write counts
package olsim
