package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tenantops/tenantops/functions/aws/lambdatest"
	"github.com/tenantops/tenantops/functions/e2e"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
)

type binaries struct{ handler, bootstrap, floor string }

func build(b *testing.B) binaries {
	b.Helper()
	dir := b.TempDir()
	bins := binaries{filepath.Join(dir, "handler"), filepath.Join(dir, "bootstrap"), filepath.Join(dir, "floor")}
	ctx := context.Background()
	for _, x := range []struct {
		pkg, out string
		extra    []string
	}{
		{"./functions/cmd/handler", bins.handler, nil},
		{"./functions/cmd/bootstrap", bins.bootstrap, []string{"-tags", "lambda.norpc"}},
		{"./bench/floor", bins.floor, nil},
	} {
		if err := e2e.Build(ctx, x.pkg, x.out, x.extra...); err != nil {
			b.Fatal(err)
		}
	}
	return bins
}

func devEnv(b *testing.B) map[string]string {
	b.Helper()
	dt, err := devtenant.Start(devtenant.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { dt.Close() })
	ca := filepath.Join(b.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, dt.CACertPEM(), 0o600); err != nil {
		b.Fatal(err)
	}
	return devmode.Env(dt, ca)
}

type samples struct{ ready, first, rss []float64 }

func (s samples) report(b *testing.B, bin string) {
	med := func(v []float64) float64 {
		if len(v) == 0 {
			return 0
		}
		v = slices.Clone(v)
		slices.Sort(v)
		return v[len(v)/2]
	}
	fi, err := os.Stat(bin)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size())/1e6, "size-MB")
	b.ReportMetric(med(s.ready), "ready-ms")
	b.ReportMetric(med(s.first), "first-req-ms")
	b.ReportMetric(med(s.rss), "rss-MB")
}

const revokeBody = `{"users":["adele.vance@contoso.com"]}`

// BenchmarkHandlerColdStart: exec → GET / answered, then the first
// POST /api/sessions/revoke (token + Graph GET + revoke), then RSS.
func BenchmarkHandlerColdStart(b *testing.B) {
	bins := build(b)
	env := devEnv(b)
	for _, tc := range []struct {
		name, bin, path, body string
	}{
		{"floor", bins.floor, "/", ""},
		{"handler", bins.handler, "/api/sessions/revoke", revokeBody},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var s samples
			for b.Loop() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				p, err := e2e.StartHandler(ctx, tc.bin, e2e.BaseEnv(env))
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				method := http.MethodGet
				if tc.body != "" {
					method = http.MethodPost
				}
				req, _ := http.NewRequestWithContext(ctx, method, p.URL+tc.path, strings.NewReader(tc.body))
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil || resp.StatusCode != 200 {
					b.Fatalf("first request: %v %v\n%s", err, resp, p.Stderr())
				}
				resp.Body.Close()
				first := time.Since(start)
				rss, _ := p.RSS()
				s.ready = append(s.ready, float64(p.Ready.Microseconds())/1000)
				s.first = append(s.first, float64(first.Microseconds())/1000)
				s.rss = append(s.rss, float64(rss)/1e6)
				_ = p.Stop()
				cancel()
			}
			s.report(b, tc.bin)
		})
	}
}

// BenchmarkBootstrapColdStart: exec → first Runtime API poll, then the first
// Function URL invocation, then RSS.
func BenchmarkBootstrapColdStart(b *testing.B) {
	bins := build(b)
	env := devEnv(b)
	event := []byte(fmt.Sprintf(`{"version":"2.0","rawPath":"/api/sessions/revoke","headers":{"content-type":"application/json"},"requestContext":{"http":{"method":"POST","path":"/api/sessions/revoke"}},"body":%q}`, revokeBody))
	for _, tc := range []struct{ name, bin string }{{"floor", bins.floor}, {"bootstrap", bins.bootstrap}} {
		b.Run(tc.name, func(b *testing.B) {
			var s samples
			for b.Loop() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				rt := lambdatest.NewRuntime()
				p, err := e2e.StartBootstrap(ctx, tc.bin, e2e.BaseEnv(env), rt)
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				r, err := rt.Invoke(ctx, event)
				if err != nil || r.IsError {
					b.Fatalf("invoke: %v %s\n%s", err, r.Payload, p.Stderr())
				}
				first := time.Since(start)
				rss, _ := p.RSS()
				s.ready = append(s.ready, float64(p.Ready.Microseconds())/1000)
				s.first = append(s.first, float64(first.Microseconds())/1000)
				s.rss = append(s.rss, float64(rss)/1e6)
				_ = p.Stop()
				rt.Close()
				cancel()
			}
			s.report(b, tc.bin)
		})
	}
}
