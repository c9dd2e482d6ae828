package directory

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/seal"
)

// Integration is one connected OneLogin account. Its client secret is held
// sealed; the store never sees plaintext.
type Integration struct {
	ID            string // chosen by the product, e.g. its tenant id
	Subdomain     string
	Region        string // "", "us" or "eu"
	ClientID      string
	ClientSecret  seal.Sealed
	ScopeLevel    ScopeLevel
	Status        IntegrationStatus
	StatusMessage string // human-readable detail for the admin

	// Kept by the store.
	CreatedAt             time.Time
	UpdatedAt             time.Time
	LastFullSyncAt        time.Time // finish of the last completed full run
	LastIncrementalSyncAt time.Time // finish of the last completed incremental run
	UsersWatermark        time.Time // OneLogin updated_at the next incremental read starts from
}

// IntegrationStatus is the connection state shown to the customer's admin.
type IntegrationStatus string

const (
	StatusConnecting IntegrationStatus = "connecting"
	StatusConnected  IntegrationStatus = "connected"
	// A credential failure is stored as its error code.
	StatusInvalidCredentials                       = IntegrationStatus(errcode.InvalidCredentials)
	StatusInsufficientScope                        = IntegrationStatus(errcode.InsufficientScope)
	StatusSubdomainNotFound                        = IntegrationStatus(errcode.SubdomainNotFound)
	StatusCredentialOwnerDeleted                   = IntegrationStatus(errcode.CredentialOwnerDeleted)
	StatusDisconnected           IntegrationStatus = "disconnected"
)

// Valid reports whether s is one of the defined statuses.
func (s IntegrationStatus) Valid() bool {
	return slices.Contains([]IntegrationStatus{StatusConnecting, StatusConnected, StatusInvalidCredentials,
		StatusInsufficientScope, StatusSubdomainNotFound, StatusCredentialOwnerDeleted, StatusDisconnected}, s)
}

// ScopeLevel is the OneLogin API credential's scope; "" when not yet known.
type ScopeLevel string

const (
	ScopeAuthOnly    ScopeLevel = "authentication_only"
	ScopeReadUsers   ScopeLevel = "read_users"
	ScopeManageUsers ScopeLevel = "manage_users"
	ScopeReadAll     ScopeLevel = "read_all"
	ScopeManageAll   ScopeLevel = "manage_all"
)

// Valid reports whether s is a defined scope or unknown ("").
func (s ScopeLevel) Valid() bool {
	return slices.Contains([]ScopeLevel{"", ScopeAuthOnly, ScopeReadUsers, ScopeManageUsers, ScopeReadAll, ScopeManageAll}, s)
}

// Meta is the store's bookkeeping on a synced row. It is filled on reads and
// ignored on writes.
type Meta struct {
	CreatedAt   time.Time // first stored, or revived after a deletion
	ChangedAt   time.Time // content last changed
	SeenAt      time.Time // last written by a sync or an action
	LastSeenRun int64     // last sync run that saw the row (0: none)
}

// User is a OneLogin user with every synced profile field.
type User struct {
	OneLoginID       int64
	Email            string
	Username         string
	FirstName        string
	LastName         string
	Title            string
	Department       string
	Company          string
	Phone            string
	Status           UserStatus
	State            int   // OneLogin state code: 0 unapproved, 1 approved, 2 rejected, 3 unlicensed
	GroupID          int64 // 0: no group
	ManagerID        int64 // manager's OneLogin id; 0: none
	RoleIDs          []int64
	CustomAttributes json.RawMessage // JSON object, or nil
	CreatedAt        time.Time       // OneLogin created_at
	UpdatedAt        time.Time       // OneLogin updated_at (the incremental watermark source)
	LastLogin        time.Time       // OneLogin last_login; zero if never
	Meta             Meta
}

// UserStatus is OneLogin's user status as a word.
type UserStatus string

