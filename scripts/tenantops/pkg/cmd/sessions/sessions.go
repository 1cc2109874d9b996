// Package sessions is the `tenantops sessions` noun.
package sessions

import (
	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/sessions/revoke"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
)

// NewCmdSessions builds `tenantops sessions`.
func NewCmdSessions(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sessions <verb>",
		Short: "Sign-in sessions: revoke them (\"sign out of all sessions\")",
		Args:  cmdutil.NoArgs,
	}
	cmd.AddCommand(revoke.NewCmdRevoke(f, nil))
	return cmd
}
