package cli

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Setting is one configuration value: a flag whose default comes from an
// OLFLOW_* variable. A secret has no flag of its own: it comes from its
// variable or from the file its --<flag>-file flag names, so it never
// shows in a process list or shell history.
type Setting struct {
	Env     string
	Flag    string
	Default string
	Usage   string
	Secret  bool
	// Commands lists where the setting applies ("all" for every command
	// that talks to Temporal).
	Commands string
}

// FlagName is the flag as typed, --name or --name-file.
func (s Setting) FlagName() string {
	if s.Secret {
		return "--" + s.Flag + "-file"
	}
	return "--" + s.Flag
}

// Every setting, in the order the README's configuration table lists them.
var (
	setAddress      = Setting{"OLFLOW_TEMPORAL_ADDRESS", "address", "127.0.0.1:7233", "Temporal frontend host:port", false, "all"}
	setNamespace    = Setting{"OLFLOW_NAMESPACE", "namespace", "default", "Temporal namespace", false, "all"}
	setTaskQueue    = Setting{"OLFLOW_TASK_QUEUE", "task-queue", "olflow", "task queue the workers poll and the starter starts on", false, "all"}
	setTLS          = Setting{"OLFLOW_TLS", "tls", "false", "connect with TLS (system roots); implied by the TLS files and an API key", false, "all"}
	setTLSCert      = Setting{"OLFLOW_TLS_CERT", "tls-cert", "", "client certificate (PEM) for mTLS", false, "all"}
	setTLSKey       = Setting{"OLFLOW_TLS_KEY", "tls-key", "", "client certificate key (PEM) for mTLS", false, "all"}
	setTLSCA        = Setting{"OLFLOW_TLS_CA", "tls-ca", "", "CA (PEM) that signs the server's certificate, instead of the system roots", false, "all"}
	setTLSServer    = Setting{"OLFLOW_TLS_SERVER_NAME", "tls-server-name", "", "server name to verify, when it differs from the address", false, "all"}
	setAPIKey       = Setting{"OLFLOW_API_KEY", "api-key", "", "Temporal Cloud API key (turns TLS on)", true, "all"}
	setCodecKeys    = Setting{"OLFLOW_CODEC_KEYS", "codec-keys", "", "payload encryption keys, id:base64key[,older...] newest first (olflow keygen)", true, "all, codec-server"}
	setSealKeys     = Setting{"OLFLOW_SEAL_KEYS", "seal-keys", "", "sealing keys for client secrets, passwords and reset links, id:base64key[,older...] newest first", true, "worker, connect, actions"}
	setStore        = Setting{"OLFLOW_STORE_DSN", "store", "sqlite://olflow.db", "directory store: sqlite://path or postgres://user@host/db (keep passwords in the variable)", false, "worker, status"}
	setStoreConns   = Setting{"OLFLOW_STORE_MAX_CONNS", "store-max-conns", "0", "store connections at most (0: the DSN's pool_max_conns, else 8)", false, "worker"}
	setMigrate      = Setting{"OLFLOW_MIGRATE", "migrate", "auto", "apply store migrations at start: auto (SQLite yes, PostgreSQL no: run olflow migrate), true or false", false, "worker"}
	setBaseURL      = Setting{"OLFLOW_ONELOGIN_BASE_URL", "onelogin-base-url", "", "OneLogin base URL override, may hold {subdomain}; simulator and tests only", false, "worker"}
	setMetricsAddr  = Setting{"OLFLOW_METRICS_ADDR", "metrics-addr", "127.0.0.1:9090", "serves /metrics, /healthz and /readyz; empty turns it off", false, "worker"}
	setLogLevel     = Setting{"OLFLOW_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", false, "worker, codec-server"}
	setLogFormat    = Setting{"OLFLOW_LOG_FORMAT", "log-format", "json", "json or text", false, "worker, codec-server"}
	setMaxActs      = Setting{"OLFLOW_MAX_ACTIVITIES", "max-activities", "100", "activities one worker runs at once", false, "worker"}
	setMaxWFTasks   = Setting{"OLFLOW_MAX_WORKFLOW_TASKS", "max-workflow-tasks", "100", "workflow tasks one worker runs at once", false, "worker"}
	setParallelism  = Setting{"OLFLOW_SYNC_PARALLELISM", "sync-parallelism", "4", "user pages a full sync fetches at once", false, "worker"}
	setShutdown     = Setting{"OLFLOW_SHUTDOWN_TIMEOUT", "shutdown-timeout", "30s", "how long running activities may finish after SIGTERM", false, "worker"}
	setDeployment   = Setting{"OLFLOW_DEPLOYMENT_NAME", "deployment-name", "", "Temporal Worker Deployment of this worker; set, it turns Worker Versioning on", false, "worker"}
	setBuildID      = Setting{"OLFLOW_BUILD_ID", "build-id", "", "build ID within the deployment (default: this binary's, olflow version)", false, "worker"}
	setCodecAddr    = Setting{"OLFLOW_CODEC_ADDR", "addr", "127.0.0.1:8081", "codec server listen address", false, "codec-server"}
	setCodecTokens  = Setting{"OLFLOW_CODEC_TOKENS", "tokens", "", "bearer tokens the codec server accepts, comma-separated", true, "codec-server"}
	setCodecOrigins = Setting{"OLFLOW_CODEC_ORIGINS", "origins", "http://localhost:8233,http://127.0.0.1:8233", "browser origins (Temporal UI) allowed by CORS, comma-separated", false, "codec-server"}

	setWebhookAddr     = Setting{"OLFLOW_WEBHOOK_ADDR", "addr", "127.0.0.1:8082", "webhook server listen address", false, "webhook-server"}
	setWebhookSecrets  = Setting{"OLFLOW_WEBHOOK_SECRETS", "webhook-secrets", "", "per-integration webhook secrets, integration=secret pairs (16+ characters), comma- or newline-separated", true, "webhook-server"}
	setWebhookCert     = Setting{"OLFLOW_WEBHOOK_TLS_CERT", "webhook-tls-cert", "", "certificate (PEM) the webhook server serves HTTPS with", false, "webhook-server"}
	setWebhookKey      = Setting{"OLFLOW_WEBHOOK_TLS_KEY", "webhook-tls-key", "", "key (PEM) of --webhook-tls-cert", false, "webhook-server"}
	setWebhookInsecure = Setting{"OLFLOW_WEBHOOK_INSECURE_HTTP", "insecure-http", "false", "serve plain HTTP without a certificate (local and dev only)", false, "webhook-server"}
	setWebhookMaxBody  = Setting{"OLFLOW_WEBHOOK_MAX_BODY", "max-body", "1048576", "largest delivery body in bytes", false, "webhook-server"}
)

