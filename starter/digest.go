package starter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
)

// RequestDigestMemo is the memo field of every action run holding
// RequestDigest of the request that started it: a request id is bound to
// one request, and reusing it for another is refused.
const RequestDigestMemo = "RequestDigest"

// Fields left out of the digest: who asked and how many users are worked
// at once change neither what is done nor to whom, so a retry that differs
// only there is the same request. A sealed password is replaced by its
// sealing context: the ciphertext is random per seal, so a retry would
// never match, and the password itself must not be hashed where anyone
// reading the memo could test guesses against it.
var notDigested = []string{"RequestedBy", "Parallelism"}

// RequestDigest is "sha256:" and the hex SHA-256 of the canonical JSON of
// a normalised action request together with its workflow type (JSON with
// sorted keys, numbers as written). Call it after req.Normalize.
func RequestDigest(workflowType string, req Request) (string, error) {
	raw, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("olflow: digest the request: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // ids above 2^53 stay exact
	var fields map[string]any
	if err := dec.Decode(&fields); err != nil {
		return "", fmt.Errorf("olflow: digest the request: %w", err)
	}
	for _, f := range notDigested {
		delete(fields, f)
	}
	if _, sealed := fields["Password"]; sealed {
		integration, requestID := req.Key()
		fields["Password"] = api.PasswordAAD(integration, requestID)
	}
	fields["Action"] = workflowType
	canonical, err := json.Marshal(fields) // encoding/json sorts map keys
	if err != nil {
		return "", fmt.Errorf("olflow: digest the request: %w", err)
	}
	sum := sha256.Sum256(canonical)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// check compares the request with the latest run that holds its id, if
// any, and returns that run's id ("" when there is none): a conflict
// unless that run was started for the same request (same workflow type
// and, for runs that carry one, the same digest). It runs before every
// start, since a failed run's id is started again without the server
// saying so.
func (s *Starter) check(ctx context.Context, id, workflowType, requestID, digest string) (string, error) {
	desc, err := s.Client.DescribeWorkflow(ctx, id, "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	info := desc.RawResponse.GetWorkflowExecutionInfo()
	if got := info.GetType().GetName(); got != workflowType {
		return "", reused(requestID, "a "+got+" request")
	}
	// Runs started before digests were recorded carry none, and a memo
	// this starter cannot decode (no DataConverter for the codec) cannot
	// be compared: both are joined on the workflow type alone, as before.
	if recorded, ok := s.decodeDigest(info.GetMemo().GetFields()[RequestDigestMemo]); ok && recorded != digest {
		return "", reused(requestID, "a different "+workflowType+" request")
	}
	return info.GetExecution().GetRunId(), nil
}

// join returns the run that already holds the request id, once check has
// found it holds the same request.
func (s *Starter) join(ctx context.Context, id, workflowType, requestID, digest string) (client.WorkflowRun, error) {
	runID, err := s.check(ctx, id, workflowType, requestID, digest)
	if err != nil {
		return nil, err
	}
	return s.Client.GetWorkflow(ctx, id, runID), nil
}

func reused(requestID, what string) error {
	return &Error{Code: errcode.Conflict, Field: "request_id",
		Message: "request id " + requestID + " was already used for " + what + "; every request needs its own id"}
}

// decodeDigest reads the memo value with the converter the starter writes
// with (the codec may encrypt memos), falling back to plain JSON; false
// when there is none or it does not decode.
func (s *Starter) decodeDigest(p *commonpb.Payload) (string, bool) {
	if p == nil {
		return "", false
	}
	for _, dc := range []converter.DataConverter{s.DataConverter, converter.GetDefaultDataConverter()} {
		var v string
		if dc != nil && dc.FromPayload(p, &v) == nil && strings.HasPrefix(v, "sha256:") {
			return v, true
		}
	}
	return "", false
}
