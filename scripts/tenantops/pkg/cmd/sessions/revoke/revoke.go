// Package revoke is `tenantops sessions revoke`.
package revoke

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/sessions"
)

// Options are the parsed flags and dependencies of one revoke run.
type Options struct {
	Factory *cmdutil.Factory
	Users   []string
	Reason  string
	DryRun  bool
}

// NewCmdRevoke builds the command; runF replaces the run function in flag tests.
func NewCmdRevoke(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "revoke --user U [--user U...] [--reason TEXT]",
		Short: "Revoke sign-in sessions (refresh tokens and session cookies) of users",
		Long: `Revoke invalidates every refresh token and session cookie of the named users, so
they (or whoever holds their tokens) must sign in again — with MFA where it is required.
Run it after changing a user's MFA settings, when an account is MFA-enabled but not
registered, or when a credential leaked.

Break-glass accounts are never revoked; guests are skipped (their sessions live in their
home tenant). Each revocation writes an audit log line to stderr.`,
		Example: `  tenantops --dev sessions revoke --user adele.vance@contoso.com
  tenantops sessions revoke --user alex.wilber@contoso.com --user 6e7b768e-07e2-4810-8459-485f84f8f204 --reason "INC-4711"
  tenantops --dry-run -o json sessions revoke --user alex.wilber@contoso.com`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.DryRun = f.DryRun
			if len(opts.Users) == 0 {
				return cmdutil.FlagErrorf("name the users to revoke with --user")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringArrayVarP(&opts.Users, "user", "u", nil, "user principal name or object id (repeatable)")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why, recorded in the audit log (e.g. an incident number)")
	return cmd
}

// Run revokes and prints the result.
func Run(ctx context.Context, opts *Options) error {
	req := sessions.Request{Users: opts.Users, DryRun: opts.DryRun, Reason: opts.Reason}
	if err := req.Validate(); err != nil {
		return err // exit 2, before any sign-in
	}
	a, err := opts.Factory.App()
	if err != nil {
		return err
	}
	res, err := sessions.Run(ctx, sessions.Deps{Graph: a.Graph, Audit: a.Audit, Breakglass: a.Settings.Breakglass}, req)
	if err != nil {
		return err
	}
	return opts.Factory.Emit(cmdutil.Report{Value: res, Table: table{res}, Footer: []string{summary(res)}})
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

func summary(r sessions.Result) string {
	s := r.Summary
	return "\n" + strconv.Itoa(s.Targets) + " targets: " + strconv.Itoa(s.Revoked) + " revoked, " +
		strconv.Itoa(s.WouldRevoke) + " would be revoked, " + strconv.Itoa(s.Skipped) + " skipped, " +
		strconv.Itoa(s.Failed) + " failed"
}
