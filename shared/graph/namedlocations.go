package graph

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Named location writes (list/read types are in conditionalaccess.go).
// Every call here is on the Conditional Access budget: 1 request per second
// per tenant, and 429s without Retry-After. Callers pace.

// GetNamedLocation reads one named location by id. Needs Policy.Read.All.
func (c *Client) GetNamedLocation(ctx context.Context, id string) (NamedLocation, error) {
	var raw namedLocationJSON
	if err := c.Raw(ctx, "reading named location "+id, http.MethodGet, "v1.0/identity/conditionalAccess/namedLocations/"+url.PathEscape(id), nil, &raw); err != nil {
		return NamedLocation{}, err
	}
	return raw.location(), nil
}

// CreateIPNamedLocation creates an IP named location (201). Needs
// Policy.Read.All and Policy.ReadWrite.ConditionalAccess.
func (c *Client) CreateIPNamedLocation(ctx context.Context, name string, trusted bool, cidrs []string) (NamedLocation, error) {
	op := fmt.Sprintf("creating named location %q", name)
	body := ipLocationBody{Type: "#microsoft.graph.ipNamedLocation", DisplayName: name, IsTrusted: &trusted, IPRanges: ipRanges(cidrs)}
	var raw namedLocationJSON
	if err := c.Raw(ctx, op, http.MethodPost, "v1.0/identity/conditionalAccess/namedLocations", body, &raw); err != nil {
		return NamedLocation{}, err
	}
	return raw.location(), nil
}

// IPLocationUpdate is a PATCH of an IP named location. ipRanges replaces the
// whole collection, so CIDRs must be the complete new list.
type IPLocationUpdate struct {
	DisplayName string // "" = unchanged
	Trusted     *bool  // nil = unchanged
	CIDRs       []string
}

// UpdateIPNamedLocation patches an IP named location (204).
func (c *Client) UpdateIPNamedLocation(ctx context.Context, id string, u IPLocationUpdate) error {
	op := "updating named location " + id
	body := ipLocationBody{Type: "#microsoft.graph.ipNamedLocation", DisplayName: u.DisplayName, IsTrusted: u.Trusted, IPRanges: ipRanges(u.CIDRs)}
	return c.Raw(ctx, op, http.MethodPatch, "v1.0/identity/conditionalAccess/namedLocations/"+url.PathEscape(id), body, nil)
}

// DeleteNamedLocation deletes a named location (204). Graph refuses while a
// Conditional Access policy references it.
func (c *Client) DeleteNamedLocation(ctx context.Context, id string) error {
	return c.Raw(ctx, "deleting named location "+id, http.MethodDelete, "v1.0/identity/conditionalAccess/namedLocations/"+url.PathEscape(id), nil, nil)
}

type ipRangeJSON struct {
	Type string `json:"@odata.type"`
	CIDR string `json:"cidrAddress"`
}

type ipLocationBody struct {
	Type        string        `json:"@odata.type"`
	DisplayName string        `json:"displayName,omitempty"`
	IsTrusted   *bool         `json:"isTrusted,omitempty"`
	IPRanges    []ipRangeJSON `json:"ipRanges"`
}

func ipRanges(cidrs []string) []ipRangeJSON {
	out := make([]ipRangeJSON, 0, len(cidrs))
	for _, c := range cidrs {
		t := "#microsoft.graph.iPv4CidrRange"
		if strings.Contains(c, ":") {
			t = "#microsoft.graph.iPv6CidrRange"
		}
		out = append(out, ipRangeJSON{Type: t, CIDR: c})
	}
	return out
}

type namedLocationJSON struct {
	Type        string        `json:"@odata.type"`
	ID          string        `json:"id"`
	DisplayName string        `json:"displayName"`
	IsTrusted   bool          `json:"isTrusted"`
	IPRanges    []ipRangeJSON `json:"ipRanges"`
	Countries   []string      `json:"countriesAndRegions"`
}

func (j namedLocationJSON) location() NamedLocation {
	nl := NamedLocation{ID: j.ID, DisplayName: j.DisplayName, Trusted: j.IsTrusted}
	switch {
	case strings.HasSuffix(j.Type, "countryNamedLocation"):
		nl.Kind, nl.Countries = LocationCountry, j.Countries
	default:
		nl.Kind = LocationIP
		for _, r := range j.IPRanges {
			nl.CIDRs = append(nl.CIDRs, r.CIDR)
		}
	}
	return nl
}
