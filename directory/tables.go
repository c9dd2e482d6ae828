package directory

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// table describes one synced table to the shared upsert, sweep and read code,
// so the four kinds share one implementation.
type table struct {
	kind      Kind
	name      string
	content   []string // content columns: written and read, in record.args/dest order
	writeOnly []string // derived columns, written after content and never read
	writeCols []string // every column an upsert writes, keys first
	readCols  string   // the SELECT list matching record.dest plus Meta
	// upsertTail makes an INSERT of writeCols replace an existing row.
	upsertTail string
	// analyzeAlso lists, after ", ", tables that grow with this one (see
	// sqlStore.grown).
	analyzeAlso string
}

// stampCols are the bookkeeping columns every upsert writes after the content.
var stampCols = []string{"content_hash", "created_run", "changed_run", "last_seen_run", "touched_seq",
	"created_at", "changed_at", "seen_at", "deleted_at", "deleted_run"}

// newTable describes a synced table; dependent names a table that grows with
// it (or is empty).
func newTable(kind Kind, name string, content, writeOnly []string, dependent string) *table {
	write := slices.Concat([]string{"integration_id", "onelogin_id"}, content, writeOnly, stampCols)
	read := "onelogin_id, " + strings.Join(content, ", ") + ", created_at, changed_at, seen_at, last_seen_run"
	set := make([]string, 0, len(write)-2)
	for _, col := range write[2:] {
		set = append(set, col+" = excluded."+col)
	}
	also := ""
	if dependent != "" {
		also = ", " + dependent
	}
	tail := "ON CONFLICT (integration_id, onelogin_id) DO UPDATE SET " + strings.Join(set, ", ")
	return &table{kind: kind, name: name, content: content, writeOnly: writeOnly, writeCols: write, readCols: read,
		upsertTail: tail, analyzeAlso: also}
}

var (
	usersTable = newTable(KindUsers, "users",
		[]string{"email", "username", "firstname", "lastname", "title", "department", "company", "phone",
			"status", "state", "group_id", "manager_id", "custom_attributes", "ol_created_at", "ol_updated_at", "last_login"},
		[]string{"email_key"}, "user_roles")
	groupsTable = newTable(KindGroups, "groups", []string{"name"}, nil, "")
	rolesTable  = newTable(KindRoles, "roles", []string{"name"}, nil, "")
	appsTable   = newTable(KindApps, "apps", []string{"name", "description", "connector_id", "auth_method",
		"icon_url", "visible", "ol_created_at", "ol_updated_at"}, nil, "")
)

func tableFor(k Kind) (*table, error) {
	for _, tb := range []*table{usersTable, groupsTable, rolesTable, appsTable} {
		if tb.kind == k {
			return tb, nil
		}
	}
	return nil, invalid("kind %q", k)
}

// record is implemented by *User, *Group, *Role and *App.
type record interface {
	oneLoginID() int64
	// normalize validates the record and puts it in the one form that is
	// stored and hashed: UTC microsecond times, sorted role ids, compact JSON.
	normalize() error
	// encode appends the content's canonical bytes, the change-hash input.
	encode(b []byte) []byte
	// args appends the values of the content and write-only columns.
	args(dst []any, timeArg func(time.Time) any) []any
	// dest returns Scan destinations for onelogin_id and the content columns.
	dest() []any
	meta() *Meta
}

// recordPtr lets generic code hold records by value ([]User) and call their
// pointer methods.
type recordPtr[T any] interface {
	*T
	record
}

func (u *User) oneLoginID() int64 { return u.OneLoginID }
func (u *User) meta() *Meta       { return &u.Meta }

func (u *User) normalize() error {
	if u.OneLoginID <= 0 {
		return invalid("user id %d must be positive", u.OneLoginID)
	}
	if !u.Status.Valid() {
		return invalid("user %d: status %q", u.OneLoginID, u.Status)
	}
	attrs, err := canonicalJSON(u.CustomAttributes)
	if err != nil {
		return invalid("user %d: custom attributes are not JSON", u.OneLoginID)
	}
	u.CustomAttributes = attrs
	u.RoleIDs = sortedIDs(u.RoleIDs)
	u.CreatedAt, u.UpdatedAt, u.LastLogin = normTime(u.CreatedAt), normTime(u.UpdatedAt), normTime(u.LastLogin)
	return nil
}

func (u *User) encode(b []byte) []byte {
	for _, s := range []string{u.Email, u.Username, u.FirstName, u.LastName, u.Title, u.Department, u.Company,
		u.Phone, string(u.Status)} {
		b = encString(b, s)
	}
	b = binary.AppendVarint(b, int64(u.State))
	b = binary.AppendVarint(b, u.GroupID)
	b = binary.AppendVarint(b, u.ManagerID)
	b = binary.AppendUvarint(b, uint64(len(u.RoleIDs)))
	for _, id := range u.RoleIDs {
		b = binary.AppendVarint(b, id)
	}
	b = encString(b, string(u.CustomAttributes))
	return encTimes(b, u.CreatedAt, u.UpdatedAt, u.LastLogin)
}

