// Package adopt is `tenantops credentials adopt`.
package adopt

import (
	"context"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/credentials/internal/creddeps"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/rotation"
)

// Options are the parsed flags of one adopt run.
type Options struct {
	Factory *cmdutil.Factory
	Secret  string
	DryRun  bool
}

// NewCmdAdopt builds the command; runF replaces the run function in flag tests.
func NewCmdAdopt(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "adopt --secret NAME",
		Short: "Bring a hand-made Key Vault secret under management (record its keyId)",
		Long: `A secret tagged tenantops-kind=app-secret but without tenantops-key-id was made by hand.
adopt finds the application's client secret it holds (Graph shows each secret's first
three characters), proves the value still acquires a token, and records the keyId in the
tenantops-key-id tag. Exit code 3 when no credential matches or the value does not work.`,
		Example: `  tenantops --dev credentials adopt --secret workflow-engine-secret
  tenantops --dry-run credentials adopt --secret workflow-engine-secret`,
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

// Run adopts and prints.
func Run(ctx context.Context, opts *Options) error {
	req := rotation.AdoptRequest{Secret: opts.Secret, DryRun: opts.DryRun}
	if err := req.Validate(); err != nil {
		return err
	}
	d, err := creddeps.Deps(opts.Factory)
	if err != nil {
		return err
	}
	res, err := rotation.Adopt(ctx, d, req)
	if err != nil {
		return err
	}
	var footer []string
	if res.Reason != "" {
		footer = []string{"", res.Reason}
	}
	return opts.Factory.Emit(cmdutil.Report{Value: res, Table: table{res}, Footer: footer})
}

type table struct{ r rotation.AdoptResult }

func (t table) Header() []string {
	return []string{"secret", "appId", "status", "keyId", "displayName", "expires", "candidates"}
}

func (t table) Rows() [][]string {
	r := t.r
	return [][]string{{r.Secret, r.AppID, string(r.Status), r.KeyID, r.DisplayName, creddeps.Time(r.Expires), strconv.Itoa(r.Candidates)}}
}
