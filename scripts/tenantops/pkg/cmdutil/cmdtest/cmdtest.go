// Package cmdtest helps command tests: a Factory wired to a dev tenant, and
// golden files (go test ./... -update rewrites them).
package cmdtest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/iostreams"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
)

var update = flag.Bool("update", false, "rewrite golden files")

// DevTenant starts a dev tenant for one test (closed at cleanup) and returns
// it with the environment that reaches it (as `devtenant serve` prints it).
func DevTenant(t testing.TB, opts devtenant.Options) (*devtenant.Tenant, map[string]string) {
	t.Helper()
	dt, err := devtenant.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dt.Close() })
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, dt.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return dt, devmode.Env(dt, ca)
}

// Factory returns a Factory over in-memory streams reading env.
func Factory(env map[string]string) (*cmdutil.Factory, *bytes.Buffer, *bytes.Buffer) {
	ios, _, stdout, stderr := iostreams.Test()
	f := cmdutil.NewFactory(ios, func(k string) string { return env[k] })
	return f, stdout, stderr
}

// Golden compares got with testdata/<name>.golden.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden file %s (run with -update): %v", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from %s (run with -update if intended)\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}
