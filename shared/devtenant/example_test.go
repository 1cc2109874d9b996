package devtenant_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/tenantops/tenantops/shared/devtenant"
	"github.com/tenantops/tenantops/shared/identity"
)

// Start a dev tenant and get a token for the admin app through the routed
// transport: production host names, dialled to the dev tenant.
func ExampleStart() {
	dt, err := devtenant.Start(devtenant.Options{})
	if err != nil {
		panic(err)
	}
	defer dt.Close()
	tr, err := identity.DevTransport(dt.URL(), dt.CACertPEM())
	if err != nil {
		panic(err)
	}
	cred, err := azidentity.NewClientSecretCredential(devtenant.TenantID, devtenant.AdminClientID, devtenant.AdminClientSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: azcore.ClientOptions{Transport: &http.Client{Transport: tr}}})
	if err != nil {
		panic(err)
	}
	_, err = cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	fmt.Println(err == nil, dt.Count("POST /*/oauth2/v2.0/token"))
	// Output: true 1
}
