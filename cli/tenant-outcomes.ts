// What a pull of several tenants says: one line per tenant on stderr (its figures, or why it failed),
// and an error naming every tenant that failed once the others have landed.
import { PimopsError } from '../core/errors.js';
import type { TenantOutcome } from './pulls.js';
import { printJson, stderr, wantsJson, type GlobalOptions } from './context.js';

export function tenantName(t: { id?: string; name?: string }): string {
  return t.name ? `${t.name} (${t.id})` : (t.id ?? 'the environment tenant');
}

/** Prints each tenant's line and throws `tenant-failed` when any failed (exit 1, after the others landed). */
export function reportTenants<T>(what: string, outcomes: TenantOutcome<T>[], line: (r: T) => string): void {
  for (const o of outcomes)
    stderr(
      `${o.ok ? '✓' : '✗'} ${tenantName(o.tenant)}: ${o.ok ? line(o.result) : `${o.error.code}: ${o.error.message}`}`,
    );
  const failed = outcomes.filter((o) => !o.ok);
  if (failed.length)
    throw new PimopsError(
      'tenant-failed',
      `${what}: ${failed.length} of ${outcomes.length} tenant(s) failed: ${failed.map((o) => tenantName(o.tenant)).join(', ')}. The others were landed and transformed.`,
    );
}

/** The JSON of each tenant's outcome: its result's figures, or its error. */
export function tenantsJson<T>(outcomes: TenantOutcome<T>[], pick: (r: T) => Record<string, unknown>) {
  return outcomes.map((o) => ({
    tenant: o.tenant.id ?? null,
    name: o.tenant.name ?? null,
    ok: o.ok,
    ...(o.ok ? pick(o.result) : { error: { code: o.error.code, message: o.error.message } }),
  }));
}

/**
 * A pull of several tenants, finished: under --json each tenant's figures and then the store's
 * counts, a line per tenant on stderr, and the tenant-failed error when one failed.
 */
export function finishTenants<T>(
  o: GlobalOptions,
  what: string,
  outcomes: TenantOutcome<T>[],
  totals: { json: Record<string, unknown>; line: string },
  pick: (r: T) => Record<string, unknown>,
  line: (r: T) => string,
): void {
  if (wantsJson(o)) printJson({ tenants: tenantsJson(outcomes, pick), ...totals.json });
  stderr(`${what}, ${outcomes.length} tenant(s): ${totals.line}`);
  reportTenants(what, outcomes, line);
}
