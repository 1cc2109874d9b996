// Package revoke is `tenantops sessions revoke`.
package revoke

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/sessions"
)

// Options are the parsed flags and dependencies of one revoke run.
type Options struct {
	Factory      *cmdutil.Factory
	Users        []string
	UsersFile    string
	Group        string
	MFAState     string
	All          bool
	Yes          bool
	Reason       string
	DryRun       bool
	MaxTargets   int
	TimeLimit    time.Duration
	Continuation string
}

// NewCmdRevoke builds the command; runF replaces the run function in flag tests.
func NewCmdRevoke(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "revoke (--user U... | --users-file F | --group G | --mfa-state enabled-unregistered | --all)",
		Short: "Revoke sign-in sessions (refresh tokens and session cookies) of users",
		Long: `Revoke invalidates every refresh token and session cookie of the selected users, so
they (or whoever holds their tokens) must sign in again — with MFA where it is required.
Run it after changing a user's MFA settings, when an account is MFA-enabled but not
registered (whoever signs in first registers their own device), or when a credential leaked.

Targets: --user (repeatable, UPN or object id), --users-file (one per line, or CSV with a
userPrincipalName/UPN/objectId/id column), --group (object id or display name; nested groups
count), --mfa-state enabled-unregistered (per-user MFA enabled and no MFA method registered),
or --all (every enabled member account; needs --yes and --reason).

Break-glass accounts (TENANTOPS_BREAKGLASS / --breakglass) are never revoked; guests are
skipped (their sessions live in their home tenant). Requests go 20 per JSON batch, paced
under Graph's documented write budget (3,000 per 150 s per app and tenant); throttled
users are retried after Graph's Retry-After. A run cut short by --max-targets or
--time-limit prints a continuation token: run again with --continue TOKEN and the same
targets to finish without repeating anyone. Each revocation writes an audit line to stderr.`,
		Example: `  tenantops --dev sessions revoke --user adele.vance@contoso.com
  tenantops sessions revoke --group "Finance" --reason "INC-4711"
  tenantops sessions revoke --users-file leavers.csv --reason "offboarding"
  tenantops --dry-run sessions revoke --mfa-state enabled-unregistered
  tenantops --yes sessions revoke --all --reason "token theft, INC-4711" --time-limit 10m`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.DryRun, opts.Yes = f.DryRun, f.Yes
			n := 0
			for _, set := range []bool{len(opts.Users) > 0, opts.UsersFile != "", opts.Group != "", opts.MFAState != "", opts.All} {
				if set {
					n++
				}
			}
			switch {
			case n == 0:
				return cmdutil.FlagErrorf("say whose sessions to revoke: --user, --users-file, --group, --mfa-state or --all")
			case n > 1:
				return cmdutil.FlagErrorf("--user, --users-file, --group, --mfa-state and --all cannot be combined")
			case opts.All && opts.Reason == "":
				return cmdutil.FlagErrorf("--all needs --reason (it goes into the audit log)")
			case opts.All && !opts.Yes && !opts.DryRun:
				return cmdutil.FlagErrorf("--all revokes every account in the tenant: add --yes to confirm (or --dry-run to see the list)")
			case opts.TimeLimit < 0 || opts.MaxTargets < 0:
				return cmdutil.FlagErrorf("--time-limit and --max-targets cannot be negative")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&opts.Users, "user", "u", nil, "user principal name or object id (repeatable)")
	fl.StringVar(&opts.UsersFile, "users-file", "", "file of users: one per line, or CSV with a userPrincipalName/objectId column (- for stdin)")
	fl.StringVar(&opts.Group, "group", "", "group object id or display name (members of nested groups included)")
	fl.StringVar(&opts.MFAState, "mfa-state", "", `select by per-user MFA state: "enabled-unregistered"`)
	fl.BoolVar(&opts.All, "all", false, "every enabled member account (needs --yes and --reason)")
	fl.StringVar(&opts.Reason, "reason", "", "why, recorded in the audit log (e.g. an incident number)")
	fl.IntVar(&opts.MaxTargets, "max-targets", 0, "stop after this many users and print a continuation token")
	fl.DurationVar(&opts.TimeLimit, "time-limit", 0, "stop sending after this long and print a continuation token")
	fl.StringVar(&opts.Continuation, "continue", "", "continuation token from an earlier run with the same targets")
	_ = cmd.RegisterFlagCompletionFunc("mfa-state", cobra.FixedCompletions([]string{sessions.MFAStateEnabledUnregistered}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Run revokes and prints the result.
func Run(ctx context.Context, opts *Options) error {
	req := sessions.Request{
		Users: opts.Users, Group: opts.Group, MFAState: opts.MFAState, All: opts.All, ConfirmAll: opts.Yes,
		DryRun: opts.DryRun, Reason: opts.Reason, MaxTargets: opts.MaxTargets,
		TimeLimitSeconds: int((opts.TimeLimit + time.Second - 1) / time.Second), Continuation: opts.Continuation,
	}
	if opts.UsersFile != "" {
		users, err := readUsersFile(opts.Factory, opts.UsersFile)
		if err != nil {
			return err
		}
		req.Users = users
	}
	if err := req.Validate(); err != nil {
		return err // exit 2, before any sign-in
	}
	a, err := opts.Factory.App()
	if err != nil {
		return err
	}
	bar := opts.Factory.NewProgress("revoking")
	res, err := sessions.Run(ctx, sessions.Deps{Graph: a.Graph, Audit: a.Audit, Breakglass: a.Settings.Breakglass, Progress: bar.Update}, req)
	bar.Done()
	if err != nil {
		return err
	}
	return opts.Factory.Emit(cmdutil.Report{Value: res, Table: table{res}, Footer: footer(res)})
}

func readUsersFile(f *cmdutil.Factory, path string) ([]string, error) {
	var r io.Reader = f.IO.In
	if path != "-" {
		file, err := os.Open(path)
		if err != nil {
			return nil, cmdutil.FlagErrorf("--users-file: %v", err)
		}
		defer file.Close()
		r = file
	}
	return sessions.ParseUserList(r)
}

type table struct{ res sessions.Result }

func (t table) Header() []string { return []string{"user", "id", "status", "reason", "attempts"} }

func (t table) Rows() [][]string {
	rows := make([][]string, 0, len(t.res.Rows))
	for _, r := range t.res.Rows {
		rows = append(rows, []string{r.User, r.ID, string(r.Status), r.Reason, strconv.Itoa(r.Attempts)})
	}
	return rows
}

func footer(r sessions.Result) []string {
	s := r.Summary
	lines := []string{"", fmt.Sprintf("%d targets: %d revoked, %d would be revoked, %d skipped, %d failed",
		s.Targets, s.Revoked, s.WouldRevoke, s.Skipped, s.Failed)}
	if r.Continuation != "" {
		lines = append(lines, fmt.Sprintf("Stopped (%s) with %d users left. Finish with the same targets and:", r.Stopped, s.Remaining),
			"  --continue "+r.Continuation)
	}
	return lines
}