// OneLogin user statuses; the comment is OneLogin's numeric code.
const (
	UserUnactivated               UserStatus = "unactivated"                 // 0
	UserActive                    UserStatus = "active"                      // 1
	UserSuspended                 UserStatus = "suspended"                   // 2
	UserLocked                    UserStatus = "locked"                      // 3
	UserPasswordExpired           UserStatus = "password_expired"            // 4
	UserAwaitingPasswordReset     UserStatus = "awaiting_password_reset"     // 5
	UserPasswordPending           UserStatus = "password_pending"            // 7
	UserSecurityQuestionsRequired UserStatus = "security_questions_required" // 8
)

// Valid reports whether s is one of the defined statuses.
func (s UserStatus) Valid() bool {
	return slices.Contains([]UserStatus{UserUnactivated, UserActive, UserSuspended, UserLocked, UserPasswordExpired,
		UserAwaitingPasswordReset, UserPasswordPending, UserSecurityQuestionsRequired}, s)
}

// Group is a OneLogin group; a user belongs to at most one.
type Group struct {
	OneLoginID int64
	Name       string
	Meta       Meta
}

// Role is a OneLogin role.
type Role struct {
	OneLoginID int64
	Name       string
	Meta       Meta
}

// App is a OneLogin app.
type App struct {
	OneLoginID  int64
	Name        string
	Description string
	ConnectorID int64
	AuthMethod  int // OneLogin auth_method code
	IconURL     string
	Visible     bool      // shown in the portal; the catalog lists visible apps only
	CreatedAt   time.Time // OneLogin created_at
	UpdatedAt   time.Time // OneLogin updated_at
	Meta        Meta
}

// Kind names a synced record type.
type Kind string

const (
	KindUsers  Kind = "users"
	KindGroups Kind = "groups"
	KindRoles  Kind = "roles"
	KindApps   Kind = "apps"
)

// Kinds lists every kind in sync order.
var Kinds = []Kind{KindUsers, KindGroups, KindRoles, KindApps}

// SyncMode is how a run reads OneLogin.
type SyncMode string

const (
	SyncFull        SyncMode = "full"        // reads everything; may delete what it did not see
	SyncIncremental SyncMode = "incremental" // reads changes since the watermark; never deletes
)

// RunStatus is a sync run's state.
type RunStatus string

const (
	RunRunning   RunStatus = "running"
	RunCompleted RunStatus = "completed"
	RunPartial   RunStatus = "partial" // finished, but some kinds were not (fully) read
	RunFailed    RunStatus = "failed"
)

// SyncRun is one sync of one integration.
type SyncRun struct {
	ID            int64
	IntegrationID string
	Key           string
	Mode          SyncMode
	Status        RunStatus
	StartedAt     time.Time
	FinishedAt    time.Time
	Users         KindCounts
	Groups        KindCounts
	Roles         KindCounts
	Apps          KindCounts
	OneLoginCalls int64
	ErrorCode     string
}

// Counts returns the counts of one kind.
func (r *SyncRun) Counts(k Kind) *KindCounts {
	switch k {
	case KindUsers:
		return &r.Users
	case KindGroups:
		return &r.Groups
	case KindRoles:
		return &r.Roles
	case KindApps:
		return &r.Apps
	}
	return nil
}

// KindCounts is what a run did to one kind.
type KindCounts struct {
	Seen         int64 // distinct rows the run wrote or confirmed
	Created      int64 // rows new to the store (or revived)
	Updated      int64 // existing rows whose content changed
	Deleted      int64 // rows soft-deleted by Sweep
	ReadComplete bool
}

// RunResult is how a run ended.
type RunResult struct {
	Status        RunStatus // completed, partial or failed
	OneLoginCalls int64
	ErrorCode     string
	// UsersWatermark, if set and Status is completed, advances the
	// integration's users watermark (it never moves backwards).
	UsersWatermark time.Time
}

