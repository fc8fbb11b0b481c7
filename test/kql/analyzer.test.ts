// The offline KQL analyzer: first that it can fail (unknown names, syntax, unknown functions), then
// that the KQL features pimops relies on bind cleanly, then the KQL that `ingest log-analytics`
// actually sends, captured from the real code paths.
import { describe, it, expect } from 'vitest';
import type { LogsQueryClient } from '@azure/monitor-query-logs';
import type { LandingStore } from '../../core/landing.js';
import { pullLogAnalyticsSignIns, sliceQuery } from '../../ingest/log-analytics/index.js';
import { analyzeKql, kqlErrors, loadKusto, watchlistFunction, type AnalyzeOptions, type KqlTable } from './analyzer.js';
import { AUDIT_LOGS, SIGNIN_LOGS } from './azure-tables.js';

const ROWS: KqlTable = {
  name: 'PimRows_CL',
  columns: [
    { name: 'RowId', type: 'string' },
    { name: 'RowVersion', type: 'long' },
    { name: 'TimeGenerated', type: 'datetime' },
    { name: 'Payload', type: 'dynamic' },
  ],
};
const OPTS: AnalyzeOptions = {
  tables: [AUDIT_LOGS, SIGNIN_LOGS, ROWS],
  functions: [
    watchlistFunction([
      { name: 'UserPrincipalName', type: 'string' },
      { name: 'Role', type: 'string' },
    ]),
  ],
};
const errorsOf = (q: string) => kqlErrors(q, OPTS);

