package cmdutil

import (
	"bufio"
	"fmt"
	"strings"
)

// Confirm guards destructive work: --yes (or a dry run) passes; without it a
// person at a terminal is asked; a script gets a usage error telling it to
// pass --yes.
func (f *Factory) Confirm(what string) error {
	if f.Yes || f.DryRun {
		return nil
	}
	if !f.IO.CanPrompt() {
		return FlagErrorf("%s: --yes required when not running interactively (or try --dry-run first)", what)
	}
	fmt.Fprintf(f.IO.ErrOut, "%s. Continue? [y/N] ", what)
	line, _ := bufio.NewReader(f.IO.In).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return &FlagError{Err: fmt.Errorf("%s: not confirmed, nothing changed", what)}
}
