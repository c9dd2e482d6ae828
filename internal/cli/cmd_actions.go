package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/olflow/olflow/api"
	"github.com/olflow/olflow/errcode"
	"github.com/olflow/olflow/seal"
	"github.com/olflow/olflow/starter"
)

// actionKind says which request an action takes.
type actionKind int

const (
	bulkAction actionKind = iota // ActionRequest
	groupAction
	roleAction
	onboardAction
	offboardAction
	passwordAction
)

// action is one identity action command; all start through Starter.StartAction.
type action struct {
	workflow string
	kind     actionKind
	short    string
}

var actions = []action{
	{api.ActivateUsersWorkflow, bulkAction, "Set users active"},
	{api.SuspendUsersWorkflow, bulkAction, "Suspend users"},
	{api.AddUsersToGroupWorkflow, groupAction, "Move users into a group (a user has one group)"},
	{api.RemoveUsersFromGroupWorkflow, groupAction, "Clear the group of users who are in it"},
	{api.CheckGroupMembershipWorkflow, groupAction, "Tell whether users are in a group"},
	{api.AddUsersToRoleWorkflow, roleAction, "Add a role to users"},
	{api.RemoveUsersFromRoleWorkflow, roleAction, "Remove a role from users"},
	{api.GeneratePasswordResetLinkWorkflow, bulkAction, "Get password reset links (shown with --show-links)"},
	{api.SendPasswordResetEmailWorkflow, bulkAction, "Have OneLogin email users a password reset link"},
	{api.OnboardUserWorkflow, onboardAction, "Onboard a user: activate, set the group, add roles, reset link or email"},
	{api.OffboardUserWorkflow, offboardAction, "Offboard a user: suspend, log out, remove roles, clear the group"},
	{api.SetUserPasswordWorkflow, passwordAction, "Set a user's password (from a file, stdin or a variable)"},
}

