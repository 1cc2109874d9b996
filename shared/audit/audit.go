// Package audit writes one structured log line per mutation: who, what,
// target, outcome. It never takes a secret value: callers pass identifiers.
package audit

import (
	"context"
	"log/slog"
)

// Entry is one audited mutation (or dry-run of one).
type Entry struct {
	Action  string // e.g. "sessions.revoke"
	Target  string // user UPN/id, secret name, app id …
	Outcome string // e.g. "revoked", "would-revoke", "failed"
	Reason  string // the operator's stated reason
	DryRun  bool
	Detail  string // a short, secret-free explanation
}

// Logger writes audit entries through slog with a fixed shape.
type Logger struct {
	log      *slog.Logger
	operator string
}

// New returns an audit logger; operator identifies who acts (app id, UPN, host).
func New(l *slog.Logger, operator string) *Logger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &Logger{log: l, operator: operator}
}

// Record writes e.
func (a *Logger) Record(ctx context.Context, e Entry) {
	if a == nil {
		return
	}
	attrs := []slog.Attr{
		slog.Bool("audit", true),
		slog.String("operator", a.operator),
		slog.String("action", e.Action),
		slog.String("target", e.Target),
		slog.String("outcome", e.Outcome),
		slog.Bool("dryRun", e.DryRun),
	}
	if e.Reason != "" {
		attrs = append(attrs, slog.String("reason", e.Reason))
	}
	if e.Detail != "" {
		attrs = append(attrs, slog.String("detail", e.Detail))
	}
	a.log.LogAttrs(ctx, slog.LevelInfo, "audit", attrs...)
}
