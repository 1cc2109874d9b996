// Package bench holds tenantops' benchmarks (go test -bench) and the scripts
// that print them as ratios. Nothing here is imported by production code.
package bench
