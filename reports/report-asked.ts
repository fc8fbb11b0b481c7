// The four lines admins keep asking for (issue 25), from the named queries of the same ids: assignments that
// expire soon, access-review denials not applied, people who need a PIM licence, grant to first action.
import type { Db } from '../core/db.js';
import type { Config } from '../core/config.js';
import type { Period } from '../core/time.js';
import { asText } from '../core/text.js';
import { pickParams, runQuery } from '../queries/registry.js';
import { configParams } from '../queries/params.js';

export type Asked = {
  expiring: { principal: string; role: string; kind: string; endAt: string; daysLeft: number }[];
  expiringDays: number;
  denialsNotApplied: { review: string; principal: string; role: string; reviewedAt: string; daysSince: number }[];
  licences: { category: string; people: number }[];
  firstAction: {
    activations: number;
    withAction: number;
    p50Seconds: number | null;
    p90Seconds: number | null;
    maxSeconds: number | null;
  };
};

const iso = (v: unknown) => (v === null || v === undefined ? null : asText(v));

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export async function askedFor(db: Db, config: Config, period: Period): Promise<Asked> {
  const p = configParams(config, period);
  const run = (id: string) => runQuery(db, id, pickParams(id, p));
  const [first] = await run('time_to_first_action');
  return {
    expiring: (await run('expiring_assignments')).map((r) => ({
      principal: asText(r.principal),
      role: asText(r.role),
      kind: asText(r.kind),
      endAt: asText(iso(r.end_at)),
      daysLeft: Number(r.days_left),
    })),
    expiringDays: config.report.expiringDays,
    denialsNotApplied: (await run('review_denials_not_applied')).map((r) => ({
      review: asText(r.review),
      principal: asText(r.principal),
      role: asText(r.role),
      reviewedAt: asText(iso(r.reviewed_at)),
      daysSince: Number(r.days_since),
    })),
    licences: (await run('pim_licence_count')).map((r) => ({ category: asText(r.category), people: Number(r.people) })),
    firstAction: {
      activations: Number(first?.activations ?? 0),
      withAction: Number(first?.with_action ?? 0),
      p50Seconds: num(first?.p50_seconds),
      p90Seconds: num(first?.p90_seconds),
      maxSeconds: num(first?.max_seconds),
    },
  };
}
