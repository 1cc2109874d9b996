// Package infra holds tenantops' deployment assets and their offline checks:
//
//   - azure/: Bicep for the Azure Functions custom handler on Flex Consumption
//     (VNet integration, NAT gateway static egress IP, Key Vault, Event Grid).
//   - aws/: the SAM template for the Lambda bootstrap (VPC, NAT gateway + EIP,
//     Function URL, EventBridge schedule, outbound identity federation).
//   - permissions/: the least-privilege Microsoft Graph manifest per operation
//     and its loader.
//   - tools/mkzip: the reproducible zip writer used by `make package`.
//
// The package itself has no code; its tests validate host.json and every
// functions/*/function.json (SchemaStore schemas plus the project's own rules),
// run `make package` and inspect the zips, and check the SAM and Bicep files
// structurally. See infra/README.md.
package infra
