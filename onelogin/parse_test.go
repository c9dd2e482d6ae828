package onelogin

import (
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/olflow/olflow/errcode"
	"github.com/stretchr/testify/assert"
)

// errorShapes are the bodies of reference §4, one per known shape.
var errorShapes = []struct {
	name, contentType, body string
	message                 string
	oneLogin                bool
	status                  int
}{
	{"v1 string message", "application/json; charset=utf-8",
		`{"status":{"error":true,"code":401,"type":"Unauthorized","message":"Insufficient Permission"}}`,
		"Insufficient Permission", true, 401},
	{"v1 object message", "application/json; charset=utf-8",
		`{"status":{"error":true,"code":400,"type":"bad request","message":{"attribute":"id","description":"ID is incorrect"}}}`,
		"id: ID is incorrect", true, 400},
	{"v2 standard", "application/json",
		`{"message":"The resource with the given id could not be found","name":"NotFoundError","statusCode":404}`,
		"The resource with the given id could not be found", true, 404},
	{"status error description", "application/json",
		`{"status":400,"error":"BadRequestError","description":"Requests can only have cursor xor pagination arguments"}`,
		"Requests can only have cursor xor pagination arguments", true, 400},
	{"bare message", "application/json", `{"message":"User cannot be unlocked"}`, "User cannot be unlocked", true, 0},
	{"messages list", "application/json", `{"messages":["first","second"]}`, "first; second", true, 0},
	{"mappings validation", "application/json",
		`{"code":422,"message":"Validation Failed","errors":[{"field":"enabled","message":["Required field is missing"]}]}`,
		"Validation Failed: enabled: Required field is missing", true, 422},
	{"v2 unprocessable", "application/json",
		`{"statusCode":422,"name":"UnprocessableEntityError","message":"Validation failed: Email must be unique within acme"}`,
		"Validation failed: Email must be unique within acme", true, 422},
	{"haproxy html 429", "text/html",
		"<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n</body></html>\n",
		"429 Too Many Requests", false, 0},
	{"html title page", "text/html; charset=UTF-8", "<!doctype html><html><head><title>Page not found</title></head><body>x</body></html>",
		"Page not found", false, 0},
	{"plain text", "text/plain", "upstream connect error", "upstream connect error", false, 0},
	{"empty", "application/json", "", "", false, 0},
	{"not json", "application/json", "{oops", "", false, 0},
	{"unrelated json", "application/json", `{"hello":"world"}`, "", false, 0},
	{"v1 success with error false", "application/json", `{"status":{"error":false,"code":200,"type":"success","message":"Success"}}`, "Success", true, 0},
}

func TestParseBodyShapes(t *testing.T) {
	for _, tc := range errorShapes {
		t.Run(tc.name, func(t *testing.T) {
			p := parseBody(tc.contentType, []byte(tc.body))
			assert.Equal(t, tc.message, p.message)
			assert.Equal(t, tc.oneLogin, p.oneLogin)
			assert.Equal(t, tc.status, p.embeddedStatus)
		})
	}
}

func TestCleanMessageBounds(t *testing.T) {
	long := strings.Repeat("é", 1000)
	got := cleanMessage(long)
	assert.True(t, utf8.ValidString(got))
	assert.LessOrEqual(t, len(got), maxMessageLength+len("…"))
	assert.Equal(t, "a b", cleanMessage("a\n\t b"))
	assert.True(t, utf8.ValidString(cleanMessage("\xff\xfe bad")))
}

