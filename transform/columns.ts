// The typed columns DuckDB reads from each landed record shape. One definition serves both the
// fast path (read_ndjson columns={...}) and the line-level path (json_transform structure), so the
// two paths cannot drift apart.

type ColumnType = 'VARCHAR' | { struct: Record<string, ColumnType> } | { list: ColumnType };

const identityUser: ColumnType = {
  struct: {
    id: 'VARCHAR',
    displayName: 'VARCHAR',
    userPrincipalName: 'VARCHAR',
    ipAddress: 'VARCHAR',
    userType: 'VARCHAR',
    agentType: 'VARCHAR',
  },
};
const identityApp: ColumnType = {
  struct: { appId: 'VARCHAR', displayName: 'VARCHAR', servicePrincipalId: 'VARCHAR', servicePrincipalName: 'VARCHAR' },
};
const modifiedProperty: ColumnType = { struct: { displayName: 'VARCHAR', oldValue: 'VARCHAR', newValue: 'VARCHAR' } };
// agentType (2026 records): on the initiator and on every target; audit_events keeps the initiator's
// and the principal's in their own columns, so the targets column keeps its type.
const targetResource: ColumnType = {
  struct: {
    id: 'VARCHAR',
    displayName: 'VARCHAR',
    type: 'VARCHAR',
    userPrincipalName: 'VARCHAR',
    groupType: 'VARCHAR',
    modifiedProperties: { list: modifiedProperty },
    agentType: 'VARCHAR',
  },
};

/** Graph `directoryAudit`, camelCase (also the `properties` of a diagnostic-settings record). */
export const GRAPH_COLUMNS: Record<string, ColumnType> = {
  id: 'VARCHAR',
  category: 'VARCHAR',
  correlationId: 'VARCHAR',
  result: 'VARCHAR',
  resultReason: 'VARCHAR',
  activityDisplayName: 'VARCHAR',
  activityDateTime: 'VARCHAR',
  loggedByService: 'VARCHAR',
  operationType: 'VARCHAR',
  initiatedBy: { struct: { user: identityUser, app: identityApp } },
  targetResources: { list: targetResource },
  additionalDetails: { list: { struct: { key: 'VARCHAR', value: 'VARCHAR' } } },
};

/** Azure Monitor diagnostic-settings export (Event Hub / storage): the event sits under `properties`. */
export const DIAGNOSTIC_COLUMNS: Record<string, ColumnType> = {
  time: 'VARCHAR',
  tenantId: 'VARCHAR',
  category: 'VARCHAR',
  operationName: 'VARCHAR',
  identity: 'VARCHAR',
  properties: { struct: { ...GRAPH_COLUMNS, tenantId: 'VARCHAR' } },
};

function sqlType(t: ColumnType): string {
  if (typeof t === 'string') return t;
  if ('list' in t) return `${sqlType(t.list)}[]`;
  return `STRUCT(${Object.entries(t.struct)
    .map(([k, v]) => `"${k}" ${sqlType(v)}`)
    .join(', ')})`;
}

function jsonStructure(t: ColumnType): unknown {
  if (typeof t === 'string') return t;
  if ('list' in t) return [jsonStructure(t.list)];
  return Object.fromEntries(Object.entries(t.struct).map(([k, v]) => [k, jsonStructure(v)]));
}

/** `{id: 'VARCHAR', ...}` for read_ndjson's columns parameter. */
export function readColumnsSql(columns: Record<string, ColumnType>): string {
  return `{${Object.entries(columns)
    .map(([k, v]) => `'${k}': '${sqlType(v)}'`)
    .join(', ')}}`;
}

/** The structure string json_transform takes, as a SQL literal. */
export function jsonStructureSql(columns: Record<string, ColumnType>): string {
  return `'${JSON.stringify(jsonStructure({ struct: columns })).replaceAll("'", "''")}'`;
}

export function columnNames(columns: Record<string, ColumnType>): string[] {
  return Object.keys(columns);
}

/** Log Analytics `AuditLogs` rows (PascalCase columns; the dynamic ones hold the Graph shapes inside). */
export const LOG_ANALYTICS_COLUMNS: Record<string, ColumnType> = {
  Id: 'VARCHAR',
  TimeGenerated: 'VARCHAR',
  ActivityDateTime: 'VARCHAR',
  ActivityDisplayName: 'VARCHAR',
  OperationName: 'VARCHAR',
  Category: 'VARCHAR',
  LoggedByService: 'VARCHAR',
  AADOperationType: 'VARCHAR',
  Result: 'VARCHAR',
  ResultReason: 'VARCHAR',
  CorrelationId: 'VARCHAR',
  Identity: 'VARCHAR',
  AADTenantId: 'VARCHAR',
  TenantId: 'VARCHAR',
  InitiatedBy: GRAPH_COLUMNS.initiatedBy,
  TargetResources: GRAPH_COLUMNS.targetResources,
  AdditionalDetails: GRAPH_COLUMNS.additionalDetails,
};
