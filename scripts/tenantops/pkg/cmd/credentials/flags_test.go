package credentials_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/credentials/adopt"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/credentials/expiring"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/credentials/list"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/credentials/rotate"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil/cmdtest"
)

// TestFlags parses each verb's flags without running it.
func TestFlags(t *testing.T) {
	var got string
	build := map[string]func(f *cmdutil.Factory) *cobra.Command{
		"rotate": func(f *cmdutil.Factory) *cobra.Command {
			return rotate.NewCmdRotate(f, func(_ context.Context, o *rotate.Options) error {
				got = "secret=" + o.Secret + " dry=" + strconv.FormatBool(o.DryRun)
				return nil
			})
		},
		"adopt": func(f *cmdutil.Factory) *cobra.Command {
			return adopt.NewCmdAdopt(f, func(_ context.Context, o *adopt.Options) error {
				got = "secret=" + o.Secret + " dry=" + strconv.FormatBool(o.DryRun)
				return nil
			})
		},
		"expiring": func(f *cmdutil.Factory) *cobra.Command {
			return expiring.NewCmdExpiring(f, func(_ context.Context, o *expiring.Options) error {
				got = "days=" + strconv.Itoa(o.Days)
				return nil
			})
		},
		"list": func(f *cmdutil.Factory) *cobra.Command {
			return list.NewCmdList(f, func(_ context.Context, o *list.Options) error { got = "list"; return nil })
		},
	}
	tests := []struct {
		verb, args string
		dry        bool
		want       string
		wantErr    string
	}{
		{verb: "rotate", args: "--secret workflow-engine-secret", want: "secret=workflow-engine-secret dry=false"},
		{verb: "rotate", args: "-s workflow-engine-secret", dry: true, want: "secret=workflow-engine-secret dry=true"},
		{verb: "rotate", args: "", wantErr: "--secret"},
		{verb: "rotate", args: "--secret a b", wantErr: "unexpected argument"},
		{verb: "adopt", args: "--secret x", want: "secret=x dry=false"},
		{verb: "adopt", args: "", wantErr: "--secret"},
		{verb: "expiring", args: "", want: "days=30"},
		{verb: "expiring", args: "--days 0", want: "days=0"},
		{verb: "expiring", args: "--days 9999", wantErr: "--days"},
		{verb: "expiring", args: "--days soon", wantErr: "invalid argument"},
		{verb: "list", args: "", want: "list"},
		{verb: "list", args: "x", wantErr: "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.verb+" "+tt.args, func(t *testing.T) {
			got = ""
			f, _, _ := cmdtest.Factory(nil)
			f.DryRun = tt.dry
			cmd := build[tt.verb](f)
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
					t.Fatalf("err = %v, want usage error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
