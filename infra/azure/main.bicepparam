// Example parameters for main.bicep; copy and adjust per deployment.
//   az deployment group create -g rg-tenantops -f infra/azure/main.bicep -p infra/azure/main.bicepparam
using './main.bicep'

// Accounts tenantops never revokes or changes (required).
param breakGlassAccounts = 'breakglass01@contoso.com,breakglass02@contoso.com'

param hostingPlan = 'FlexConsumption'

// 03:00 UTC every day (NCRONTAB: second minute hour day month day-of-week).
param rotationSchedule = '0 0 3 * * *'

param rotationGrace = '48h'

// Second deployment, after the code with the SecretNearExpiry function is published:
param deploySecretNearExpirySubscription = false
