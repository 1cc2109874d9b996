package infra_test

// Packaging tests: `make package` on the real repository (once per test run,
// into a temporary DIST), and the Makefile on a tiny fixture module, which is
// cheap enough to build twice and prove byte-for-byte reproducibility.

import (
	"archive/zip"
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// forcePackageEnv makes TestMakePackage build even with a cold build cache.
const forcePackageEnv = "TENANTOPS_PACKAGE_TEST"

// coldThreshold is how many stale dependency packages (outside this module)
// mean "cold build cache": cross-compiling msgraph-sdk-go from scratch takes
// five minutes or more per architecture on two cores.
const coldThreshold = 20

func needMake(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs make and cross-compiles; skipped with -short")
	}
	if runtime.GOOS == "windows" {
		t.Skip("the Makefile needs a POSIX shell")
	}
	mk, err := exec.LookPath("make")
	if err != nil {
		t.Skip("make not installed")
	}
	return mk
}

// goTool is the go command on PATH, the one make runs too.
func goTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	return p
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// runMake runs make in dir with args and returns its combined output.
func runMake(t *testing.T, mk, dir string, timeout time.Duration, args ...string) string {
	t.Helper()
	cmd := exec.Command(mk, append([]string{"--no-print-directory", "-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GO="+goTool(t))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("make %s: still running after %v\n%s", strings.Join(args, " "), timeout, out.String())
	}
	return out.String()
}

// staleDeps counts dependency packages of pkg, outside module modPrefix, that
// the build cache does not hold for the given target and flags.
func staleDeps(t *testing.T, dir, goos, goarch, tags, pkg, modPrefix string) int {
	t.Helper()
	args := []string{"list", "-e", "-deps", "-trimpath", "-f", "{{if .Stale}}{{.ImportPath}}{{end}}"}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.Command(goTool(t), append(args, pkg)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	out, err := cmd.Output()
	if err != nil {
		t.Logf("go list %s for %s/%s: %v (assuming a warm cache)", pkg, goos, goarch, err)
		return 0
	}
	n := 0
	for _, line := range strings.Fields(string(out)) {
		if !strings.HasPrefix(line, modPrefix) {
			n++
		}
	}
	return n
}

type zipEntry struct {
	mode fs.FileMode
	data []byte
}

func readZip(t *testing.T, path string) map[string]zipEntry {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer zr.Close()
	entries := map[string]zipEntry{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		if _, dup := entries[f.Name]; dup {
			t.Errorf("%s: duplicate entry %s", path, f.Name)
		}
		entries[f.Name] = zipEntry{mode: f.Mode(), data: data}
	}
	return entries
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkBinary asserts that data is a static Linux ELF for machine, built
// with the Makefile's reproducibility flags (and tags, if any).
func checkBinary(t *testing.T, name string, data []byte, machine elf.Machine, tags string) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Errorf("%s: not an ELF binary: %v", name, err)
		return
	}
	defer f.Close()
	if f.Machine != machine {
		t.Errorf("%s: ELF machine %v, want %v", name, f.Machine, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s: dynamically linked (has PT_INTERP): CGO must be off", name)
		}
	}
	if f.Section(".symtab") != nil {
		t.Errorf("%s: has a symbol table: -ldflags -s missing", name)
	}
	bi, err := buildinfo.Read(bytes.NewReader(data))
	if err != nil {
		t.Errorf("%s: no Go build info: %v", name, err)
		return
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	want := map[string]string{
		"CGO_ENABLED": "0",
		"-trimpath":   "true",
		"GOOS":        "linux",
		"-tags":       tags,
	}
	// Go does not record -ldflags under -trimpath; check its effects instead:
	// -s dropped .symtab (above), -buildid= left the Go build ID note empty.
	if id := goBuildID(f); id != "" {
		t.Errorf("%s: Go build ID %q: -ldflags -buildid= missing", name, id)
	}
	for k, v := range want {
		if settings[k] != v {
			t.Errorf("%s: build setting %s = %q, want %q", name, k, settings[k], v)
		}
	}
	for k := range settings {
		if strings.HasPrefix(k, "vcs") {
			t.Errorf("%s: VCS stamped (%s): -buildvcs=false missing", name, k)
		}
	}
}

// goBuildID returns the Go build ID from the ELF note ("" when empty or absent).
func goBuildID(f *elf.File) string {
	sec := f.Section(".note.go.buildid")
	if sec == nil {
		return ""
	}
	data, err := sec.Data()
	if err != nil || len(data) < 16 {
		return ""
	}
	bo := f.ByteOrder
	namesz, descsz := bo.Uint32(data[0:4]), bo.Uint32(data[4:8])
	off := 12 + (namesz+3)&^3
	if uint32(len(data)) < off+descsz {
		return ""
	}
	return string(data[off : off+descsz])
}

// TestMakePackage runs `make package` on the repository once and checks both
// zips hold exactly the expected entries.
func TestMakePackage(t *testing.T) {
	mk := needMake(t)
	root := repoRoot(t)
	const mod = "github.com/tenantops/tenantops"

	if os.Getenv(forcePackageEnv) == "" {
		cold := staleDeps(t, root, "linux", "amd64", "", "./functions/cmd/handler", mod) +
			staleDeps(t, root, "linux", "amd64", "lambda.norpc", "./functions/cmd/bootstrap", mod) +
			staleDeps(t, root, "linux", "arm64", "lambda.norpc", "./functions/cmd/bootstrap", mod)
		if cold > coldThreshold {
			t.Skipf("build cache is cold for the packaging builds (%d dependency packages to compile, "+
				"about 5 minutes per architecture on 2 cores): run `make package` once to warm it, "+
				"or set %s=1 (and a -timeout of 30m) to build here", cold, forcePackageEnv)
		}
	}

	dist := t.TempDir()
	start := time.Now()
	out := runMake(t, mk, root, 25*time.Minute, "package", "DIST="+dist)
	t.Logf("make package took %v", time.Since(start).Round(time.Second))
	for _, want := range []string{"azure.zip: ", "bootstrap-arm64.zip: ", "bootstrap-amd64.zip: ", "zipped"} {
		if !strings.Contains(out, want) {
			t.Errorf("make package output lacks %q (sizes are printed by mkzip):\n%s", want, out)
		}
	}

	t.Run("azure", func(t *testing.T) {
		entries := readZip(t, filepath.Join(dist, "azure.zip"))
		want := map[string]fs.FileMode{"host.json": 0o644, "handler": 0o755}
		fnFiles, err := filepath.Glob(filepath.Join(root, "functions", "*", "function.json"))
		if err != nil || len(fnFiles) == 0 {
			t.Fatalf("no function folders found (%v)", err)
		}
		for _, f := range fnFiles {
			want[filepath.Base(filepath.Dir(f))+"/function.json"] = 0o644
		}
		if got, w := sortedKeys(entries), sortedKeys(want); strings.Join(got, " ") != strings.Join(w, " ") {
			t.Fatalf("azure.zip entries\n got %v\nwant %v", got, w)
		}
		for name, mode := range want {
			if entries[name].mode != mode {
				t.Errorf("azure.zip %s: mode %v, want %v", name, entries[name].mode, mode)
			}
			if name == "handler" {
				continue
			}
			src := "host.json"
			if name != "host.json" {
				src = "functions/" + name
			}
			if !bytes.Equal(entries[name].data, readRepoFile(t, src)) {
				t.Errorf("azure.zip %s differs from %s", name, src)
			}
		}
		checkBinary(t, "azure.zip handler", entries["handler"].data, elf.EM_X86_64, "")
	})

	for arch, machine := range map[string]elf.Machine{"arm64": elf.EM_AARCH64, "amd64": elf.EM_X86_64} {
		t.Run("aws-"+arch, func(t *testing.T) {
			name := "bootstrap-" + arch + ".zip"
			entries := readZip(t, filepath.Join(dist, "aws", name))
			if got := sortedKeys(entries); len(got) != 1 || got[0] != "bootstrap" {
				t.Fatalf("%s entries %v, want exactly [bootstrap]", name, got)
			}
			if m := entries["bootstrap"].mode; m != 0o755 {
				t.Errorf("%s bootstrap: mode %v, want -rwxr-xr-x", name, m)
			}
			checkBinary(t, name+" bootstrap", entries["bootstrap"].data, machine, "lambda.norpc")
		})
	}
}

// TestMakefileFixture runs the real Makefile and mkzip on a tiny module with
// the same layout: it checks what goes into the packages (function folders
// only, no stray files), that two runs give byte-identical zips, and that
// build and clean work. It costs seconds once the standard library is cached.
func TestMakefileFixture(t *testing.T) {
	mk := needMake(t)
	dir := t.TempDir()

	mainSrc := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(%q) }\n"
	files := map[string]string{
		"go.mod":                             "module example.com/fixture\n\ngo 1.26\n",
		"host.json":                          `{"version": "2.0"}` + "\n",
		"functions/Alpha/function.json":      `{"bindings": []}` + "\n",
		"functions/Alpha/notes.txt":          "not packaged\n",
		"functions/Beta/function.json":       `{"bindings": [{}]}` + "\n",
		"functions/azure/adapter.go":         "package azure\n",
		"functions/cmd/handler/main.go":      fmt.Sprintf(mainSrc, "handler"),
		"functions/cmd/bootstrap/main.go":    fmt.Sprintf(mainSrc, "bootstrap"),
		"scripts/tenantops/main.go":          fmt.Sprintf(mainSrc, "tenantops"),
		"infra/tools/mkzip/main.go":          string(readRepoFile(t, "infra/tools/mkzip/main.go")),
		"Makefile":                           string(readRepoFile(t, "Makefile")),
		"functions/cmd/bootstrap/norpc.go":   "//go:build lambda.norpc\n\npackage main\n",
		"functions/Gamma/function.json.orig": "{}\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The fixture is its own module; keep the surrounding workspace out.
	t.Setenv("GOWORK", "off")
	t.Setenv("GOFLAGS", "-mod=mod")

	d1, d2 := filepath.Join(dir, "d1"), filepath.Join(dir, "d2")
	runMake(t, mk, dir, 10*time.Minute, "package", "DIST="+d1)
	// Change every mtime: nothing of the build time may reach the zips.
	later := time.Now().Add(2 * time.Hour)
	for name := range files {
		_ = os.Chtimes(filepath.Join(dir, filepath.FromSlash(name)), later, later)
	}
	runMake(t, mk, dir, 10*time.Minute, "package", "DIST="+d2)

	for _, z := range []string{"azure.zip", "aws/bootstrap-arm64.zip", "aws/bootstrap-amd64.zip"} {
		b1, err1 := os.ReadFile(filepath.Join(d1, z))
		b2, err2 := os.ReadFile(filepath.Join(d2, z))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", z, err1, err2)
		}
		if !bytes.Equal(b1, b2) {
			t.Errorf("%s: two builds differ: not reproducible", z)
		}
	}
	entries := readZip(t, filepath.Join(d1, "azure.zip"))
	want := "Alpha/function.json Beta/function.json handler host.json"
	if got := strings.Join(sortedKeys(entries), " "); got != want {
		t.Errorf("azure.zip entries %q, want %q", got, want)
	}
	if entries["handler"].mode != 0o755 {
		t.Errorf("handler mode %v, want 0755", entries["handler"].mode)
	}
	checkBinary(t, "fixture handler", entries["handler"].data, elf.EM_X86_64, "")
	for arch, machine := range map[string]elf.Machine{"arm64": elf.EM_AARCH64, "amd64": elf.EM_X86_64} {
		e := readZip(t, filepath.Join(d1, "aws", "bootstrap-"+arch+".zip"))
		if got := strings.Join(sortedKeys(e), " "); got != "bootstrap" {
			t.Errorf("bootstrap-%s.zip entries %q", arch, got)
		}
		checkBinary(t, "fixture bootstrap-"+arch, e["bootstrap"].data, machine, "lambda.norpc")
	}

	// make build → bin/{handler,bootstrap,tenantops}; make clean removes bin/ and dist/.
	runMake(t, mk, dir, 5*time.Minute, "build")
	for _, b := range []string{"handler", "bootstrap", "tenantops"} {
		fi, err := os.Stat(filepath.Join(dir, "bin", b))
		if err != nil {
			t.Errorf("make build: %v", err)
		} else if fi.Mode().Perm()&0o100 == 0 {
			t.Errorf("make build: bin/%s is not executable", b)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "dist", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	runMake(t, mk, dir, time.Minute, "clean")
	for _, d := range []string{"bin", "dist"} {
		if fileExists(filepath.Join(dir, d)) {
			t.Errorf("make clean left %s/", d)
		}
	}
}
