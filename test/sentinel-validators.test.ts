// The exported Sentinel content against Microsoft's own validators: every ARM resource against the
// official JSON schema of its apiVersion (vendored in test/schemas/), ARM-TTK's apiVersion age rule on
// a pinned date, the Azure-Sentinel detection template checks on every analytics rule, and the
// workbook analyzer's query length. Known-bad fixtures show each check can fail.
import { describe, it, expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { tablesAndDcrTemplate, watchlistsTemplate } from '../reports/sentinel/templates.js';
import { analyticsRules, ruleYaml, rulesArm, stableGuid } from '../reports/sentinel/rules.js';
import { customTablesWorkbook, auditLogsWorkbook, workbookArm, workbookQueries } from '../reports/sentinel/workbook.js';
import { SENTINEL_TABLES, columnsOf } from '../reports/sentinel/tables.js';
import {
  resourceErrors,
  apiVersionErrors,
  detectionTemplateErrors,
  columnsNamed,
  type SchemaError,
} from './sentinel-validators.js';
import { testConfig } from './helpers.js';

type Resource = Record<string, unknown> & { type: string; properties: Record<string, unknown> };
type Template = { resources: Resource[]; parameters: Record<string, { defaultValue?: unknown }> };

const config = testConfig();
const rules = analyticsRules(config);
const templates: Record<string, Template> = {
  'tables-and-dcr': tablesAndDcrTemplate() as Template,
  'watchlists': watchlistsTemplate([
    {
      alias: 'PIMBreakGlass',
      displayName: 'PIM break-glass accounts',
      description: 'd',
      searchKey: 'account',
      csv: 'account\na@b.example\n',
    },
  ]) as Template,
  'analytics-rules': rulesArm(rules) as Template,
  'workbook-custom-tables': workbookArm(customTablesWorkbook(config), 'PIM operations (pimops tables)') as Template,
  'workbook-auditlogs': workbookArm(auditLogsWorkbook(config), 'PIM operations (AuditLogs)') as Template,
};
const clone = <T>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

/**
 * Where the 2024-03-11 DCR schema is narrower than the service: its `kind` enum has only Linux and
 * Windows and its data flow `streams` enum only Microsoft-* streams, while the Logs Ingestion API
 * documents kind "Direct" and Custom-* streams (and refuses a DCR without them). These exact errors
 * are expected; any other error fails.
 */
const DCR_SCHEMA_GAPS = (e: SchemaError) =>
  (e.path === '/kind' && e.message.includes('["Linux","Windows"]')) ||
  (/^\/properties\/dataFlows\/\d+\/streams\/0$/.test(e.path) && e.message.includes('"Microsoft-Event"'));

describe('ARM templates against the official schemas of their apiVersions', () => {
  const cases = Object.entries(templates).flatMap(([file, t]) =>
    t.resources.map((r, i) => [`${file} #${i} ${r.type}`, r] as [string, Resource]),
  );
  it.each(cases)('%s', (_name, r) => {
    const errors = resourceErrors(r);
    if (r.type === 'Microsoft.Insights/dataCollectionRules') {
      expect(errors.filter((e) => !DCR_SCHEMA_GAPS(e))).toEqual([]);
      // The gaps are the ones stated, no more: kind once, one stream per data flow.
      expect(errors.length).toBe(1 + SENTINEL_TABLES.length);
    } else {
      expect(errors).toEqual([]);
    }
  });

  it('uses the current stable apiVersions, Sentinel resources as extension resources with scope', () => {
    const all = Object.values(templates).flatMap((t) => t.resources);
    const versions = Object.fromEntries(all.map((r) => [r.type, r.apiVersion]));
    expect(versions).toEqual({
      'Microsoft.OperationalInsights/workspaces/tables': '2025-07-01',
      'Microsoft.Insights/dataCollectionRules': '2024-03-11',
      'Microsoft.SecurityInsights/watchlists': '2025-09-01',
      'Microsoft.SecurityInsights/alertRules': '2025-09-01',
      'Microsoft.Insights/workbooks': '2023-06-01',
    });
    for (const r of all.filter((x) => x.type.startsWith('Microsoft.SecurityInsights/'))) {
      expect(r.scope).toBe("[format('Microsoft.OperationalInsights/workspaces/{0}', parameters('workspaceName'))]");
      expect(String(r.name)).not.toContain('/');
    }
  });

  it('known-bad: a watchlist property the apiVersion lacks, and the 2023-02-01 sourceType value, fail', () => {
    const good = templates.watchlists.resources[0];
    const extra = clone(good);
    extra.properties.watchlistCategory = 'pim';
    expect(resourceErrors(extra)).toContainEqual({
      path: '/properties',
      message: 'must NOT have additional properties: watchlistCategory',
    });
    const oldValue = clone(good);
    oldValue.properties.sourceType = 'Local file';
    expect(resourceErrors(oldValue).map((e) => e.path)).toContain('/properties/sourceType');
    const oldVersion = clone(good);
    oldVersion.apiVersion = '2023-02-01';
    expect(resourceErrors(oldVersion)).not.toEqual([]);
  });

  it('known-bad: a table column type the schema lacks and a retention beyond its bounds fail', () => {
    const table = clone(templates['tables-and-dcr'].resources[0]);
    (table.properties.schema as { columns: { type: string }[] }).columns[0].type = 'datetime';
    table.properties.retentionInDays = 3;
    const paths = resourceErrors(table).map((e) => e.path);
    expect(paths).toContain('/properties/schema/columns/0/type');
    expect(paths).toContain('/properties/retentionInDays');
  });
});

describe('ARM-TTK apiVersions-Should-Be-Recent (730 days), on a pinned date', () => {
  // ARM-TTK reads the versions from its AllAzureResources cache; these are the stable versions the
  // schema repository holds for each type, newest first (the older ones named in issue 22).
  const KNOWN: Record<string, string[]> = {
    'Microsoft.OperationalInsights/workspaces/tables': ['2025-07-01', '2023-09-01', '2022-10-01'],
    'Microsoft.Insights/dataCollectionRules': ['2024-03-11', '2023-03-11', '2022-06-01'],
    'Microsoft.Insights/workbooks': ['2023-06-01', '2022-04-01'],
    'Microsoft.SecurityInsights/watchlists': ['2025-09-01', '2023-02-01'],
    'Microsoft.SecurityInsights/alertRules': ['2025-09-01', '2023-02-01'],
  };
  const TEST_DATE = new Date('2026-12-01T00:00:00Z');

  it.each(Object.entries(templates))('%s passes', (_file, t) => {
    expect(apiVersionErrors(t, KNOWN, TEST_DATE)).toEqual([]);
  });

  it('known-bad: the versions the templates used before fail, a preview with a stable beside it fails', () => {
    const old = {
      resources: [
        { type: 'Microsoft.OperationalInsights/workspaces/tables', apiVersion: '2022-10-01' },
        { type: 'Microsoft.Insights/workbooks', apiVersion: '2022-04-01' },
        { type: 'Microsoft.SecurityInsights/alertRules', apiVersion: '2025-09-01-preview' },
      ],
    };
    const errors = apiVersionErrors(old, KNOWN, TEST_DATE);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/2022-10-01 of Microsoft.OperationalInsights\/workspaces\/tables is \d+ days old/);
    // The newest version never fails on age, however old.
    expect(
      apiVersionErrors(
        { resources: [{ type: 'Microsoft.Insights/workbooks', apiVersion: '2023-06-01' }] },
        KNOWN,
        new Date('2030-01-01T00:00:00Z'),
      ),
    ).toEqual([]);
  });
});

