// Package list is `tenantops credentials list`.
package list

import (
	"context"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/credentials/internal/creddeps"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/rotation"
)

// Options are the parsed flags of one list run.
type Options struct {
	Factory *cmdutil.Factory
}

// NewCmdList builds the command; runF replaces the run function in flag tests.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the credentials tenantops manages in the vault",
		Long: `List the Key Vault secrets tagged tenantops-kind: kind, owner (app id or user),
the Entra keyId they hold, expiry, last rotation and when the next rotation is due.
Values are never read.`,
		Example: `  tenantops --dev credentials list
  tenantops -o json credentials list`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	return cmd
}

// Run lists and prints.
func Run(ctx context.Context, opts *Options) error {
	d, err := creddeps.Deps(opts.Factory)
	if err != nil {
		return err
	}
	res, err := rotation.List(ctx, d, rotation.ListRequest{})
	if err != nil {
		return err
	}
	return opts.Factory.Emit(cmdutil.Report{Value: res, Table: table{res}})
}

type table struct{ r rotation.ListResult }

func (t table) Header() []string {
	return []string{"name", "kind", "owner", "keyId", "expires", "lastRotation", "nextDue", "due"}
}

func (t table) Rows() [][]string {
	rows := make([][]string, 0, len(t.r.Secrets))
	for _, s := range t.r.Secrets {
		keyID := s.KeyID
		if !s.Adopted {
			keyID = "(unknown: credentials adopt)"
		}
		due := strconv.FormatBool(s.Due)
		if s.Pending {
			due = "true (unfinished rotation)"
		}
		last, next := s.LastRotation, s.NextDue
		rows = append(rows, []string{s.Name, s.Kind, s.Owner, keyID, creddeps.Time(s.Expires), creddeps.Time(&last), creddeps.Time(ptr(next)), due})
	}
	return rows
}

func ptr(t time.Time) *time.Time { return &t }
