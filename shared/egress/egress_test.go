package egress_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/tenantops/tenantops/shared/egress"
)

func TestParseEcho(t *testing.T) {
	tests := []struct{ body, want, err string }{
		{"203.0.113.10\n", "203.0.113.10", ""},
		{"  2001:db8::1 \r\n", "2001:db8::1", ""},
		{`{"ip":"198.51.100.7"}`, "198.51.100.7", ""},
		{"::ffff:203.0.113.10", "203.0.113.10", ""},
		{"<html>blocked</html>", "", "not an IP address"},
		{`{"ip":}`, "", "neither an IP address"},
		{"fe80::1%eth0", "", "scoped address"},
		{"", "", "not an IP address"},
	}
	for _, tt := range tests {
		a, err := egress.ParseEcho([]byte(tt.body))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v, want %q", tt.body, err, tt.err)
			}
			continue
		}
		if err != nil || a.String() != tt.want {
			t.Errorf("%q: %v %v, want %s", tt.body, a, err, tt.want)
		}
	}
}

// echoServer answers every request with its address for the Host.
func echoServer(t *testing.T, answers map[string]string) *http.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ans, ok := answers[r.Host]
		switch {
		case !ok:
			http.Error(w, "no", http.StatusServiceUnavailable)
		case strings.HasPrefix(ans, "status:"):
			var code int
			fmt.Sscanf(ans, "status:%d", &code)
			http.Error(w, "fault", code)
		default:
			fmt.Fprintln(w, ans)
		}
	}))
	t.Cleanup(srv.Close)
	// Every host goes to the loopback server, as the dev transport does.
	tr := &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, srv.Listener.Addr().String())
	}}
	return &http.Client{Transport: tr}
}

func TestDiscover(t *testing.T) {
	tests := []struct {
		name    string
		answers map[string]string
		ips     []string
		agree   bool
		primary string
	}{
		{"all agree", map[string]string{"a": "203.0.113.10", "b": "203.0.113.10", "c": "203.0.113.10"}, []string{"203.0.113.10"}, true, "203.0.113.10"},
		{"dual stack is not a disagreement", map[string]string{"a": "203.0.113.10", "b": "2001:db8::10", "c": "203.0.113.10"}, []string{"203.0.113.10", "2001:db8::10"}, true, "203.0.113.10"},
		{"two IPv4 paths", map[string]string{"a": "203.0.113.10", "b": "203.0.113.11", "c": "203.0.113.11"}, []string{"203.0.113.10", "203.0.113.11"}, false, "203.0.113.11"},
		{"one fails", map[string]string{"a": "203.0.113.10", "b": "status:503", "c": "garbage"}, []string{"203.0.113.10"}, true, "203.0.113.10"},
		{"none answers", map[string]string{}, []string{}, false, ""},
		{"IPv6 only", map[string]string{"a": "2001:db8::10"}, []string{"2001:db8::10"}, true, "2001:db8::10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := echoServer(t, tt.answers)
			d := egress.Discover(context.Background(), c, []string{"http://a/", "http://b/ip", "http://c"})
			if !reflect.DeepEqual(d.IPs, tt.ips) || d.Agree != tt.agree || d.Primary() != tt.primary || len(d.Sources) != 3 {
				t.Fatalf("got %+v primary %q", d, d.Primary())
			}
			for _, s := range d.Sources {
				if (s.IP == "") == (s.Error == "") {
					t.Fatalf("source %+v: want an IP or an error", s)
				}
			}
			if tt.agree != (d.Conflicts() == nil) && len(d.IPs) > 0 {
				t.Fatalf("conflicts %v vs agree %v", d.Conflicts(), tt.agree)
			}
		})
	}
}

func TestDiscoverRejectsBadURL(t *testing.T) {
	d := egress.Discover(context.Background(), nil, []string{"ftp://x", "::"})
	if len(d.IPs) != 0 || d.Sources[0].Error == "" || d.Sources[1].Error == "" {
		t.Fatalf("%+v", d)
	}
}

func TestContaining(t *testing.T) {
	locs := []egress.Location{
		{ID: "ho", DisplayName: "Head office", Trusted: true, CIDRs: []string{"203.0.113.0/24", "2001:db8:100::/48"}},
		{ID: "pn", DisplayName: "Partner", Trusted: false, CIDRs: []string{"192.0.2.0/24"}},
		{ID: "odd", DisplayName: "Odd", Trusted: true, CIDRs: []string{"12.34.221.11/22", "not-a-cidr"}},
	}
	tests := []struct {
		ip   string
		want []string
	}{
		{"203.0.113.10", []string{"ho"}},
		{"::ffff:203.0.113.10", []string{"ho"}},
		{"2001:db8:100:5::1", []string{"ho"}},
		{"2001:db8:200::1", nil},
		{"192.0.2.9", []string{"pn"}},
		{"12.34.220.1", []string{"odd"}}, // host bits set in the range: matched by its network
		{"198.51.100.7", nil},
		{"nonsense", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, m := range egress.Containing(locs, tt.ip) {
			got = append(got, m.ID)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.ip, got, tt.want)
		}
	}
	if f := egress.Families(locs[:1], true); !reflect.DeepEqual(f, []string{egress.IPv4, egress.IPv6}) {
		t.Errorf("families %v", f)
	}
	if f := egress.Families(locs[1:2], true); f != nil {
		t.Errorf("untrusted families %v", f)
	}
}

func TestExpect(t *testing.T) {
	exp, err := egress.ParseIPs([]string{"203.0.113.10, 2001:db8::1", ""})
	if err != nil || len(exp) != 2 {
		t.Fatal(exp, err)
	}
	if e := egress.Expect([]string{"203.0.113.10"}, nil); e != nil {
		t.Fatal("expectation without expected IPs")
	}
	if e := egress.Expect([]string{"203.0.113.10", "2001:db8::1"}, exp); !e.Match {
		t.Fatalf("%+v", e)
	}
	if e := egress.Expect([]string{"198.51.100.7"}, exp); e.Match || !reflect.DeepEqual(e.Unexpected, []string{"198.51.100.7"}) {
		t.Fatalf("%+v", e)
	}
	if e := egress.Expect(nil, exp); e.Match {
		t.Fatal("nothing observed matched")
	}
	if _, err := egress.ParseIPs([]string{"203.0.113.300"}); err == nil || !strings.Contains(err.Error(), "203.0.113.300") {
		t.Fatalf("err %v", err)
	}
}

func ExampleContaining() {
	locs := []egress.Location{{ID: "ho", DisplayName: "Head office", Trusted: true, CIDRs: []string{"203.0.113.0/24", "2001:db8:100::/48"}}}
	for _, ip := range []string{"203.0.113.10", "2001:db8:100::10", "198.51.100.7"} {
		fmt.Println(ip, egress.Containing(locs, ip))
	}
	// Output:
	// 203.0.113.10 [{ho Head office true 203.0.113.0/24}]
	// 2001:db8:100::10 [{ho Head office true 2001:db8:100::/48}]
	// 198.51.100.7 []
}

func BenchmarkContaining(b *testing.B) {
	var locs []egress.Location
	for i := range 50 {
		locs = append(locs, egress.Location{ID: fmt.Sprint(i), Trusted: true, CIDRs: []string{fmt.Sprintf("10.%d.0.0/16", i), fmt.Sprintf("2001:db8:%x::/48", i)}})
	}
	for b.Loop() {
		egress.Containing(locs, "198.51.100.7")
	}
}