// PageResult is what one upserted page did.
type PageResult struct {
	Seen    int // distinct rows not already seen by this run
	Created int
	Updated int
}

// StatusSummary is an integration with its sync state, for the admin's view.
type StatusSummary struct {
	Integration   Integration
	LastRun       *SyncRun // newest run, possibly still running; nil if none
	LastCompleted *SyncRun // newest completed run; nil if none
	Users         int64    // live rows per kind
	Groups        int64
	Roles         int64
	Apps          int64
}

// Page selects a slice of a list ordered by OneLogin id.
type Page struct {
	After int64 // return ids greater than this
	Limit int   // 0 means 100; at most 1000
}

// AuditEntry records one identity action over one or more users.
type AuditEntry struct {
	ID            int64
	IntegrationID string
	Actor         string // who asked, as the product names them
	Action        string // e.g. "suspend_users"
	RequestID     string // the product's idempotency key
	At            time.Time
	Targets       []AuditTarget
}

// AuditTarget is the outcome of an action for one user.
type AuditTarget struct {
	UserID    int64
	Outcome   Outcome
	ErrorCode string // set when Outcome is failed
}

// Outcome of an action for one user.
type Outcome string

const (
	OutcomeChanged     Outcome = "changed"
	OutcomeAlreadyDone Outcome = "already_done"
	OutcomeFailed      Outcome = "failed"
	OutcomeWouldChange Outcome = "would_change" // a dry run would have changed the user
	OutcomeSkipped     Outcome = "skipped"      // not attempted (e.g. not eligible)
)

// Valid reports whether o is one of the defined outcomes.
func (o Outcome) Valid() bool {
	return slices.Contains([]Outcome{OutcomeChanged, OutcomeAlreadyDone, OutcomeFailed, OutcomeWouldChange,
		OutcomeSkipped}, o)
}

// Final reports whether o settles the user for its request: the action is
// done, so a rerun of the request must not act on the user again, and a
// later outcome does not replace it.
func (o Outcome) Final() bool { return o == OutcomeChanged || o == OutcomeAlreadyDone }

// AuditFilter narrows ListAudit. Zero fields match everything.
type AuditFilter struct {
	Action    string
	RequestID string
	UserID    int64 // entries that target this user
	Before    int64 // entry ids below this (paging, newest first)
	Limit     int   // 0 means 100; at most 1000
}

// OutcomeBatch is one chunk of a bulk action's per-user outcomes, recorded
// outside workflow history. RequestID is the request's idempotency key (as
// in AuditEntry.RequestID) and names one action.
type OutcomeBatch struct {
	IntegrationID string
	RequestID     string
	Action        string // e.g. "suspend_users"
	Chunk         int64  // the action's chunk (sequence) number
	Outcomes      []UserOutcome
}

// UserOutcome is what an action did to one user.
type UserOutcome struct {
	UserID    int64
	Outcome   Outcome
	ErrorCode string // set when Outcome is failed
	Message   string // human-readable detail
}

// ActionOutcome is a stored UserOutcome with its request.
type ActionOutcome struct {
	IntegrationID string
	RequestID     string
	Action        string
	Chunk         int64
	UserOutcome
	UpdatedAt time.Time // last written
}

// OutcomeCounts counts a request's users per outcome.
type OutcomeCounts struct {
	Changed     int64
	AlreadyDone int64
	Failed      int64
	WouldChange int64
	Skipped     int64
}

// Total is the number of users with any outcome.
func (c OutcomeCounts) Total() int64 {
	return c.Changed + c.AlreadyDone + c.Failed + c.WouldChange + c.Skipped
}

// OutcomeFilter selects a page of a request's outcomes, by user id.
type OutcomeFilter struct {
	After   int64   // user ids greater than this
	Outcome Outcome // only this outcome (e.g. OutcomeFailed); "" for all
	Limit   int     // 0 means 100; at most 1000
}
