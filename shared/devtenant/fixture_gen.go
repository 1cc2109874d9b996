package devtenant

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// GenerateLarge returns the default fixture grown to n users (10k–100k and
// beyond) with a deterministic, realistic mix: ~2 % guests, ~3 % disabled,
// ~1 % admins, ~40 % per-user MFA enforced (registered), ~10 % enabled but not
// registered, the rest disabled per-user MFA of whom most registered through
// Conditional Access; a few locked or with expired passwords. Every generated
// user has the password DevUserPassword. The same n always gives the same
// users and ids.
func GenerateLarge(n int) *Fixture { return GenerateLargeAt(n, time.Now()) }

// GenerateLargeAt is GenerateLarge with dates relative to now.
func GenerateLargeAt(n int, now time.Time) *Fixture {
	fx := ContosoAt(now)
	now = now.UTC().Truncate(time.Second)
	rng := rand.New(rand.NewPCG(uint64(n), 0xC0A7D0))
	base := len(fx.Users)
	if n <= base {
		return fx
	}
	users := make([]User, 0, n)
	users = append(users, fx.Users...)
	allCompany := &fx.Groups[0]
	day := 24 * time.Hour
	for i := base; i < n; i++ {
		first := genFirst[rng.IntN(len(genFirst))]
		last := genLast[rng.IntN(len(genLast))]
		k := i - base
		upn := fmt.Sprintf("%s.%s.%06d@contoso.com", strings.ToLower(first), strings.ToLower(last), k)
		u := User{
			ID:                StableID("user", upn),
			UserPrincipalName: upn, DisplayName: first + " " + last, GivenName: first, Surname: last, Mail: upn,
			JobTitle: jobTitles[rng.IntN(len(jobTitles))], Department: departments[rng.IntN(len(departments))],
			OfficeLocation: genOffices[rng.IntN(len(genOffices))], UserType: "Member", AccountEnabled: true,
			CreatedDateTime: now.Add(-time.Duration(30+rng.IntN(2000)) * day), Password: DevUserPassword,
			LastPasswordChangeDateTime: now.Add(-time.Duration(rng.IntN(400)) * day), PerUserMFAState: MFADisabled,
		}
		r := rng.Float64()
		switch {
		case r < 0.02: // guest
			ext := genPartners[rng.IntN(len(genPartners))]
			local := fmt.Sprintf("%s.%s%d", strings.ToLower(first), strings.ToLower(last), k)
			u.UserPrincipalName = fmt.Sprintf("%s_%s#EXT#@%s", local, ext, InitialDomain)
			u.ID = StableID("user", strings.ToLower(u.UserPrincipalName))
			u.Mail, u.UserType, u.Password, u.JobTitle, u.Department, u.OfficeLocation = local+"@"+ext, "Guest", "", "", "", ""
		case r < 0.05:
			u.AccountEnabled = false
		}
		if u.UserType == "Member" {
			m := rng.Float64()
			switch {
			case m < 0.40:
				u.PerUserMFAState, u.Methods = MFAEnforced, genMethods(u.ID, rng, now)
			case m < 0.50:
				u.PerUserMFAState = MFAEnabled
			case m < 0.85:
				u.Methods = genMethods(u.ID, rng, now)
			}
			switch x := rng.Float64(); {
			case x < 0.01:
				u.IsAdmin = true
			case x < 0.015:
				u.Locked = true
			case x < 0.025:
				u.PasswordExpired = true
			}
			allCompany.Members = append(allCompany.Members, u.ID)
		}
		users = append(users, u)
	}
	fx.Users = users
	return fx
}

func genMethods(id string, rng *rand.Rand, now time.Time) []AuthMethod {
	created := now.Add(-time.Duration(1+rng.IntN(700)) * 24 * time.Hour)
	ms := []AuthMethod{{ID: StableID("method", id+"/authenticator"), Type: "microsoftAuthenticator", DisplayName: "Phone", Created: created}}
	if rng.IntN(3) == 0 {
		ms = append(ms, AuthMethod{ID: "3179e48a-750b-4051-897c-87b9720928f7", Type: "phone", PhoneNumber: fmt.Sprintf("+1 425555%04d", rng.IntN(10000)), PhoneType: "mobile", Created: created})
	}
	if rng.IntN(20) == 0 {
		ms = append(ms, AuthMethod{ID: StableID("method", id+"/fido2"), Type: "fido2", DisplayName: "YubiKey 5", Created: created})
	}
	return ms
}

var (
	genFirst = []string{"Aaron", "Abigail", "Adam", "Aisha", "Alan", "Alice", "Amir", "Ana", "Andre", "Anna", "Ben", "Bianca", "Carlos", "Chen",
		"Chloe", "Daniel", "Daria", "David", "Elif", "Emma", "Ethan", "Fatima", "Felix", "Grace", "Hannah", "Hiro", "Ibrahim", "Isabel", "Jack",
		"Jana", "Jin", "Jonas", "Kai", "Karin", "Leila", "Liam", "Lucia", "Mara", "Mateo", "Mei", "Mia", "Mohammed", "Nina", "Noah", "Olga",
		"Omar", "Paula", "Pedro", "Ravi", "Rosa", "Sara", "Sofia", "Tom", "Uma", "Vera", "Wei", "Yara", "Yusuf", "Zoe"}
	genLast = []string{"Adams", "Ahmed", "Almeida", "Baker", "Bauer", "Becker", "Brown", "Castro", "Chen", "Costa", "Dubois", "Evans", "Fischer",
		"Garcia", "Gonzalez", "Hansen", "Ito", "Jensen", "Kim", "Kowalski", "Lee", "Lopez", "Martin", "Meyer", "Moreau", "Muller", "Nakamura",
		"Nguyen", "Novak", "Olsen", "Patel", "Petrov", "Rossi", "Santos", "Schmidt", "Silva", "Singh", "Smith", "Suzuki", "Tanaka", "Taylor",
		"Walker", "Wang", "Weber", "Wilson", "Yamamoto", "Young", "Zhang"}
	genOffices  = []string{"Redmond", "Seattle", "New York", "London", "Dublin", "Munich", "Tokyo", "Sydney", "Remote"}
	genPartners = []string{"fabrikam.com", "northwindtraders.com", "adventure-works.com", "tailspintoys.com", "wingtiptoys.com"}
)