describe('analytics rules against the Azure-Sentinel detection template checks', () => {
  const yamls = rules.map(
    (r) => [r.file, parseYaml(ruleYaml(r)) as Record<string, unknown>] as [string, Record<string, unknown>],
  );

  it.each(yamls)('%s', (_file, t) => {
    expect(detectionTemplateErrors(t)).toEqual([]);
    expect(t.status).toBe('Available');
    expect((t.tags as string[]).length).toBeGreaterThan(0);
    // Every column the mappings, details and formats name is one the query returns.
    for (const c of columnsNamed(t)) expect(String(t.query), c).toMatch(new RegExp(`\\b${c}\\b`));
  });

  it('ids are distinct GUIDs, stable across exports', () => {
    const ids = yamls.map(([, t]) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(rules.map((r) => stableGuid(r.name)));
  });

  it('users map as Microsoft maps them: Name + UPNSuffix, and AadUserId, within three identifiers per mapping', () => {
    for (const r of rules) {
      const accounts = r.entities.filter((m) => m.entityType === 'Account');
      expect(
        accounts.some((m) => m.fieldMappings.map((f) => f.identifier).join() === 'Name,UPNSuffix'),
        r.name,
      ).toBe(true);
      expect(
        accounts.some((m) => m.fieldMappings.some((f) => f.identifier === 'AadUserId')),
        r.name,
      ).toBe(true);
      expect(
        accounts.some((m) => m.fieldMappings.some((f) => f.identifier === 'FullName')),
        r.name,
      ).toBe(false);
    }
    const outside = rules.find((r) => r.file === 'pimops-role-assigned-outside-pim.yaml')!;
    const cols = outside.entities.flatMap((m) => m.fieldMappings.map((f) => f.columnName));
    // Who assigned (a user, or an app) and who received.
    expect(cols).toEqual(
      expect.arrayContaining([
        'ActorName',
        'ActorAadUserId',
        'AssigneeName',
        'AssigneeAadUserId',
        'AppName',
        'ActorIp',
      ]),
    );
  });

  it('hourly rules look back two hours but judge only what arrived in the last hour, once per record Id', () => {
    for (const r of rules) {
      expect(r.frequency, r.name).toBe('1h');
      expect(r.query, r.name).toContain('ingestion_time() > ago(1h)');
      expect(r.query, r.name).toContain('summarize arg_min(TimeGenerated, *) by Id');
      if (r.period.endsWith('h')) expect(r.period, r.name).toBe('2h');
      expect(r.query, r.name).not.toContain('TimeGenerated > ago(1h)');
    }
  });

  it("rules over PIM records map the IP entity to the requester's ipaddr detail when ipAddress is empty", () => {
    // Reference §7: a PIM request (or approval) record leaves InitiatedBy.user.ipAddress null and holds
    // the address in the additionalDetails key ipaddr. Core Directory records (outside PIM) have only the first.
    const readsIpaddr = (r: (typeof rules)[number]) => {
      const column = r.entities.find((m) => m.entityType === 'IP')!.fieldMappings[0].columnName;
      // The mapped column is assigned the first non-empty of the initiator's address and IpAddr…
      const assigned = new RegExp(
        `\\b${column} = coalesce\\(tostring\\(InitiatedBy\\.user\\.ipAddress\\), IpAddr\\)`,
      ).test(r.query);
      // …and IpAddr is the value of the detail whose key, lower-cased, is ipaddr.
      const detail =
        /IpAddr = take_anyif\(tostring\(Detail\.value\), tolower\(tostring\(Detail\.key\)\) == "ipaddr"\)/.test(
          r.query,
        ) && /mv-apply Detail = AdditionalDetails on/.test(r.query);
      return assigned && detail;
    };
    expect(rules.filter(readsIpaddr).map((r) => r.file)).toEqual([
      'pimops-break-glass-use.yaml',
      'pimops-mutual-approval.yaml',
      'pimops-role-settings-weakened.yaml',
    ]);
    // Every rule that reads PIM's own records (LoggedByService PIM) is among them.
    for (const r of rules.filter((x) => x.query.includes('LoggedByService in ("PIM"')))
      expect(readsIpaddr(r), r.name).toBe(true);
  });

  it('known-bad templates each fail the check that names them', () => {
    const base = yamls[1][1];
    const bad = (change: (t: Record<string, unknown>) => void) => {
      const t = clone(base);
      change(t);
      return detectionTemplateErrors(t);
    };
    expect(
      bad((t) => {
        (t.entityMappings as unknown[])[0] = {
          entityType: 'Account',
          fieldMappings: [
            { identifier: 'Name', columnName: 'ActorName' },
            { identifier: 'UPNSuffix', columnName: 'ActorUPNSuffix' },
            { identifier: 'AadUserId', columnName: 'ActorAadUserId' },
            { identifier: 'FullName', columnName: 'ActorUpn' },
          ],
        };
      }),
    ).toContain("Invalid length of '4' for 'FieldMappings'. 'FieldMappings' length should be between '1' and '3'");
    expect(
      bad((t) => {
        t.tactics = [];
      }),
    ).toContain('no tactic');
    expect(
      bad((t) => {
        t.queryFrequency = '1h';
        t.queryPeriod = '30m';
      }),
    ).toContain("'queryPeriod' should be greater than or equal to 'queryFrequency'");
    expect(
      bad((t) => {
        t.id = 'pimops-role-assigned-outside-pim';
      }),
    ).toContain("id 'pimops-role-assigned-outside-pim' is not a GUID");
    expect(
      bad((t) => {
        t.relevantTechniques = ['T1078'];
      }),
    ).toContain('No valid tactic corresponding to the technique T1078 was provided in the tactics field.');
    expect(
      bad((t) => {
        (t.requiredDataConnectors as { connectorId: string }[])[0].connectorId = 'AzureActiveDirectoryLogs';
      }),
    ).toContain("connectorId 'AzureActiveDirectoryLogs' is not in ValidConnectorIds.json");
    expect(
      bad((t) => {
        t.queryPeriod = '15d';
      }),
    ).toContain("queryPeriod '15d' is outside 5m..14d");
    expect(
      bad((t) => {
        (t.alertDetailsOverride as Record<string, string>).alertDisplayNameFormat = '{{A}} {{B}} {{C}} {{D}}';
      }),
    ).toContain("You have defined 4 parameters in 'alertDisplayNameFormat'. The maximum allowed is 3.");
    expect(
      bad((t) => {
        t.entityMappings = [...(t.entityMappings as unknown[]), ...(t.entityMappings as unknown[])];
      }),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/for 'entityMappings'. 'entityMappings' length should be between '1' and '5'/),
      ]),
    );
  });
});

