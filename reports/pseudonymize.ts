// The pseudonymized report: people replaced by stable keyed aliases (HMAC of the name), so a report
// can be shared without naming anyone, and the same person keeps one alias across reports.
import { createHmac } from 'node:crypto';
import type { Db } from '../core/db.js';
import { runQuery } from '../queries/registry.js';

/** A stable keyed alias: the same person gets the same alias in every report made with the same key. */
export function alias(value: string, key: string): string {
  const h = createHmac('sha256', key).update(value.toLowerCase()).digest('hex').slice(0, 10);
  return value.includes('@') ? `user-${h}@pseudonym` : `id-${h}`;
}

export async function identities(db: Db): Promise<string[]> {
  const rows = await runQuery(db, 'pseudonym_identities', {});
  // Longest first, so a UPN is replaced whole before a display name that is part of it.
  return rows.map((r) => String(r.v)).sort((a, b) => b.length - a.length);
}

export function pseudonymize<T>(model: T, names: string[], key: string): T {
  let text = JSON.stringify(model);
  for (const n of names) {
    const escaped = JSON.stringify(n).slice(1, -1);
    if (text.includes(escaped)) text = text.split(escaped).join(alias(n, key));
  }
  return JSON.parse(text) as T;
}
