// tenantops on Azure Functions: a Go custom handler on Flex Consumption (FC1)
// or Elastic Premium, VNet-integrated, with all outbound traffic leaving
// through a NAT gateway on one static public IP (the egress IP to trust in
// Conditional Access), a system-assigned managed identity, a Key Vault (RBAC)
// for the managed credentials, Application Insights, and an Event Grid
// subscription that delivers Key Vault SecretNearExpiry events to the
// SecretNearExpiry function. See README.md beside this file.
//
// Deploy into a resource group:
//   az deployment group create -g <rg> -f infra/azure/main.bicep -p infra/azure/main.bicepparam

targetScope = 'resourceGroup'

// ---------------------------------------------------------------- parameters

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Prefix of resource names (letters, digits, hyphens).')
@minLength(3)
@maxLength(16)
param baseName string = 'tenantops'

@description('Hosting plan: Flex Consumption (FC1, scale to zero) or Elastic Premium (EP1-EP3, always one warm instance).')
@allowed([
  'FlexConsumption'
  'ElasticPremium'
])
param hostingPlan string = 'FlexConsumption'

@description('Elastic Premium SKU, used only when hostingPlan is ElasticPremium.')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param elasticPremiumSku string = 'EP1'

@description('Flex Consumption: memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Flex Consumption: maximum number of instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Address space of the virtual network.')
param vnetAddressPrefix string = '10.60.0.0/16'

@description('Integration subnet of the Function App (outbound traffic; NAT gateway attached).')
param integrationSubnetPrefix string = '10.60.0.0/24'

@description('Break-glass accounts (comma-separated UPNs or object ids) that tenantops never revokes or changes. Required.')
@minLength(1)
param breakGlassAccounts string

@description('Microsoft cloud of the tenant tenantops manages: global, usgov (GCC High) or china. Defaults to the cloud of this deployment.')
@allowed([
  'global'
  'usgov'
  'china'
])
param tenantopsCloud string = environment().name == 'AzureUSGovernment' ? 'usgov' : (environment().name == 'AzureChinaCloud' ? 'china' : 'global')

@description('NCRONTAB (6 fields, UTC) of the RotateCredentials timer.')
param rotationSchedule string = '0 0 3 * * *'

@description('How long a superseded credential stays valid (Go duration).')
param rotationGrace string = '48h'

@description('Comma-separated IP-echo URLs; empty = the built-in defaults.')
param egressEchoUrls string = ''

@description('Key Vault soft-delete retention in days.')
@minValue(7)
@maxValue(90)
param keyVaultRetentionDays int = 90

@description('Create the Event Grid subscription for SecretNearExpiry. Event Grid validates the function endpoint, so enable this on a second deployment, after the code (with the SecretNearExpiry function) is deployed.')
param deploySecretNearExpirySubscription bool = false

@description('Tags applied to every resource.')
param tags object = {}

// ----------------------------------------------------------------- variables

var isFlex = hostingPlan == 'FlexConsumption'
var suffix = uniqueString(resourceGroup().id, baseName)
var functionAppName = '${baseName}-${suffix}'
var storageAccountName = take(toLower('st${replace(baseName, '-', '')}${suffix}'), 24)
var keyVaultName = take('kv-${baseName}-${suffix}', 24)
var deploymentContainerName = 'app-package'
var secretNearExpiryFunction = 'SecretNearExpiry'
var integrationSubnetName = 'snet-functions'

// Built-in role definition ids (the same in every subscription).
var roleIds = {
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// ---------------------------------------------------------------- monitoring

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-${functionAppName}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: 'appi-${functionAppName}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

// ------------------------------------------------------- network and egress

resource egressPublicIp 'Microsoft.Network/publicIPAddresses@2024-05-01' = {
  name: 'pip-${functionAppName}-egress'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Regional'
  }
  properties: {
    publicIPAllocationMethod: 'Static'
    publicIPAddressVersion: 'IPv4'
  }
}

resource natGateway 'Microsoft.Network/natGateways@2024-05-01' = {
  name: 'ng-${functionAppName}'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    idleTimeoutInMinutes: 4
    publicIpAddresses: [
      {
        id: egressPublicIp.id
      }
    ]
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: 'vnet-${functionAppName}'
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        vnetAddressPrefix
      ]
    }
    subnets: [
      {
        name: integrationSubnetName
        properties: {
          addressPrefix: integrationSubnetPrefix
          // Flex Consumption integrates through Microsoft.App/environments, Premium through serverFarms.
          delegations: [
            {
              name: 'functions'
              properties: {
                serviceName: isFlex ? 'Microsoft.App/environments' : 'Microsoft.Web/serverFarms'
              }
            }
          ]
          natGateway: {
            id: natGateway.id
          }
        }
      }
    ]
  }
}

// Referencing vnet.id (not an `existing` subnet) makes the Function App depend on the VNet.
var integrationSubnetId = '${vnet.id}/subnets/${integrationSubnetName}'

