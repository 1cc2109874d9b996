package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tenantops/tenantops/shared/op"
)

// Exit codes (ARCHITECTURE.md contract).
const (
	ExitOK      = 0 // ok
	ExitError   = 1 // runtime error
	ExitUsage   = 2 // bad usage or invalid input
	ExitProblem = 3 // the operation ran and found a problem
)

// FlagError is a usage mistake: exit 2, with a pointer to --help.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ErrProblem marks a run that completed and found a problem; the result has
// already been printed.
var ErrProblem = errors.New("the operation found a problem")

// ExitCode maps an error from a command to the process exit code.
func ExitCode(err error) int {
	var fe *FlagError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrProblem):
		return ExitProblem
	case errors.As(err, &fe):
		return ExitUsage
	case isInvalid(err):
		return ExitUsage
	case isCobraUsage(err):
		return ExitUsage
	default:
		return ExitError
	}
}

func isInvalid(err error) bool {
	_, ok := op.AsInvalid(err)
	return ok
}

// cobra reports these as plain errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "required flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "if any flags in the group"} {
		if strings.HasPrefix(msg, p) || strings.Contains(msg, "\n"+p) {
			return true
		}
	}
	return false
}

// NoArgs rejects positional arguments with a usage error.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("unexpected argument %q for %q", args[0], cmd.CommandPath())
	}
	return nil
}

// IsCancel reports an interrupted run.
func IsCancel(err error) bool { return errors.Is(err, context.Canceled) }
