package devtenant

import (
	"fmt"
	"time"
)

// AdminLargeFixture returns the default fixture grown to n users (n below the
// fixture's own size leaves it as is): generated members
// user000001@contoso.com … with a deterministic mix of per-user MFA states,
// registered methods, disabled accounts, guests and admins, for benchmarks
// of tenant-wide reports. Fixtures are values: the caller may modify it.
func AdminLargeFixture(n int, now time.Time) *Fixture {
	fx := ContosoAt(now)
	now = now.UTC().Truncate(time.Second)
	created := now.Add(-400 * 24 * time.Hour)
	authenticator := AuthMethod{Type: "microsoftAuthenticator", DisplayName: "Phone", Created: created}
	phone := AuthMethod{Type: "phone", PhoneNumber: "+1 4255550100", PhoneType: "mobile", Created: created}
	for i := len(fx.Users) + 1; i <= n; i++ {
		upn := fmt.Sprintf("user%06d@contoso.com", i)
		u := User{
			UserPrincipalName: upn, DisplayName: fmt.Sprintf("User %06d", i), UserType: "Member",
			AccountEnabled: true, CreatedDateTime: created, PerUserMFAState: MFADisabled,
		}
		switch {
		case i%97 == 0:
			u.UserType = "Guest"
			u.UserPrincipalName = fmt.Sprintf("guest%06d_fabrikam.com#EXT#@%s", i, InitialDomain)
		case i%53 == 0:
			u.AccountEnabled = false
		}
		switch i % 10 {
		case 0, 1, 2:
			u.PerUserMFAState = MFAEnforced
		case 3, 4:
			u.PerUserMFAState = MFAEnabled
		}
		if i%10 != 3 && i%4 != 0 {
			a, p := authenticator, phone
			a.ID = StableID("method", upn+"/authenticator")
			p.ID = StableID("method", upn+"/phone")
			u.Methods = []AuthMethod{a, p}
		}
		u.IsAdmin = i%500 == 0
		fx.Users = append(fx.Users, u)
	}
	return fx
}
