// Command mkzip writes a reproducible zip archive of a directory tree.
//
//	go run ./infra/tools/mkzip -o dist/azure.zip -C dist/azure
//
// The archive holds every regular file below the directory (no directory
// entries), in byte-wise sorted order, with forward-slash names relative to
// the directory, deflate compression, and one fixed timestamp
// (SOURCE_DATE_EPOCH if set, else 1980-01-01T00:00:00Z, the earliest time a
// zip can record). File modes are normalised: a file with any executable bit
// is stored as 0755, every other file as 0644, with the Unix creator version
// so that unzip, the Azure Functions zip deploy and AWS Lambda keep the
// executable bit. Symbolic links and other special files are rejected. The
// same input tree therefore always yields the same bytes.
//
// After writing, mkzip prints one line per entry (mode, size, name) and a
// summary line with the archive size.
package main

import (
	"archive/zip"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// epoch is the fixed modification time of every entry unless SOURCE_DATE_EPOCH says otherwise.
var epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// entry is one file to archive.
type entry struct {
	name string // slash-separated, relative to the root
	path string // on disk
	mode fs.FileMode
	size int64
}

func main() {
	out := flag.String("o", "", "output zip `file` (required)")
	dir := flag.String("C", "", "`directory` whose contents are archived (required)")
	quiet := flag.Bool("q", false, "do not print the listing")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: mkzip -o out.zip -C dir [-q]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || *dir == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	mtime, err := modTime(os.Getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkzip:", err)
		os.Exit(2)
	}
	entries, err := collect(*dir, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkzip:", err)
		os.Exit(1)
	}
	if err := write(*out, entries, mtime); err != nil {
		fmt.Fprintln(os.Stderr, "mkzip:", err)
		os.Exit(1)
	}
	if !*quiet {
		if err := report(os.Stdout, *out, entries); err != nil {
			fmt.Fprintln(os.Stderr, "mkzip:", err)
			os.Exit(1)
		}
	}
}

// modTime parses SOURCE_DATE_EPOCH (seconds since 1970); empty means epoch.
// Zip timestamps cannot go before 1980, so earlier values are clamped.
func modTime(s string) (time.Time, error) {
	if s == "" {
		return epoch, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: not an integer", s)
	}
	t := time.Unix(n, 0).UTC()
	if t.Before(epoch) {
		t = epoch
	}
	return t, nil
}

// collect lists the regular files below root, sorted by name. The output
// file is skipped should it live inside root.
func collect(root, out string) ([]entry, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", root)
	}
	absOut, err := filepath.Abs(out)
	if err != nil {
		return nil, err
	}
	var entries []entry
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if abs, err := filepath.Abs(path); err == nil && abs == absOut {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file (symlinks and special files are not archived)", path)
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		mode := fs.FileMode(0o644)
		if fi.Mode().Perm()&0o111 != 0 {
			mode = 0o755
		}
		entries = append(entries, entry{name: filepath.ToSlash(rel), path: path, mode: mode, size: fi.Size()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("%s: no files to archive", root)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	return entries, nil
}

// write creates out atomically (temp file + rename) with the given entries.
func write(out string, entries []entry, mtime time.Time) (err error) {
	if dir := filepath.Dir(out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), ".mkzip-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	zw := zip.NewWriter(tmp)
	for _, e := range entries {
		if err := add(zw, e, mtime); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

func add(zw *zip.Writer, e entry, mtime time.Time) error {
	h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: mtime}
	h.SetMode(e.mode) // also marks the entry as made on Unix, so the mode survives
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	f, err := os.Open(e.path)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, f)
	if err != nil {
		return fmt.Errorf("%s: %w", e.path, err)
	}
	if n != e.size {
		return fmt.Errorf("%s: changed while archiving (%d bytes, expected %d)", e.path, n, e.size)
	}
	return nil
}

// report prints the listing and the archive size.
func report(w io.Writer, out string, entries []entry) error {
	fi, err := os.Stat(out)
	if err != nil {
		return err
	}
	var total int64
	for _, e := range entries {
		total += e.size
		if _, err := fmt.Fprintf(w, "  %s %12d  %s\n", e.mode, e.size, e.name); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(w, "%s: %d entries, %s uncompressed, %s zipped\n", out, len(entries), human(total), human(fi.Size()))
	return err
}

// human renders a byte count, e.g. "12.3 MiB (12897341 bytes)".
func human(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB (%d bytes)", float64(n)/(1<<20), n)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB (%d bytes)", float64(n)/(1<<10), n)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