describe('workbooks', () => {
  // Application-Insights-Workbooks analyzer rule KQL002: a query over 3,000 characters is hard to
  // maintain and share; pimops keeps every workbook query under it.
  it.each(
    [customTablesWorkbook(config), auditLogsWorkbook(config)].flatMap((w) =>
      workbookQueries(w).map((q) => [`${w.fromTemplateId} ${q.name}`, q.query]),
    ),
  )('%s is under 3,000 characters (KQL002)', (_name, query) => {
    expect(query.length).toBeLessThanOrEqual(3000);
  });

  // Application-Insights-Workbooks schema/workbook.json (commit 0099aabfcc2a2685cf24fde84fffce1088a15d5b,
  // draft-07, not vendored): required version and items, each item a markdown (1), query (3),
  // parameter (9), metric (10) or link (11) step with a type and a content object, name and
  // customWidth strings.
  it.each([customTablesWorkbook(config), auditLogsWorkbook(config)].map((w) => [w.fromTemplateId, w] as const))(
    '%s has the gallery workbook shape',
    (_id, w) => {
      expect(w.version).toMatch(/^Notebook\/1\.0$/);
      expect(w.$schema).toBe(
        'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json',
      );
      expect(Array.isArray(w.items) && w.items.length).toBeTruthy();
      for (const i of w.items) {
        expect([1, 3, 9, 10, 11], i.name).toContain(i.type);
        expect(typeof i.content, i.name).toBe('object');
        expect(typeof i.name, i.name).toBe('string');
        if (i.customWidth !== undefined) expect(typeof i.customWidth, i.name).toBe('string');
      }
      expect(new Set(w.items.map((i) => i.name)).size).toBe(w.items.length);
    },
  );

  it('resource names are GUIDs made from the resource group and the workspace, so two deployments do not collide', () => {
    const names = ['workbook-custom-tables', 'workbook-auditlogs'].map((f) => String(templates[f].resources[0].name));
    for (const n of names)
      expect(n).toMatch(/^\[guid\(resourceGroup\(\)\.id, parameters\('workspaceResourceId'\), '[^']+'\)\]$/);
    expect(new Set(names).size).toBe(2);
    expect(templates['workbook-auditlogs'].resources[0].properties.version).toBe('Notebook/1.0');
  });
});

describe('data collection rule and tables', () => {
  it("the DCR's location is a required parameter (the workspace's region), not the resource group's", () => {
    const t = templates['tables-and-dcr'];
    expect(t.parameters.location.defaultValue).toBeUndefined();
    expect(t.resources.find((r) => r.type === 'Microsoft.Insights/dataCollectionRules')!.location).toBe(
      "[parameters('location')]",
    );
  });

  it('custom-table columns are only ever appended: every column shipped before is still there, in its place', () => {
    // The columns deployed workspaces already have (as of issue 22, and TenantId on every table from
    // issue 21); new columns go after them. A rename or removal breaks every deployed table and DCR,
    // so this list only ever grows at the end.
    const SHIPPED: Record<string, string[]> = {
      PIMRequests_CL: [
        'TimeGenerated',
        'RowId',
        'RowVersion',
        'RowDeleted',
        'EventTime',
        'RequestKey',
        'RequestType',
        'Plane',
        'PrincipalId',
        'PrincipalUpn',
        'PrincipalType',
        'RoleId',
        'RoleName',
        'ScopeId',
        'RequestedAt',
        'DecidedAt',
        'ActivatedAt',
        'CompletedAt',
        'EndedAt',
        'Route',
        'Decision',
        'ApproverId',
        'ApproverUpn',
        'EndReason',
        'Justification',
        'TicketNumber',
        'TicketSystem',
        'Mfa',
        'Keyed',
        'Events',
        'TimeToActivateSeconds',
        'RequestedDurationSeconds',
        'ActorIp',
        'UserAgent',
        'TenantId',
      ],
      PIMActivations_CL: [
        'TimeGenerated',
        'RowId',
        'RowVersion',
        'RowDeleted',
        'EventTime',
        'RequestKey',
        'Plane',
        'PrincipalId',
        'PrincipalUpn',
        'PrincipalType',
        'RoleId',
        'RoleName',
        'ScopeId',
        'ActivatedAt',
        'StartedAt',
        'ScheduledEnd',
        'EndedAt',
        'EndReason',
        'ActiveSeconds',
        'ActorIp',
        'UserAgent',
        'ViaGroupId',
        'ViaGroupName',
        'StartKnown',
        'TenantId',
      ],
      PIMAssignments_CL: [
        'TimeGenerated',
        'RowId',
        'RowVersion',
        'RowDeleted',
        'EventTime',
        'Plane',
        'PrincipalId',
        'PrincipalUpn',
        'PrincipalType',
        'RoleId',
        'RoleName',
        'ScopeId',
        'Since',
        'ViaPim',
        'BreakGlass',
        'Basis',
        'ViaGroupId',
        'ViaGroupName',
        'TenantId',
      ],
      PIMMetrics_CL: [
        'TimeGenerated',
        'RowId',
        'RowVersion',
        'RowDeleted',
        'EventTime',
        'Month',
        'MonthStart',
        'Plane',
        'MetricId',
        'Measure',
        'Dimensions',
        'Value',
        'TenantId',
      ],
      PIMFindings_CL: [
        'TimeGenerated',
        'RowId',
        'RowVersion',
        'RowDeleted',
        'EventTime',
        'CheckId',
        'Severity',
        'SubjectType',
        'SubjectId',
        'SubjectName',
        'Observed',
        'Threshold',
        'Detail',
        'FirstSeen',
        'LastSeen',
        'RuleId',
        'TenantId',
        'Excepted',
        'ExceptionReason',
        'ExceptionOwner',
        'ExceptionExpires',
      ],
    };
    expect(SENTINEL_TABLES.map((t) => t.name).sort()).toEqual(Object.keys(SHIPPED).sort());
    for (const t of SENTINEL_TABLES) {
      const now = columnsOf(t).map((c) => c.name);
      expect(now.slice(0, SHIPPED[t.name].length), t.name).toEqual(SHIPPED[t.name]);
    }
  });
});
