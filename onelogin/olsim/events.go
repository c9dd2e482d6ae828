package olsim

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Event is one entry of the tenant's event log (reference §11), as served
// by GET /api/1/events. Zero ids and empty strings are null on the wire.
type Event struct {
	ID            int64
	CreatedAt     time.Time
	Type          string // olsim's stable type name, e.g. "USER_DELETED"
	EventTypeID   int    // the id Type has in this simulator (see EventTypes)
	AccountID     int64
	UserID        int64
	UserName      string
	GroupID       int64
	GroupName     string
	RoleID        int64
	RoleName      string
	ActorUserID   int64
	ActorUserName string
	ActorSystem   string // "API" for API calls, "olsim" for the admin and Go APIs
	ClientID      string // the API credential that caused it
	Notes         string
}

// EventType is an entry of GET /api/1/events/types.
type EventType struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Event type names olsim emits.
const (
	EventUserCreated       = "USER_CREATED"
	EventUserUpdated       = "USER_UPDATED"
	EventUserDeleted       = "USER_DELETED"
	EventUserSuspended     = "USER_SUSPENDED"
	EventUserActivated     = "USER_ACTIVATED"
	EventUserStatusChanged = "USER_STATUS_CHANGED"
	EventUserStateChanged  = "USER_STATE_CHANGED"
	EventUserGroupChanged  = "USER_GROUP_CHANGED"
	EventUserPasswordSet   = "USER_PASSWORD_CHANGED"
	EventUserLocked        = "USER_LOCKED"
	EventUserUnlocked      = "USER_UNLOCKED"
	EventUserLoggedOut     = "USER_LOGGED_OUT"
	EventUserInviteSent    = "USER_INVITE_SENT"
	EventUserRoleAdded     = "USER_ROLE_ADDED"
	EventUserRoleRemoved   = "USER_ROLE_REMOVED"
	EventRoleAdminAdded    = "ROLE_ADMIN_ADDED"
	EventRoleAdminRemoved  = "ROLE_ADMIN_REMOVED"
)

// DefaultEventTypes lists the event types and their default ids. Only 5, 6,
// 13 and 72 are known OneLogin ids (reference §11); every other id is
// olsim's own choice. Options.EventTypeIDs overrides them.
func DefaultEventTypes() []EventType {
	return []EventType{
		{5, "USER_LOGGED_INTO_ONELOGIN", "User logged into OneLogin (never emitted by olsim)"},
		{6, "USER_FAILED_AUTHENTICATION", "User failed authentication (never emitted by olsim)"},
		{13, EventUserCreated, "User created"},
		{14, EventUserUpdated, "User attributes updated"},
		{17, EventUserDeleted, "User deleted"},
		{24, EventUserPasswordSet, "User password set by an administrator or the API"},
		{25, EventUserLocked, "User locked"},
		{26, EventUserUnlocked, "User unlocked"},
		{29, EventUserGroupChanged, "User moved to a group (or out of one)"},
		{33, EventUserStateChanged, "User state changed"},
		{40, EventUserSuspended, "User suspended"},
		{41, EventUserActivated, "User activated"},
		{42, EventUserStatusChanged, "User status changed (other than suspended or active)"},
		{44, EventUserLoggedOut, "User logged out of all sessions"},
		{46, EventUserInviteSent, "Invite or password reset email sent"},
		{50, EventUserRoleAdded, "Role assigned to user"},
		{51, EventUserRoleRemoved, "Role removed from user"},
		{52, EventRoleAdminAdded, "User made an administrator of a role"},
		{53, EventRoleAdminRemoved, "User no longer an administrator of a role"},
		{72, "PRIVILEGE_GRANTED_TO_USER", "Privilege granted to user (never emitted by olsim)"},
	}
}

// eventTypes applies Options.EventTypeIDs to the defaults.
func eventTypes(override map[string]int) []EventType {
	types := DefaultEventTypes()
	for i, t := range types {
		if id, ok := override[t.Name]; ok {
			types[i].ID = id
		}
	}
	slices.SortFunc(types, func(a, b EventType) int { return cmp.Compare(a.ID, b.ID) })
	return types
}

// actor is who is making the current change; the zero value is the admin
// or Go API. It is set for the duration of an API call, under the lock.
type actor struct {
	api      bool
	clientID string
}

// eventLog is a bounded ring of events with consecutive ids: the id finds
// an event, and created_at is searchable while the clock only moved forward.
type eventLog struct {
	buf      []Event
	head     int   // index of the oldest event in buf, once buf is full
	firstID  int64 // id of the oldest event kept
	nextID   int64
	capacity int
	ordered  bool // created_at never went down, so it is binary-searchable
}

const firstEventID = 1_000_000_001

func newEventLog(capacity int) eventLog {
	return eventLog{firstID: firstEventID, nextID: firstEventID, capacity: capacity, ordered: true}
}

