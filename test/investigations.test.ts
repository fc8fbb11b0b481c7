// Saved investigations on a hand-made night: Alice activates Global Administrator with Dave's
// approval, changes two things while elevated, and the activation expires; Bob holds Privileged
// Role Administrator outside PIM.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../fixtures/generator/prng.js';
import {
  pimRecord,
  directoryRoleRecord,
  noiseRecord,
  type AuditRecord,
  type Principal,
  type PimEventSpec,
} from '../fixtures/generator/records.js';
import { ROLES } from '../fixtures/generator/roles.js';
import { importPaths, withDb } from '../cli/pipeline.js';
import { runQuery } from '../queries/registry.js';
import { explainRequest } from '../reports/explain.js';
import { tempDir, testConfig } from './helpers.js';

const rng = new Rng(3);
const tenant = { id: '33333333-3333-4333-8333-333333333333', name: 'Night' };
const alice: Principal = {
  id: 'a0000000-0000-4000-8000-0000000000a1',
  upn: 'alice@night.example',
  name: 'Alice',
  type: 'User',
};
const bob: Principal = {
  id: 'b0000000-0000-4000-8000-0000000000b1',
  upn: 'bob@night.example',
  name: 'Bob',
  type: 'User',
};
const dave: Principal = {
  id: 'd0000000-0000-4000-8000-0000000000d1',
  upn: 'dave@night.example',
  name: 'Dave',
  type: 'User',
};
const T = (s: string) => new Date(`2026-10-15T${s}Z`);
const ga = ROLES.globalAdmin;
const pim = (
  e: Omit<PimEventSpec, 'operationType' | 'plane' | 'scope' | 'auditType' | 'role' | 'key' | 'keyMode'> &
    Partial<PimEventSpec>,
): AuditRecord =>
  pimRecord(
    {
      plane: 'entra_role',
      scope: { id: '/', name: 'D' },
      auditType: 'X',
      operationType: 'Update',
      role: ga,
      key: 'req-ga-1',
      keyMode: 'detail',
      ...e,
    },
    tenant,
    rng,
  );
function by(actor: Principal, at: Date, activity: string): AuditRecord {
  const r = noiseRecord(at, actor, rng);
  return { ...r, activityDisplayName: activity, loggedByService: 'Core Directory', category: 'UserManagement' };
}

const records: AuditRecord[] = [
  pim({
    activity: 'Add member to role requested (PIM activation)',
    at: T('01:00:00'),
    principal: alice,
    actor: alice,
    resultReason: 'INC-42 outage',
    extraDetails: { Justification: 'INC-42 outage', IsActivationRequireApproval: 'true' },
  }),
  pim({
    activity: 'Add member to role approval requested (PIM activation)',
    at: T('01:00:01'),
    principal: alice,
    actor: alice,
  }),
  pim({
    activity: 'Add member to role request approved (PIM activation)',
    at: T('01:12:00'),
    principal: alice,
    actor: dave,
    resultReason: 'ok',
  }),
  directoryRoleRecord(
    { add: true, at: T('01:12:04'), role: ga, directoryRoleObjectId: 'obj-ga', principal: alice, actor: 'MS-PIM' },
    rng,
  ),
  pim({
    activity: 'Add member to role completed (PIM activation)',
    at: T('01:12:05'),
    principal: alice,
    actor: alice,
    extraDetails: { StartTime: T('01:12:05').toISOString(), ExpirationTime: T('03:12:05').toISOString() },
  }),
  by(alice, T('01:30:00'), 'Update conditional access policy'),
  by(alice, T('02:10:00'), 'Reset user password'),
  by(alice, T('04:00:00'), 'Update user'), // after the activation: not during it
  directoryRoleRecord(
    { add: false, at: T('03:12:06'), role: ga, directoryRoleObjectId: 'obj-ga', principal: alice, actor: 'MS-PIM' },
    rng,
  ),
  pim({
    activity: 'Remove member from role (PIM activation expired)',
    at: T('03:12:09'),
    principal: alice,
    actor: 'system',
    principalSlot: 'late',
  }),
  directoryRoleRecord(
    {
      add: true,
      at: new Date('2026-10-01T00:00:00Z'),
      role: ROLES.privilegedRoleAdmin,
      directoryRoleObjectId: 'obj-pra',
      principal: bob,
      actor: dave,
    },
    rng,
  ),
];

