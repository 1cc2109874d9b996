// Package cmdutil holds what every tenantops command shares: the Factory with
// global flags and lazily built clients, exit codes, and output printers.
package cmdutil

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/iostreams"
	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/identity"
)

// Factory gives commands their dependencies. Global flags land in its fields
// before any RunE runs.
type Factory struct {
	IO     *iostreams.IOStreams
	Getenv func(string) string
	Now    func() time.Time

	// Global flags.
	Dev        bool
	Output     string
	DryRun     bool
	Yes        bool
	Tenant     string
	Auth       string
	Vault      string
	Breakglass []string
	Verbose    bool

	mu      sync.Mutex
	app     *app.App
	closers []func()
}

// NewFactory returns a Factory over streams io and environment getenv.
func NewFactory(io *iostreams.IOStreams, getenv func(string) string) *Factory {
	return &Factory{IO: io, Getenv: getenv, Now: time.Now, Output: "table"}
}

// Logger writes JSON log lines (audit lines included) to stderr.
func (f *Factory) Logger() *slog.Logger {
	level := slog.LevelInfo
	if f.Verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewJSONHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: level}))
}

// Settings reads the environment and applies global flags on top.
func (f *Factory) Settings() (app.Settings, error) {
	s, err := app.SettingsFromEnv(f.Getenv)
	if err != nil {
		return s, &FlagError{Err: err}
	}
	if f.Vault != "" {
		s.VaultURL = f.Vault
	}
	if len(f.Breakglass) > 0 {
		s.Breakglass = f.Breakglass
	}
	if f.Tenant != "" {
		s.Identity.TenantID = f.Tenant
	}
	if f.Auth != "" {
		m, err := identity.ParseMethod(f.Auth)
		if err != nil {
			return s, &FlagError{Err: err}
		}
		s.Identity.Method = m
	}
	if f.Dev {
		s.Dev = true
	}
	s.Identity.DeviceCodePrompt = func(_ context.Context, msg string) error {
		_, err := fmt.Fprintln(f.IO.ErrOut, msg)
		return err
	}
	return s, nil
}

// App builds (once) the clients for this invocation; with --dev it first
// starts the embedded dev tenant, closed by Close.
func (f *Factory) App() (*app.App, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.app != nil {
		return f.app, nil
	}
	s, err := f.Settings()
	if err != nil {
		return nil, err
	}
	log := f.Logger()
	if s.Dev {
		t, ds, err := devmode.Start(s, "", log)
		if err != nil {
			return nil, err
		}
		f.closers = append(f.closers, func() { _ = t.Close() })
		s = ds
	}
	a, err := app.New(s, log)
	if err != nil {
		return nil, err
	}
	f.app = a
	return a, nil
}

// Close releases what App started.
func (f *Factory) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.closers) - 1; i >= 0; i-- {
		f.closers[i]()
	}
	f.closers = nil
}