func (l *eventLog) len() int { return int(l.nextID - l.firstID) }

// at returns the i-th kept event, oldest first.
func (l *eventLog) at(i int) *Event { return &l.buf[(l.head+i)%len(l.buf)] }

func (l *eventLog) byID(id int64) *Event {
	if id < l.firstID || id >= l.nextID {
		return nil
	}
	return l.at(int(id - l.firstID))
}

func (l *eventLog) append(e Event) Event {
	e.ID = l.nextID
	if n := l.len(); n > 0 && e.CreatedAt.Before(l.at(n-1).CreatedAt) {
		l.ordered = false
	}
	if len(l.buf) < l.capacity {
		l.buf = append(l.buf, e)
	} else {
		l.buf[l.head] = e
		l.head = (l.head + 1) % len(l.buf)
		l.firstID++
	}
	l.nextID++
	return e
}

// eventRange is consecutive event ids.
type eventRange struct{ first, n int64 }

func (r eventRange) Len() int       { return int(r.n) }
func (r eventRange) At(i int) int64 { return r.first + int64(i) }

// emit appends an event for the current actor and hands it to the webhook.
func (s *Server) emit(typ string, now time.Time, e Event) {
	if s.events.capacity == 0 {
		return
	}
	e.Type, e.EventTypeID, e.CreatedAt, e.AccountID = typ, s.eventTypeIDs[typ], now, s.opts.AccountID
	e.ActorSystem = "olsim"
	if s.by.api {
		e.ActorSystem, e.ClientID = "API", s.by.clientID
		if o := s.users[s.ownerID]; o != nil {
			e.ActorUserID, e.ActorUserName = o.ID, displayName(&o.User)
		}
	}
	e = s.events.append(e)
	s.version++
	s.hooks.enqueue(e)
}

// emitUser emits an event about a user.
func (s *Server) emitUser(typ string, now time.Time, u *User, notes string) {
	s.emit(typ, now, Event{UserID: u.ID, UserName: displayName(u), Notes: notes})
}

// emitRole emits a role membership event.
func (s *Server) emitRole(typ string, now time.Time, u *User, r *role) {
	s.emit(typ, now, Event{UserID: u.ID, UserName: displayName(u), RoleID: r.id, RoleName: r.name})
}

// displayName is the user's full name, or the email without one (§11).
func displayName(u *User) string {
	if n := strings.TrimSpace(u.Firstname + " " + u.Lastname); n != "" {
		return n
	}
	return u.Email
}

// emitUserChanges emits the events an update of old into next makes.
func (s *Server) emitUserChanges(old, next *user, now time.Time) {
	u := &next.User
	if old.Status != next.Status {
		typ := EventUserStatusChanged
		switch next.Status {
		case 1:
			typ = EventUserActivated
		case 2:
			typ = EventUserSuspended
		}
		s.emitUser(typ, now, u, fmt.Sprintf("status %d -> %d", old.Status, next.Status))
	}
	if old.State != next.State {
		s.emitUser(EventUserStateChanged, now, u, fmt.Sprintf("state %d -> %d", old.State, next.State))
	}
	if old.GroupID != next.GroupID {
		e := Event{UserID: u.ID, UserName: displayName(u), GroupID: next.GroupID}
		if g := s.group(next.GroupID); g != nil {
			e.GroupName = g.Name
		}
		if next.GroupID == 0 {
			e.Notes = fmt.Sprintf("removed from group %d", old.GroupID)
		}
		s.emit(EventUserGroupChanged, now, e)
	}
	if next.password != old.password || !reflect.DeepEqual(next.PasswordChangedAt, old.PasswordChangedAt) {
		s.emitUser(EventUserPasswordSet, now, u, "")
	}
	// Anything else that changed is an attribute update.
	a, b := copyUser(old.User), copyUser(next.User)
	a.Status, a.State, a.GroupID, a.PasswordChangedAt, a.UpdatedAt, a.ActivatedAt, a.HasPassword =
		b.Status, b.State, b.GroupID, b.PasswordChangedAt, b.UpdatedAt, b.ActivatedAt, b.HasPassword
	if !reflect.DeepEqual(a, b) || !customEqual(old.custom, next.custom) {
		s.emitUser(EventUserUpdated, now, u, "")
	}
}

func customEqual(a, b []*string) bool {
	return slices.EqualFunc(a, b, func(x, y *string) bool { return x == y || x != nil && y != nil && *x == *y })
}