// Settings lists every setting (for the README and its test).
var Settings = []Setting{setAddress, setNamespace, setTaskQueue, setTLS, setTLSCert, setTLSKey, setTLSCA, setTLSServer,
	setAPIKey, setCodecKeys, setSealKeys, setStore, setStoreConns, setMigrate, setBaseURL, setMetricsAddr, setLogLevel, setLogFormat, setMaxActs,
	setMaxWFTasks, setParallelism, setShutdown, setDeployment, setBuildID, setCodecAddr, setCodecTokens, setCodecOrigins,
	setWebhookAddr, setWebhookSecrets, setWebhookCert, setWebhookKey, setWebhookInsecure, setWebhookMaxBody}

// loader binds settings to flags and reads secrets once flags are parsed.
// It is the one place configuration is read.
type loader struct {
	getenv  func(string) string
	errs    []error
	secrets []boundSecret
}

type boundSecret struct {
	s    Setting
	file *string
	dst  *string
}

func (l *loader) def(s Setting) string {
	if v := strings.TrimSpace(l.getenv(s.Env)); v != "" {
		return v
	}
	return s.Default
}

func (l *loader) usage(s Setting) string { return fmt.Sprintf("%s (env %s)", s.Usage, s.Env) }

func (l *loader) str(fs *pflag.FlagSet, p *string, s Setting) {
	fs.StringVar(p, s.Flag, l.def(s), l.usage(s))
	// --help prints the default, which may come from a variable holding a
	// URL with a password (OLFLOW_STORE_DSN): show it redacted.
	if u, err := url.Parse(*p); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			fs.Lookup(s.Flag).DefValue = u.Redacted()
		}
	}
}

func (l *loader) boolean(fs *pflag.FlagSet, p *bool, s Setting) {
	v, err := strconv.ParseBool(l.def(s))
	if err != nil {
		l.errs = append(l.errs, fmt.Errorf("%s: %q is not true or false", s.Env, l.def(s)))
	}
	fs.BoolVar(p, s.Flag, v, l.usage(s))
}

func (l *loader) integer(fs *pflag.FlagSet, p *int, s Setting) {
	v, err := strconv.Atoi(l.def(s))
	if err != nil {
		l.errs = append(l.errs, fmt.Errorf("%s: %q is not a number", s.Env, l.def(s)))
	}
	fs.IntVar(p, s.Flag, v, l.usage(s))
}

func (l *loader) duration(fs *pflag.FlagSet, p *time.Duration, s Setting) {
	v, err := time.ParseDuration(l.def(s))
	if err != nil {
		l.errs = append(l.errs, fmt.Errorf("%s: %q is not a duration like 30s", s.Env, l.def(s)))
	}
	fs.DurationVar(p, s.Flag, v, l.usage(s))
}

func (l *loader) list(fs *pflag.FlagSet, p *[]string, s Setting) {
	fs.StringSliceVar(p, s.Flag, splitList(l.def(s)), l.usage(s))
}

// secret binds --<flag>-file; resolve fills dst from it or the variable.
func (l *loader) secret(fs *pflag.FlagSet, dst *string, s Setting) {
	b := boundSecret{s: s, file: new(string), dst: dst}
	fs.StringVar(b.file, s.Flag+"-file", "", fmt.Sprintf("file holding the %s (or env %s)", s.Usage, s.Env))
	l.secrets = append(l.secrets, b)
}

// resolve reads the secrets and reports every configuration error. A
// secret bound on several commands takes its variable, unless the file
// flag of the command that ran names a file.
func (l *loader) resolve() error {
	for _, b := range l.secrets {
		if *b.dst = strings.TrimSpace(l.getenv(b.s.Env)); *b.dst == "" {
			*b.dst = b.s.Default
		}
	}
	for _, b := range l.secrets {
		if *b.file == "" {
			continue
		}
		raw, err := os.ReadFile(*b.file)
		if err != nil {
			l.errs = append(l.errs, fmt.Errorf("%s: %w", b.s.FlagName(), err))
			continue
		}
		*b.dst = strings.TrimSpace(string(raw))
	}
	if len(l.errs) == 0 {
		return nil
	}
	msgs := make([]string, len(l.errs))
	for i, e := range l.errs {
		msgs[i] = e.Error()
	}
	return &usageError{msg: "configuration: " + strings.Join(msgs, "; ")}
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
