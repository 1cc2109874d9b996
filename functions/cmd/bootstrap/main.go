// Command bootstrap is the AWS Lambda entry point (provided.al2023).
// Build with -tags lambda.norpc. It serves the same HTTP API as the Azure
// handler for Function URL / HTTP API v2 events.
//
// TENANTOPS_DEVTENANT_URL + TENANTOPS_DEVTENANT_CA point it at a running dev
// tenant; the embedded one is not linked into the Lambda binary, to keep it small.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/tenantops/tenantops/functions/aws"
	"github.com/tenantops/tenantops/shared/app"
	"github.com/tenantops/tenantops/shared/httpapi"
	"github.com/tenantops/tenantops/shared/rotation"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	h, err := build(os.Getenv, log)
	if err != nil {
		// Lambda reports an init failure from the exit; say why first.
		fmt.Fprintln(os.Stderr, "bootstrap:", err)
		os.Exit(1)
	}
	lambda.Start(h)
}

func build(getenv func(string) string, log *slog.Logger) (aws.Handler, error) {
	s, err := app.SettingsFromEnv(getenv)
	if err != nil {
		return aws.Handler{}, fmt.Errorf("settings: %w", err)
	}
	if s.Dev {
		return aws.Handler{}, fmt.Errorf("TENANTOPS_DEV=1 is not supported by the Lambda binary; run `tenantops devtenant serve` and set TENANTOPS_DEVTENANT_URL and TENANTOPS_DEVTENANT_CA")
	}
	a, err := app.New(s, log)
	if err != nil {
		return aws.Handler{}, err
	}
	return aws.Handler{
		API: httpapi.New(a),
		// EventBridge schedule: the due-rotation pass (as the RotateCredentials timer).
		Scheduled: func(ctx context.Context, _ json.RawMessage) (any, error) {
			return rotation.RotateDue(ctx, rotation.FromApp(a), rotation.DueRequest{})
		},
	}, nil
}