// eventAttrs read an event's wire attributes in comparable form.
var eventAttrs = map[string]func(e *Event) any{
	"id": func(e *Event) any { return e.ID }, "created_at": func(e *Event) any { return e.CreatedAt },
	"account_id": func(e *Event) any { return e.AccountID }, "event_type_id": func(e *Event) any { return e.EventTypeID },
	"user_id": func(e *Event) any { return nullID(e.UserID) }, "user_name": func(e *Event) any { return nullStr(e.UserName) },
	"group_id": func(e *Event) any { return nullID(e.GroupID) }, "group_name": func(e *Event) any { return nullStr(e.GroupName) },
	"role_id": func(e *Event) any { return nullID(e.RoleID) }, "role_name": func(e *Event) any { return nullStr(e.RoleName) },
	"actor_user_id":   func(e *Event) any { return nullID(e.ActorUserID) },
	"actor_user_name": func(e *Event) any { return nullStr(e.ActorUserName) },
	"actor_system":    func(e *Event) any { return nullStr(e.ActorSystem) },
	"client_id":       func(e *Event) any { return nullStr(e.ClientID) },
	"notes":           func(e *Event) any { return nullStr(e.Notes) },
}

// eventNullFields are documented event fields olsim never fills (§11).
var eventNullFields = []string{"app_id", "app_name", "policy_id", "policy_name", "otp_device_id", "otp_device_name",
	"ipaddr", "custom_message", "error_description", "directory_sync_run_id", "directory_id", "resource_type_id",
	"risk_score", "risk_reasons", "risk_cookie_id", "resolution", "solved", "proxy_ip"}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func eventWire(e *Event) item {
	m := make(item, len(eventAttrs)+len(eventNullFields))
	for _, k := range eventNullFields {
		m[k] = nil
	}
	for k, f := range eventAttrs {
		m[k] = wireValue(f(e))
	}
	return m
}

type eventRec struct{ e *Event }

func (r eventRec) value(field string) (any, bool) {
	if f := eventAttrs[field]; f != nil {
		return f(r.e), true
	}
	return nil, slices.Contains(eventNullFields, field)
}

// eventSpec is the list spec of GET /api/1/events (§11).
func (s *Server) eventSpec() listSpec {
	return listSpec{defLimit: 50, maxLimit: 50, defaultDesc: s.opts.EventsNewestFirst, filters: map[string]filterSpec{
		"id": intFilter("id"), "event_type_id": intFilter("event_type_id"), "user_id": intFilter("user_id"),
		"client_id": textFilter("client_id"), "directory_id": intFilter("directory_id"), "resolution": intFilter("resolution"),
		"since": timeFilter("created_at", true, true), "until": timeFilter("created_at", false, true),
	}}
}

// listEvents serves GET /api/1/events.
func (s *Server) listEvents(c *call) *response {
	l := &s.events
	return c.list(source{
		key:    "events",
		all:    eventRange{l.firstID, int64(l.len())},
		rec:    func(id int64) record { return eventRec{l.byID(id)} },
		render: func(id int64, _ []string) item { return eventWire(l.byID(id)) },
		narrow: s.narrowEvents,
	}, s.eventSpec())
}

// narrowEvents answers since and until by binary search while created_at
// is in id order.
func (s *Server) narrowEvents(q listQuery) (idSeq, []string) {
	l := &s.events
	if !l.ordered || !q.rest.Has("since") && !q.rest.Has("until") {
		return nil, nil
	}
	n := l.len()
	lo, hi := 0, n
	if t, ok := parseFilterTime(q.rest.Get("since")); ok {
		lo = searchEvents(l, n, func(e *Event) bool { return !e.CreatedAt.Before(t) })
	}
	if t, ok := parseFilterTime(q.rest.Get("until")); ok {
		hi = searchEvents(l, n, func(e *Event) bool { return e.CreatedAt.After(t) })
	}
	used := []string{"since", "until"}
	if hi < lo {
		hi = lo
	}
	return eventRange{l.firstID + int64(lo), int64(hi - lo)}, used
}

// searchEvents finds the first kept event for which ok holds; ok must be
// false then true along the log.
func searchEvents(l *eventLog, n int, ok func(*Event) bool) int {
	lo, hi := 0, n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if ok(l.at(mid)) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// getEvent serves GET /api/1/events/:id.
func (s *Server) getEvent(c *call) *response {
	id, err := strconv.ParseInt(c.param, 10, 64)
	if err != nil {
		return v1Err(400, v1Attr("id", "ID is incorrect"))
	}
	e := s.events.byID(id)
	if e == nil {
		return v1Err(404, fmt.Sprintf("Event for id %d was not found", id))
	}
	return v1OK([]item{eventWire(e)})
}

// listEventTypes serves GET /api/1/events/types.
func (s *Server) listEventTypes(*call) *response {
	return v1OK(orEmpty(s.eventTypesList))
}

// Events returns the kept events, oldest first.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Event, s.events.len())
	for i := range out {
		out[i] = *s.events.at(i)
	}
	return out
}

// EventTypes returns the event types with the ids in effect.
func (s *Server) EventTypes() []EventType { return slices.Clone(s.eventTypesList) }

func eventTypeIDs(types []EventType) map[string]int {
	m := make(map[string]int, len(types))
	for _, t := range types {
		m[t.Name] = t.ID
	}
	return m
}
