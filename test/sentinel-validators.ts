// Microsoft's validators for Sentinel content, ported to TypeScript because ARM-TTK (PowerShell) and the
// Azure-Sentinel C# tests cannot run here. Each rule names the file it comes from; test/schemas/README.md
// names the commits. The JSON schemas themselves are vendored under test/schemas/ and run through ajv.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv04Module, { type ErrorObject, type ValidateFunction } from 'ajv-draft-04';

// A CommonJS module whose default export NodeNext types as the module object.
const Ajv04 = Ajv04Module as unknown as typeof Ajv04Module.default;
type Ajv04 = InstanceType<typeof Ajv04>;

const SCHEMAS = join(import.meta.dirname, 'schemas');
const load = (file: string) => JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as Record<string, unknown>;

export const SCHEMA_FILES = {
  tables: '2025-07-01.Microsoft.OperationalInsights.json',
  dataCollectionRules: '2024-03-11.Microsoft.Insights.json',
  workbooks: '2023-06-01.Microsoft.Insights.json',
  securityInsights: '2025-09-01.Microsoft.SecurityInsights.json',
} as const;

// ---------------------------------------------------------------- ARM resources against the schemas

/**
 * The ARM schemas leave objects open (no additionalProperties), so a property an apiVersion does not
 * have (watchlists' sourceType before 2024-09-01) passes them. Closing every object that lists its
 * properties makes the schema say which properties the apiVersion has, which is what the resource
 * provider enforces on PUT.
 */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node))
    out[k] =
      k === 'properties' && v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, closed(s)]))
        : closed(v);
  const props = out.properties as Record<string, unknown> | undefined;
  if (props && typeof props === 'object' && Object.keys(props).length > 0 && !('additionalProperties' in out))
    out.additionalProperties = false;
  return out;
}

let ajv: Ajv04 | undefined;
function schemas(): Ajv04 {
  if (ajv) return ajv;
  // date-time formats are not checked by ARM on these properties either.
  ajv = new Ajv04({ allErrors: true, strict: false, validateFormats: false });
  ajv.addSchema(load('common.definitions.json'));
  for (const f of Object.values(SCHEMA_FILES)) ajv.addSchema(closed(load(f)) as object);
  return ajv;
}

const validators = new Map<string, ValidateFunction>();
function validator(ref: string): ValidateFunction {
  const known = validators.get(ref);
  if (known) return known;
  const v = schemas().compile({ $ref: ref });
  validators.set(ref, v);
  return v;
}

const BASE = 'https://schema.management.azure.com/schemas/';
// Template-level keys that deploymentTemplate.json adds to every resource (its resourceBase), not
// part of a provider's resource definition.
const TEMPLATE_KEYS = ['dependsOn', 'condition', 'comments', 'copy', 'scope'];

export interface SchemaError {
  path: string;
  message: string;
}
// Every property may also be an ARM expression ("[...]"): the errors of that alternative branch say
// only "must be string", so they are dropped and the branch that names the real problem is kept.
const describe = (errors: ErrorObject[] | null | undefined): SchemaError[] =>
  (errors ?? [])
    .filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && !e.schemaPath.includes('/definitions/expression'))
    .map((e) => ({
      path: e.instancePath || '/',
      message: `${e.message}${e.keyword === 'additionalProperties' ? `: ${String(e.params.additionalProperty)}` : ''}${e.keyword === 'enum' ? ` ${JSON.stringify(e.params.allowedValues)}` : ''}`,
    }));

/** Which resource definition (and, for kinds, which discriminated definition) validates a resource type. */
const DEFINITIONS: Record<string, { file: string; resource: string; kinds?: Record<string, string> }> = {
  'Microsoft.OperationalInsights/workspaces/tables': {
    file: SCHEMA_FILES.tables,
    resource: 'resourceDefinitions/workspaces_tables',
  },
  'Microsoft.Insights/dataCollectionRules': {
    file: SCHEMA_FILES.dataCollectionRules,
    resource: 'resourceDefinitions/dataCollectionRules',
  },
  'Microsoft.Insights/workbooks': { file: SCHEMA_FILES.workbooks, resource: 'resourceDefinitions/workbooks' },
  'Microsoft.SecurityInsights/watchlists': {
    file: SCHEMA_FILES.securityInsights,
    resource: 'extension_resourceDefinitions/watchlists',
  },
  'Microsoft.SecurityInsights/alertRules': {
    file: SCHEMA_FILES.securityInsights,
    resource: 'extension_resourceDefinitions/alertRules',
    kinds: { Scheduled: 'definitions/ScheduledAlertRule' },
  },
};

