package e2e

import (
	"os"
	"testing"
)

// TestBinarySizeBudget guards against linking msgraph's typed models: one
// typed Get or Post of a user, application or policy pulls in the
// deserializers of everything it can reach and nearly triples the binary
// (measured: 10 MB → 27 MB, and 14 MB → 36 MB). Read and write Graph through
// graph.Client.Raw with plain structs instead.
func TestBinarySizeBudget(t *testing.T) {
	for _, b := range []struct {
		path  string
		limit int64
	}{
		{bins.bootstrap, 18 << 20},
		{bins.handler, 20 << 20}, // also embeds the dev tenant for TENANTOPS_DEV=1
	} {
		fi, err := os.Stat(b.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > b.limit {
			t.Errorf("%s is %.1f MB, over its %.0f MB budget: did a typed msgraph model creep into shared/graph?", b.path, float64(fi.Size())/(1<<20), float64(b.limit)/(1<<20))
		}
		t.Logf("%s: %.1f MB (budget %.0f MB)", b.path, float64(fi.Size())/(1<<20), float64(b.limit)/(1<<20))
	}
}
