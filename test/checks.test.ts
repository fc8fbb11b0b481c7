// Checks: the generator's planted incidents are found exactly (several seeds); hand-made role
// settings, reviews and approvals just under and just over each threshold; a check without its
// input says "not computable" instead of a false finding.
import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { generateTenant, emitFiles, emitSignIns } from '../fixtures/generator/index.js';
import { importPaths, withDb } from '../cli/pipeline.js';
import { runChecks, atOrAbove } from '../reports/checks.js';
import { ROLES } from '../fixtures/generator/roles.js';
import { tempDir, testConfig } from './helpers.js';
import { derivePim } from '../transform/index.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe.each([
  { seed: 7, admins: 10, days: 40 },
  { seed: 42, admins: 14, days: 60 },
])('planted incidents, seed $seed', (c) => {
  it('finds exactly the self-approval, the mutual pair, the break-glass use and the weakened setting', async () => {
    const start = new Date('2026-05-01T00:00:00Z');
    const t = generateTenant({ seed: c.seed, admins: c.admins, start, days: c.days });
    const dir = join(tmp.dir, `p${c.seed}`);
    emitFiles(t.records, t.tenant.id, { dir: join(dir, 'in'), seed: c.seed });
    emitSignIns(t.signIns, join(dir, 'in'));
    const config = testConfig({ breakGlassAccounts: t.breakGlass.map((b) => b.upn!) }, dir);
    const db = join(dir, 'p.duckdb');
    await importPaths(db, config, [join(dir, 'in')]);
    // From a day in: the break-glass accounts' own set-up on day one is a change, not an incident.
    const period = { from: new Date(start.getTime() + 86_400_000), to: t.end, asOf: t.end };
    const findings = await withDb(db, config, (x) => runChecks(x, config, period));

    const self = findings.filter((f) => f.ruleId === 'self_approval');
    expect(self.map((f) => f.subjectId)).toEqual(t.incidents.selfApprovals.map((s) => s.requestKey));
    const mutual = findings.filter((f) => f.ruleId === 'mutual_approval');
    expect(mutual.map((f) => f.subjectId)).toEqual(t.incidents.mutualApprovals.map((m) => [m.a, m.b].sort().join('|')));
    const critical = findings.filter((f) => f.severity === 'critical');
    expect(critical.map((f) => [f.subjectId, f.observed]).sort()).toEqual([
      [t.breakGlass[0].id, '1 action(s)'],
      [t.breakGlass[0].id, '1 sign-in(s)'],
    ]);
    expect(critical.find((f) => f.observed === '1 sign-in(s)')?.firstSeen).toBe(
      t.incidents.breakGlassSignIns[0].at.toISOString(),
    );
    const changes = findings.filter((f) => f.ruleId === 'role_setting_changes');
    expect(changes.map((f) => [f.severity, f.observed])).toEqual(
      t.incidents.settingChanges.map((s) => [s.weakening ? 'medium' : 'info', s.text]),
    );
    // Without snapshots, the settings and review checks say so instead of passing silently.
    expect(
      findings
        .filter((f) => f.subjectName === 'not computable')
        .map((f) => f.ruleId)
        .sort(),
    ).toEqual([
      'access_review_infrequent',
      'access_review_missing',
      'access_review_outcomes',
      'access_review_overdue',
      'access_review_silence_keeps_access',
      'justification_not_required',
      'mfa_not_required',
      'permanent_active_allowed',
      'permanent_eligible_allowed',
      'role_max_activation',
      'ticket_not_required',
      'tier0_without_approval',
      'too_few_approvers',
    ]);
  });
});

