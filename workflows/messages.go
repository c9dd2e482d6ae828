package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/temporal"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
)

// failureMessage is an activity or child failure as a person reads it: the
// application error's own message, without Temporal's wrapping (activity
// type, event ids, the worker's pid and host).
func failureMessage(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) && ae.Message() != "" {
		return ae.Message()
	}
	var te *temporal.TimeoutError
	if errors.As(err, &te) {
		return "timed out (" + strings.ToLower(strings.TrimPrefix(te.TimeoutType().String(), "TIMEOUT_TYPE_")) + ")"
	}
	var ce *temporal.CanceledError
	if errors.As(err, &ce) {
		return "cancelled"
	}
	return "failed"
}

// kindAdvice says what an admin does about a kind a sync could not read.
func kindAdvice(kind string, code errcode.Code) string {
	switch code {
	case errcode.InsufficientScope:
		return "the API credential cannot read " + kind + ": give it Read All (or Manage All for actions) under Developers > API Credentials, then sync again"
	case errcode.InvalidCredentials, errcode.CredentialOwnerDeleted:
		return "OneLogin refused the credential: connect again with a working API credential"
	case errcode.SubdomainNotFound:
		return "the OneLogin subdomain no longer answers: connect again with the right subdomain"
	case errcode.RateLimited:
		return "OneLogin's rate budget ran out: the next scheduled sync reads " + kind + " again; nothing to do unless it repeats"
	case errcode.ServerError, errcode.Network:
		return "OneLogin could not be reached or failed: the next scheduled sync retries; check OneLogin's status if it repeats"
	case errcode.NotFound:
		return "the integration is gone or disconnected: connect it again"
	case errcode.Conflict:
		return "another attempt finished this sync run: nothing to do"
	case errcode.InvalidInput:
		return "OneLogin refused the request as invalid: report it with the sync's workflow id (RUNBOOK.md, a failed sync)"
	}
	return "run the sync again; if it repeats, see RUNBOOK.md (a failed sync)"
}

// partialMessage is a partial or failed sync's message: which kinds, with
// which code, and what to do; the kinds that were read are named too.
func partialMessage(status string, kinds map[string]*api.KindStatus) string {
	var failed, read []string
	for _, k := range syncKinds {
		st := kinds[k]
		if st == nil {
			continue
		}
		if st.State == api.KindFailed {
			failed = append(failed, fmt.Sprintf("%s not read (%s): %s", k, kindCode(st), kindAdvice(k, errcode.Code(st.Code))))
		} else if st.State == api.KindDone {
			read = append(read, k)
		}
	}
	msg := "sync " + status + ": " + strings.Join(failed, "; ")
	if len(read) > 0 {
		msg += ". Read and stored: " + strings.Join(read, ", ") + "; nothing was deleted"
	}
	return msg + "."
}

// notDone names what a credential of scope leaves undone ("" for none).
func notDone(scope string) string {
	switch {
	case scope == "manage_all":
		return ""
	case slices.Contains([]string{"read_all"}, scope):
		return "actions (activate, suspend, groups, roles, passwords) need Manage All"
	}
	return "nothing is synced (syncs need Read All) and actions need Manage All"
}

// runAdvice says what to do about a sync that failed as a whole.
func runAdvice(code errcode.Code) string {
	switch code {
	case errcode.NotFound:
		return "The integration is not connected (never, or disconnected): connect it, then sync."
	case errcode.Conflict:
		return "Another attempt finished this run: nothing to do."
	case errcode.InvalidInput:
		return "The request was refused: check the integration id and mode."
	case errcode.RateLimited, errcode.ServerError, errcode.Network:
		return "It was retried and kept failing: the next scheduled sync tries again; see RUNBOOK.md (a failed sync) if it repeats."
	}
	return kindAdvice("the directory", code) + "."
}
