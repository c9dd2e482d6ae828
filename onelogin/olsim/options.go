package olsim

import (
	"io"
	"maps"
	"slices"
	"time"
)

// Credential is an API credential pair the token endpoints accept.
type Credential struct {
	ClientID     string
	ClientSecret string
	Scope        Scope // empty means ScopeManageAll
	// OwnerDeleted simulates the admin who created the credential having been
	// deleted: OneLogin then fails token calls with HTTP 500 (reference §2.1).
	OwnerDeleted bool
}

// ActivationPolicy decides what setting status 1 (Active) does for a user who
// has no password yet. The reference leaves this open (§6.5, [U]).
type ActivationPolicy int

const (
	// ActivateAllow sets status 1 as asked (the default).
	ActivateAllow ActivationPolicy = iota
	// ActivateReject answers 422 and leaves the user unchanged.
	ActivateReject
	// ActivateIgnore silently keeps status 7 (Password pending).
	ActivateIgnore
)

// PasswordPolicy is the tenant's password policy, checked when
// validate_policy is on. The zero value means DefaultPasswordPolicy.
type PasswordPolicy struct {
	MinLength      int
	RequireUpper   bool
	RequireLower   bool
	RequireDigit   bool
	RequireSpecial bool
}

// DefaultPasswordPolicy is a typical OneLogin default policy.
var DefaultPasswordPolicy = PasswordPolicy{MinLength: 8, RequireUpper: true, RequireLower: true, RequireDigit: true}

// Default credential and org values; cmd/olsim uses the same ones.
const (
	DefaultClientID     = "olsim-client"
	DefaultClientSecret = "olsim-secret"
	DefaultSubdomain    = "acme"
	DefaultAccountID    = 189185
	DefaultUsers        = 100
	DefaultGroups       = 10
	DefaultRoles        = 15
	DefaultApps         = 12
)

// Options configures a simulator. The zero value is usable: every zero field
// takes the default named in its comment. Fields marked [U] model behaviour
// the reference could not confirm.
type Options struct {
	Seed int64 // drives the org generator and the fault RNG

	// Org size. 0 takes the default (100 users, 10 groups, 15 roles, 12 apps);
	// a negative value means none.
	Users, Groups, Roles, Apps int

	Subdomain   string        // default "acme"
	AccountID   int64         // default 189185
	Credentials []Credential  // default: one Manage All credential olsim-client / olsim-secret
	Clock       Clock         // default: an *OffsetClock (wall time, advanceable)
	TokenTTL    time.Duration // default 36000s

	UsersMaxLimit int // [U] max limit on GET /api/2/users, default 50

	// CursorKeepsOnlyPaging makes cursors carry limit, page and sort alone,
	// as one real cursor on record does (reference §5.1, [U]): a request
	// following a cursor is then filtered only by the filters it repeats
	// itself. Default false: the cursor carries the whole query.
	CursorKeepsOnlyPaging bool
	// V2LinkHeader adds a Link header to v2 lists, rel="next" and rel="prev"
	// as RFC 8288 URLs with the cursor ([U] format); no rel="next" on the
	// last page.
	V2LinkHeader      bool
	RoleUsersMaxLimit int // [U] max limit on GET /api/2/roles/:id/{users,admins}, default 100

	V2ScopeDenialStatus int // [U] 401 or 403 (default) for out-of-scope v2 calls
	// RoleDefaultFields names the arrays (apps, users, admins) GET /api/2/roles
	// includes when the request has no fields parameter. [U] default none.
	RoleDefaultFields []string

	RateLimit   int  // v1 calls per hour per account, default 5000
	RateLimitV2 bool // [U] v2 resource calls also consume the budget and carry X-RateLimit-*
	// RateLimitCountsStatusCall makes GET /auth/rate_limit consume the budget. [U] default false.
	RateLimitCountsStatusCall bool
	RetryAfterOn429           bool // [U] add Retry-After (seconds) to 429s

	// ConnectorsScope is the weakest scope allowed to GET /api/2/connectors;
	// any scope that Includes it passes. [U] default ScopeManageAll (the docs);
	// ScopeReadAll follows the general "Read All = every GET" rule.
	ConnectorsScope Scope
	// AddRolesScope is the weakest scope allowed to call v1 add_roles and
	// remove_roles. [U] default ScopeManageAll.
	AddRolesScope Scope

	// TokenErrorsWith200 answers v2 token 400/401 errors with HTTP 200 and the
	// error envelope, as an old SDK note claims OneLogin once did. [U] default false.
	TokenErrorsWith200 bool

	ActivateWithoutPassword ActivationPolicy // [U] default ActivateAllow
	RequireUsernameAndEmail bool             // [U] create needs both (default: at least one)
	SinceInclusive          bool             // [U] *_since filters match equal timestamps (default: strictly after)
	// RoleChangesKeepUpdatedAt stops role membership changes from bumping the
	// user's updated_at. [U] default false (they bump it).
	RoleChangesKeepUpdatedAt bool
	// WriteRoleIDs makes role_ids in POST/PUT /api/2/users replace the user's
	// roles. [U] default false: role_ids is accepted and ignored.
	WriteRoleIDs bool
	// UnlockNotLockedStatus is the status of {"message":"User cannot be unlocked"}
	// for a user who is not locked. [U] default 422.
	UnlockNotLockedStatus int

	PasswordPolicy PasswordPolicy // zero means DefaultPasswordPolicy

	// EventCapacity bounds the event log: the oldest events go first.
	// Default 100000; negative means no events are kept (none are emitted).
	EventCapacity int
	// EventTypeIDs overrides event type ids by name (see DefaultEventTypes).
	// Only 5, 6, 13 and 72 are known OneLogin ids; clients must not depend
	// on any other.
	EventTypeIDs map[string]int
	// EventsNewestFirst makes GET /api/1/events list newest first when the
	// request has no sort. [U] default false: oldest first, by id.
	EventsNewestFirst bool
	// Webhook delivers every event to a URL (Event Broadcaster); off
	// without a URL. Call Server.Close to stop it.
	Webhook Webhook

	Faults Faults // initial faults; change them with SetFaults

	// AccessLog, when set, gets one line per request (method, path, status, key).
	AccessLog io.Writer
}

