package main

import (
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// tree writes files (name → mode) with content derived from the name.
func tree(t *testing.T, files map[string]fs.FileMode) string {
	t.Helper()
	root := t.TempDir()
	for name, mode := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("content of "+name+"\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // umask-proof
			t.Fatal(err)
		}
	}
	return root
}

func TestWriteIsReproducibleAndKeepsModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not meaningful on Windows")
	}
	files := map[string]fs.FileMode{
		"host.json":                       0o644,
		"handler":                         0o755,
		"RevokeSessions/function.json":    0o600, // normalised to 0644
		"RotateCredentials/function.json": 0o664,
		"tool.sh":                         0o700, // any x bit → 0755
	}
	root := tree(t, files)
	out1 := filepath.Join(t.TempDir(), "a.zip")
	out2 := filepath.Join(t.TempDir(), "b.zip")
	for _, out := range []string{out1, out2} {
		entries, err := collect(root, out)
		if err != nil {
			t.Fatal(err)
		}
		if err := write(out, entries, epoch); err != nil {
			t.Fatal(err)
		}
		// touch the tree between runs: timestamps must not leak into the archive
		later := time.Now().Add(time.Hour)
		_ = os.Chtimes(filepath.Join(root, "handler"), later, later)
	}
	b1, _ := os.ReadFile(out1)
	b2, _ := os.ReadFile(out2)
	if !bytes.Equal(b1, b2) {
		t.Fatal("two archives of the same tree differ")
	}

	zr, err := zip.NewReader(bytes.NewReader(b1), int64(len(b1)))
	if err != nil {
		t.Fatal(err)
	}
	wantMode := map[string]fs.FileMode{
		"RevokeSessions/function.json":    0o644,
		"RotateCredentials/function.json": 0o644,
		"handler":                         0o755,
		"host.json":                       0o644,
		"tool.sh":                         0o755,
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if got, want := f.Mode(), wantMode[f.Name]; got != want {
			t.Errorf("%s: mode %v, want %v", f.Name, got, want)
		}
		if !f.Modified.Equal(epoch) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, epoch)
		}
		if f.Method != zip.Deflate {
			t.Errorf("%s: method %d, want deflate", f.Name, f.Method)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != "content of "+f.Name+"\n" {
			t.Errorf("%s: content %q", f.Name, body)
		}
	}
	want := "RevokeSessions/function.json RotateCredentials/function.json handler host.json tool.sh"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("entries %q, want sorted %q", got, want)
	}
}

func TestCollectRejects(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) string
		want  string
	}{
		{"missing dir", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }, "no such file"},
		{"empty dir", func(t *testing.T) string { return t.TempDir() }, "no files"},
		{"a file", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "f")
			_ = os.WriteFile(p, nil, 0o644)
			return p
		}, "not a directory"},
		{"symlink", func(t *testing.T) string {
			root := tree(t, map[string]fs.FileMode{"a": 0o644})
			if err := os.Symlink("a", filepath.Join(root, "b")); err != nil {
				t.Skip("symlinks unsupported:", err)
			}
			return root
		}, "not a regular file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := collect(tc.setup(t), filepath.Join(t.TempDir(), "out.zip"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestCollectSkipsOutputInsideRoot(t *testing.T) {
	root := tree(t, map[string]fs.FileMode{"a": 0o644, "out.zip": 0o644})
	entries, err := collect(root, filepath.Join(root, "out.zip"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].name != "a" {
		t.Fatalf("entries = %+v, want only a", entries)
	}
}

func TestModTime(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"", epoch, false},
		{"0", epoch, false}, // clamped to the zip minimum
		{"1700000000", time.Unix(1700000000, 0).UTC(), false},
		{" 1700000000\n", time.Unix(1700000000, 0).UTC(), false},
		{"yesterday", time.Time{}, true},
	}
	for _, tc := range tests {
		got, err := modTime(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("modTime(%q) err = %v, wantErr %v", tc.in, err, tc.wantErr)
			continue
		}
		if !got.Equal(tc.want) {
			t.Errorf("modTime(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestHuman(t *testing.T) {
	tests := map[int64]string{
		12:      "12 bytes",
		2048:    "2.0 KiB (2048 bytes)",
		3 << 20: "3.0 MiB (3145728 bytes)",
	}
	for in, want := range tests {
		if got := human(in); got != want {
			t.Errorf("human(%d) = %q, want %q", in, got, want)
		}
	}
}
