// Command handler is the Azure Functions custom handler: it listens on
// FUNCTIONS_CUSTOMHANDLER_PORT and serves forwarded HTTP requests (/api/...)
// and host envelopes (POST /{FunctionName}).
//
// TENANTOPS_DEV=1 runs it against the embedded dev tenant.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tenantops/tenantops/functions/azure"
	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/httpapi"
	"github.com/tenantops/tenantops/shared/rotation"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "handler:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, getenv func(string) string, stderr io.Writer) error {
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	s, err := app.SettingsFromEnv(getenv)
	if err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	if s.Dev {
		t, ds, err := devmode.Start(s, "", log)
		if err != nil {
			return err
		}
		defer t.Close()
		s = ds
		log.Info("using the embedded dev tenant", slog.String("url", t.URL()))
	}
	a, err := app.New(s, log)
	if err != nil {
		return err
	}
	port := getenv("FUNCTIONS_CUSTOMHANDLER_PORT")
	if port == "" {
		port = "8080"
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		return fmt.Errorf("listening on port %s: %w", port, err)
	}
	srv := &http.Server{
		Handler: azure.NewHandler(httpapi.New(a), map[string]azure.Function{
			"RotateCredentials": azure.RotateCredentials(func() rotation.Deps { return rotation.FromApp(a) }),
			"SecretNearExpiry":  azure.SecretNearExpiry(func() rotation.Deps { return rotation.FromApp(a) }),
		}, log),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("custom handler listening", slog.String("addr", ln.Addr().String()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
