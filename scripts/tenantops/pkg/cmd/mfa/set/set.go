// Package set is `tenantops mfa set`.
package set

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/mfa"
)

// Options are the parsed flags of one set run.
type Options struct {
	Factory   *cmdutil.Factory
	Users     []string
	UsersFile string
	State     string
	Reason    string
	DryRun    bool
}

// NewCmdSet builds the command; runF replaces the run function in flag tests.
func NewCmdSet(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "set (--user U... | --users-file F) --state disabled|enabled|enforced",
		Short: "Set the per-user MFA state of users, in bulk, and verify every change",
		Long: `Set changes the legacy per-user MFA state (what Set-MsolUser -StrongAuthenticationRequirements
did) through Graph's beta authentication/requirements API, 20 users per $batch, paced under the
directory budget. Every write is read back: Graph answers 204 even when it ignored the change,
so a write that did not stick is reported by name and the command exits 3.

Enabled users who already registered a method become enforced automatically. Enforced blocks
legacy-protocol sign-ins (and app passwords replace them) at once. Break-glass accounts are never
changed; guests are skipped (use Conditional Access for them). Disabling MFA for more than one
user needs --yes when not running interactively.

--users-file takes one UPN or object id per line ('#' starts a comment), or a CSV export
with a UserPrincipalName (or Id) column; "-" reads standard input.

Permissions: Policy.ReadWrite.AuthenticationMethod, User.Read.All.`,
		Example: `  tenantops --dev mfa set --user alex.wilber@contoso.com --state enforced
  tenantops mfa set --users-file wave2.csv --state enabled --reason CHG-1234
  tenantops --dry-run mfa set --users-file leavers.txt --state disabled
  tenantops mfa report --state enabled --unregistered -o csv | tenantops --yes mfa set --users-file - --state disabled`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.DryRun = f.DryRun
			opts.State = strings.ToLower(strings.TrimSpace(opts.State))
			if opts.State == "" {
				return cmdutil.FlagErrorf("--state is required: disabled, enabled or enforced")
			}
			if len(opts.Users) == 0 && opts.UsersFile == "" {
				return cmdutil.FlagErrorf("name the users with --user or --users-file")
			}
			if opts.UsersFile != "" {
				us, err := readUsersFile(opts.UsersFile, f.IO.In)
				if err != nil {
					return cmdutil.FlagErrorf("--users-file: %v", err)
				}
				opts.Users = append(opts.Users, us...)
			}
			req := request(opts)
			if err := req.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringArrayVarP(&opts.Users, "user", "u", nil, "user principal name or object id (repeatable)")
	cmd.Flags().StringVar(&opts.UsersFile, "users-file", "", "file of users: one per line, or a CSV with a UserPrincipalName column (- = stdin)")
	cmd.Flags().StringVar(&opts.State, "state", "", "per-user MFA state to set: disabled, enabled or enforced")
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "why, recorded in the audit log (e.g. a change number)")
	_ = cmd.RegisterFlagCompletionFunc("state", cobra.FixedCompletions([]string{"disabled", "enabled", "enforced"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func request(o *Options) mfa.SetRequest {
	return mfa.SetRequest{Users: o.Users, State: o.State, DryRun: o.DryRun, Reason: o.Reason}
}

// Run sets the states and prints one row per user.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	req := request(opts)
	if req.State == "disabled" && len(req.Users) > 1 {
		if err := f.Confirm(fmt.Sprintf("Turn per-user MFA off for %d users", len(req.Users))); err != nil {
			return err
		}
	}
	a, err := f.App()
	if err != nil {
		return err
	}
	res, err := mfa.Set(ctx, mfa.SetDeps{Graph: a.Graph, Audit: a.Audit, Breakglass: a.Settings.Breakglass}, req)
	if err != nil {
		return err
	}
	return f.Emit(cmdutil.Report{Value: res, Table: table{res}, Footer: []string{summary(res)}})
}

type table struct{ res mfa.SetResult }

func (t table) Header() []string {
	return []string{"user", "id", "before", "after", "status", "reason"}
}

func (t table) Rows() [][]string {
	rows := make([][]string, 0, len(t.res.Rows))
	for _, r := range t.res.Rows {
		rows = append(rows, []string{r.User, r.ID, r.Before, r.After, string(r.Status), r.Reason})
	}
	return rows
}

func summary(r mfa.SetResult) string {
	s := r.Summary
	line := "\n" + strconv.Itoa(s.Targets) + " targets → " + r.State + ": " + strconv.Itoa(s.Changed) + " changed, " +
		strconv.Itoa(s.WouldChange) + " would change, " + strconv.Itoa(s.Unchanged) + " unchanged, " +
		strconv.Itoa(s.Skipped) + " skipped, " + strconv.Itoa(s.Failed) + " failed"
	if s.NotApplied > 0 {
		line += ", " + strconv.Itoa(s.NotApplied) + " NOT APPLIED (Graph accepted the write but it did not stick)"
	}
	return line
}

// readUsersFile reads users from a list or a CSV export.
func readUsersFile(path string, stdin io.Reader) ([]string, error) {
	var r io.Reader = stdin
	if path != "-" {
		fh, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		r = fh
	}
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("%s names no users", path)
	}
	if !strings.ContainsAny(lines[0], ",;\t") {
		return lines, nil
	}
	// A CSV export: find the user column in the header row.
	cr := csv.NewReader(strings.NewReader(strings.Join(lines, "\n")))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	if strings.Contains(lines[0], ";") && !strings.Contains(lines[0], ",") {
		cr.Comma = ';'
	} else if strings.Contains(lines[0], "\t") && !strings.Contains(lines[0], ",") {
		cr.Comma = '\t'
	}
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	col := -1
	for i, h := range recs[0] {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "userprincipalname", "upn", "user", "id", "objectid", "userid":
			if col < 0 {
				col = i
			}
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("%s looks like CSV but has no UserPrincipalName or Id column", path)
	}
	var out []string
	for _, rec := range recs[1:] {
		if col < len(rec) && strings.TrimSpace(rec[col]) != "" {
			out = append(out, strings.TrimSpace(rec[col]))
		}
	}
	return out, nil
}