// withDefaults fills zero fields.
func (o Options) withDefaults() Options {
	size := func(n, def int) int {
		switch {
		case n == 0:
			return def
		case n < 0:
			return 0
		}
		return n
	}
	o.Users = size(o.Users, DefaultUsers)
	o.Groups = size(o.Groups, DefaultGroups)
	o.Roles = size(o.Roles, DefaultRoles)
	o.Apps = size(o.Apps, DefaultApps)
	if o.Subdomain == "" {
		o.Subdomain = DefaultSubdomain
	}
	if o.AccountID == 0 {
		o.AccountID = DefaultAccountID
	}
	if o.Credentials == nil {
		o.Credentials = []Credential{{ClientID: DefaultClientID, ClientSecret: DefaultClientSecret, Scope: ScopeManageAll}}
	}
	if o.Clock == nil {
		o.Clock = &OffsetClock{}
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = 36000 * time.Second
	}
	if o.UsersMaxLimit <= 0 {
		o.UsersMaxLimit = 50
	}
	if o.RoleUsersMaxLimit <= 0 {
		o.RoleUsersMaxLimit = 100
	}
	if o.V2ScopeDenialStatus != 401 {
		o.V2ScopeDenialStatus = 403
	}
	if o.RateLimit <= 0 {
		o.RateLimit = 5000
	}
	if o.ConnectorsScope == "" {
		o.ConnectorsScope = ScopeManageAll
	}
	if o.AddRolesScope == "" {
		o.AddRolesScope = ScopeManageAll
	}
	if o.UnlockNotLockedStatus == 0 {
		o.UnlockNotLockedStatus = 422
	}
	if o.EventCapacity == 0 {
		o.EventCapacity = 100000
	}
	o.EventTypeIDs = maps.Clone(o.EventTypeIDs)
	o.RoleDefaultFields = slices.Clone(o.RoleDefaultFields)
	o.Credentials = slices.Clone(o.Credentials)
	if o.PasswordPolicy == (PasswordPolicy{}) {
		o.PasswordPolicy = DefaultPasswordPolicy
	}
	return o
}
