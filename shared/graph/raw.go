package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
)

var errorMappings = abstractions.ErrorMappings{
	"4XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
	"5XX": odataerrors.CreateODataErrorFromDiscriminatorValue,
}

// Raw sends a JSON request through the SDK's pipeline (auth, retry, telemetry)
// for endpoints the typed SDK lacks, such as beta-only
// /users/{id}/authentication/requirements. path is relative to the Graph
// root including the version ("beta/users/x/authentication/requirements") or
// an absolute URL (an @odata.nextLink). body (if not nil) is sent as JSON; the
// answer is decoded into out (if not nil). op says what is being done, for errors.
func (c *Client) Raw(ctx context.Context, op, method, path string, body, out any) error {
	u, err := c.rawURL(path)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	ri := abstractions.NewRequestInformation()
	ri.Method, err = parseMethod(method)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	ri.SetUri(*u)
	ri.Headers.Add("Accept", "application/json")
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return &Error{Op: op, Err: fmt.Errorf("encoding request: %w", err)}
		}
		ri.SetStreamContentAndContentType(b, "application/json")
	}
	res, err := c.adapter.SendPrimitive(ctx, ri, "[]byte", errorMappings)
	if err != nil {
		return wrap(op, ctxErr(ctx, err))
	}
	if out == nil {
		return nil
	}
	b, _ := res.([]byte)
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &Error{Op: op, Err: fmt.Errorf("decoding Graph's answer: %w", err)}
	}
	return nil
}

// rawURL resolves path against the Graph root of this client's cloud.
func (c *Client) rawURL(path string) (*url.URL, error) {
	if strings.HasPrefix(path, "https://") {
		return url.Parse(path)
	}
	root := strings.TrimSuffix(c.baseURL, "/v1.0")
	return url.Parse(root + "/" + strings.TrimPrefix(path, "/"))
}

func parseMethod(m string) (abstractions.HttpMethod, error) {
	switch strings.ToUpper(m) {
	case "GET":
		return abstractions.GET, nil
	case "POST":
		return abstractions.POST, nil
	case "PATCH":
		return abstractions.PATCH, nil
	case "PUT":
		return abstractions.PUT, nil
	case "DELETE":
		return abstractions.DELETE, nil
	}
	return 0, fmt.Errorf("unsupported method %q", m)
}
