package olsim

import (
	"fmt"
	"strings"
)

// Scope is the access level of an API credential (reference §3).
type Scope string

// The five scopes OneLogin offers when an API credential is created.
const (
	ScopeAuthOnly    Scope = "auth_only"    // Authentication Only
	ScopeReadUsers   Scope = "read_users"   // Read Users
	ScopeManageUsers Scope = "manage_users" // Manage Users
	ScopeReadAll     Scope = "read_all"     // Read All
	ScopeManageAll   Scope = "manage_all"   // Manage All
)

// Scopes lists every scope, weakest first.
func Scopes() []Scope {
	return []Scope{ScopeAuthOnly, ScopeReadUsers, ScopeManageUsers, ScopeReadAll, ScopeManageAll}
}

// ParseScope accepts the wire names above and OneLogin's display names
// ("Manage All", "read-all", ...), case-insensitively.
func ParseScope(s string) (Scope, error) {
	norm := strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(strings.TrimSpace(s)))
	if norm == "authentication_only" {
		norm = string(ScopeAuthOnly)
	}
	for _, sc := range Scopes() {
		if norm == string(sc) {
			return sc, nil
		}
	}
	return "", fmt.Errorf("olsim: unknown scope %q (want one of auth_only, read_users, manage_users, read_all, manage_all)", s)
}

// Includes reports whether a credential with scope s may do everything a
// credential with scope o may do. Manage All includes everything; Read All
// and Manage Users both include Read Users; Authentication Only includes no
// resource access at all.
func (s Scope) Includes(o Scope) bool {
	if s == o {
		return true
	}
	switch s {
	case ScopeManageAll:
		return true
	case ScopeReadAll, ScopeManageUsers:
		return o == ScopeReadUsers
	}
	return false
}