describe('thresholds, just under and just over', () => {
  async function withSettings(rows: string[], extra: Record<string, unknown> = {}) {
    const dir = join(tmp.dir, `s${Math.random().toString(36).slice(2)}`);
    const config = testConfig({ breakGlassAccounts: [], ...extra }, dir);
    const db = join(dir, 'p.duckdb');
    return withDb(db, config, async (x) => {
      await derivePim(x, config); // the (empty) PIM tables, before the hand-made rows go in
      for (const r of rows) await x.run(r);
      return runChecks(x, config, {
        from: new Date('2026-10-01T00:00:00Z'),
        to: new Date('2026-11-01T00:00:00Z'),
        asOf: new Date('2026-11-01T00:00:00Z'),
      });
    });
  }
  const policy = (
    role: string,
    o: Partial<Record<string, string>>,
  ) => `INSERT INTO role_policies (observed_at, role_id, max_activation, max_activation_seconds, mfa_required, justification_required, ticket_required, auth_context_enabled, approval_required, approvers, permanent_eligible_allowed, permanent_active_allowed)
    VALUES ('2026-10-20', '${role}', 'x', ${o.secs ?? 3600}, ${o.mfa ?? 'true'}, true, ${o.ticket ?? 'false'}, ${o.ctx ?? 'false'}, ${o.approval ?? 'true'}, ${o.approvers ?? 2}, false, ${o.permActive ?? 'false'})`;

  it('maximum activation: 4 h is fine, 4 h + 1 s is not; tier 0 at 2 h', async () => {
    const f = await withSettings([
      policy(ROLES.exchangeAdmin.id, { secs: '14400' }),
      policy(ROLES.sharepointAdmin.id, { secs: '14401' }),
      policy(ROLES.globalAdmin.id, { secs: '7200' }),
      policy(ROLES.privilegedRoleAdmin.id, { secs: '7201' }),
    ]);
    const hits = f.filter((x) => x.ruleId === 'role_max_activation').map((x) => [x.subjectName, x.severity]);
    expect(hits.sort()).toEqual([
      ['Privileged Role Administrator', 'high'],
      ['SharePoint Administrator', 'medium'],
    ]);
  });

  it('MFA or an authentication context; tickets only when the tenant asks', async () => {
    const rows = [
      policy(ROLES.exchangeAdmin.id, { mfa: 'false' }),
      policy(ROLES.sharepointAdmin.id, { mfa: 'false', ctx: 'true' }),
      policy(ROLES.globalAdmin.id, { mfa: 'false' }),
    ];
    const f = await withSettings(rows);
    expect(
      f
        .filter((x) => x.ruleId === 'mfa_not_required')
        .map((x) => [x.subjectName, x.severity])
        .sort(),
    ).toEqual([
      ['Exchange Administrator', 'medium'],
      ['Global Administrator', 'high'],
    ]);
    const withTickets = await withSettings(rows, { checks: { requireTicket: true } });
    expect(withTickets.filter((x) => x.observed === 'ticket not required')).toHaveLength(3);
  });

  it('approval design: tier 0 without approval, fewer than 2 approvers, permanent active allowed', async () => {
    const f = await withSettings([
      policy(ROLES.globalAdmin.id, { approval: 'false', approvers: '0' }),
      policy(ROLES.privilegedRoleAdmin.id, { approvers: '1' }),
      policy(ROLES.securityAdmin.id, { approvers: '2' }),
      policy(ROLES.exchangeAdmin.id, { approval: 'false', approvers: '0', permActive: 'true' }),
    ]);
    expect(
      f
        .filter((x) => ['tier0_without_approval', 'too_few_approvers', 'permanent_active_allowed'].includes(x.ruleId))
        .map((x) => [x.subjectName, x.severity, x.observed])
        .sort(),
    ).toEqual([
      ['Exchange Administrator', 'medium', 'permanent active allowed'],
      ['Global Administrator', 'high', 'approval not required'],
      ['Privileged Role Administrator', 'medium', '1 approver'],
    ]);
  });

  it('access reviews: quarterly and self-removing is fine; semi-annual, silent-keeps, overdue and missing are not', async () => {
    const assign = (role: string) =>
      `INSERT INTO role_assignments (plane, principal_id, role_id, kind, start_at, source) VALUES ('entra_role', 'p1', '${role}', 'eligible', '2026-01-01', 'audit_replay')`;
    const review = (
      id: string,
      role: string,
      months: number,
      decision: string,
      auto: boolean,
    ) => `INSERT INTO access_review_definitions (observed_at, review_id, display_name, status, scope, settings, reviewers, landing_file) VALUES ('2026-10-20', '${id}', '${id}', 'InProgress',
      '{"query": "/roleManagement/directory/roleDefinitions/${role}"}', '{"recurrence": {"pattern": {"type": "absoluteMonthly", "interval": ${months}}}, "defaultDecision": "${decision}", "autoApplyDecisionsEnabled": ${auto}}', '[]', 'f')`;
    const f = await withSettings([
      assign(ROLES.globalAdmin.id),
      assign(ROLES.privilegedRoleAdmin.id),
      assign(ROLES.userAdmin.id),
      assign(ROLES.securityAdmin.id),
      review('r-ga', ROLES.globalAdmin.id, 3, 'Deny', true),
      review('r-pra', ROLES.privilegedRoleAdmin.id, 6, 'Deny', true), // tier 0: quarterly at most
      review('r-ua', ROLES.userAdmin.id, 6, 'None', false), // lower tier: semi-annual is fine; silence keeps access
      `INSERT INTO access_review_instances (observed_at, definition_id, instance_id, start_at, end_at, status, landing_file) VALUES ('2026-10-20', 'r-ga', 'i-ga', '2026-09-01', '2026-09-15', 'InProgress', 'f')`,
    ]);
    expect(
      f
        .filter((x) => x.ruleId.startsWith('access_review_'))
        .map((x) => [x.subjectName, x.severity, x.observed])
        .sort(),
    ).toEqual([
      ['Global Administrator', 'medium', 'instance InProgress past 2026-09-15'],
      ['Privileged Role Administrator', 'low', 'every 6.0 months'],
      ['Security Administrator', 'medium', 'no review'],
      ['User Administrator', 'low', 'no response: None, not applied'],
    ]);
  });
});

describe('pimops checks on the demo', () => {
  it('lists findings of every kind and exits 1 at --fail-on high', async () => {
    const { spawnSync } = await import('node:child_process');
    const cwd = join(tmp.dir, 'demo');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(cwd, { recursive: true });
    const bin = join(process.cwd(), 'bin', 'pimops.js');
    expect(
      spawnSync(process.execPath, [bin, 'demo', '--through', '2026-10', '--admins', '16'], { cwd, encoding: 'utf8' })
        .status,
    ).toBe(0);
    const r = spawnSync(
      process.execPath,
      [
        bin,
        'checks',
        '--config',
        'pimops-demo.config.json',
        '--from',
        '2026-10-01',
        '--to',
        '2026-11-01',
        '--json',
        '--fail-on',
        'high',
      ],
      { cwd, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(1);
    const out = JSON.parse(r.stdout.split('\n{"error"')[0]);
    const kinds = new Set(out.findings.map((f: { ruleId: string }) => f.ruleId));
    for (const id of [
      'role_max_activation',
      'mfa_not_required',
      'tier0_without_approval',
      'too_few_approvers',
      'role_setting_changes',
      'self_approval',
      'mutual_approval',
      'break_glass_sign_in',
      'break_glass_action',
      'access_review_missing',
      'mfa_and_tickets_observed',
      'too_many_global_admins',
      'after_hours_activation',
      'activation_runs_to_end',
      'elevation_without_activity',
      'short_justification',
    ])
      expect(kinds, id).toContain(id);
    expect(out.summary.critical).toBe(2);
    expect(atOrAbove(out.findings, 'high').length).toBeGreaterThan(3);
  });
});
