// Command tenantops is the admin CLI: the PowerShell around MFA and service
// accounts, as tested software.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/iostreams"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := root.Main(ctx, cmdutil.NewFactory(iostreams.System(), os.Getenv), os.Args[1:])
	stop()
	os.Exit(code)
}
