// Package rotate is `tenantops credentials rotate`.
package rotate

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/credentials/internal/creddeps"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/rotation"
)

// Options are the parsed flags of one rotate run.
type Options struct {
	Factory *cmdutil.Factory
	Secret  string
	DryRun  bool
}

// NewCmdRotate builds the command; runF replaces the run function in flag tests.
func NewCmdRotate(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "rotate --secret NAME [--vault URL]",
		Short: "Rotate one Key Vault-stored credential now",
		Long: `Rotate the credential in the Key Vault secret NAME now.

app-secret: add a client secret (named "tenantops <rotation-id>", lifetime within the
tenant's app management policy), acquire a token with it until Entra has replicated it,
then publish it as the new latest version. Older tenantops client secrets are removed
by later runs once superseded for longer than the grace period.

user-password: write the new password to NAME-pending, set it on the account, write
NAME, then delete NAME-pending. A run that finds a leftover NAME-pending finishes it.

Exit code 3 when another rotation of the same secret is in progress.`,
		Example: `  tenantops --dev credentials rotate --secret workflow-engine-secret
  tenantops --dry-run credentials rotate --secret svc-sharepoint-password
  tenantops --vault https://contoso-ops.vault.azure.net -o json credentials rotate --secret workflow-engine-secret`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.DryRun = f.DryRun
			if opts.Secret == "" {
				return cmdutil.FlagErrorf("name the Key Vault secret with --secret")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Secret, "secret", "s", "", "Key Vault secret name")
	return cmd
}

// Run rotates and prints the result.
func Run(ctx context.Context, opts *Options) error {
	req := rotation.Request{Secret: opts.Secret, DryRun: opts.DryRun}
	if err := req.Validate(); err != nil {
		return err // exit 2, before any sign-in
	}
	d, err := creddeps.Deps(opts.Factory)
	if err != nil {
		return err
	}
	res, err := rotation.Rotate(ctx, d, req)
	if err != nil {
		return err
	}
	return opts.Factory.Emit(cmdutil.Report{Value: res, Table: table{res}, Footer: footer(res)})
}

type table struct{ r rotation.Result }

func (t table) Header() []string {
	return []string{"secret", "kind", "owner", "status", "rotationId", "keyId", "previousKeyId", "expires", "testAttempts", "removed"}
}

func (t table) Rows() [][]string {
	r := t.r
	owner := r.AppID
	if r.Kind == rotation.KindUserPassword {
		owner = r.User
	}
	removed := 0
	for _, rm := range r.Removed {
		if rm.Removed || r.DryRun {
			removed++
		}
	}
	return [][]string{{r.Secret, r.Kind, owner, string(r.Status), r.RotationID, r.KeyID, r.PreviousKeyID,
		creddeps.Time(r.Expires), strconv.Itoa(r.TestAttempts), strconv.Itoa(removed)}}
}

func footer(r rotation.Result) []string {
	var out []string
	if r.Reason != "" {
		out = append(out, "", r.Reason)
	}
	if r.LifetimeCap != "" {
		out = append(out, "lifetime capped by the tenant's app management policy ("+r.LifetimeCap+")")
	}
	for _, rm := range r.Removed {
		verb := "removed"
		switch {
		case r.DryRun:
			verb = "would remove"
		case !rm.Removed:
			verb = "could not remove"
		}
		line := verb + " " + rm.KeyID + " (" + rm.Reason + ")"
		if rm.Error != "" {
			line += ": " + rm.Error
		}
		out = append(out, line)
	}
	if len(r.Steps) > 0 {
		out = append(out, "steps: "+strings.Join(r.Steps, " → "))
	}
	return out
}
