// Package check is `tenantops sharepoint check`.
package check

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/spcheck"
)

// Options are the parsed flags of one check.
type Options struct {
	Factory    *cmdutil.Factory
	Site       string
	Credential string
	ExpectIP   []string
}

// NewCmdCheck builds the command; runF replaces the run function in flag tests.
func NewCmdCheck(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "check --site URL --credential NAME [--expect-ip IP]",
		Short: "Check SharePoint connectivity from this server with a stored credential, and say why it fails",
		Long: `Check signs in with a credential stored in Key Vault exactly as the workload does
(app secret, app certificate, or a service account's password), from this server's egress
IP, and calls the site's SharePoint REST API (/_api/web) and Microsoft Graph (/sites).

Alongside it reads what decides the outcome: the egress IP as several echo services see it
(and as Entra ID saw it), the trusted named locations containing it, the Conditional Access
What If evaluation for the credential's identity, security defaults and per-user MFA.

The result is a checklist and findings, each with evidence and remedies in the admin's
terms. The verdict is pass, warn or fail; fail exits with status 3. The token itself is
never printed; its claims are shown without being trusted.`,
		Example: `  tenantops --dev sharepoint check --site https://contoso.sharepoint.com/sites/operations --credential workflow-engine-cert
  TENANTOPS_DEV_EGRESS_IP=198.51.100.7 tenantops --dev sharepoint check --site https://contoso.sharepoint.com/sites/operations --credential svc-sharepoint-password
  tenantops -o json sharepoint check --site https://contoso.sharepoint.com/sites/operations --credential workflow-engine-cert --expect-ip 203.0.113.10`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case opts.Site == "":
				return cmdutil.FlagErrorf("name the site with --site (e.g. https://contoso.sharepoint.com/sites/operations)")
			case opts.Credential == "":
				return cmdutil.FlagErrorf("name the stored credential with --credential (a Key Vault secret name)")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Site, "site", "", "SharePoint site URL")
	cmd.Flags().StringVar(&opts.Credential, "credential", "", "Key Vault secret holding the credential to test")
	cmd.Flags().StringSliceVar(&opts.ExpectIP, "expect-ip", nil, "egress IP this server should have (repeatable; overrides TENANTOPS_EXPECTED_EGRESS_IPS)")
	return cmd
}

// Run checks and prints the result.
func Run(ctx context.Context, opts *Options) error {
	req := spcheck.Request{Site: opts.Site, Credential: opts.Credential, ExpectIP: opts.ExpectIP}
	if err := req.Validate(); err != nil {
		return err // exit 2, before any sign-in
	}
	a, err := opts.Factory.App()
	if err != nil {
		return err
	}
	res, err := spcheck.Run(ctx, spcheck.DepsFrom(a), req)
	if err != nil {
		return err
	}
	return opts.Factory.Emit(cmdutil.Report{Value: res, Table: table{res.Checks, res.Findings, res.Verdict}})
}

type table struct {
	checks   []spcheck.Check
	findings []spcheck.Finding
	verdict  spcheck.Verdict
}

func (t table) Header() []string { return spcheck.TableHeader() }
func (t table) Rows() [][]string { return spcheck.TableRows(t.checks, t.findings, t.verdict) }