describe('KQL analyzer harness', () => {
  it('loads the language service once, in reasonable time', () => {
    const first = loadKusto();
    expect(loadKusto()).toBe(first);
    // Measured ~1.4 s (load + GlobalState.Default warm-up) on the dev box; generous ceiling for CI.
    expect(first.loadMs).toBeLessThan(15_000);
  });

  it('a valid AuditLogs query has no errors', () => {
    expect(
      errorsOf(`AuditLogs
| where TimeGenerated between (datetime(2026-08-01) .. datetime(2026-08-02))
| where LoggedByService == "PIM" and Result == "success"
| project TimeGenerated, Id, OperationName, InitiatedBy, TargetResources`),
    ).toEqual([]);
  });

  it('an unknown column is an error that names it, with an excerpt', () => {
    const diags = analyzeKql('AuditLogs | where Foo == 1', OPTS);
    const errors = diags.filter((d) => d.severity === 'Error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'KS142', start: 18, length: 3 });
    expect(errors[0].message).toContain("'Foo'");
    expect(errors[0].excerpt).toBe('AuditLogs | where >>Foo<< == 1');
    const [line] = errorsOf('AuditLogs\n| where Foo == 1');
    expect(line).toMatch(/^KS142 at 2:9: The name 'Foo'.*\| AuditLogs ⏎ \| where >>Foo<< == 1$/);
  });

  it('a syntax error is reported', () => {
    expect(errorsOf('AuditLogs | where | project Id').join('\n')).toMatch(/KS006.*Missing expression/);
    expect(errorsOf('AuditLogs | summarize count( by Category')).not.toEqual([]);
    expect(errorsOf('AuditLogs | wher TimeGenerated > ago(1d)')).not.toEqual([]);
  });

  it('an unknown table or function is an error', () => {
    expect(errorsOf('AuditLog | take 1').join('\n')).toMatch(/KS\d+.*'AuditLog'/);
    expect(errorsOf('AuditLogs | extend x = no_such_fn(Id)').join('\n')).toMatch(/KS211.*'no_such_fn'/);
    // Declared functions are checked too: arity, and the columns their body returns.
    expect(errorsOf('_GetWatchlist() | project SearchKey').join('\n')).toMatch(/KS119/);
    expect(errorsOf("_GetWatchlist('pim-admins') | project Nope").join('\n')).toMatch(/'Nope'/);
  });

  it('arg_max(RowVersion, *) by RowId over a declared custom table', () => {
    expect(
      errorsOf('PimRows_CL | summarize arg_max(RowVersion, *) by RowId | project RowId, RowVersion, Payload'),
    ).toEqual([]);
    expect(errorsOf('PimRows_CL | summarize arg_max(RowVersion, *) by RowId | project Missing')).not.toEqual([]);
  });

  it('a declared _GetWatchlist binds like a table', () => {
    expect(errorsOf("_GetWatchlist('x') | project SearchKey")).toEqual([]);
    expect(
      errorsOf(`let admins = _GetWatchlist('pim-admins') | project Upn = tolower(UserPrincipalName), Role;
SigninLogs
| where tolower(UserPrincipalName) in ((admins | project Upn))
| join kind=inner admins on $left.UserPrincipalName == $right.Upn
| project TimeGenerated, UserPrincipalName, Role`),
    ).toEqual([]);
  });

  it('mv-expand, parse_json, todynamic()[0].id, datetime_diff, percentiles, bin, make-series', () => {
    const queries = [
      `AuditLogs | mv-expand Target = TargetResources | extend TargetId = tostring(Target.id), TargetType = tostring(Target.type)`,
      `AuditLogs | extend Details = parse_json(tostring(AdditionalDetails)) | mv-expand Details | extend Key = tostring(Details.key)`,
      `AuditLogs | extend RoleId = tostring(todynamic(TargetResources)[0].id), Actor = tostring(InitiatedBy.user.userPrincipalName)`,
      `AuditLogs | extend LagSeconds = datetime_diff('second', TimeGenerated, ActivityDateTime) | summarize percentiles(LagSeconds, 50, 90) by Category`,
      `AuditLogs | summarize Events = count(), Actors = dcount(tostring(InitiatedBy.user.id)) by bin(TimeGenerated, 1d), LoggedByService`,
      `AuditLogs | make-series Events = count() default = 0 on TimeGenerated from datetime(2026-07-01) to datetime(2026-08-01) step 1d by OperationName`,
      `SigninLogs | where ResultType != "0" | extend City = tostring(LocationDetails.city), Os = tostring(DeviceDetail.operatingSystem), Code = toint(Status.errorCode)`,
    ];
    for (const q of queries) expect(errorsOf(q), q).toEqual([]);
  });

  it("reports warnings with Kusto's own severity when analyzers are on", () => {
    const q = 'AuditLogs | join (SigninLogs) on CorrelationId';
    expect(analyzeKql(q, OPTS)).toEqual([]);
    const diags = analyzeKql(q, { ...OPTS, analyzers: true });
    expect(diags).toEqual([
      expect.objectContaining({
        severity: 'Warning',
        code: 'KS508',
        excerpt: 'AuditLogs | >>join<< (SigninLogs) on CorrelationId',
      }),
    ]);
    expect(kqlErrors(q, { ...OPTS, analyzers: true })).toEqual([]);
  });

  it('portal placeholders such as {TimeRange} are errors until substituted', () => {
    expect(errorsOf('AuditLogs | where TimeGenerated {TimeRange}').join('\n')).toMatch(/KS213.*Client parameters/);
    expect(errorsOf('AuditLogs | where TimeGenerated > ago(7d)')).toEqual([]);
  });

  it('ingest KQL is valid', async () => {
    const from = new Date('2026-08-01T00:00:00Z');
    const to = new Date('2026-08-02T06:30:15.250Z');
    const sent: string[] = [sliceQuery(from, to, false), sliceQuery(from, to, true)];
    // The SigninLogs query is built inside pullLogAnalyticsSignIns: capture it from a client that
    // records the query and stops the pull before anything is landed.
    const client = {
      queryWorkspace: async (_ws: string, kql: string) => {
        sent.push(kql);
        throw new Error('captured');
      },
    } as unknown as LogsQueryClient;
    await expect(
      pullLogAnalyticsSignIns(
        client,
        {} as LandingStore,
        'ws',
        ['BreakGlass1@contoso.example', 'bg2@contoso.example'],
        from,
        to,
      ),
    ).rejects.toThrow('captured');
    expect(sent).toHaveLength(3);
    expect(sent[2]).toMatch(/^SigninLogs/);
    const opts = { tables: [AUDIT_LOGS, SIGNIN_LOGS] };
    for (const q of sent) expect(kqlErrors(q, opts), q).toEqual([]);
    // …and the check has teeth: a misspelt projected column in the same text is caught.
    expect(kqlErrors(sent[0].replace('LoggedByService', 'LoggedBy'), opts).join('\n')).toMatch(/KS142.*'LoggedBy'/);
  });
});
