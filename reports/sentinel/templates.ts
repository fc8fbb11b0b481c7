// ARM templates made from the table list in tables.ts: the custom tables and one data collection
// rule (kind Direct: it has its own logs ingestion endpoint, no DCE) with a stream and a data flow
// per table, and the watchlists. apiVersions are the current stable ones (ARM-TTK fails a version
// older than 730 days); test/sentinel-validators.test.ts holds them to the official schemas.
import type { SentinelTable } from './tables.js';
import { SENTINEL_TABLES, columnsOf, streamName } from './tables.js';

export const API_VERSIONS = {
  tables: '2025-07-01',
  dataCollectionRules: '2024-03-11',
  workbooks: '2023-06-01',
  securityInsights: '2025-09-01',
} as const;

/** Sentinel resources are extension resources of the workspace, deployed with `scope`. */
export const WORKSPACE_SCOPE = "[format('Microsoft.OperationalInsights/workspaces/{0}', parameters('workspaceName'))]";

const TABLE_TYPE: Record<string, string> = {
  string: 'string',
  long: 'long',
  real: 'real',
  boolean: 'boolean',
  datetime: 'dateTime',
  dynamic: 'dynamic',
};

/**
 * The DCR transform: the documented subset only (source, extend, todatetime). TimeGenerated is the
 * send time; Azure replaces values older than two days, which is why EventTime exists.
 */
export const TRANSFORM_KQL =
  'source | extend TimeGenerated = todatetime(TimeGenerated), EventTime = todatetime(EventTime)';

export function tableResource(t: SentinelTable): object {
  return {
    type: 'Microsoft.OperationalInsights/workspaces/tables',
    apiVersion: API_VERSIONS.tables,
    name: `[concat(parameters('workspaceName'), '/${t.name}')]`,
    properties: {
      plan: 'Analytics',
      retentionInDays: "[parameters('retentionInDays')]",
      totalRetentionInDays: "[parameters('totalRetentionInDays')]",
      schema: {
        name: t.name,
        description: t.description,
        columns: columnsOf(t).map((c) => ({
          name: c.name,
          type: TABLE_TYPE[c.type],
          description: c.description || undefined,
        })),
      },
    },
  };
}

export function tablesAndDcrTemplate(tables: SentinelTable[] = SENTINEL_TABLES): object {
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: {
      workspaceName: {
        type: 'string',
        metadata: { description: 'the Log Analytics workspace (Sentinel-enabled) that receives the tables' },
      },
      // A DCR must sit in its workspace's region, which need not be the resource group's: no default.
      location: {
        type: 'string',
        metadata: { description: 'the Log Analytics workspace region (the DCR must be in it)' },
      },
      dcrName: { type: 'string', defaultValue: 'dcr-pimops' },
      retentionInDays: { type: 'int', defaultValue: 90 },
      totalRetentionInDays: { type: 'int', defaultValue: 730 },
    },
    variables: { workspaceId: "[resourceId('Microsoft.OperationalInsights/workspaces', parameters('workspaceName'))]" },
    resources: [
      ...tables.map(tableResource),
      {
        type: 'Microsoft.Insights/dataCollectionRules',
        apiVersion: API_VERSIONS.dataCollectionRules,
        name: "[parameters('dcrName')]",
        location: "[parameters('location')]",
        kind: 'Direct',
        dependsOn: tables.map(
          (t) =>
            `[resourceId('Microsoft.OperationalInsights/workspaces/tables', parameters('workspaceName'), '${t.name}')]`,
        ),
        properties: {
          description: 'pimops: PIM operations rows sent with the Logs Ingestion API',
          streamDeclarations: Object.fromEntries(
            tables.map((t) => [streamName(t), { columns: columnsOf(t).map((c) => ({ name: c.name, type: c.type })) }]),
          ),
          destinations: { logAnalytics: [{ name: 'workspace', workspaceResourceId: "[variables('workspaceId')]" }] },
          dataFlows: tables.map((t) => ({
            streams: [streamName(t)],
            destinations: ['workspace'],
            transformKql: TRANSFORM_KQL,
            outputStream: streamName(t),
          })),
        },
      },
    ],
    outputs: {
      dcrImmutableId: {
        type: 'string',
        value: "[reference(resourceId('Microsoft.Insights/dataCollectionRules', parameters('dcrName'))).immutableId]",
      },
      logsIngestionEndpoint: {
        type: 'string',
        value:
          "[reference(resourceId('Microsoft.Insights/dataCollectionRules', parameters('dcrName'))).endpoints.logsIngestion]",
      },
    },
  };
}

export interface Watchlist {
  alias: string;
  displayName: string;
  description: string;
  searchKey: string;
  csv: string;
}

/**
 * Watchlists inline (rawContent holds up to 3.8 MB; these are a few KB), in the 2025-09-01 shape:
 * `source` is the file name and `sourceType` says where it came from ('Local').
 */
export function watchlistsTemplate(lists: Watchlist[]): object {
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: { workspaceName: { type: 'string' } },
    resources: lists.map((w) => ({
      type: 'Microsoft.SecurityInsights/watchlists',
      apiVersion: API_VERSIONS.securityInsights,
      scope: WORKSPACE_SCOPE,
      name: w.alias,
      properties: {
        displayName: w.displayName,
        description: w.description,
        provider: 'pimops',
        source: `${w.alias}.csv`,
        sourceType: 'Local',
        itemsSearchKey: w.searchKey,
        rawContent: w.csv,
        contentType: 'text/csv',
        numberOfLinesToSkip: 0,
        watchlistAlias: w.alias,
      },
    })),
  };
}
