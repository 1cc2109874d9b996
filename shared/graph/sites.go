package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/identity"
)

// Site is a SharePoint site as Graph describes it.
type Site struct {
	ID          string `json:"id"` // "host,siteCollectionId,webId"
	Name        string `json:"name,omitempty"`
	DisplayName string `json:"displayName,omitempty"`
	WebURL      string `json:"webUrl,omitempty"`
}

// GetSiteByPath fetches a site by host name and server-relative path
// (GET /sites/{hostname}:/{server-relative-path}); path "" or "/" is the
// host's root site. Needs Sites.Read.All (or Sites.Selected with a grant).
func (c *Client) GetSiteByPath(ctx context.Context, host, path string) (Site, error) {
	op := fmt.Sprintf("getting site %s%s", host, path)
	p, err := sitePath(host, path)
	if err != nil {
		return Site{}, &Error{Op: op, Err: err}
	}
	var s Site
	if err := c.Raw(ctx, op, http.MethodGet, "v1.0/"+p, nil, &s); err != nil {
		return Site{}, err
	}
	return s, nil
}

// GetSiteByPathWithToken is GetSiteByPath with an access token someone else
// acquired (a stored credential being checked), sent over hc as a plain
// request. It exists because building a msgraph-sdk-go client per token is
// not safe while other Graph traffic runs: client construction writes the
// SDK's process-wide backing-store factory (kiota-http-go EnableBackingStore),
// which every model read uses. Errors are *Error, as from Client.
func GetSiteByPathWithToken(ctx context.Context, hc *http.Client, cloud identity.Cloud, token, host, path string) (Site, error) {
	op := fmt.Sprintf("getting site %s%s", host, path)
	p, err := sitePath(host, path)
	if err != nil {
		return Site{}, &Error{Op: op, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, cloud.Endpoints().Graph+"/v1.0/"+p, nil)
	if err != nil {
		return Site{}, &Error{Op: op, Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return Site{}, &Error{Op: op, Err: ctxErr(ctx, err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Site{}, &Error{Op: op, StatusCode: resp.StatusCode, Err: fmt.Errorf("reading Graph's answer: %w", err)}
	}
	if resp.StatusCode/100 != 2 {
		ge := &Error{Op: op, StatusCode: resp.StatusCode, RequestID: resp.Header.Get("request-id")}
		var e struct {
			Error struct {
				Code       string `json:"code"`
				Message    string `json:"message"`
				InnerError struct {
					RequestID string `json:"request-id"`
				} `json:"innerError"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil {
			ge.Code, ge.Message = e.Error.Code, e.Error.Message
			if ge.RequestID == "" {
				ge.RequestID = e.Error.InnerError.RequestID
			}
		}
		if v := resp.Header.Get("Retry-After"); v != "" {
			ge.RetryAfter, _ = ParseRetryAfter(v, time.Now())
		}
		return Site{}, ge
	}
	var s Site
	if err := json.Unmarshal(body, &s); err != nil {
		return Site{}, &Error{Op: op, StatusCode: resp.StatusCode, Err: fmt.Errorf("decoding Graph's answer: %w", err)}
	}
	return s, nil
}

// sitePath is "sites/{host}" or "sites/{host}:/{escaped path}".
func sitePath(host, path string) (string, error) {
	host = strings.ToLower(strings.TrimSpace(host))
	if host == "" || strings.ContainsAny(host, "/:?#") {
		return "", fmt.Errorf("invalid SharePoint host %q", host)
	}
	p := "sites/" + host
	if rel := strings.Trim(path, "/"); rel != "" {
		segs := strings.Split(rel, "/")
		for i, s := range segs {
			segs[i] = url.PathEscape(s)
		}
		p += ":/" + strings.Join(segs, "/")
	}
	return p, nil
}
