// pim_approvals names an approver from config.checks.securityTeam 'security_team': the list is bound
// as a LIST parameter, matched case-insensitively by id, and an empty list or hostile entry is only data.
import { describe, it, expect, afterAll } from 'vitest';
import { join } from 'node:path';
import { generateTenant, emitFiles } from '../fixtures/generator/index.js';
import { importPaths, withDb } from '../cli/pipeline.js';
import { tempDir, testConfig } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('pim_approvals: security team', () => {
  it('marks the configured approvers security_team, and nobody with an empty team', async () => {
    const t = generateTenant({ seed: 7, admins: 6, start: new Date('2026-04-01T00:00:00Z'), days: 20 });
    emitFiles(t.records, t.tenant.id, { dir: join(tmp.dir, 'in'), seed: 7 });
    const relations = async (name: string, securityTeam: string[]) => {
      const config = testConfig({ checks: { securityTeam } }, join(tmp.dir, name));
      const dbPath = join(tmp.dir, `${name}.duckdb`);
      await importPaths(dbPath, config, [join(tmp.dir, 'in')]);
      return withDb(dbPath, config, (db) =>
        db.all<{ approver_id: string; relation: string }>(
          'SELECT approver_id, relation FROM pim_approvals ORDER BY event_id',
        ),
      );
    };
    const none = await relations('none', []);
    expect(none.length).toBeGreaterThan(0);
    expect(none.filter((r) => r.relation === 'security_team')).toEqual([]);
    const approver = none.find((r) => r.relation !== 'self' && r.approver_id)!.approver_id;
    const team = await relations('team', [approver.toUpperCase(), "x'); DROP TABLE pim_requests; --"]);
    expect(team.length).toBe(none.length);
    const marked = team.filter((r) => r.relation === 'security_team');
    expect(marked.length).toBeGreaterThan(0);
    expect(new Set(marked.map((r) => r.approver_id))).toEqual(new Set([approver]));
    expect(
      team
        .filter((r) => r.approver_id === approver && r.relation !== 'self')
        .every((r) => r.relation === 'security_team'),
    ).toBe(true);
  });
});
