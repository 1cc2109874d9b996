// Package op holds what every operation shares: input errors that front doors
// turn into exit 2 / HTTP 400, and the Outcome that turns into exit 3.
package op

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
)

// InvalidError is bad input: the caller can fix it by changing the request.
type InvalidError struct {
	Code    string // stable, e.g. "invalidUser"
	Field   string // the request field or flag, e.g. "users[2]"
	Message string
}

func (e *InvalidError) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// Invalid builds an *InvalidError.
func Invalid(code, field, format string, args ...any) error {
	return &InvalidError{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// AsInvalid finds an *InvalidError in err's chain (errors.Join included).
func AsInvalid(err error) (*InvalidError, bool) {
	var ie *InvalidError
	ok := errors.As(err, &ie)
	return ie, ok
}

// Outcome is implemented by results that can report a problem found while
// running (a failed check, a partial failure): CLI exit 3.
type Outcome interface {
	Problem() bool
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsGUID reports an Entra object id.
func IsGUID(s string) bool { return guidRE.MatchString(s) }

// CheckUserRef accepts an object id or a userPrincipalName (guest UPNs with
// #EXT# included) and rejects anything Graph could not resolve.
func CheckUserRef(s string) error {
	if IsGUID(s) {
		return nil
	}
	if s == "" {
		return errors.New("empty user")
	}
	if strings.ContainsAny(s, " \t\r\n/\\?") {
		return fmt.Errorf("%q is neither an object id nor a userPrincipalName", s)
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 {
		return fmt.Errorf("%q is neither an object id nor a userPrincipalName (want name@domain)", s)
	}
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return fmt.Errorf("%q has no valid domain", s)
	}
	// net/mail catches the remaining malformed local parts; #EXT# is legal in UPNs.
	if _, err := mail.ParseAddress(strings.ReplaceAll(s, "#", "_")); err != nil {
		return fmt.Errorf("%q is not a valid userPrincipalName", s)
	}
	return nil
}
