package mfa_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/graph"
	"github.com/tenantops/tenantops/shared/mfa"
)

// Floor is the least wall time the documented budgets allow for a report over
// n users: the registration report at 1,000 users a page and 5 requests per
// 10 s (burst 5), and one per-user state read each at 8,000 resource units
// per 10 s (a large tenant, burst 8,000). The two streams run side by side,
// so the floor is the larger of the two.
func Floor(n int) (total, reports, directory time.Duration) {
	pages := int(math.Ceil(float64(n) / 1000))
	reports = time.Duration(max(0, pages-graph.ReportsBudget)) * graph.ReportsWindow / graph.ReportsBudget
	ru := graph.DirectoryRUPer10s(n, n > 500)
	directory = time.Duration(float64(max(0, n-ru)) / float64(ru) * float64(10*time.Second))
	return max(reports, directory), reports, directory
}

func benchUsers() int {
	if n, err := strconv.Atoi(os.Getenv("TENANTOPS_BENCH_USERS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// BenchmarkReportLarge runs `mfa report` over a generated tenant
// (TENANTOPS_BENCH_USERS, default 100,000) and reports wall time against the
// floor. In process it reports the heap the report added; with TENANTOPS_BIN
// set to a tenantops binary it also runs `tenantops mfa report -o csv` as a
// child process and reports that process's peak RSS — the figure an admin
// sees. Run it with -benchtime=1x: one pass takes minutes at 100k users
// because the budgets, not the CPU, bound it.
func BenchmarkReportLarge(b *testing.B) {
	n := benchUsers()
	fx := devtenant.AdminLargeFixture(n, time.Now())
	e := newEnv(b, fx)
	floor, fr, fd := Floor(e.dt.UserCount())
	b.Logf("%d users; floor %.0fs (registration report %.0fs, per-user states %.0fs)", e.dt.UserCount(), floor.Seconds(), fr.Seconds(), fd.Seconds())
	for b.Loop() {
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak atomic.Uint64
		stop := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(200 * time.Millisecond):
				}
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}()
		start := time.Now()
		rows := 0
		_, err := mfa.Report(context.Background(), mfa.ReportDeps{Graph: e.a.Graph}, mfa.ReportRequest{}, func(mfa.Row) error { rows++; return nil })
		wall := time.Since(start)
		close(stop)
		if err != nil {
			b.Fatal(err)
		}
		if rows != e.dt.UserCount() {
			b.Fatalf("%d rows for %d users", rows, e.dt.UserCount())
		}
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(floor.Seconds(), "floor-s")
		if floor > 0 {
			b.ReportMetric(wall.Seconds()/floor.Seconds(), "x-floor")
		}
		b.ReportMetric(float64(int64(peak.Load())-int64(base.HeapInuse))/(1<<20), "heap-growth-MB")
	}
	bin := os.Getenv("TENANTOPS_BIN")
	if bin == "" {
		return
	}
	// The CLI as an admin runs it, in its own process: peak RSS is its own.
	e.dt.SetThrottleLimits(devtenant.DefaultThrottleLimits(e.dt.UserCount())) // fresh budgets
	ca := filepath.Join(b.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, e.dt.CACertPEM(), 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "-o", "csv", "mfa", "report")
	cmd.Env = os.Environ()
	for k, v := range devmode.Env(e.dt, ca) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	lines := &lineCounter{}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = lines, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	// The child's own peak RSS is VmHWM of its address space. (wait4's
	// ru_maxrss would also count the moments between fork and exec, when the
	// child still shares this process's memory — the whole dev tenant.)
	hwm := make(chan int64, 1)
	go func() {
		var peak int64
		path := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		for {
			st, err := os.ReadFile(path)
			if err != nil {
				break
			}
			for _, l := range strings.Split(string(st), "\n") {
				if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
					if kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil {
						peak = max(peak, kb)
					}
				}
			}
			if strings.Contains(string(st), "State:\tZ") {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		hwm <- peak
	}()
	err := cmd.Wait()
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("%s: %v\n%s", bin, err, stderr.String())
	}
	if lines.n != e.dt.UserCount()+1 {
		b.Fatalf("CLI wrote %d lines for %d users", lines.n, e.dt.UserCount())
	}
	b.ReportMetric(wall.Seconds(), "cli-wall-s")
	if kb := <-hwm; kb > 0 {
		b.ReportMetric(float64(kb)/1024, "cli-peak-rss-MB")
	}
}

type lineCounter struct{ n int }

func (l *lineCounter) Write(p []byte) (int, error) {
	l.n += bytes.Count(p, []byte("\n"))
	return len(p), nil
}