/** Schema errors of one template resource against the definition of its type at its apiVersion. */
export function resourceErrors(resource: Record<string, unknown>): SchemaError[] {
  const def = DEFINITIONS[String(resource.type)];
  if (!def) return [{ path: '/type', message: `no vendored schema for ${String(resource.type)}` }];
  const id = `${BASE}${String(resource.apiVersion)}/${def.file.replace(/^[\d-]+\./, '')}#`;
  if (!schemas().getSchema(id))
    return [
      {
        path: '/apiVersion',
        message: `no vendored schema for ${String(resource.type)} at ${String(resource.apiVersion)}`,
      },
    ];
  const body = Object.fromEntries(Object.entries(resource).filter(([k]) => !TEMPLATE_KEYS.includes(k)));
  if (!def.kinds) {
    const v = validator(`${id}/${def.resource}`);
    return v(body) ? [] : describe(v.errors);
  }
  // A kind-discriminated resource (alertRules): the resource definition holds name/type/apiVersion/etag,
  // the kind's definition holds kind and properties, as the generated schema splits them.
  const kindDef = def.kinds[String(resource.kind)];
  if (!kindDef) return [{ path: '/kind', message: `kind ${String(resource.kind)} has no vendored definition` }];
  const { kind, properties, ...rest } = body;
  const head = validator(`${id}/${def.resource}`);
  const tail = validator(`${id}/${kindDef}`);
  return [...(head(rest) ? [] : describe(head.errors)), ...(tail({ kind, properties }) ? [] : describe(tail.errors))];
}

// ---------------------------------------------------------------- ARM-TTK: apiVersions-Should-Be-Recent

/**
 * Port of arm-ttk/testcases/deploymentTemplate/apiVersions-Should-Be-Recent.test.ps1: an apiVersion must
 * be a date, and fails when it is more than 730 days before the test date while a newer version of
 * the type exists; a preview fails when a newer or same-date stable version exists. ARM-TTK takes the
 * versions from its AllAzureResources cache; `known` stands in for it (newest first, from the schema
 * repository's folders), and the date is pinned so the test does not turn red by itself.
 */
export function apiVersionErrors(
  template: { resources?: Record<string, unknown>[] },
  known: Record<string, string[]>,
  testDate: Date,
  days = 730,
): string[] {
  const errors: string[] = [];
  for (const r of template.resources ?? []) {
    const type = String(r.type);
    const av = r.apiVersion;
    if (typeof av !== 'string') {
      errors.push(`${type}: Api Versions must be strings`);
      continue;
    }
    const m = /(\d{4})-(\d{2})-(\d{2})/.exec(av);
    if (!m) {
      errors.push(`${type}: Api versions must be a fixed date`);
      continue;
    }
    const versions = known[type] ?? [];
    const outOfDate = versions.indexOf(av);
    if (/^\d{4}-\d{2}-\d{2}-/.test(av) && (outOfDate > 0 || versions.includes(av.slice(0, 10))))
      errors.push(`${type} uses a preview version (${av}) and there are more recent versions available`);
    const age = (testDate.getTime() - Date.UTC(+m[1], +m[2] - 1, +m[3])) / 86_400_000;
    if (age > days && outOfDate > 0)
      errors.push(
        `Api versions must be the latest or under ${days / 365} years old (${days} days) - API version ${av} of ${type} is ${Math.floor(age)} days old`,
      );
  }
  return errors;
}

// ---------------------------------------------------------------- Azure-Sentinel detection template rules

/** KillChainTechniquesHelper.cs: the tactics each technique used here belongs to (MITRE enterprise matrix). */
const TECHNIQUE_TACTICS: Record<string, string[]> = {
  T1078: ['InitialAccess', 'Persistence', 'PrivilegeEscalation', 'DefenseEvasion'],
  T1098: ['Persistence'],
  T1484: ['PrivilegeEscalation', 'DefenseEvasion'],
};
/** Models/AttackTactic.cs (the names Sentinel accepts in `tactics`). */
const TACTICS = [
  'Reconnaissance',
  'ResourceDevelopment',
  'InitialAccess',
  'Execution',
  'Persistence',
  'PrivilegeEscalation',
  'DefenseEvasion',
  'CredentialAccess',
  'Discovery',
  'LateralMovement',
  'Collection',
  'Exfiltration',
  'CommandAndControl',
  'Impact',
  'PreAttack',
  'ImpairProcessControl',
  'InhibitResponseFunction',
];
/** Models/EntityMappingIdentifiers.cs, for the entity types used here: valid identifiers and the sets one of which is required. */
const ENTITY_IDENTIFIERS: Record<string, { identifiers: string[]; required: string[][] }> = {
  Account: {
    identifiers: [
      'Name',
      'FullName',
      'NTDomain',
      'DnsDomain',
      'UPNSuffix',
      'Sid',
      'AadTenantId',
      'AadUserId',
      'PUID',
      'IsDomainJoined',
      'DisplayName',
      'ObjectGuid',
    ],
    required: [['FullName'], ['Sid'], ['Name'], ['AadUserId'], ['PUID'], ['ObjectGuid']],
  },
  IP: { identifiers: ['Address'], required: [['Address']] },
  CloudApplication: { identifiers: ['AppId', 'Name', 'InstanceName'], required: [['AppId'], ['Name']] },
};
/** ValidConnectorIds.json (the entry this content uses). */
const VALID_CONNECTOR_IDS = ['AzureActiveDirectory'];
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const COLUMN = /^[a-zA-Z_]+\w*$/;

