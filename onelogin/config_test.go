package onelogin

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeSubdomainAccepts(t *testing.T) {
	for _, in := range []string{
		"acme", "ACME", " acme ", "\tacme\n", "acme.onelogin.com", "Acme.OneLogin.com",
		"https://acme.onelogin.com", "https://acme.onelogin.com/", "HTTPS://ACME.ONELOGIN.COM/", "acme.onelogin.com/",
	} {
		got, err := NormalizeSubdomain(in)
		require.NoError(t, err, "%q", in)
		assert.Equal(t, "acme", got, "%q", in)
	}
	for in, want := range map[string]string{"a": "a", "my-company2": "my-company2", strings.Repeat("x", 63): strings.Repeat("x", 63)} {
		got, err := NormalizeSubdomain(in)
		require.NoError(t, err, "%q", in)
		assert.Equal(t, want, got)
	}
}

func TestNormalizeSubdomainRefuses(t *testing.T) {
	for _, in := range []string{
		"", "   ",
		"acme.example.com",               // another domain
		"api.us.onelogin.com",            // legacy region host, not a tenant
		"acme.onelogin.com:443",          // port
		"https://acme.onelogin.com/path", // path
		"https://user:pw@acme.onelogin.com",
		"user@acme",
		"http://acme.onelogin.com", // not https
		"ftp://acme",
		"acmé",  // non-ASCII
		"ac me", // inner space
		"-acme", "acme-",
		"acme_corp",
		strings.Repeat("x", 64),
		"acme.onelogin.com.evil.com",
		"acme?x=1", "acme#frag",
		"//acme",
	} {
		_, err := NormalizeSubdomain(in)
		require.Error(t, err, "%q", in)
		var e *Error
		require.True(t, errors.As(err, &e), "%q", in)
		assert.Equal(t, CodeInvalidInput, e.Code)
		assert.Equal(t, "subdomain", e.Field)
		assert.Contains(t, e.Error(), "subdomain")
	}
}

func TestNormalizeRegion(t *testing.T) {
	for in, want := range map[string]Region{"": RegionNone, "us": RegionUS, " US ": RegionUS, "Eu": RegionEU} {
		got, err := NormalizeRegion(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	for _, in := range []string{"uk", "usa", "us-east", "e u"} {
		_, err := NormalizeRegion(in)
		var e *Error
		require.True(t, errors.As(err, &e), in)
		assert.Equal(t, "region", e.Field)
		assert.Equal(t, CodeInvalidInput, e.Code)
	}
}

func TestConfigNormalize(t *testing.T) {
	base := Config{Subdomain: " https://Acme.onelogin.com/ ", Region: " EU ", ClientID: "  id  ", ClientSecret: "\tsecret\n"}
	got, err := base.Normalize()
	require.NoError(t, err)
	assert.Equal(t, "acme", got.Subdomain)
	assert.Equal(t, "eu", got.Region)
	assert.Equal(t, "id", got.ClientID)
	assert.Equal(t, "secret", got.ClientSecret)
	assert.Equal(t, defaultTimeout, got.Timeout)
	assert.NotNil(t, got.HTTPClient)
	assert.Equal(t, "https://acme.onelogin.com", got.baseURL())

	cases := map[string]func(*Config){
		"client_id":     func(c *Config) { c.ClientID = " " },
		"client_secret": func(c *Config) { c.ClientSecret = "" },
		"subdomain":     func(c *Config) { c.Subdomain = "acme.example.com" },
		"region":        func(c *Config) { c.Region = "ap" },
		"timeout":       func(c *Config) { c.Timeout = -1 },
	}
	for field, mutate := range cases {
		c := base
		mutate(&c)
		_, err := New(c)
		var e *Error
		require.True(t, errors.As(err, &e), field)
		assert.Equal(t, CodeInvalidInput, e.Code, field)
		assert.Equal(t, field, e.Field)
	}
}

func TestConfigNeverPrintsSecret(t *testing.T) {
	c := Config{Subdomain: "acme", ClientID: "id", ClientSecret: "s3cr3t-value"}
	for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c)} {
		assert.NotContains(t, s, "s3cr3t-value")
	}
	_, err := New(Config{Subdomain: "bad host", ClientID: "id", ClientSecret: "s3cr3t-value"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cr3t-value")
}

func TestBaseURLPlaceholder(t *testing.T) {
	c, err := Config{Subdomain: "ACME", ClientID: "i", ClientSecret: "s", BaseURL: "http://127.0.0.1:8089/t/{subdomain}/"}.Normalize()
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8089/t/acme", c.baseURL())
}
