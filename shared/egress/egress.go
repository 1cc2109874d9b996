// Package egress finds the public IP address this process reaches the
// internet from, by asking several IP-echo services, and answers which IP
// ranges (Conditional Access named locations) contain it. It knows nothing
// of Graph: callers hand it plain Location values.
package egress

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Address families.
const (
	IPv4 = "ipv4"
	IPv6 = "ipv6"
)

// DefaultTimeout bounds one echo request.
const DefaultTimeout = 10 * time.Second

// maxEchoBody bounds what is read from an echo service: an address plus a
// small JSON wrapper.
const maxEchoBody = 512

// Source is one echo service's answer.
type Source struct {
	URL    string `json:"url"`
	IP     string `json:"ip,omitempty"`
	Family string `json:"family,omitempty"`
	// Error says why the service gave no address.
	Error string `json:"error,omitempty"`
	// LatencyMS is the round trip in milliseconds.
	LatencyMS int64 `json:"latencyMs"`
}

// Discovery is what the echo services said, taken together.
type Discovery struct {
	// IPs are the distinct addresses seen, IPv4 first, in a stable order.
	IPs []string `json:"ips"`
	// Agree: at least one address was seen and no two services named
	// different addresses of the same family (an IPv4 and an IPv6 answer
	// from a dual-stack host do not disagree).
	Agree   bool     `json:"agree"`
	Sources []Source `json:"sources"`
}

// Primary is the address to reason about first: the IPv4 address most
// services named, else the IPv6 one; "" when nothing answered.
func (d Discovery) Primary() string {
	best, bestN := "", 0
	for _, fam := range []string{IPv4, IPv6} {
		counts := map[string]int{}
		for _, s := range d.Sources {
			if s.Family == fam {
				counts[s.IP]++
			}
		}
		for _, ip := range d.IPs { // IPs is ordered: ties go to the first
			if n := counts[ip]; n > bestN {
				best, bestN = ip, n
			}
		}
		if best != "" {
			return best
		}
	}
	return best
}

// Conflicts returns, per family, the addresses that disagree (nil when they agree).
func (d Discovery) Conflicts() map[string][]string {
	var out map[string][]string
	for _, fam := range []string{IPv4, IPv6} {
		var ips []string
		for _, ip := range d.IPs {
			if FamilyOf(ip) == fam {
				ips = append(ips, ip)
			}
		}
		if len(ips) > 1 {
			if out == nil {
				out = map[string][]string{}
			}
			out[fam] = ips
		}
	}
	return out
}

// Discover asks every echo URL concurrently through client and combines the
// answers. It never fails as a whole: a service that does not answer is a
// Source with an Error. client's transport decides where requests go (the
// dev tenant serves the well-known echo hosts).
func Discover(ctx context.Context, client *http.Client, urls []string) Discovery {
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	d := Discovery{Sources: make([]Source, len(urls)), IPs: []string{}}
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.Sources[i] = ask(ctx, client, u)
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	var v4, v6 []netip.Addr
	for _, s := range d.Sources {
		if s.IP == "" || seen[s.IP] {
			continue
		}
		seen[s.IP] = true
		a := netip.MustParseAddr(s.IP)
		if a.Is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	for _, set := range [][]netip.Addr{v4, v6} {
		slices.SortFunc(set, func(a, b netip.Addr) int { return a.Compare(b) })
		for _, a := range set {
			d.IPs = append(d.IPs, a.String())
		}
	}
	d.Agree = len(d.IPs) > 0 && len(v4) <= 1 && len(v6) <= 1
	return d
}

func ask(ctx context.Context, client *http.Client, rawURL string) Source {
	src := Source{URL: rawURL}
	start := time.Now()
	ip, err := fetch(ctx, client, rawURL)
	src.LatencyMS = time.Since(start).Milliseconds()
	if err != nil {
		src.Error = err.Error()
		return src
	}
	src.IP, src.Family = ip.String(), FamilyOf(ip.String())
	return src
}

func fetch(ctx context.Context, client *http.Client, rawURL string) (netip.Addr, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return netip.Addr{}, fmt.Errorf("not an http(s) URL")
	}
	if client.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("building the request: %w", err)
	}
	req.Header.Set("Accept", "text/plain, application/json")
	req.Header.Set("User-Agent", "tenantops-egress/1")
	resp, err := client.Do(req)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("no answer: %w", unwrapURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxEchoBody+1))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return netip.Addr{}, fmt.Errorf("answered %s", resp.Status)
	}
	if len(body) > maxEchoBody {
		return netip.Addr{}, errors.New("answer too long to be an IP address")
	}
	return ParseEcho(body)
}

