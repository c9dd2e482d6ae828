package worker

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"

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

// SDKLogger bridges z into the Temporal SDK's logger. Every line about a
// workflow gets an "integration" field (taken from its workflow ID when the
// caller did not give one), a key is never logged twice, and values under
// names that suggest a secret are redacted.
func SDKLogger(z *zap.Logger) log.Logger {
	// Skip write and the level method: the caller is whoever called Info.
	return &sdkLogger{z: z.WithOptions(zap.AddCallerSkip(2))}
}

type sdkLogger struct {
	z *zap.Logger
	// keys already attached with With, so repeating one (the workflows add
	// "integration" themselves) does not duplicate it.
	keys map[string]bool
}

var (
	_ log.Logger          = (*sdkLogger)(nil)
	_ log.WithLogger      = (*sdkLogger)(nil)
	_ log.WithSkipCallers = (*sdkLogger)(nil)
)

func (l *sdkLogger) Debug(msg string, kv ...any) { l.write(zapcore.DebugLevel, msg, kv) }
func (l *sdkLogger) Info(msg string, kv ...any)  { l.write(zapcore.InfoLevel, msg, kv) }
func (l *sdkLogger) Warn(msg string, kv ...any)  { l.write(zapcore.WarnLevel, msg, kv) }
func (l *sdkLogger) Error(msg string, kv ...any) { l.write(zapcore.ErrorLevel, msg, kv) }

func (l *sdkLogger) write(level zapcore.Level, msg string, kv []any) {
	if ce := l.z.Check(level, msg); ce != nil {
		fields, _ := l.fields(kv)
		ce.Write(fields...)
	}
}

// With implements log.WithLogger.
func (l *sdkLogger) With(kv ...any) log.Logger {
	fields, keys := l.fields(kv)
	merged := make(map[string]bool, len(l.keys)+len(keys))
	for k := range l.keys {
		merged[k] = true
	}
	for _, k := range keys {
		merged[k] = true
	}
	return &sdkLogger{z: l.z.With(fields...), keys: merged}
}

// WithCallerSkip implements log.WithSkipCallers.
func (l *sdkLogger) WithCallerSkip(n int) log.Logger {
	return &sdkLogger{z: l.z.WithOptions(zap.AddCallerSkip(n)), keys: l.keys}
}

// fields turns key/value pairs into zap fields, skipping keys already set,
// and adds the integration when a workflow ID names one.
func (l *sdkLogger) fields(kv []any) ([]zap.Field, []string) {
	fields := make([]zap.Field, 0, len(kv)/2+1)
	keys := make([]string, 0, len(kv)/2+1)
	seen := func(k string) bool {
		if l.keys[k] {
			return true
		}
		for _, s := range keys {
			if s == k {
				return true
			}
		}
		return false
	}
	var workflowID string
	for i := 0; i < len(kv); i += 2 {
		key, ok := kv[i].(string)
		if !ok {
			key = fmt.Sprint(kv[i])
		}
		var v any = "(missing)"
		if i+1 < len(kv) {
			v = kv[i+1]
		}
		if seen(key) {
			continue
		}
		if key == "WorkflowID" {
			workflowID, _ = v.(string)
		}
		keys = append(keys, key)
		if secretKey(key) {
			fields = append(fields, zap.String(key, "[REDACTED]"))
			continue
		}
		fields = append(fields, zap.Any(key, v))
	}
	if !seen(IntegrationKey) {
		if id, ok := IntegrationFromWorkflowID(workflowID); ok {
			keys = append(keys, IntegrationKey)
			fields = append(fields, zap.String(IntegrationKey, id))
		}
	}
	return fields, keys
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

// scheduledSuffix is what the schedule appends to the workflow ID of each
// run it starts.
var scheduledSuffix = regexp.MustCompile(`-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$`)

// IntegrationFromWorkflowID returns the integration an olflow workflow or
// schedule ID names: "onelogin-<what>/<integration>[/<more>]", with the
// timestamp a schedule appends removed. Integration ids never hold "/".
func IntegrationFromWorkflowID(id string) (string, bool) {
	rest, ok := strings.CutPrefix(id, "onelogin-")
	if !ok {
		return "", false
	}
	_, rest, ok = strings.Cut(rest, "/")
	if !ok {
		return "", false
	}
	integration, _, _ := strings.Cut(rest, "/")
	integration = scheduledSuffix.ReplaceAllString(integration, "")
	return integration, integration != ""
}

// SlogHandler routes log/slog through z, for packages that log with slog
// (the codec server).
func SlogHandler(z *zap.Logger) slog.Handler { return zapslog.NewHandler(z.Core()) }