const tmp = tempDir();
let db: string;
const config = testConfig({}, tmp.dir);
beforeAll(async () => {
  mkdirSync(join(tmp.dir, 'in'), { recursive: true });
  writeFileSync(join(tmp.dir, 'in', 'night.ndjson'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  db = join(tmp.dir, 'p.duckdb');
  await importPaths(db, config, [join(tmp.dir, 'in')]);
});
afterAll(() => tmp.cleanup());
const q = (id: string, params: Record<string, unknown>) => withDb(db, config, (x) => runQuery(x, id, params));

describe('saved investigations', () => {
  it('who_held_role_at: the activation at 02:00 with its approver and wait, nobody at 05:00', async () => {
    const at2 = await q('who_held_role_at', { role: 'global administrator', at: T('02:00:00') });
    expect(at2).toEqual([
      expect.objectContaining({
        principal_upn: 'alice@night.example',
        how: 'activation',
        request_key: 'req-ga-1',
        justification: 'INC-42 outage',
        approver_upn: 'dave@night.example',
        wait_seconds: 720,
      }),
    ]);
    expect(await q('who_held_role_at', { role: ga.id, at: T('05:00:00') })).toEqual([]);
    const bobAt = await q('who_held_role_at', { role: 'Privileged Role Administrator', at: T('05:00:00') });
    expect(bobAt).toEqual([
      expect.objectContaining({ principal_upn: 'bob@night.example', how: 'standing assignment outside PIM' }),
    ]);
  });

  it('request_trace: every step in order with elapsed times, ending with the expiry', async () => {
    const rows = await q('request_trace', { request: 'REQ-GA-1' });
    expect(rows.map((r) => r.step)).toEqual([
      'act_requested',
      'approval_requested',
      'approved',
      'activated',
      'expired',
      'expired',
    ]);
    // The activation ended at its scheduled end (03:12:05); PIM logged the expiry 4 s later.
    expect(rows.map((r) => r.elapsed_seconds)).toEqual([0, 1, 720, 725, 7925, 7929]);
    expect(rows[2].actor).toBe('dave@night.example');
  });

  it('elevation_activity: what Alice did while elevated, not after', async () => {
    const rows = await q('elevation_activity', { request: 'req-ga-1' });
    expect(rows.map((r) => [r.activity, Math.round(Number(r.minutes_into_activation))])).toEqual([
      ['Update conditional access policy', 18],
      ['Reset user password', 58],
    ]);
  });

  it('principal_timeline: actor and subject records, marked with the activation they fell in', async () => {
    const rows = await q('principal_timeline', {
      principal: 'alice@night.example',
      from: T('00:00:00'),
      to: T('06:00:00'),
    });
    const during = rows.filter((r) => r.during_activation === 'Global Administrator').map((r) => r.activity);
    // The directory companions fall just outside: one second before the grant, one after the end.
    expect(during).toEqual([
      'Add member to role completed (PIM activation)',
      'Update conditional access policy',
      'Reset user password',
    ]);
    expect(rows.find((r) => r.activity === 'Add member to role request approved (PIM activation)')).toMatchObject({
      role: 'subject',
      other_party: 'dave@night.example',
    });
    expect(rows.at(-1)).toMatchObject({ activity: 'Update user', during_activation: null });
  });

  it('role_timeline, approver_history and changes_by_actor', async () => {
    const tl = await q('role_timeline', { role: 'Global Administrator', from: T('00:00:00'), to: T('23:00:00') });
    expect(tl).toEqual([
      expect.objectContaining({
        kind: 'activation',
        principal_upn: 'alice@night.example',
        start_at: T('01:12:05'),
        end_at: T('03:12:05'),
      }),
    ]);
    const ah = await q('approver_history', { approver: 'dave@night.example', from: T('00:00:00'), to: T('23:00:00') });
    expect(ah).toEqual([
      expect.objectContaining({
        decision: 'approved',
        requester_upn: 'alice@night.example',
        wait_seconds: 720,
        relation: 'unknown',
      }),
    ]);
    const ch = await q('changes_by_actor', { from: T('00:00:00'), to: T('23:00:00') });
    expect(ch.find((r) => r.actor === 'alice@night.example' && r.activity === 'Reset user password')).toMatchObject({
      records: 1n,
    });
  });

  it('explain-request tells the story', async () => {
    const text = await withDb(db, config, (x) => explainRequest(x, 'req-ga-1'));
    expect(text).toContain('alice@night.example asked for Global Administrator');
    expect(text).toContain('"INC-42 outage"');
    expect(text).toContain('dave@night.example approved after 12m00s');
    expect(text).toContain('expired');
    expect(text).toContain('Update conditional access policy');
  });
});
