package cli

import (
	"crypto/tls"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/olflow/olflow/internal/serve"
	"github.com/olflow/olflow/temporalclient"
	"github.com/olflow/olflow/webhook"
	"github.com/olflow/olflow/worker"
)

func (a *app) webhookServerCmd() *cobra.Command {
	var (
		addr, secrets, cert, key, level, format string
		insecure                                bool
		maxBody                                 int
	)
	cmd := &cobra.Command{
		Use:   "webhook-server",
		Short: "Receive OneLogin Event Broadcaster webhooks and apply them within seconds",
		Long: `Receive OneLogin Event Broadcaster deliveries at
POST /onelogin/events/<integration> and signal that integration's
DirectoryEvents workflow (signal-with-start), which re-reads the users,
groups and roles the events name.

Each integration has its own secret (OLFLOW_WEBHOOK_SECRETS or
--webhook-secrets-file: integration=secret pairs), which OneLogin sends as
"Authorization: Bearer <secret>", as the X-Olflow-Webhook-Secret header or
as the Basic auth password. Anything else is 401 and signals nothing.

It serves HTTPS with --webhook-tls-cert and --webhook-tls-key; plain HTTP
needs --insecure-http (local and dev only). GET /healthz and GET /metrics
(Prometheus) are served too.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if secrets == "" {
				return usagef("the webhook server needs the integrations' secrets: set %s or %s", setWebhookSecrets.Env, setWebhookSecrets.FlagName())
			}
			parsed, err := webhook.ParseSecrets(secrets)
			if err != nil {
				return usagef("%v", err)
			}
			var tlsCfg *tls.Config
			switch {
			case cert != "" || key != "":
				pair, err := tls.LoadX509KeyPair(cert, key)
				if err != nil {
					return usagef("webhook TLS: %v", err)
				}
				tlsCfg = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
			case !insecure:
				return usagef("the webhook server serves HTTPS: set %s and %s, or %s for local use", setWebhookCert.FlagName(), setWebhookKey.FlagName(), setWebhookInsecure.FlagName())
			}
			zl, err := worker.NewLogger(worker.LogConfig{Level: level, Format: format, Output: a.Stderr})
			if err != nil {
				return usagef("%v", err)
			}
			o, err := a.connOptions()
			if err != nil {
				return err
			}
			if o.CodecKeys == nil {
				return usagef("the webhook server signals workflows: set %s or %s", setCodecKeys.Env, setCodecKeys.FlagName())
			}
			o.Logger = a.quietLogger()
			c, err := temporalclient.Dial(cmd.Context(), o)
			if err != nil {
				return err
			}
			defer c.Close()
			reg := prometheus.NewRegistry()
			h, err := webhook.NewHandler(webhook.Options{Secrets: parsed, MaxBodyBytes: int64(maxBody),
				Signaler: webhook.TemporalSignaler{Client: c, TaskQueue: a.taskQueue}, Registerer: reg,
				Logger: slog.New(worker.SlogHandler(zl))})
			if err != nil {
				return usagef("%v", err)
			}
			mux := http.NewServeMux()
			mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
			mux.Handle("/", h)
			ln, err := serve.Listen(addr)
			if err != nil {
				return err
			}
			if tlsCfg != nil {
				ln = tls.NewListener(ln, tlsCfg)
			}
			zl.Sugar().Infow("webhook server listening", "addr", ln.Addr().String(), "https", tlsCfg != nil, "integrations", len(parsed))
			return serve.Serve(cmd.Context(), ln, mux)
		},
	}
	fs := cmd.Flags()
	a.l.str(fs, &addr, setWebhookAddr)
	a.l.secret(fs, &secrets, setWebhookSecrets)
	a.l.str(fs, &cert, setWebhookCert)
	a.l.str(fs, &key, setWebhookKey)
	a.l.boolean(fs, &insecure, setWebhookInsecure)
	a.l.integer(fs, &maxBody, setWebhookMaxBody)
	a.l.str(fs, &level, setLogLevel)
	a.l.str(fs, &format, setLogFormat)
	return cmd
}
