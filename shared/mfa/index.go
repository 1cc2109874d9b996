package mfa

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tenantops/tenantops/shared/graph"
)

// guidKey packs an object id into 16 bytes so that tenant-wide indexes stay
// small (a 100k-user tenant fits in a few MB).
type guidKey [16]byte

func parseKey(id string) (guidKey, bool) {
	var k guidKey
	if len(id) != 36 {
		return k, false
	}
	s := strings.ReplaceAll(id, "-", "")
	if len(s) != 32 {
		return k, false
	}
	if _, err := hex.Decode(k[:], []byte(strings.ToLower(s))); err != nil {
		return k, false
	}
	return k, true
}

// idSet is a set of object ids.
type idSet struct {
	m     map[guidKey]struct{}
	other map[string]struct{} // ids that are not GUIDs (never seen in practice)
}

func newIDSet() *idSet { return &idSet{m: map[guidKey]struct{}{}, other: map[string]struct{}{}} }

func (s *idSet) add(id string) {
	if k, ok := parseKey(id); ok {
		s.m[k] = struct{}{}
		return
	}
	s.other[strings.ToLower(id)] = struct{}{}
}

func (s *idSet) has(id string) bool {
	if k, ok := parseKey(id); ok {
		_, in := s.m[k]
		return in
	}
	_, in := s.other[strings.ToLower(id)]
	return in
}

func (s *idSet) len() int { return len(s.m) + len(s.other) }

// methodNames are the registration report's method names (userRegistrationDetails
// methodsRegistered / defaultMfaMethod); a row stores them as bits.
var methodNames = []string{
	"mobilePhone", "alternateMobilePhone", "officePhone", "microsoftAuthenticatorPush",
	"microsoftAuthenticatorPasswordless", "softwareOneTimePasscode", "hardwareOneTimePasscode",
	"fido2", "windowsHelloForBusiness", "email", "securityQuestion", "appPassword",
	"passKeyDeviceBound", "passKeyDeviceBoundAuthenticator", "passKeyDeviceBoundWindowsHello",
	"temporaryAccessPass", "macOsSecureEnclaveKey", "voiceMobile", "voiceAlternateMobile", "voiceOffice", "sms", "push", "oath",
}

var methodIndex = func() map[string]int {
	m := make(map[string]int, len(methodNames))
	for i, n := range methodNames {
		m[strings.ToLower(n)] = i
	}
	return m
}()

// regInfo is one user's registration details, packed.
type regInfo struct {
	flags uint8
	def   uint8 // 1+index in methodNames; 0 = none
	bits  uint32
	extra *regExtra // names outside methodNames (rare)
}

type regExtra struct {
	methods []string
	def     string
}

const (
	flagRegistered = 1 << iota
	flagAdmin
)

func packReg(d graph.RegistrationDetail) regInfo {
	var r regInfo
	if d.IsMfaRegistered {
		r.flags |= flagRegistered
	}
	if d.IsAdmin {
		r.flags |= flagAdmin
	}
	for _, m := range d.MethodsRegistered {
		if i, ok := methodIndex[strings.ToLower(m)]; ok {
			r.bits |= 1 << i
		} else {
			if r.extra == nil {
				r.extra = &regExtra{}
			}
			r.extra.methods = append(r.extra.methods, m)
		}
	}
	switch def := d.DefaultMfaMethod; {
	case def == "" || strings.EqualFold(def, "none"):
	default:
		if i, ok := methodIndex[strings.ToLower(def)]; ok {
			r.def = uint8(i + 1)
		} else {
			if r.extra == nil {
				r.extra = &regExtra{}
			}
			r.extra.def = def
		}
	}
	return r
}

func (r regInfo) registered() bool { return r.flags&flagRegistered != 0 }
func (r regInfo) admin() bool      { return r.flags&flagAdmin != 0 }

func (r regInfo) methods() []string {
	out := []string{}
	for i, n := range methodNames {
		if r.bits&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if r.extra != nil {
		out = append(out, r.extra.methods...)
	}
	return out
}

func (r regInfo) defaultMethod() string {
	if r.def > 0 {
		return methodNames[r.def-1]
	}
	if r.extra != nil {
		return r.extra.def
	}
	return ""
}

// regIndex is the registration report, filled in the background page by page.
type regIndex struct {
	mu      sync.Mutex
	m       map[guidKey]regInfo
	other   map[string]regInfo
	done    bool
	err     error
	changed chan struct{} // closed and replaced on every page
}

func newRegIndex() *regIndex {
	return &regIndex{m: map[guidKey]regInfo{}, other: map[string]regInfo{}, changed: make(chan struct{})}
}

// fill reads every page, paced under the reports budget. Throttling the SDK
// could not absorb is retried after a pause.
func (x *regIndex) fill(ctx context.Context, g ReportGraph, p *graph.Pacer) {
	next := ""
	retries := 0
	for {
		if err := p.Wait(ctx); err != nil {
			x.finish(err)
			return
		}
		page, err := g.ListRegistrationDetailsPage(ctx, next)
		if err != nil {
			if graph.Retryable(err) && retries < 3 && ctx.Err() == nil {
				retries++
				d := 10 * time.Second << (retries - 1)
				if ra, ok := graph.RetryAfterOf(err); ok {
					d = ra
				}
				p.Pause(d)
				continue
			}
			x.finish(fmt.Errorf("reading the registration report: %w", err))
			return
		}
		retries = 0
		x.mu.Lock()
		for _, d := range page.Details {
			if k, ok := parseKey(d.ID); ok {
				x.m[k] = packReg(d)
			} else {
				x.other[strings.ToLower(d.ID)] = packReg(d)
			}
		}
		close(x.changed)
		x.changed = make(chan struct{})
		x.mu.Unlock()
		if page.Next == "" {
			x.finish(nil)
			return
		}
		next = page.Next
	}
}

func (x *regIndex) finish(err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.done, x.err = true, err
	close(x.changed)
	x.changed = make(chan struct{})
}

func (x *regIndex) error() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if errors.Is(x.err, context.Canceled) {
		return nil
	}
	return x.err
}

// lookup returns a user's details without waiting.
func (x *regIndex) lookup(id string) (regInfo, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if k, ok := parseKey(id); ok {
		v, in := x.m[k]
		return v, in
	}
	v, in := x.other[strings.ToLower(id)]
	return v, in
}

// wait returns a user's details once the report has reached them, or
// known=false when the report ended without them.
func (x *regIndex) wait(ctx context.Context, u graph.User) (regInfo, bool, error) {
	for {
		x.mu.Lock()
		var v regInfo
		var in bool
		if k, ok := parseKey(u.ID); ok {
			v, in = x.m[k]
		} else {
			v, in = x.other[strings.ToLower(u.ID)]
		}
		done, ch := x.done, x.changed
		x.mu.Unlock()
		switch {
		case in:
			return v, true, nil
		case done:
			return regInfo{}, false, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return regInfo{}, false, context.Cause(ctx)
		}
	}
}
