package identity

import (
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// SignInError is what Entra's token endpoint said when it refused a token:
// the OAuth error, the AADSTS code and the ids a support ticket needs. It is
// data read from an error, not an error itself.
type SignInError struct {
	// Status is the HTTP status of the token endpoint's answer (0 if unknown).
	Status int `json:"status,omitempty"`
	// Code is the first AADSTS code, e.g. 50076 (0 if Entra gave none).
	Code int `json:"code"`
	// Codes are all of error_codes.
	Codes []int `json:"codes,omitempty"`
	// Error is the OAuth error, e.g. invalid_grant, invalid_client.
	Error string `json:"error,omitempty"`
	// Description is the first line of error_description ("AADSTS50076: ...").
	Description string `json:"description,omitempty"`
	// SubError refines Error, e.g. basic_action (MFA) or consent_required.
	SubError string `json:"subError,omitempty"`
	// Claims is the claims challenge (Conditional Access policy ids, CAE).
	Claims        string `json:"claims,omitempty"`
	TraceID       string `json:"traceId,omitempty"`
	CorrelationID string `json:"correlationId,omitempty"`
	Timestamp     string `json:"timestamp,omitempty"`
}

// AADSTS returns "AADSTS50076" (or "" without a code).
func (e SignInError) AADSTS() string {
	if e.Code == 0 {
		return ""
	}
	return "AADSTS" + strconv.Itoa(e.Code)
}

// Summary is one line for people: "AADSTS50076 invalid_grant: Due to ...".
func (e SignInError) Summary() string {
	var b strings.Builder
	if c := e.AADSTS(); c != "" {
		b.WriteString(c)
	}
	if e.Error != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(e.Error)
	}
	d := e.Description
	if c := e.AADSTS(); c != "" {
		d = strings.TrimSpace(strings.TrimPrefix(d, c+":"))
	}
	if d != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(d)
	}
	if b.Len() == 0 {
		return "sign-in failed"
	}
	return b.String()
}

// CAPolicyIDs returns the Conditional Access policy ids named in the claims
// challenge ("capolids"), if any.
func (e SignInError) CAPolicyIDs() []string {
	if e.Claims == "" {
		return nil
	}
	var c struct {
		AccessToken struct {
			Capolids struct {
				Values []string `json:"values"`
			} `json:"capolids"`
		} `json:"access_token"`
	}
	if json.Unmarshal([]byte(e.Claims), &c) != nil {
		return nil
	}
	return c.AccessToken.Capolids.Values
}

var aadstsRE = regexp.MustCompile(`AADSTS(\d{4,9})`)

// AsSignInError extracts Entra's refusal from err: the body of an
// *azidentity.AuthenticationFailedError read with runtime.Payload (which
// leaves the body readable, so err.Error() keeps working), or else the first
// "AADSTSnnnn" in the error text (failures before the token request, such
// as OIDC discovery for an unknown tenant). ok is false when err carries
// neither.
func AsSignInError(err error) (SignInError, bool) {
	if err == nil {
		return SignInError{}, false
	}
	var afe *azidentity.AuthenticationFailedError
	if errors.As(err, &afe) && afe.RawResponse != nil {
		out := SignInError{Status: afe.RawResponse.StatusCode}
		if body, perr := runtime.Payload(afe.RawResponse); perr == nil && len(body) > 0 {
			var aad struct {
				Error            string `json:"error"`
				ErrorDescription string `json:"error_description"`
				ErrorCodes       []int  `json:"error_codes"`
				SubError         string `json:"suberror"`
				Claims           string `json:"claims"`
				TraceID          string `json:"trace_id"`
				CorrelationID    string `json:"correlation_id"`
				Timestamp        string `json:"timestamp"`
			}
			if json.Unmarshal(body, &aad) == nil {
				out.Error, out.SubError, out.Claims = aad.Error, aad.SubError, aad.Claims
				out.TraceID, out.CorrelationID, out.Timestamp = aad.TraceID, aad.CorrelationID, aad.Timestamp
				out.Description = firstLine(aad.ErrorDescription)
				out.Codes = aad.ErrorCodes
				if len(aad.ErrorCodes) > 0 {
					out.Code = aad.ErrorCodes[0]
				} else if m := aadstsRE.FindStringSubmatch(aad.ErrorDescription); m != nil {
					out.Code, _ = strconv.Atoi(m[1])
				}
				return out, true
			}
		}
		if out.Code = codeIn(err.Error()); out.Code != 0 {
			out.Codes = []int{out.Code}
		}
		return out, true
	}
	if c := codeIn(err.Error()); c != 0 {
		return SignInError{Code: c, Codes: []int{c}, Description: firstLine(aadstsLine(err.Error()))}, true
	}
	return SignInError{}, false
}

func codeIn(s string) int {
	if m := aadstsRE.FindStringSubmatch(s); m != nil {
		c, _ := strconv.Atoi(m[1])
		return c
	}
	return 0
}

// aadstsLine returns the text from the first AADSTS code on.
func aadstsLine(s string) string {
	if i := strings.Index(s, "AADSTS"); i >= 0 {
		return s[i:]
	}
	return s
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}