// commandName turns "AddUsersToGroup" into "add-users-to-group".
func commandName(workflowType string) string {
	var b strings.Builder
	for i, r := range workflowType {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// parseUser reads a user reference: a OneLogin id, an email, a username,
// or any of them prefixed with id:, email: or username:.
func parseUser(s string) (api.UserRef, error) {
	s = strings.TrimSpace(s)
	kind, value, prefixed := strings.Cut(s, ":")
	if !prefixed {
		kind, value = "", s
	}
	switch {
	case kind == "id" || kind == "" && isDigits(value):
		id, err := strconv.ParseInt(value, 10, 64)
		if err != nil || id <= 0 {
			return api.UserRef{}, usagef("--user %q: not a OneLogin user id", s)
		}
		return api.UserRef{ID: id}, nil
	case kind == "email" || kind == "" && strings.Contains(value, "@"):
		return api.UserRef{Email: value}, nil
	case kind == "username" || kind == "":
		if value == "" {
			return api.UserRef{}, usagef("--user is empty")
		}
		return api.UserRef{Username: value}, nil
	}
	return api.UserRef{}, usagef("--user %q: use an id, an email, a username, or id:/email:/username:", s)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// newRequestID is a default idempotency key; pass --request-id to make a
// retry of the same request safe.
func newRequestID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "cli-" + time.Now().UTC().Format("20060102T150405") + "-" + hex.EncodeToString(b)
}

// actionFlags are every action's inputs; each command binds what it uses.
type actionFlags struct {
	integration, requestID, by, reset, passwordFile, passwordEnv string
	users                                                        []string
	group, role                                                  int64
	roles                                                        []int64
	parallelism                                                  int
	activate, suspend, logout, removeRoles, clearGroup           bool
	wait, showLinks                                              bool
	// Bulk targets: every member of these groups and roles, less Exclude.
	targetGroups, targetRoles []int64
	exclude                   []string
	dryRun                    bool
	chunkSize                 int
}

func (a *app) actionCmds() []*cobra.Command {
	var cmds []*cobra.Command
	for _, act := range actions {
		cmds = append(cmds, a.actionCmd(act))
	}
	return cmds
}

func (a *app) actionCmd(act action) *cobra.Command {
	f := &actionFlags{}
	cmd := &cobra.Command{
		Use:     commandName(act.workflow),
		Short:   act.short,
		GroupID: "actions",
		Long: act.short + `.

Runs the ` + act.workflow + ` workflow. --request-id is the idempotency key:
running the command again with the same id returns the first run's result
instead of acting twice.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runAction(cmd.Context(), act, f)
		},
	}
	fs := cmd.Flags()
	integrationFlag(cmd, &f.integration)
	fs.StringVar(&f.requestID, "request-id", "", "idempotency key (default: a new one, printed)")
	fs.StringVar(&f.by, "requested-by", a.requestedBy(), "who asked, for the audit log")
	fs.BoolVar(&f.wait, "wait", true, "wait for the result")
	a.l.secret(fs, &a.sealKeys, setSealKeys)
	single := act.kind == onboardAction || act.kind == offboardAction || act.kind == passwordAction
	if single {
		fs.StringSliceVarP(&f.users, "user", "u", nil, "the user: OneLogin id, email or username")
		_ = cmd.MarkFlagRequired("user")
	} else {
		fs.StringSliceVarP(&f.users, "user", "u", nil, "a user: OneLogin id, email or username (repeatable, or comma-separated)")
		fs.IntVar(&f.parallelism, "parallelism", 0, "users worked at once (default 10, at most 50)")
		fs.Int64SliceVar(&f.targetGroups, "target-group", nil, "also every member of this OneLogin group, read when the run starts (repeatable)")
		fs.Int64SliceVar(&f.targetRoles, "target-role", nil, "also every user of this OneLogin role, read when the run starts (repeatable)")
		fs.StringSliceVar(&f.exclude, "exclude", nil, "leave this user out even when a target includes them (repeatable)")
		fs.BoolVar(&f.dryRun, "dry-run", false, "read each user and report what would change; write nothing to OneLogin")
		fs.IntVar(&f.chunkSize, "chunk-size", 0, "users per chunk activity (default 500)")
	}
	switch act.kind {
	case groupAction:
		fs.Int64Var(&f.group, "group", 0, "OneLogin group id")
		_ = cmd.MarkFlagRequired("group")
	case roleAction:
		fs.Int64Var(&f.role, "role", 0, "OneLogin role id")
		_ = cmd.MarkFlagRequired("role")
	case onboardAction:
		fs.BoolVar(&f.activate, "activate", true, "set the user active")
		fs.Int64Var(&f.group, "group", 0, "OneLogin group id to set (0: leave)")
		fs.Int64SliceVar(&f.roles, "role", nil, "OneLogin role id to add (repeatable)")
		fs.StringVar(&f.reset, "reset", api.ResetNone, "password reset: link (shown with --show-links), email or none")
	case offboardAction:
		fs.BoolVar(&f.suspend, "suspend", true, "suspend the user")
		fs.BoolVar(&f.logout, "logout", true, "end the user's sessions")
		fs.BoolVar(&f.removeRoles, "remove-roles", true, "remove every role")
		fs.BoolVar(&f.clearGroup, "clear-group", true, "clear the group")
	case passwordAction:
		fs.StringVar(&f.passwordFile, "password-file", "", "file holding the new password, or - for stdin")
		fs.StringVar(&f.passwordEnv, "password-env", "OLFLOW_USER_PASSWORD", "variable holding the new password")
	}
	if act.workflow == api.GeneratePasswordResetLinkWorkflow || act.kind == onboardAction {
		fs.BoolVar(&f.showLinks, "show-links", false, "print the reset links (anyone holding one can set the password for 24h)")
	}
	return cmd
}

// request builds the workflow request the flags describe.
func (f *actionFlags) request(act action) (starter.Request, error) {
	var refs, exclude []api.UserRef
	for _, u := range f.users {
		ref, err := parseUser(u)
		if err != nil {
			return nil, err
		}
		refs = append(refs, ref)
	}
	for _, u := range f.exclude {
		ref, err := parseUser(u)
		if err != nil {
			return nil, err
		}
		exclude = append(exclude, ref)
	}
	single := func() (api.UserRef, error) {
		if len(refs) != 1 {
			return api.UserRef{}, usagef("%s takes exactly one --user", commandName(act.workflow))
		}
		return refs[0], nil
	}
	base := api.ActionRequest{IntegrationID: f.integration, RequestID: f.requestID, RequestedBy: f.by, Users: refs,
		Parallelism: f.parallelism, TargetGroupIDs: f.targetGroups, TargetRoleIDs: f.targetRoles, Exclude: exclude,
		DryRun: f.dryRun, ChunkSize: f.chunkSize}
	switch act.kind {
	case groupAction:
		return &api.GroupRequest{ActionRequest: base, GroupID: f.group}, nil
	case roleAction:
		return &api.RoleRequest{ActionRequest: base, RoleID: f.role}, nil
	case onboardAction:
		u, err := single()
		return &api.OnboardRequest{IntegrationID: f.integration, RequestID: f.requestID, RequestedBy: f.by, User: u,
			Activate: f.activate, GroupID: f.group, RoleIDs: f.roles, Reset: f.reset}, err
	case offboardAction:
		u, err := single()
		return &api.OffboardRequest{IntegrationID: f.integration, RequestID: f.requestID, RequestedBy: f.by, User: u,
			Suspend: f.suspend, Logout: f.logout, RemoveRoles: f.removeRoles, ClearGroup: f.clearGroup}, err
	}
	return &base, nil
}

func (a *app) runAction(ctx context.Context, act action, f *actionFlags) error {
	if f.requestID == "" {
		f.requestID = newRequestID()
	}
	var (
		req      starter.Request
		password starter.SetPasswordInput
		err      error
	)
	if act.kind == passwordAction {
		if len(f.users) != 1 {
			return usagef("set-user-password takes exactly one --user")
		}
		if password.User, err = parseUser(f.users[0]); err != nil {
			return err
		}
		if password.Password, err = a.readPassword(f.passwordFile, f.passwordEnv); err != nil {
			return err
		}
		if err := starter.CheckPassword(password.Password); err != nil {
			return err
		}
		password.IntegrationID, password.RequestID, password.RequestedBy = f.integration, f.requestID, f.by
	} else if req, err = f.request(act); err != nil {
		return err
	}
	// Passwords are sealed and reset links opened with the workers' keys.
	needKeys := act.kind == passwordAction || act.workflow == api.GeneratePasswordResetLinkWorkflow ||
		act.kind == onboardAction && strings.EqualFold(f.reset, api.ResetLink)
	st, err := a.starter(ctx, needKeys && f.wait)
	if err != nil {
		return err
	}
	defer st.Close()
	if !f.wait {
		if act.kind == passwordAction {
			return usagef("set-user-password always waits (it seals the password for this run)")
		}
		run, err := st.StartAction(ctx, act.workflow, req)
		if err != nil {
			return err
		}
		return a.emitStarted(run.GetID(), run.GetRunID())
	}
	var run *starter.Run[starter.ActionResult]
	if act.kind == passwordAction {
		run, err = st.SetUserPassword(ctx, password)
	} else {
		run, err = st.StartAction(ctx, act.workflow, req)
	}
	if err != nil {
		return err
	}
	res, err := run.Get(ctx)
	if err != nil {
		return err
	}
	if err := a.emitAction(res, f.showLinks); err != nil {
		return err
	}
	return usersFailed(res.ActionResult)
}

// maxPasswordFile caps what --password-file reads: a password file holds
// one line, and a larger file is a wrong path, not a password.
const maxPasswordFile = 4 << 10

// readPassword reads the new password byte for byte: from a file (or
// stdin) without its one final line break, which editors and echo add,
// and from the variable exactly as set. Nothing else is trimmed: spaces
// are part of a password. starter.CheckPassword then refuses what cannot
// be one.
func (a *app) readPassword(file, envName string) (seal.Secret, error) {
	if file == "" {
		v := a.Getenv(envName)
		if v == "" {
			return seal.Secret{}, usagef("give the password with --password-file PATH, --password-file - (stdin) or $%s", envName)
		}
		return seal.NewSecret(v), nil
	}
	var r io.Reader = a.Stdin
	if file != "-" {
		fh, err := os.Open(file)
		if err != nil {
			return seal.Secret{}, starter.Refuse("password_file", "cannot be read: "+err.Error())
		}
		defer fh.Close()
		r = fh
	}
	raw, err := io.ReadAll(io.LimitReader(r, maxPasswordFile+1))
	defer clear(raw)
	switch {
	case err != nil:
		return seal.Secret{}, starter.Refuse("password_file", "cannot be read: "+err.Error())
	case len(raw) > maxPasswordFile:
		return seal.Secret{}, starter.Refuse("password_file", fmt.Sprintf("is larger than %d bytes: it must hold only the password", maxPasswordFile))
	}
	line, ok := strings.CutSuffix(string(raw), "\r\n")
	if !ok {
		line = strings.TrimSuffix(line, "\n")
	}
	if line == "" {
		return seal.Secret{}, starter.Refuse("password_file", "is empty")
	}
	return seal.NewSecret(line), nil
}

// usersFailed makes the exit code 1 when any user failed: 0 means every
// user is changed or already done (a dry run: would change or already
// done). The output already lists the failures.
func usersFailed(r api.ActionResult) error {
	if r.Failed == 0 {
		return nil
	}
	code, most := errcode.ServerError, 0
	for c, n := range r.FailedByCode {
		if n > most || n == most && c < code {
			code, most = c, n
		}
	}
	if most == 0 {
		for _, u := range r.Users {
			if u.Outcome == api.OutcomeFailed && u.Code != "" {
				code = u.Code
				break
			}
		}
	}
	return &usersFailedError{shownError{err: &starter.Error{Code: code, Field: "users",
		Message: fmt.Sprintf("%d of %d users failed", r.Failed, max(r.Total, r.Changed+r.AlreadyDone+r.WouldChange+r.Failed))}}}
}

// usersFailedError is an action whose users failed: exit code 1 even for
// a user's invalid_input, which is OneLogin's refusal, not the command
// line's mistake.
type usersFailedError struct{ shownError }

func (e *usersFailedError) Unwrap() error { return &e.shownError }

// actionOutput is an action's --json form: links appear only when asked for.
type actionOutput struct {
	starter.ActionResult
	Links []string `json:",omitempty"`
}

func (a *app) emitAction(res starter.ActionResult, showLinks bool) error {
	out := actionOutput{ActionResult: res}
	if showLinks {
		for _, l := range res.Links {
			out.Links = append(out.Links, l.Reveal())
		}
	}
	return a.emit(out, func(w io.Writer) { printAction(w, res, showLinks) })
}

func printAction(w io.Writer, r starter.ActionResult, showLinks bool) {
	if r.DryRun {
		fmt.Fprintf(w, "%s on %s (request %s), dry run: %d would change, %d already done, %d would fail.\n",
			r.Action, r.IntegrationID, r.RequestID, r.WouldChange, r.AlreadyDone, r.Failed)
	} else {
		fmt.Fprintf(w, "%s on %s (request %s): %d changed, %d already done, %d failed.\n",
			r.Action, r.IntegrationID, r.RequestID, r.Changed, r.AlreadyDone, r.Failed)
	}
	for code, n := range r.FailedByCode {
		fmt.Fprintf(w, "  failed [%s]: %d\n", code, n)
	}
	if r.Budget != nil && r.Budget.RestTakes != "" {
		fmt.Fprintf(w, "  rate budget: %d of %d left; the rest takes %s\n", r.Budget.Remaining, r.Budget.Limit, r.Budget.RestTakes)
	}
	if r.UsersOmitted {
		fmt.Fprintf(w, "  %d users: page them with olflow action show -i %s --request-id %s [--failed]\n",
			r.Total, r.IntegrationID, r.RequestID)
	}
	for i, u := range r.Users {
		fmt.Fprintf(w, "  %s", u.User)
		if u.UserID != 0 && u.User.ID == 0 {
			fmt.Fprintf(w, " (id %d)", u.UserID)
		}
		fmt.Fprintf(w, ": %s", u.Outcome)
		if u.Code != "" {
			fmt.Fprintf(w, " [%s] %s", u.Code, u.Message)
		}
		if r.Action == api.CheckGroupMembershipWorkflow {
			fmt.Fprintf(w, ", in group: %v", u.InGroup)
		}
		fmt.Fprintln(w)
		for _, s := range u.Steps {
			fmt.Fprintf(w, "    %-12s %s", s.Step, s.Outcome)
			if s.Code != "" {
				fmt.Fprintf(w, " [%s] %s", s.Code, s.Message)
			}
			fmt.Fprintln(w)
		}
		if i < len(r.Links) && !r.Links[i].IsZero() {
			if showLinks {
				fmt.Fprintf(w, "    reset link: %s\n", r.Links[i].Reveal())
			} else {
				fmt.Fprintln(w, "    reset link: (hidden; pass --show-links to print it)")
			}
		}
	}
}

// demoOnboard adds a new hire to the simulated org and onboards them:
// activate, group, two roles, a reset link.
func (a *app) demoOnboard(ctx context.Context, st *starter.Starter, d *demo) (string, error) {
	hire, err := d.sim.NewHire()
	if err != nil {
		return "", fmt.Errorf("add the new hire to the simulator: %w", err)
	}
	roleIDs := make([]int64, len(hire.Roles))
	roleNames := make([]string, len(hire.Roles))
	for i, r := range hire.Roles {
		roleIDs[i], roleNames[i] = r.ID, fmt.Sprintf("%q", r.Name)
	}
	req := api.OnboardRequest{IntegrationID: d.o.integration, RequestID: "demo-onboard-" + hire.Username, RequestedBy: "make demo",
		User: api.UserRef{Email: hire.Email}, Activate: true, GroupID: hire.Group.ID, RoleIDs: roleIDs, Reset: api.ResetLink}
	d.step("Onboarding the new hire %s: activate, group %q, roles %s, reset link", hire.Email, hire.Group.Name, strings.Join(roleNames, " and "))
	run, err := st.OnboardUser(ctx, req)
	if err != nil {
		return "", err
	}
	res, err := run.Get(ctx)
	if err != nil {
		return "", err
	}
	printAction(d.out, res, false)
	return fmt.Sprintf("%s: %s (workflow %s)", hire.Email, res.Users[0].Outcome, api.ActionWorkflowID(d.o.integration, req.RequestID)), nil
}