// ------------------------------------------------------------------- storage

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // Flex uses the managed identity for everything; Elastic Premium's content
    // share (Azure Files) still needs a connection string with a key.
    allowSharedKeyAccess: !isFlex
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = if (isFlex) {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

// ----------------------------------------------------------------- key vault

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: keyVaultRetentionDays
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

// -------------------------------------------------------------- function app

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-${functionAppName}'
  location: location
  tags: tags
  kind: isFlex ? 'functionapp' : 'elastic'
  sku: isFlex
    ? {
        name: 'FC1'
        tier: 'FlexConsumption'
      }
    : {
        name: elasticPremiumSku
        tier: 'ElasticPremium'
      }
  properties: {
    reserved: true // Linux
    maximumElasticWorkerCount: isFlex ? null : 20
  }
}

// Settings the tenantops code reads (ARCHITECTURE.md "Settings"). The
// managed identity is used because AZURE_CLIENT_ID, AZURE_CLIENT_SECRET,
// AZURE_CLIENT_CERTIFICATE_PATH and AZURE_FEDERATED_TOKEN_FILE are left
// unset (a set AZURE_CLIENT_ID would select a user-assigned identity).
// TENANTOPS_DEV, TENANTOPS_DEVTENANT_URL and TENANTOPS_DEVTENANT_CA are for
// the offline dev tenant only and are never set here.
var tenantopsSettings = {
  AZURE_TENANT_ID: tenant().tenantId
  TENANTOPS_CLOUD: tenantopsCloud
  TENANTOPS_VAULT_URL: vault.properties.vaultUri
  TENANTOPS_BREAKGLASS: breakGlassAccounts
  TENANTOPS_EXPECTED_EGRESS_IPS: egressPublicIp.properties.ipAddress
  TENANTOPS_EGRESS_ECHO_URLS: egressEchoUrls
  ROTATION_SCHEDULE: rotationSchedule
  TENANTOPS_ROTATION_GRACE: rotationGrace
}

// Functions host settings: identity-based AzureWebJobsStorage and Entra-authenticated Application Insights.
var hostSettings = {
  AzureWebJobsStorage__accountName: storage.name
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
}

// Elastic Premium only: Flex derives the worker from functionAppConfig.runtime
// and rejects FUNCTIONS_WORKER_RUNTIME. The content share cannot use an identity.
var premiumSettings = isFlex
  ? {}
  : {
      FUNCTIONS_EXTENSION_VERSION: '~4'
      FUNCTIONS_WORKER_RUNTIME: 'custom'
      WEBSITE_CONTENTAZUREFILECONNECTIONSTRING: 'DefaultEndpointsProtocol=https;AccountName=${storage.name};EndpointSuffix=${environment().suffixes.storage};AccountKey=${storage.listKeys().keys[0].value}'
      WEBSITE_CONTENTSHARE: toLower(functionAppName)
      WEBSITE_RUN_FROM_PACKAGE: '1'
    }

var appSettings = union(hostSettings, tenantopsSettings, premiumSettings)

var flexConfig = {
  functionAppConfig: {
    deployment: {
      storage: {
        type: 'blobContainer'
        value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
        authentication: {
          type: 'SystemAssignedIdentity'
        }
      }
    }
    scaleAndConcurrency: {
      instanceMemoryMB: instanceMemoryMB
      maximumInstanceCount: maximumInstanceCount
    }
    runtime: {
      name: 'custom'
      version: '1.0'
    }
  }
}

var premiumConfig = {
  vnetRouteAllEnabled: true // Premium needs Route All for the NAT gateway; Flex routes everything already
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: union(
    {
      serverFarmId: plan.id
      httpsOnly: true
      virtualNetworkSubnetId: integrationSubnetId
      siteConfig: {
        minTlsVersion: '1.2'
        appSettings: [
          for setting in items(appSettings): {
            name: setting.key
            value: string(setting.value)
          }
        ]
      }
    },
    isFlex ? flexConfig : premiumConfig
  )
  dependsOn: [
    deploymentContainer
  ]
}

// ---------------------------------------------------------- role assignments

resource vaultSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, functionApp.id, roleIds.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.keyVaultSecretsOfficer)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource storageBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roleIds.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageBlobDataOwner)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource storageQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roleIds.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.storageQueueDataContributor)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionApp.id, roleIds.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds.monitoringMetricsPublisher)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// --------------------------------------------------- Event Grid (Key Vault)

resource vaultTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: 'evgt-${keyVaultName}'
  location: location
  tags: tags
  properties: {
    source: vault.id
    topicType: 'Microsoft.KeyVault.vaults'
  }
}

resource secretNearExpirySubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (deploySecretNearExpirySubscription) {
  parent: vaultTopic
  name: 'secret-near-expiry'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionApp.id}/functions/${secretNearExpiryFunction}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.KeyVault.SecretNearExpiry'
      ]
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

// ------------------------------------------------------------------- outputs

@description('The static egress IP: add it to a trusted named location (tenantops named-locations add).')
output egressIp string = egressPublicIp.properties.ipAddress

@description('Name of the Function App (for the zip deployment).')
output functionAppName string = functionApp.name

@description('Default host name of the Function App; HTTP functions are under https://<host>/api/.')
output functionAppHostName string = functionApp.properties.defaultHostName

@description('Object id of the system-assigned managed identity (tenantops permissions grant --principal).')
output principalId string = functionApp.identity.principalId

@description('Key Vault holding the managed credentials (TENANTOPS_VAULT_URL).')
output vaultUrl string = vault.properties.vaultUri

@description('Key Vault name.')
output keyVaultName string = vault.name
