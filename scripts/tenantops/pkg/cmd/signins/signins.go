// Package signins is `tenantops signins`.
package signins

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/signins"
)

// Options of one signins run.
type Options struct {
	Factory  *cmdutil.Factory
	Req      signins.Request
	SinceRaw string
}

// NewCmdSignins builds the command; runF replaces the run function in flag tests.
func NewCmdSignins(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "signins --user U [--since 24h] [--max N] [--failures]",
		Short: "Recent sign-ins of an account (a service account, typically), with why they failed",
		Long: `Signins shows an account's recent sign-ins, interactive and non-interactive (token
refreshes), newest first: time, application, IP address, result, the AADSTS error code with
what it means and how to fix it, the Conditional Access verdict with the policies that
failed, and whether the sign-in came from a trusted named location. It is the evidence
behind "the service account stopped working".

Exit code 3 when the most recent sign-in failed, so a scheduled check can alert.
Sign-in logs need an Entra ID P1/P2 licence and are kept for 30 days.

Permissions: AuditLog.Read.All.`,
		Example: `  tenantops --dev signins --user svc-sharepoint@contoso.com
  tenantops signins --user svc-backup@contoso.com --since 7d --failures
  tenantops signins --user svc-backup@contoso.com -o json | jq '.rows[0].code'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := ParseSince(opts.SinceRaw)
			if err != nil {
				return cmdutil.FlagErrorf("--since: %v", err)
			}
			opts.Req.Since = d
			if err := opts.Req.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Req.User, "user", "u", "", "the account's userPrincipalName")
	cmd.Flags().StringVar(&opts.SinceRaw, "since", "24h", "how far back: a duration such as 90m, 24h or 7d (at most 30d)")
	cmd.Flags().IntVar(&opts.Req.Max, "max", 50, "at most this many sign-ins (1..1000)")
	cmd.Flags().BoolVar(&opts.Req.FailuresOnly, "failures", false, "show failed sign-ins only")
	return cmd
}

// ParseSince reads a Go duration, also accepting whole days ("7d").
func ParseSince(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("%q: want a positive number of days such as 7d", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a duration such as 90m, 24h or 7d", s)
	}
	return d, nil
}

// Run prints the sign-ins.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	a, err := f.App()
	if err != nil {
		return err
	}
	res, err := signins.Run(ctx, signins.Deps{Graph: a.Graph, Now: f.Now}, opts.Req)
	if err != nil {
		return err
	}
	return f.Emit(cmdutil.Report{Value: res, Table: table{res}, Footer: []string{"", res.Summary.Advice}})
}

type table struct{ r signins.Result }

func (t table) Header() []string {
	return []string{"time", "app", "ip", "result", "code", "meaning", "ca", "ca-failed", "trusted-location", "interactive"}
}

func (t table) Rows() [][]string {
	rows := make([][]string, 0, len(t.r.Rows))
	for _, r := range t.r.Rows {
		code, meaning := "", ""
		if r.ErrorCode != 0 {
			code = "AADSTS" + strconv.Itoa(r.ErrorCode)
			if r.Code != nil {
				meaning = r.Code.Meaning
			}
		}
		rows = append(rows, []string{r.Time.Format(time.RFC3339), r.App, r.IPAddress, r.Result, code, meaning, r.CAStatus,
			strings.Join(r.CAFailed, "; "), strconv.FormatBool(r.TrustedLocation), strconv.FormatBool(r.Interactive)})
	}
	return rows
}
