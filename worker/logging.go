package worker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/olflow/olflow/api"
	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"
)

// LogConfig chooses the worker's log output.
type LogConfig struct {
	// Level is debug, info, warn or error (default info).
	Level string
	// Format is json or text (default json).
	Format string
	// Output defaults to stderr.
	Output io.Writer
}

// NewLogger builds the process logger.
func NewLogger(c LogConfig) (*zap.Logger, error) {
	level := zapcore.InfoLevel
	if c.Level != "" {
		if err := level.Set(strings.ToLower(c.Level)); err != nil {
			return nil, fmt.Errorf("log level %q: use debug, info, warn or error", c.Level)
		}
	}
	ec := zap.NewProductionEncoderConfig()
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	switch strings.ToLower(c.Format) {
	case "", "json":
		enc = zapcore.NewJSONEncoder(ec)
	case "text", "console":
		ec.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	default:
		return nil, fmt.Errorf("log format %q: use json or text", c.Format)
	}
	out := c.Output
	if out == nil {
		out = os.Stderr
	}
	return zap.New(zapcore.NewCore(enc, zapcore.Lock(zapcore.AddSync(out)), level), zap.AddCaller()), nil
}

// SDKLogger is the Temporal SDK's own slog adapter over z, through
// logHandler: every line about a workflow gets an "integration" field
// (taken from its workflow ID when the caller gave none), a key is never
// logged twice, and values under names that suggest a secret are
// redacted.
func SDKLogger(z *zap.Logger) log.Logger {
	return log.NewStructuredLogger(slog.New(logHandler{next: zapslog.NewHandler(z.Core(), zapslog.WithCaller(true))}))
}

// logHandler is the one piece of logging written for olflow: redaction and
// the integration field, which no library knows about.
type logHandler struct {
	next slog.Handler
	// keys already attached with WithAttrs: the workflows add
	// "integration" themselves, and the SDK adds its tags again.
	keys map[string]bool
}

func (h logHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h logHandler) Handle(ctx context.Context, r slog.Record) error {
	var attrs []slog.Attr
	r.Attrs(func(a slog.Attr) bool { attrs = append(attrs, a); return true })
	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	out.AddAttrs(h.clean(attrs)...)
	return h.next.Handle(ctx, out)
}

func (h logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := h.clean(attrs)
	keys := make(map[string]bool, len(h.keys)+len(clean))
	for k := range h.keys {
		keys[k] = true
	}
	for _, a := range clean {
		keys[a.Key] = true
	}
	return logHandler{next: h.next.WithAttrs(clean), keys: keys}
}

func (h logHandler) WithGroup(name string) slog.Handler {
	return logHandler{next: h.next.WithGroup(name), keys: h.keys}
}

// clean drops keys already set, redacts secrets and adds the integration
// a workflow ID names.
func (h logHandler) clean(attrs []slog.Attr) []slog.Attr {
	out := make([]slog.Attr, 0, len(attrs)+1)
	seen := func(k string) bool {
		if h.keys[k] {
			return true
		}
		for _, a := range out {
			if a.Key == k {
				return true
			}
		}
		return false
	}
	var workflowID string
	for _, a := range attrs {
		if seen(a.Key) {
			continue
		}
		if a.Key == "WorkflowID" {
			workflowID = a.Value.String()
		}
		if secretKey(a.Key) {
			a = slog.String(a.Key, "[REDACTED]")
		}
		out = append(out, a)
	}
	if !seen(IntegrationKey) {
		if ref, ok := api.ParseWorkflowID(workflowID); ok {
			out = append(out, slog.String(IntegrationKey, ref.IntegrationID))
		}
	}
	return out
}

// IntegrationKey is the log field naming an integration.
const IntegrationKey = "integration"

func secretKey(key string) bool {
	k := strings.ToLower(key)
	for _, s := range []string{"secret", "password", "token", "apikey", "api_key", "authorization", "credential"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// SlogHandler routes log/slog through z, for packages that log with slog
// (the codec server).
func SlogHandler(z *zap.Logger) slog.Handler { return zapslog.NewHandler(z.Core()) }
