package codec

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/converter"
)

// TokenPathPrefix starts the path form of the token: /token/<token>/… . The
// Temporal Web UI cannot add an Authorization header of its own (it only
// forwards its OIDC token), so its codec endpoint carries the token in the
// URL instead; the CLI and programs send the header.
const TokenPathPrefix = "/token/"

// maxRequestBytes bounds a request body: Temporal's 4 MiB gRPC limit plus
// JSON and base64 overhead.
const maxRequestBytes = 8 << 20

// ServerOptions configure the codec server's handler.
type ServerOptions struct {
	// Codec does the work (usually New(keys)).
	Codec converter.PayloadCodec
	// Tokens are the accepted bearer tokens; at least one is required.
	Tokens []string
	// Origins are the browser origins allowed by CORS, such as
	// http://localhost:8233 (dev server UI) or http://localhost:8080
	// (compose UI). Requests from other origins are refused.
	Origins []string
	// Logger gets one line per request (default: discard).
	Logger *slog.Logger
}

type server struct {
	codec   http.Handler
	tokens  [][sha256.Size]byte
	origins []string
	log     *slog.Logger
}

// NewHandler serves the codec protocol (POST …/encode and …/decode, any
// prefix, X-Namespace ignored: one keyring serves every namespace) behind a
// bearer token and CORS, and GET /healthz without either.
func NewHandler(o ServerOptions) (http.Handler, error) {
	if o.Codec == nil {
		return nil, errors.New("codec server: a codec is required")
	}
	s := &server{codec: converter.NewPayloadCodecHTTPHandler(o.Codec), log: o.Logger}
	for _, t := range o.Tokens {
		if t = strings.TrimSpace(t); t != "" {
			// Compare digests so the comparison's time says nothing about length.
			s.tokens = append(s.tokens, sha256.Sum256([]byte(t)))
		}
	}
	if len(s.tokens) == 0 {
		return nil, errors.New("codec server: at least one bearer token is required (OLFLOW_CODEC_TOKENS)")
	}
	for _, origin := range o.Origins {
		if origin = strings.TrimRight(strings.TrimSpace(origin), "/"); origin != "" {
			s.origins = append(s.origins, origin)
		}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	route := s.serve(rec, r)
	// The path may hold the token: log the route only.
	s.log.Info("codec request", "method", r.Method, "route", route, "status", rec.status,
		"namespace", r.Header.Get("X-Namespace"), "origin", r.Header.Get("Origin"), "duration", time.Since(start))
}

func (s *server) serve(w http.ResponseWriter, r *http.Request) string {
	if r.URL.Path == "/healthz" && r.Method == http.MethodGet {
		_, _ = w.Write([]byte("ok\n"))
		return "/healthz"
	}
	path, pathToken := splitToken(r.URL.Path)
	route := "other"
	switch {
	case strings.HasSuffix(path, "/encode"):
		route = "/encode"
	case strings.HasSuffix(path, "/decode"):
		route = "/decode"
	}
	if origin := r.Header.Get("Origin"); origin != "" {
		if !slices.Contains(s.origins, strings.TrimRight(origin, "/")) {
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return route
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		h.Set("Access-Control-Max-Age", "600")
		h.Add("Vary", "Origin")
	}
	// Browsers send preflights without credentials; they reveal nothing.
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return route
	}
	if !s.authorized(r, pathToken) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="olflow-codec"`)
		http.Error(w, "a bearer token is required", http.StatusUnauthorized)
		return route
	}
	if r.Method != http.MethodPost || route == "other" {
		http.NotFound(w, r)
		return route
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBytes)
	r2 := r.Clone(r.Context())
	r2.URL.Path = path
	s.codec.ServeHTTP(w, r2)
	return route
}

// splitToken removes a leading /token/<token> from path.
func splitToken(path string) (rest, token string) {
	after, ok := strings.CutPrefix(path, TokenPathPrefix)
	if !ok {
		return path, ""
	}
	token, rest, _ = strings.Cut(after, "/")
	return "/" + rest, token
}

func (s *server) authorized(r *http.Request, pathToken string) bool {
	// The path token is checked on its own: the Web UI may forward its own
	// OIDC token in the Authorization header alongside it.
	if s.valid(pathToken) {
		return true
	}
	auth := r.Header.Get("Authorization")
	scheme, value, ok := strings.Cut(auth, " ")
	return ok && strings.EqualFold(scheme, "Bearer") && s.valid(strings.TrimSpace(value))
}

func (s *server) valid(tok string) bool {
	if tok == "" {
		return false
	}
	sum := sha256.Sum256([]byte(tok))
	ok := 0
	for _, t := range s.tokens {
		ok |= subtle.ConstantTimeCompare(sum[:], t[:])
	}
	return ok == 1
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}
