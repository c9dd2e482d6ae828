// Package tenant checks what an admin types to name their OneLogin
// account: the subdomain and the optional region. It imports nothing of
// olflow's, so the starter can refuse a bad subdomain at the edge without
// linking the OneLogin client, and the client applies the same rules.
package tenant

import (
	"strings"

	"github.com/olflow/olflow/errcode"
)

// Domain is OneLogin's tenant domain: a subdomain acme is acme.onelogin.com.
const Domain = ".onelogin.com"

const maxLabelLength = 63

// Region is OneLogin's legacy data-centre shard; "" means none.
type Region string

// The regions an admin may name.
const (
	RegionNone Region = ""
	RegionUS   Region = "us"
	RegionEU   Region = "eu"
)

// Error is a refused field; errcode.Of reads it as invalid_input.
type Error struct {
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Field + ": " + e.Message }

// ErrorCode makes errcode.Of read it as invalid_input.
func (e *Error) ErrorCode() errcode.Code { return errcode.InvalidInput }

func refuse(field, msg string) *Error { return &Error{Field: field, Message: msg} }

// NormalizeRegion accepts "", "us" and "eu" in any case.
func NormalizeRegion(s string) (Region, error) {
	switch r := Region(strings.ToLower(strings.TrimSpace(s))); r {
	case RegionNone, RegionUS, RegionEU:
		return r, nil
	default:
		return "", refuse("region", "region must be us or eu")
	}
}

// NormalizeSubdomain turns what an admin pastes into the tenant's label:
// "acme", "ACME", "acme.onelogin.com" and "https://acme.onelogin.com/" all
// give "acme". Anything else (other hosts, ports, paths, userinfo, non-ASCII)
// is refused rather than guessed at.
func NormalizeSubdomain(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", refuse("subdomain", "subdomain is empty")
	}
	if i := strings.Index(s, "://"); i >= 0 {
		if !strings.EqualFold(s[:i], "https") {
			return "", refuse("subdomain", "subdomain URL must use https")
		}
		s = s[i+3:]
	}
	s = strings.TrimSuffix(s, "/")
	s = strings.ToLower(s)
	s = strings.TrimSuffix(s, Domain)
	if err := checkLabel(s); err != nil {
		return "", err
	}
	return s, nil
}

// checkLabel accepts one DNS label: a-z, 0-9 and inner hyphens.
func checkLabel(s string) error {
	if s == "" {
		return refuse("subdomain", "subdomain is empty")
	}
	if len(s) > maxLabelLength {
		return refuse("subdomain", "subdomain is longer than 63 characters")
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case b >= 'a' && b <= 'z', b >= '0' && b <= '9':
		case b == '-' && i > 0 && i < len(s)-1:
		default:
			return refuse("subdomain", "subdomain must be the tenant name, like acme or acme.onelogin.com")
		}
	}
	return nil
}
