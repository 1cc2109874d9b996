// Package serve is `tenantops devtenant serve`.
package serve

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
)

// Options of `devtenant serve`.
type Options struct {
	Factory  *cmdutil.Factory
	Addr     string
	Fixture  string
	EgressIP string
	CAFile   string
	// Ready is called with the exports once the tenant listens (tests).
	Ready func(env map[string]string)
}

// NewCmdServe builds the command; runF replaces the run function in flag tests.
func NewCmdServe(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "serve [--addr A] [--fixture F] [--egress-ip IP]",
		Short: "Run the dev tenant until interrupted and print the settings that reach it",
		Long: `Serve runs the dev tenant standalone. It prints shell exports; in a second terminal,
eval them and every tenantops door (CLI, handler, bootstrap) talks to this tenant exactly
as it would to Microsoft's cloud, with production host names dialled to it.`,
		Example: `  tenantops devtenant serve --addr 127.0.0.1:8443
  eval "$(tenantops devtenant serve | head -n 8)"   # or copy the export lines`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Addr != "" {
				if _, _, err := net.SplitHostPort(opts.Addr); err != nil {
					return cmdutil.FlagErrorf("--addr %q: want HOST:PORT", opts.Addr)
				}
			}
			if opts.EgressIP != "" && net.ParseIP(opts.EgressIP) == nil {
				return cmdutil.FlagErrorf("--egress-ip %q is not an IP address", opts.EgressIP)
			}
			if opts.Fixture != "" && opts.Fixture != "contoso" {
				return cmdutil.FlagErrorf("--fixture %q: only the default \"contoso\" fixture is available", opts.Fixture)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:0", "listen address")
	cmd.Flags().StringVar(&opts.Fixture, "fixture", "contoso", "fixture to seed the tenant from")
	cmd.Flags().StringVar(&opts.EgressIP, "egress-ip", "", "egress IP the tenant sees for callers (default 203.0.113.10, trusted)")
	cmd.Flags().StringVar(&opts.CAFile, "ca-file", "", "where to write the CA certificate (default: a new temporary directory)")
	return cmd
}

// Run serves until ctx ends.
func Run(ctx context.Context, opts *Options) error {
	t, err := devtenant.Start(devtenant.Options{Addr: opts.Addr, EgressIP: opts.EgressIP, Logger: opts.Factory.Logger()})
	if err != nil {
		return fmt.Errorf("starting the dev tenant: %w", err)
	}
	defer t.Close()
	caPath := opts.CAFile
	if caPath == "" {
		dir, err := os.MkdirTemp("", "tenantops-devtenant-")
		if err != nil {
			return fmt.Errorf("creating a directory for the CA: %w", err)
		}
		defer os.RemoveAll(dir)
		caPath = filepath.Join(dir, "ca.pem")
	}
	if err := os.WriteFile(caPath, t.CACertPEM(), 0o644); err != nil {
		return fmt.Errorf("writing the CA certificate: %w", err)
	}
	env := devmode.Env(t, caPath)
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := opts.Factory.IO.Out
	fmt.Fprintln(out, "# tenantops dev tenant — dev-only credentials, safe to print")
	for _, k := range keys {
		fmt.Fprintf(out, "export %s=%s\n", k, shellQuote(env[k]))
	}
	fmt.Fprintln(out, "# serving; press Ctrl-C to stop")
	if opts.Ready != nil {
		opts.Ready(env)
	}
	<-ctx.Done()
	return nil
}

// shellQuote quotes v for POSIX shells: nothing inside single quotes expands.
func shellQuote(v string) string {
	return "'" + strings.ReplaceAll(v, "'", `'\''`) + "'"
}
