package op

import (
	"errors"
	"testing"
)

func TestCheckUserRef(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		name string
	}{
		{"adele.vance@contoso.com", true, "upn"},
		{"6e7b768e-07e2-4810-8459-485f84f8f204", true, "object id"},
		{"partner_fabrikam.com#EXT#@contoso.onmicrosoft.com", true, "guest upn"},
		{"", false, "empty"},
		{"adele", false, "no at"},
		{"adele@", false, "no domain"},
		{"@contoso.com", false, "no local part"},
		{"a@b@contoso.com", false, "two at"},
		{"adele vance@contoso.com", false, "space"},
		{"adele@contoso", false, "domain without dot"},
		{"adele@contoso..com", false, "double dot"},
		{"../users@contoso.com", false, "path characters"},
		{"6e7b768e-07e2-4810-8459", false, "short guid is not an upn either"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckUserRef(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckUserRef(%q) = %v, want ok=%v", tt.in, err, tt.ok)
			}
		})
	}
}

func TestAsInvalidThroughJoin(t *testing.T) {
	err := errors.Join(errors.New("other"), Invalid("invalidUser", "users[0]", "bad %s", "x"))
	ie, ok := AsInvalid(err)
	if !ok || ie.Code != "invalidUser" || ie.Error() != "users[0]: bad x" {
		t.Fatalf("AsInvalid = %#v, %v", ie, ok)
	}
	if _, ok := AsInvalid(errors.New("plain")); ok {
		t.Fatal("plain error reported as invalid")
	}
}
