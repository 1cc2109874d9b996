package serve_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/devtenant/serve"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmd/root"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/cmdutil"
	"github.com/tenantops/tenantops/scripts/tenantops/pkg/iostreams"
)

func TestServeFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--addr", "127.0.0.1:0", "--egress-ip", "198.51.100.7"}, ""},
		{[]string{"--addr", "nonsense"}, "--addr"},
		{[]string{"--egress-ip", "300.1.1.1"}, "not an IP"},
		{[]string{"--fixture", "nope"}, "fixture"},
	}
	for _, tt := range tests {
		ios, _, _, _ := iostreams.Test()
		f := cmdutil.NewFactory(ios, func(string) string { return "" })
		var got *serve.Options
		cmd := serve.NewCmdServe(f, func(_ context.Context, o *serve.Options) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(ios.Out)
		cmd.SetErr(ios.ErrOut)
		err := cmd.Execute()
		if tt.wantErr == "" {
			if err != nil || got == nil {
				t.Fatalf("%v: err %v", tt.args, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Fatalf("%v: err %v, want usage error about %q", tt.args, err, tt.wantErr)
		}
	}
}

// TestServeThenUseFromAnotherTerminal runs `devtenant serve`, parses the
// exports it prints, and drives a second CLI with exactly those settings.
func TestServeThenUseFromAnotherTerminal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ios, _, stdout, _ := iostreams.Test()
	f := cmdutil.NewFactory(ios, func(string) string { return "" })
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- serve.Run(ctx, &serve.Options{Factory: f, Addr: "127.0.0.1:0", Ready: func(map[string]string) { close(ready) }})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("serve ended early: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve never became ready")
	}

	env := map[string]string{}
	for _, line := range strings.Split(stdout.String(), "\n") {
		kv, ok := strings.CutPrefix(line, "export ")
		if !ok {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		if len(v) < 2 || v[0] != '\'' || v[len(v)-1] != '\'' {
			t.Fatalf("export line not shell-quoted: %q", line)
		}
		env[k] = strings.ReplaceAll(v[1:len(v)-1], `'\''`, "'")
	}
	for _, k := range []string{"TENANTOPS_DEVTENANT_URL", "TENANTOPS_DEVTENANT_CA", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"} {
		if env[k] == "" {
			t.Fatalf("serve did not print %s:\n%s", k, stdout)
		}
	}

	ios2, _, out2, err2 := iostreams.Test()
	f2 := cmdutil.NewFactory(ios2, func(k string) string { return env[k] })
	if code := root.Main(context.Background(), f2, []string{"-o", "json", "sessions", "revoke", "--user", "adele.vance@contoso.com"}); code != 0 {
		t.Fatalf("second terminal: exit %d\n%s%s", code, out2, err2)
	}
	if !strings.Contains(out2.String(), `"status": "revoked"`) {
		t.Fatalf("second terminal output:\n%s", out2)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}
