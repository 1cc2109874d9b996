package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tenantops/tenantops/shared/op"
	"github.com/tenantops/tenantops/shared/rotation"
)

// Event is an Event Grid event in either schema: Event Grid (eventType,
// topic, eventTime) or CloudEvents 1.0 (type, source, time).
type Event struct {
	ID              string          `json:"id"`
	Topic           string          `json:"topic"`
	Subject         string          `json:"subject"`
	EventType       string          `json:"eventType"`
	EventTime       time.Time       `json:"eventTime"`
	Data            json.RawMessage `json:"data"`
	DataVersion     string          `json:"dataVersion,omitempty"`
	MetadataVersion string          `json:"metadataVersion,omitempty"`
}

// UnmarshalJSON accepts both schemas and any property-name casing (the host
// may hand the event over as a PascalCase object).
func (e *Event) UnmarshalJSON(b []byte) error {
	var raw struct {
		ID              string          `json:"id"`
		Topic           string          `json:"topic"`
		Source          string          `json:"source"`
		Subject         string          `json:"subject"`
		EventType       string          `json:"eventType"`
		Type            string          `json:"type"`
		EventTime       string          `json:"eventTime"`
		Time            string          `json:"time"`
		Data            json.RawMessage `json:"data"`
		DataVersion     string          `json:"dataVersion"`
		MetadataVersion string          `json:"metadataVersion"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("event: %w", err)
	}
	*e = Event{ID: raw.ID, Topic: first(raw.Topic, raw.Source), Subject: raw.Subject, EventType: first(raw.EventType, raw.Type),
		Data: unwrapString(raw.Data), DataVersion: raw.DataVersion, MetadataVersion: raw.MetadataVersion}
	if ts := first(raw.EventTime, raw.Time); ts != "" {
		t, err := ParseHostTime(ts)
		if err != nil {
			return fmt.Errorf("event time: %w", err)
		}
		e.EventTime = t
	}
	return nil
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// DecodeEvents reads the eventGridTrigger binding named name: one event as
// an object, an array of them, or either JSON-encoded as a string (once or
// twice).
func DecodeEvents(req InvokeRequest, name string) ([]Event, error) {
	raw, err := req.binding(name)
	if err != nil {
		return nil, err
	}
	raw = unwrapString(raw)
	t := strings.TrimSpace(string(raw))
	switch {
	case strings.HasPrefix(t, "["):
		var evs []Event
		if err := json.Unmarshal(raw, &evs); err != nil {
			return nil, fmt.Errorf("decoding the event binding: %w", err)
		}
		return evs, nil
	case strings.HasPrefix(t, "{"):
		var ev Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("decoding the event binding: %w", err)
		}
		return []Event{ev}, nil
	}
	return nil, errors.New("the event binding is neither an event nor a list of events")
}

// EventGridFunction adapts run to an eventGridTrigger function with binding
// name, calling run once per event.
func EventGridFunction(name string, run func(ctx context.Context, ev Event) (any, error)) Function {
	return func(ctx context.Context, req InvokeRequest) (InvokeResponse, error) {
		evs, err := DecodeEvents(req, name)
		if err != nil {
			return InvokeResponse{Logs: []string{err.Error()}}, err
		}
		var out InvokeResponse
		var errs []error
		for _, ev := range evs {
			res, err := run(ctx, ev)
			r, _ := logResult(res, err)
			out.Logs = append(out.Logs, r.Logs...)
			errs = append(errs, err)
		}
		return out, errors.Join(errs...)
	}
}

// SecretNearExpiry is the Event Grid function of that name (binding
// "event"): Microsoft.KeyVault.SecretNearExpiry rotates the secret unless the
// event's version is no longer the latest.
func SecretNearExpiry(deps func() rotation.Deps) Function {
	return EventGridFunction("event", func(ctx context.Context, ev Event) (any, error) {
		var req rotation.NearExpiryRequest
		if len(ev.Data) > 0 {
			if err := json.Unmarshal(ev.Data, &req); err != nil {
				return nil, fmt.Errorf("event %s: decoding Key Vault event data: %w", ev.ID, err)
			}
		}
		req.EventType = ev.EventType
		res, err := rotation.RotateNearExpiry(ctx, deps(), req)
		if _, invalid := op.AsInvalid(err); invalid {
			// Redelivering a malformed event cannot help: report, don't fail.
			return rotation.Result{Secret: req.Secret, Vault: req.VaultName, Status: rotation.StatusSkipped, Reason: err.Error()}, nil
		}
		return res, err
	})
}
