package temporalclient

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClientOptions(t *testing.T) {
	co, err := Options{}.ClientOptions()
	require.NoError(t, err)
	assert.Equal(t, DefaultAddress, co.HostPort)
	assert.Equal(t, DefaultNamespace, co.Namespace)
	assert.Nil(t, co.ConnectionOptions.TLS)
	assert.NotNil(t, co.DataConverter, "the codec is always installed")

	co, err = Options{Address: "ns.acct.tmprl.cloud:7233", Namespace: "ns.acct", APIKey: "key"}.ClientOptions()
	require.NoError(t, err)
	assert.NotNil(t, co.ConnectionOptions.TLS, "an API key implies TLS")
	assert.NotNil(t, co.Credentials)

	_, err = Options{TLSCertFile: "cert.pem"}.ClientOptions()
	assert.ErrorContains(t, err, "both")
	_, err = Options{TLSCAFile: "/nonexistent/ca.pem"}.ClientOptions()
	assert.Error(t, err)
}

func TestOptionsNeverPrintTheAPIKey(t *testing.T) {
	o := Options{APIKey: "very-secret-key"}
	assert.NotContains(t, fmt.Sprint(o), "very-secret-key")
	assert.NotContains(t, fmt.Sprintf("%v %+v %s %#v", o, o, o, o), "very-secret-key")
}
