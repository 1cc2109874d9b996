package rotation

import (
	"fmt"
	"log/slog"
)

// sensitive holds a secret value. Every way of printing, logging or encoding
// it yields a placeholder, so a value that slips into a log call, an error or
// a result by mistake stays hidden; reveal is the one deliberate exit, used
// only where the value goes to Graph, Key Vault or Entra.
type sensitive struct{ v string }

const redacted = "[REDACTED]"

func (s sensitive) reveal() string                { return s.v }
func (s sensitive) String() string                { return redacted }
func (s sensitive) GoString() string              { return redacted }
func (s sensitive) LogValue() slog.Value          { return slog.StringValue(redacted) }
func (s sensitive) MarshalJSON() ([]byte, error)  { return []byte(`"` + redacted + `"`), nil }
func (s sensitive) MarshalText() ([]byte, error)  { return []byte(redacted), nil }
func (s sensitive) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(redacted)) }