// unwrapURL drops *url.Error's "Get \"...\":" prefix; the URL is already in Source.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// ParseEcho reads an echo service's answer: the address as plain text
// (api.ipify.org, checkip.amazonaws.com, ifconfig.me/ip) or JSON {"ip": "..."}
// (api.ipify.org?format=json).
func ParseEcho(body []byte) (netip.Addr, error) {
	s := strings.TrimSpace(string(body))
	if strings.HasPrefix(s, "{") {
		var v struct {
			IP string `json:"ip"`
		}
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return netip.Addr{}, errors.New("answer is neither an IP address nor {\"ip\": ...}")
		}
		s = v.IP
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("answer %q is not an IP address", truncate(s, 60))
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("answer %q is a scoped address, not a public one", truncate(s, 60))
	}
	return a.Unmap(), nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// FamilyOf returns IPv4 or IPv6 for an address ("" if it isn't one).
func FamilyOf(ip string) string {
	a, err := netip.ParseAddr(ip)
	switch {
	case err != nil:
		return ""
	case a.Unmap().Is4():
		return IPv4
	default:
		return IPv6
	}
}

// ParseIPs parses a list of addresses (as in TENANTOPS_EXPECTED_EGRESS_IPS),
// accepting comma-separated items; it names the first bad one.
func ParseIPs(list []string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, item := range list {
		for _, s := range strings.Split(item, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			a, err := netip.ParseAddr(s)
			if err != nil || a.Zone() != "" {
				return nil, fmt.Errorf("%q is not an IP address", s)
			}
			out = append(out, a.Unmap())
		}
	}
	return out, nil
}

// Expectation compares the egress addresses with the expected ones.
type Expectation struct {
	Expected []string `json:"expected"`
	// Match: every observed address is expected.
	Match bool `json:"match"`
	// Unexpected are observed addresses that are not expected.
	Unexpected []string `json:"unexpected,omitempty"`
}

// Expect compares observed with expected (both already-valid addresses).
// With nothing expected there is no Expectation (nil).
func Expect(observed []string, expected []netip.Addr) *Expectation {
	if len(expected) == 0 {
		return nil
	}
	e := &Expectation{Match: len(observed) > 0}
	for _, a := range expected {
		e.Expected = append(e.Expected, a.String())
	}
	for _, ip := range observed {
		a, err := netip.ParseAddr(ip)
		if err != nil || !slices.Contains(expected, a.Unmap()) {
			e.Unexpected = append(e.Unexpected, ip)
			e.Match = false
		}
	}
	return e
}

// Location is an IP named location, as far as matching needs it.
type Location struct {
	ID          string
	DisplayName string
	Trusted     bool
	CIDRs       []string
}

// Match is a location containing an address, and the range that does.
type Match struct {
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Trusted     bool   `json:"isTrusted"`
	CIDR        string `json:"cidr"`
}

// Containing returns the locations with a range containing ip, in the
// locations' order. Ranges Graph stores with host bits set (12.34.221.11/22)
// are matched by their network, as the service does; ranges that do not
// parse are ignored.
func Containing(locs []Location, ip string) []Match {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return nil
	}
	a = a.Unmap()
	var out []Match
	for _, l := range locs {
		for _, c := range l.CIDRs {
			p, err := netip.ParsePrefix(strings.TrimSpace(c))
			if err != nil {
				continue
			}
			if p.Masked().Contains(a) {
				out = append(out, Match{ID: l.ID, DisplayName: l.DisplayName, Trusted: l.Trusted, CIDR: c})
				break
			}
		}
	}
	return out
}

// Families returns which address families the trusted locations cover
// (IPv4, IPv6), e.g. to say "your trusted locations have no IPv6 range".
func Families(locs []Location, trustedOnly bool) []string {
	has := map[string]bool{}
	for _, l := range locs {
		if trustedOnly && !l.Trusted {
			continue
		}
		for _, c := range l.CIDRs {
			if p, err := netip.ParsePrefix(strings.TrimSpace(c)); err == nil {
				if p.Addr().Unmap().Is4() {
					has[IPv4] = true
				} else {
					has[IPv6] = true
				}
			}
		}
	}
	var out []string
	for _, f := range []string{IPv4, IPv6} {
		if has[f] {
			out = append(out, f)
		}
	}
	return out
}
