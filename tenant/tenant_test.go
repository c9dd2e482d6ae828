package tenant_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/tenant"
)

func TestNormalizeSubdomain(t *testing.T) {
	for _, in := range []string{"acme", " ACME ", "acme.onelogin.com", "https://acme.onelogin.com/", "HTTPS://Acme.OneLogin.com"} {
		got, err := tenant.NormalizeSubdomain(in)
		assert.NoError(t, err, in)
		assert.Equal(t, "acme", got, in)
	}
	for _, in := range []string{"", "http://acme.onelogin.com", "acme.okta.com", "acme.onelogin.com:443", "-acme", "ac_me",
		"user@acme", "acme/path", "ácme", string(make([]byte, 64))} {
		_, err := tenant.NormalizeSubdomain(in)
		assert.Error(t, err, in)
		assert.Equal(t, errcode.InvalidInput, errcode.Of(err), in)
		var te *tenant.Error
		if assert.ErrorAs(t, err, &te) {
			assert.Equal(t, "subdomain", te.Field)
		}
	}
}

func TestNormalizeRegion(t *testing.T) {
	for in, want := range map[string]tenant.Region{"": tenant.RegionNone, "US": tenant.RegionUS, " eu ": tenant.RegionEU} {
		got, err := tenant.NormalizeRegion(in)
		assert.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := tenant.NormalizeRegion("apac")
	assert.Equal(t, errcode.InvalidInput, errcode.Of(err))
}
