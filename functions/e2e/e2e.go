// Package e2e builds and runs the real front-door binaries for end-to-end
// tests and benchmarks: the Azure custom handler behind a simulated host, and
// the Lambda bootstrap behind a fake Runtime API.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tenantops/tenantops/functions/aws/lambdatest"
)

// ModuleRoot finds the directory holding go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the tenantops module")
	}
	return filepath.Dir(gomod), nil
}

// Build compiles pkg (e.g. ./functions/cmd/handler) to out, as packaging does.
func Build(ctx context.Context, pkg, out string, extra ...string) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	args := append([]string{"build", "-trimpath", "-ldflags=-s -w", "-o", out}, extra...)
	args = append(args, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// Process is a running front-door binary.
type Process struct {
	Cmd     *exec.Cmd
	URL     string        // handler: http://127.0.0.1:PORT
	Started time.Time     // exec time
	Ready   time.Duration // exec → first answer to GET / (handler) or first poll (bootstrap)
	stderr  *syncBuffer
	done    chan error
}

// Stderr is what the process logged so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// WaitStderr waits (at most d) until the process has logged want: its
// output reaches us through a pipe, a moment after it wrote it.
func (p *Process) WaitStderr(want string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if strings.Contains(p.Stderr(), want) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Stop terminates the process and waits for it.
func (p *Process) Stop() error {
	_ = p.Cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-p.done:
		return err
	case <-time.After(5 * time.Second):
		_ = p.Cmd.Process.Kill()
		return <-p.done
	}
}

// RSS is the process's resident set size in bytes (Linux /proc).
func (p *Process) RSS() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}

func start(bin string, env []string) (*Process, error) {
	cmd := exec.Command(bin)
	cmd.Env = env
	buf := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = buf, buf
	p := &Process{Cmd: cmd, stderr: buf, done: make(chan error, 1)}
	p.Started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { p.done <- cmd.Wait() }()
	return p, nil
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartHandler runs the custom handler as the Functions host does: a fresh
// port in FUNCTIONS_CUSTOMHANDLER_PORT, then GET / polled until any answer.
func StartHandler(ctx context.Context, bin string, env []string) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	p, err := start(bin, append(env, "FUNCTIONS_CUSTOMHANDLER_PORT="+strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	p.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(p.URL + "/")
		if err == nil {
			resp.Body.Close()
			p.Ready = time.Since(p.Started)
			return p, nil
		}
		select {
		case err := <-p.done:
			return nil, fmt.Errorf("handler exited before ready: %v\n%s", err, p.Stderr())
		case <-ctx.Done():
			_ = p.Stop()
			return nil, fmt.Errorf("handler not ready: %w\n%s", ctx.Err(), p.Stderr())
		case <-time.After(200 * time.Microsecond): // the host polls every 25 ms; finer here to measure
		}
	}
}

// StartBootstrap runs the Lambda binary against rt and waits for its first poll.
func StartBootstrap(ctx context.Context, bin string, env []string, rt *lambdatest.Runtime) (*Process, error) {
	p, err := start(bin, append(env, "AWS_LAMBDA_RUNTIME_API="+rt.Addr(), "AWS_LAMBDA_FUNCTION_NAME=tenantops"))
	if err != nil {
		return nil, err
	}
	select {
	case <-rt.Ready():
		p.Ready = time.Since(p.Started)
		return p, nil
	case err := <-p.done:
		return nil, fmt.Errorf("bootstrap exited before polling: %v\n%s", err, p.Stderr())
	case <-ctx.Done():
		_ = p.Stop()
		return nil, fmt.Errorf("bootstrap never polled: %w\n%s", ctx.Err(), p.Stderr())
	}
}

// BaseEnv is a minimal environment for a child process (no ambient Azure settings).
func BaseEnv(extra map[string]string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	return env
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