func TestClassify(t *testing.T) {
	insufficient := parsedBody{message: "Insufficient Permission", oneLogin: true}
	plain := parsedBody{oneLogin: true}
	cases := []struct {
		name   string
		kind   endpointKind
		status int
		body   parsedBody
		fresh  bool
		want   Code
	}{
		{"token 401", kindToken, 401, plain, false, CodeInvalidCredentials},
		{"token 400", kindToken, 400, plain, false, CodeInvalidCredentials},
		{"token 500 owner deleted", kindToken, 500, plain, false, CodeCredentialOwnerDeleted},
		{"token 500 no body", kindToken, 500, parsedBody{}, false, CodeCredentialOwnerDeleted},
		{"token 404", kindToken, 404, parsedBody{}, false, CodeSubdomainNotFound},
		{"token 200 not onelogin", kindToken, 200, parsedBody{}, false, CodeSubdomainNotFound},
		{"token 301", kindToken, 301, parsedBody{}, false, CodeSubdomainNotFound},
		{"token 429", kindToken, 429, parsedBody{}, false, CodeRateLimited},
		{"token 503", kindToken, 503, parsedBody{}, false, CodeServerError},
		{"resource 401 insufficient", kindResource, 401, insufficient, false, CodeInsufficientScope},
		{"resource 401 after fresh token", kindResource, 401, plain, true, CodeInsufficientScope},
		{"resource 401 stale", kindResource, 401, plain, false, CodeInvalidCredentials},
		{"resource 403", kindResource, 403, plain, false, CodeInsufficientScope},
		{"resource 404", kindResource, 404, plain, false, CodeNotFound},
		{"resource 400", kindResource, 400, plain, false, CodeInvalidInput},
		{"resource 422", kindResource, 422, plain, false, CodeInvalidInput},
		{"resource 409", kindResource, 409, plain, false, CodeConflict},
		{"resource 429", kindResource, 429, plain, false, CodeRateLimited},
		{"resource 500", kindResource, 500, plain, false, CodeServerError},
		{"resource 502", kindResource, 502, parsedBody{}, false, CodeServerError},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, classify(tc.kind, tc.status, tc.body, tc.fresh), tc.name)
	}
}

func TestRateLimitWait(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	assert.Equal(t, 42*time.Second, rateLimitWait(h("X-RateLimit-Reset", "42", "Retry-After", "7"), now))
	assert.Equal(t, 7*time.Second, rateLimitWait(h("Retry-After", "7"), now))
	assert.Equal(t, 90*time.Second, rateLimitWait(h("Retry-After", now.Add(90*time.Second).Format(http.TimeFormat)), now))
	assert.Equal(t, DefaultRateLimitWait, rateLimitWait(h(), now))
	assert.Equal(t, DefaultRateLimitWait, rateLimitWait(h("X-RateLimit-Reset", "soon"), now))
	assert.Equal(t, time.Second, rateLimitWait(h("X-RateLimit-Reset", "0"), now), "a zero reset still waits a moment")
}

func TestCodesRetryable(t *testing.T) {
	retry := map[Code]bool{CodeRateLimited: true, CodeServerError: true, CodeNetwork: true}
	for _, c := range errcode.All() {
		assert.Equal(t, retry[c], c.Retryable(), string(c))
	}
}

func FuzzParseBody(f *testing.F) {
	for _, tc := range errorShapes {
		f.Add(tc.contentType, []byte(tc.body))
	}
	f.Add("application/json", []byte(`{"status":"weird","message":{"x":[1,2,{"y":null}]}}`))
	f.Add("text/html", []byte("<h1><b>nested</b></h1>"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		p := parseBody(contentType, body)
		if !utf8.ValidString(p.message) {
			t.Fatalf("message is not UTF-8: %q", p.message)
		}
		if len(p.message) > maxMessageLength+len("…") {
			t.Fatalf("message too long: %d", len(p.message))
		}
		if strings.ContainsAny(p.message, "\n\r") {
			t.Fatalf("message spans lines: %q", p.message)
		}
	})
}

func FuzzNormalizeSubdomain(f *testing.F) {
	for _, s := range []string{"acme", "ACME", "acme.onelogin.com", "https://acme.onelogin.com/", "a.b.onelogin.com",
		"https://u@acme.onelogin.com", "acme:80", "é", "", "-", "https://", "acme.onelogin.com/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := NormalizeSubdomain(in)
		if err != nil {
			if CodeOf(err) != CodeInvalidInput {
				t.Fatalf("error without invalid_input: %v", err)
			}
			return
		}
		// Whatever is accepted is one DNS label and a fixed point.
		if got == "" || len(got) > 63 || strings.ContainsAny(got, ".:/@ ") {
			t.Fatalf("accepted %q as %q", in, got)
		}
		if again, err := NormalizeSubdomain(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", in, got, again, err)
		}
		if again, err := NormalizeSubdomain("https://" + got + ".onelogin.com/"); err != nil || again != got {
			t.Fatalf("URL form differs: %q (%v)", again, err)
		}
	})
}