/** ScheduledTemplateTimeSpanConverter.cs: 5m, 1h, 14d. */
function span(v: unknown): number | undefined {
  const m = /^(\d+)([mhd])$/.exec(String(v));
  return m ? Number(m[1]) * { m: 60, h: 3600, d: 86400 }[m[2] as 'm' | 'h' | 'd'] : undefined;
}
const placeholders = (s: string) => [...s.matchAll(/\{\{([^{}]*)\}\}/g)].map((m) => m[1]);

/**
 * The detection template checks of the Azure-Sentinel repository's
 * .script/tests/detectionTemplateSchemaValidation, on one YAML template (already parsed).
 */
export function detectionTemplateErrors(t: Record<string, unknown>): string[] {
  const e: string[] = [];
  // Models/AnalyticsTemplateInternalModelBase.cs and ScheduledTemplateInternalModel.cs: required fields.
  for (const k of [
    'id',
    'kind',
    'name',
    'description',
    'requiredDataConnectors',
    'severity',
    'query',
    'queryFrequency',
    'queryPeriod',
    'triggerOperator',
    'triggerThreshold',
  ]) {
    if (t[k] === undefined || t[k] === null) e.push(`required field '${k}' is missing`);
  }
  if (t.id !== undefined && !GUID.test(String(t.id))) e.push(`id '${String(t.id)}' is not a GUID`);
  if (t.kind !== undefined && !['Scheduled', 'NRT'].includes(String(t.kind)))
    e.push(`kind '${String(t.kind)}' is not an alert rule kind`);
  if (String(t.name ?? '').length > 256) e.push('name is longer than 256');
  if (String(t.description ?? '').length > 5000) e.push('description is longer than 5000');
  if (t.severity !== undefined && !['Informational', 'Low', 'Medium', 'High'].includes(String(t.severity)))
    e.push(`severity '${String(t.severity)}' is invalid`);
  const q = String(t.query ?? '');
  if (q.length < 1 || q.length > 10000) e.push(`query length ${q.length} is outside 1..10000`);
  // RangeTimeSpanIsoFormatAttribute.cs ("00:05:00".."14.00:00:00") and PeriodGreaterThanOrEqualFrequencyAttribute.cs.
  const freq = span(t.queryFrequency);
  const period = span(t.queryPeriod);
  for (const [k, v] of [
    ['queryFrequency', freq],
    ['queryPeriod', period],
  ] as const) {
    if (v === undefined) e.push(`${k} '${String(t[k])}' is not a duration`);
    else if (v < 300 || v > 14 * 86400) e.push(`${k} '${String(t[k])}' is outside 5m..14d`);
  }
  if (freq !== undefined && period !== undefined && period < freq)
    e.push("'queryPeriod' should be greater than or equal to 'queryFrequency'");
  // ScheduledTemplateTriggerOperatorConverter.cs and the [Range(0, 10000)] on triggerThreshold.
  if (t.triggerOperator !== undefined && !['gt', 'lt', 'eq', 'ne'].includes(String(t.triggerOperator)))
    e.push(`triggerOperator '${String(t.triggerOperator)}' is invalid`);
  const th = Number(t.triggerThreshold);
  if (t.triggerThreshold !== undefined && (!Number.isInteger(th) || th < 0 || th > 10000))
    e.push('triggerThreshold is outside 0..10000');
  // Models/AttackTactic.cs and ModelValidationAttributes/NoTechniquesWithoutMatchingTactics.cs.
  const tactics = (t.tactics as string[] | undefined) ?? [];
  if (tactics.length === 0) e.push('no tactic');
  for (const tac of tactics) if (!TACTICS.includes(tac)) e.push(`tactic '${tac}' is not an attack tactic`);
  for (const tech of (t.relevantTechniques as string[] | undefined) ?? []) {
    const needed = TECHNIQUE_TACTICS[tech.split('.')[0]];
    if (!needed || !needed.every((x) => tactics.includes(x)))
      e.push(`No valid tactic corresponding to the technique ${tech} was provided in the tactics field.`);
  }
  // DetectionTemplateSchemaValidationTests.cs (Validate_DetectionTemplates_HasValidConnectorIds).
  const connectors = (t.requiredDataConnectors as { connectorId: string; dataTypes: string[] }[] | undefined) ?? [];
  for (const c of connectors) {
    if (!VALID_CONNECTOR_IDS.includes(c.connectorId))
      e.push(`connectorId '${c.connectorId}' is not in ValidConnectorIds.json`);
    if (!Array.isArray(c.dataTypes) || c.dataTypes.length === 0)
      e.push(`connector ${c.connectorId} names no data types`);
  }
  // ScheduledTemplateInternalModel.cs [ValidEntityMappings(1, 5, 1, 3)] and ValidEntityMappingsAttribute.cs.
  const maps = t.entityMappings as
    { entityType: string; fieldMappings: { identifier: string; columnName: string }[] }[] | undefined;
  if (maps) {
    if (maps.length < 1 || maps.length > 5)
      e.push(
        `Invalid length of '${maps.length}' for 'entityMappings'. 'entityMappings' length should be between '1' and '5'`,
      );
    for (const m of maps) {
      const ids = ENTITY_IDENTIFIERS[m.entityType];
      if (!ids) {
        e.push(`entity type '${m.entityType}' is not ported`);
        continue;
      }
      if (m.fieldMappings.length < 1 || m.fieldMappings.length > 3)
        e.push(
          `Invalid length of '${m.fieldMappings.length}' for 'FieldMappings'. 'FieldMappings' length should be between '1' and '3'`,
        );
      const used = new Set<string>();
      for (const f of m.fieldMappings) {
        if (!ids.identifiers.includes(f.identifier))
          e.push(`Invalid identifier '${f.identifier}' for entity type '${m.entityType}'`);
        if (used.has(f.identifier)) e.push(`Identifier '${f.identifier}' is defined multiple times`);
        if (!COLUMN.test(f.columnName) || f.columnName.length > 500)
          e.push(`The ColumnName '${f.columnName}' is invalid`);
        used.add(f.identifier);
      }
      if (!ids.required.some((set) => set.every((x) => used.has(x))))
        e.push(`Missing required identifiers in 'entityMappings' for type '${m.entityType}'`);
    }
  }
  // ScheduledTemplateInternalModel.cs: customDetails ([DictionaryLength(20)], key/value lengths and patterns).
  const details = t.customDetails as Record<string, string> | undefined;
  if (details) {
    if (Object.keys(details).length > 20) e.push('more than 20 customDetails');
    for (const [k, v] of Object.entries(details)) {
      if (k.length > 20 || !/^[a-zA-Z]+\w*$/.test(k)) e.push(`customDetails key '${k}' is invalid`);
      if (v.length > 500 || !COLUMN.test(v)) e.push(`customDetails value '${v}' is invalid`);
    }
  }
  // Models/AlertDetailsOverride.cs with MaxAmountOfDynamicContentPlaceHoldersAttribute.cs (3).
  const o = t.alertDetailsOverride as Record<string, string> | undefined;
  if (o) {
    for (const [k, max] of [
      ['alertDisplayNameFormat', 256],
      ['alertDescriptionFormat', 5000],
    ] as const) {
      const s = o[k];
      if (s === undefined) continue;
      if (s.trim().length < 1 || s.length > max) e.push(`${k} length is outside 1..${max}`);
      if (placeholders(s).length > 3)
        e.push(`You have defined ${placeholders(s).length} parameters in '${k}'. The maximum allowed is 3.`);
    }
  }
  return e;
}

/** Columns a template's mappings, details and formats name; each must be a column the query returns. */
export function columnsNamed(t: Record<string, unknown>): string[] {
  const maps = (t.entityMappings as { fieldMappings: { columnName: string }[] }[] | undefined) ?? [];
  const o = (t.alertDetailsOverride as Record<string, string> | undefined) ?? {};
  return [
    ...new Set([
      ...maps.flatMap((m) => m.fieldMappings.map((f) => f.columnName)),
      ...Object.values((t.customDetails as Record<string, string> | undefined) ?? {}),
      ...Object.values(o).flatMap((s) => placeholders(s)),
    ]),
  ];
}
