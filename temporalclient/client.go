// Package temporalclient builds olflow's Temporal clients: address and namespace, TLS
// or a Temporal Cloud API key, and the payload codec. Workers, the starter
// and the CLI dial through it, so they all read and write history the same
// way.
package temporalclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/codec"
	"github.com/olflow/olflow/seal"
)

// Defaults.
const (
	DefaultAddress   = "127.0.0.1:7233"
	DefaultNamespace = "default"
)

// Options say where Temporal is and how to talk to it.
type Options struct {
	// Address is host:port of the frontend (default 127.0.0.1:7233).
	Address string
	// Namespace defaults to "default".
	Namespace string
	// TLS turns TLS on with the system roots; the file fields below and an
	// API key turn it on too.
	TLS bool
	// TLSCertFile and TLSKeyFile are a client certificate for mTLS.
	TLSCertFile, TLSKeyFile string
	// TLSCAFile verifies the server with this CA instead of the system roots.
	TLSCAFile     string
	TLSServerName string
	// APIKey authenticates to Temporal Cloud (implies TLS).
	APIKey string
	// CodecKeys encrypt payloads. Without them, plain payloads are still
	// read, but nothing can be written (see codec.New).
	CodecKeys *seal.Keyring
	// Logger and MetricsHandler are passed to the SDK.
	Logger         log.Logger
	MetricsHandler client.MetricsHandler
	Identity       string
}

// String leaves the API key out.
func (o Options) String() string {
	return fmt.Sprintf("temporalclient.Options{Address:%q Namespace:%q TLS:%v APIKey:%v CodecKeys:%v}",
		o.Address, o.Namespace, o.tlsWanted(), o.APIKey != "", o.CodecKeys.IDs())
}

// GoString keeps %#v from printing the API key.
func (o Options) GoString() string { return o.String() }

func (o Options) tlsWanted() bool {
	return o.TLS || o.TLSCertFile != "" || o.TLSKeyFile != "" || o.TLSCAFile != "" || o.APIKey != ""
}

// DataConverter is the converter for these options' codec keys.
func (o Options) DataConverter() converter.DataConverter { return codec.DataConverter(o.CodecKeys) }

// FailureConverter encodes failure details with dc, as every other payload.
// Messages stay readable: they never carry secrets (DESIGN.md, Errors).
func FailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc})
}

// ClientOptions turns o into SDK client options.
func (o Options) ClientOptions() (client.Options, error) {
	co := client.Options{
		HostPort:       o.Address,
		Namespace:      o.Namespace,
		Logger:         o.Logger,
		MetricsHandler: o.MetricsHandler,
		Identity:       o.Identity,
		DataConverter:  o.DataConverter(),
		// Failure details (a failed user's partial result, say) are payloads
		// too: without this the SDK writes them in clear (found in v0.1.0).
		FailureConverter: FailureConverter(o.DataConverter()),
	}
	if co.HostPort == "" {
		co.HostPort = DefaultAddress
	}
	if co.Namespace == "" {
		co.Namespace = DefaultNamespace
	}
	if o.APIKey != "" {
		co.Credentials = client.NewAPIKeyStaticCredentials(o.APIKey)
	}
	if o.tlsWanted() {
		tc, err := o.tlsConfig()
		if err != nil {
			return co, err
		}
		co.ConnectionOptions.TLS = tc
	}
	return co, nil
}

func (o Options) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.TLSServerName}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		return nil, errors.New("conn: a TLS client certificate needs both the certificate and the key file")
	}
	if o.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("conn: load the TLS client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	if o.TLSCAFile != "" {
		pem, err := os.ReadFile(o.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("conn: read the TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("conn: the TLS CA file holds no PEM certificate")
		}
		tc.RootCAs = pool
	}
	return tc, nil
}

// Dial connects to Temporal and checks the connection.
func Dial(ctx context.Context, o Options) (client.Client, error) {
	co, err := o.ClientOptions()
	if err != nil {
		return nil, err
	}
	c, err := client.DialContext(ctx, co)
	if err != nil {
		return nil, fmt.Errorf("conn: dial Temporal at %s (namespace %s): %w", co.HostPort, co.Namespace, err)
	}
	return c, nil
}
