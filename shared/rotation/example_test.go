package rotation_test

import (
	"context"
	"fmt"

	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/devmode"
	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/rotation"
)

// Rotate one Key Vault-stored client secret against the dev tenant: a new
// client secret is added, tested with a token request, and published as the
// new latest version. The previous one stays valid for the grace period.
func ExampleRotate() {
	dt, err := devtenant.Start(devtenant.Options{})
	if err != nil {
		panic(err)
	}
	defer dt.Close()
	s, _ := devmode.Apply(app.Settings{}, dt)
	a, _ := app.New(s, nil)

	res, err := rotation.Rotate(context.Background(), rotation.FromApp(a), rotation.Request{Secret: "workflow-engine-secret"})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.Kind, res.AppID)
	fmt.Println("steps:", res.Steps)
	// Output:
	// rotated app-secret 2f6e1b9c-7a4d-4c3e-8b5f-0d9a3c6e1f72
	// steps: [lease cleanup add-password test publish verify]
}

// Adopt records which client secret a hand-made Key Vault secret holds,
// after proving the value still signs in.
func ExampleAdopt() {
	dt, err := devtenant.Start(devtenant.Options{})
	if err != nil {
		panic(err)
	}
	defer dt.Close()
	s, _ := devmode.Apply(app.Settings{}, dt)
	a, _ := app.New(s, nil)

	res, err := rotation.Adopt(context.Background(), rotation.FromApp(a), rotation.AdoptRequest{Secret: "workflow-engine-secret"})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, res.DisplayName, res.KeyID == devtenant.StableID("password", devtenant.WorkflowEngineAppID+"/1"))
	// Output: adopted workflow server true
}

// Expiring lists every app and service principal credential that ends
// within the given number of days.
func ExampleExpiring() {
	dt, err := devtenant.Start(devtenant.Options{})
	if err != nil {
		panic(err)
	}
	defer dt.Close()
	s, _ := devmode.Apply(app.Settings{}, dt)
	a, _ := app.New(s, nil)

	res, err := rotation.Expiring(context.Background(), rotation.FromApp(a), rotation.ExpiringRequest{Days: 30})
	if err != nil {
		panic(err)
	}
	for _, c := range res.Credentials {
		fmt.Println(c.AppName, c.Type, c.DisplayName, c.Status, c.DaysLeft)
	}
	// Output: Contoso Workflow Engine password workflow server expiring 19
}