func (u *User) args(dst []any, t func(time.Time) any) []any {
	var attrs any
	if u.CustomAttributes != nil {
		attrs = string(u.CustomAttributes)
	}
	return append(dst, u.Email, u.Username, u.FirstName, u.LastName, u.Title, u.Department, u.Company, u.Phone,
		string(u.Status), u.State, u.GroupID, u.ManagerID, attrs, t(u.CreatedAt), t(u.UpdatedAt), t(u.LastLogin),
		strings.ToLower(u.Email))
}

func (u *User) dest() []any {
	return []any{&u.OneLoginID, &u.Email, &u.Username, &u.FirstName, &u.LastName, &u.Title, &u.Department,
		&u.Company, &u.Phone, &u.Status, &u.State, &u.GroupID, &u.ManagerID, (*[]byte)(&u.CustomAttributes),
		scanTime(&u.CreatedAt), scanTime(&u.UpdatedAt), scanTime(&u.LastLogin)}
}

func (g *Group) oneLoginID() int64                           { return g.OneLoginID }
func (g *Group) meta() *Meta                                 { return &g.Meta }
func (g *Group) normalize() error                            { return positiveID("group", g.OneLoginID) }
func (g *Group) encode(b []byte) []byte                      { return encString(b, g.Name) }
func (g *Group) args(dst []any, _ func(time.Time) any) []any { return append(dst, g.Name) }
func (g *Group) dest() []any                                 { return []any{&g.OneLoginID, &g.Name} }

func (r *Role) oneLoginID() int64                           { return r.OneLoginID }
func (r *Role) meta() *Meta                                 { return &r.Meta }
func (r *Role) normalize() error                            { return positiveID("role", r.OneLoginID) }
func (r *Role) encode(b []byte) []byte                      { return encString(b, r.Name) }
func (r *Role) args(dst []any, _ func(time.Time) any) []any { return append(dst, r.Name) }
func (r *Role) dest() []any                                 { return []any{&r.OneLoginID, &r.Name} }

func (a *App) oneLoginID() int64 { return a.OneLoginID }
func (a *App) meta() *Meta       { return &a.Meta }

func (a *App) normalize() error {
	a.CreatedAt, a.UpdatedAt = normTime(a.CreatedAt), normTime(a.UpdatedAt)
	return positiveID("app", a.OneLoginID)
}

func (a *App) encode(b []byte) []byte {
	b = encString(encString(encString(b, a.Name), a.Description), a.IconURL)
	b = binary.AppendVarint(b, a.ConnectorID)
	b = binary.AppendVarint(b, int64(a.AuthMethod))
	if a.Visible {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return encTimes(b, a.CreatedAt, a.UpdatedAt)
}

func (a *App) args(dst []any, t func(time.Time) any) []any {
	return append(dst, a.Name, a.Description, a.ConnectorID, a.AuthMethod, a.IconURL, a.Visible,
		t(a.CreatedAt), t(a.UpdatedAt))
}

func (a *App) dest() []any {
	return []any{&a.OneLoginID, &a.Name, &a.Description, &a.ConnectorID, &a.AuthMethod, &a.IconURL, &a.Visible,
		scanTime(&a.CreatedAt), scanTime(&a.UpdatedAt)}
}

func positiveID(what string, id int64) error {
	if id <= 0 {
		return invalid("%s id %d must be positive", what, id)
	}
	return nil
}

// encString appends a length-prefixed string, so field boundaries are
// unambiguous in the hash input.
func encString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func encTimes(b []byte, ts ...time.Time) []byte {
	for _, t := range ts {
		if t.IsZero() {
			b = append(b, 0)
			continue
		}
		b = binary.AppendVarint(append(b, 1), t.UnixMicro())
	}
	return b
}

// sortedIDs returns ids sorted and without duplicates, copying only if needed
// (the caller's slice is never modified).
func sortedIDs(ids []int64) []int64 {
	ordered := true
	for i := 1; i < len(ids) && ordered; i++ {
		ordered = ids[i-1] < ids[i]
	}
	if ordered {
		return ids
	}
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// canonicalJSON returns raw in one canonical form: object keys sorted, no
// insignificant space, numbers kept verbatim, no HTML escaping. Change
// detection then ignores key order, and PostgreSQL's jsonb (which reorders and
// respaces) reads back byte-identical to SQLite. Empty and null become nil.
func canonicalJSON(raw json.RawMessage) (json.RawMessage, error) {
	if isCanonicalJSON(raw) {
		return raw, nil
	}
	if out, ok := canonicalFlatObject(raw); ok {
		return out, nil
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after JSON value")
	}
	if v == nil {
		return nil, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
