import type { Db, Params } from '../core/db.js';
import { listValue } from '../core/db.js';
import type { Config } from '../core/config.js';
import { modelSql } from './sql.js';
import { DERIVED_MODELS, type DerivedModelName } from './models.js';
import { timed } from '../core/profile.js';
import {
  COVERAGE_SQL,
  coverageMoved,
  markComplete,
  markIncomplete,
  modelsHash,
  readState,
  stagedThrough,
} from './derive-state.js';

/**
 * The PIM tables (int_pim_events → pim_activations, pim_requests, role_assignments → pim_approvals)
 * are derived from audit_events, in full or for only what new landed files touch, one model at a
 * time in the order transform/models.ts declares (FULL and INCREMENTAL say how each is derived).
 *
 * Incremental derivation works on partitions, (tenant, plane, principal, role, scope): keyless pairing and
 * time-matched ends never look outside one. In each partition new events fall in, from the earliest
 * new event t: int_pim_events rows at or after t are derived again, reading inputs from one pairing
 * window before t (the oldest request a keyless step can pair with); activations from the one in
 * effect at t (an end matches the latest activation started before it), in these partitions and in
 * those holding rows that share a key with the new rows (ends match by key across partitions);
 * requests by key, from all their rows; role assignments per whole partition. The same model SQL
 * reads scoped inputs (a CTE named like the table it stands for). pim_approvals is small and also
 * depends on the snapshots: it is always derived in full. test/incremental.test.ts holds the result
 * equal to a full derivation.
 *
 * Not one transaction: DuckDB reads a table created earlier in the same transaction many times slower
 * (measured 0.5 s → 11.6 s for pim_activations at 1M records). A marker row says the set is complete;
 * a run that finds it missing (a crash mid-derive) derives in full.
 */

const PARTITION_MATCH = (
  a: string,
  b: string,
) => `${a}.tenant_id IS NOT DISTINCT FROM ${b}.tenant_id AND ${a}.plane = ${b}.plane AND ${a}.principal_id IS NOT DISTINCT FROM ${b}.principal_id
  AND ${a}.role_id IS NOT DISTINCT FROM ${b}.role_id AND ${a}.scope_id IS NOT DISTINCT FROM ${b}.scope_id`;
const PARTITION_COLUMNS = 'tenant_id, plane, principal_id, role_id, scope_id';

// A record is (tenant, id) and a request key is one tenant's: the same id in two tenants is two.
const sameEvent = (a: string, b: string) =>
  `${a}.event_id = ${b}.event_id AND ${a}.tenant_id IS NOT DISTINCT FROM ${b}.tenant_id`;
const sameKey = (a: string, b: string) =>
  `${a}.request_key = ${b}.request_key AND ${a}.tenant_id IS NOT DISTINCT FROM ${b}.tenant_id`;

function windowParams(config: Config): Params {
  return { pairing_window_hours: config.correlation.pairingWindowHours };
}

async function deriveApprovals(db: Db, config: Config): Promise<void> {
  await db.run(`CREATE OR REPLACE TABLE pim_approvals AS ${modelSql('pim_approvals')}`, {
    security_team: listValue(config.checks.securityTeam.map((x) => x.toLowerCase())),
  });
}

/** Derives every PIM table from all of audit_events. */
export async function derivePim(db: Db, config: Config): Promise<void> {
  await markIncomplete(db);
  const through = await stagedThrough(db);
  // Row order means nothing in derived tables; keeping it makes DuckDB hold far more in memory.
  await db.run('SET preserve_insertion_order = false');
  try {
    await db.run(`DELETE FROM coverage_starts; INSERT INTO coverage_starts ${COVERAGE_SQL('main.audit_events')}`);
    await deriveAll(db, config);
  } finally {
    await db.run('RESET preserve_insertion_order');
  }
  await markComplete(db, config, through);
}

/** Each model from all of its inputs. */
const FULL: Record<DerivedModelName, (db: Db, config: Config) => Promise<void>> = {
  int_pim_events: (db, config) =>
    db.run(`CREATE OR REPLACE TABLE int_pim_events AS ${modelSql('int_pim_events')}`, windowParams(config)),
  pim_activations: (db) => db.run(`CREATE OR REPLACE TABLE pim_activations AS ${modelSql('pim_activations')}`),
  pim_requests: (db) => db.run(`CREATE OR REPLACE TABLE pim_requests AS ${modelSql('pim_requests')}`),
  // Snapshot rows share the table: only the audit replay's are replaced.
  role_assignments: (db) =>
    db.run(`DELETE FROM role_assignments WHERE source = 'audit_replay';
    INSERT INTO role_assignments BY NAME ${modelSql('role_assignments')}`),
  pim_approvals: deriveApprovals,
};

async function deriveAll(db: Db, config: Config): Promise<void> {
  for (const name of DERIVED_MODELS) await timed(name, () => FULL[name](db, config));
}

const match = (a: string) => PARTITION_MATCH(a, 'p');

interface Increment {
  db: Db;
  config: Config;
  afterSeq: number;
  through: number;
}

/**
 * Each model for only what the files staged after `afterSeq` can change (see the header). A step
 * reads the temp tables the steps before it left (derive_parts, derive_old, derive_act_keys).
 */
const INCREMENTAL: Record<DerivedModelName, (c: Increment) => Promise<void>> = {
  int_pim_events: async ({ db, config, afterSeq, through }) => {
    const newEvents = `SELECT * FROM main.audit_events WHERE landing_file IN (
      SELECT landed_file FROM landing_files WHERE seq > ${afterSeq} AND seq <= ${through})`;
    // The new events on their own: the partitions they fall in and the earliest time in each.
    await timed('derive probe', () =>
      db.run(
        `CREATE OR REPLACE TEMP TABLE derive_probe AS
      WITH audit_events AS (${newEvents})
      SELECT event_id, event_time, ${PARTITION_COLUMNS} FROM (${modelSql('int_pim_events')})`,
        windowParams(config),
      ),
    );
    await db.run(`CREATE OR REPLACE TEMP TABLE derive_parts AS
      SELECT ${PARTITION_COLUMNS}, min(event_time) AS t FROM derive_probe GROUP BY ALL`);

    // int_pim_events: every event at or after t in its partition is derived again; the inputs reach back
    // one pairing window, as far as a keyless step can look for its request.
    await timed('derive int_pim_events', async () => {
      // Every row these steps read or replace is at or after the earliest t less one pairing window: a
      // bound on event_time lets DuckDB skip the row groups before it instead of reading the whole of
      // audit_events (10M wide rows: 18 s for 1,000 new records) and int_pim_events for a few rows.
      const since = await db.one<{ f: string | null }>(
        `SELECT (min(t) - to_hours(CAST($pairing_window_hours AS BIGINT)))::VARCHAR AS f FROM derive_parts`,
        windowParams(config),
      );
      const f = since?.f ?? null; // NULL: no new PIM event, and the steps below change nothing
      if (f !== null && !/^[0-9 :.+-]+$/.test(f)) throw new Error(`unexpected timestamp text from DuckDB: ${f}`);
      const from = (e: string) => (f === null ? 'true' : `${e}.event_time >= TIMESTAMPTZ '${f}'`);
      await timed('  derive_old', () =>
        db.run(
          `CREATE OR REPLACE TEMP TABLE derive_old AS
        SELECT i.tenant_id, i.event_id, i.request_key, i.event_time >= p.t AS replaced
        FROM int_pim_events i JOIN derive_parts p ON ${match('i')}
         AND i.event_time >= p.t - to_hours(CAST($pairing_window_hours AS BIGINT))`,
          windowParams(config),
        ),
      );
      await timed('  delete', () =>
        db.run(
          `DELETE FROM int_pim_events i WHERE ${from('i')} AND EXISTS (SELECT 1 FROM derive_old o WHERE o.replaced AND ${sameEvent('o', 'i')})`,
        ),
      );
      await timed('  insert', () =>
        db.run(
          `INSERT INTO int_pim_events SELECT x.* FROM (
          WITH audit_events AS (SELECT * FROM main.audit_events a WHERE ${from('a')} AND EXISTS (
            SELECT 1 FROM (SELECT tenant_id, event_id FROM derive_old UNION ALL SELECT tenant_id, event_id FROM derive_probe) o WHERE ${sameEvent('o', 'a')}))
          SELECT * FROM (${modelSql('int_pim_events')})) x
        SEMI JOIN derive_parts p ON ${match('x')} AND x.event_time >= p.t`,
          windowParams(config),
        ),
      );
    });
  },

  pim_activations: async ({ db }) => {
    // pim_activations: an end matches the latest activation started before it, so activations are
    // derived again from the one in effect when the first new event (or re-paired activation) happened.
    await timed('derive pim_activations', async () => {
      // An end matches by key across partitions (an expiry without its user target): the partitions of
      // rows sharing a key with the new rows are touched too, from their first row with that key.
      await db.run(`CREATE OR REPLACE TEMP TABLE derive_touched AS
        SELECT ${PARTITION_COLUMNS}, min(t) AS t FROM (
          SELECT ${PARTITION_COLUMNS}, t FROM derive_parts
          UNION ALL
          SELECT i.tenant_id, i.plane, i.principal_id, i.role_id, i.scope_id, i.event_time FROM int_pim_events i
          WHERE i.keyed AND EXISTS (SELECT 1 FROM (SELECT n.tenant_id, n.request_key FROM int_pim_events n SEMI JOIN derive_parts p ON ${match('n')} AND n.event_time >= p.t WHERE n.keyed) k
                                    WHERE ${sameKey('k', 'i')})
        ) GROUP BY ALL`);
      await db.run(`CREATE OR REPLACE TEMP TABLE derive_cut AS
        WITH acts AS (
          SELECT i.tenant_id, i.plane, i.principal_id, i.role_id, i.scope_id, i.event_time, coalesce(i.start_time, i.event_time) AS started_at
          FROM int_pim_events i SEMI JOIN derive_touched p ON ${match('i')} WHERE i.step = 'activated'
        ),
        first_touched AS (
          SELECT p.tenant_id, p.plane, p.principal_id, p.role_id, p.scope_id,
                 least(p.t, coalesce(min(a.started_at) FILTER (WHERE a.event_time >= p.t), p.t)) AS s
          FROM derive_touched p LEFT JOIN acts a ON ${PARTITION_MATCH('a', 'p')} GROUP BY p.tenant_id, p.plane, p.principal_id, p.role_id, p.scope_id, p.t
        ),
        cut AS (
          SELECT p.tenant_id, p.plane, p.principal_id, p.role_id, p.scope_id, coalesce(max(a.started_at) FILTER (WHERE a.started_at <= p.s), p.s) AS s
          FROM first_touched p LEFT JOIN acts a ON ${PARTITION_MATCH('a', 'p')} GROUP BY p.tenant_id, p.plane, p.principal_id, p.role_id, p.scope_id, p.s
        )
        -- An activation can start after its record (a scheduled start): read from the earliest record of one in scope.
        SELECT p.tenant_id, p.plane, p.principal_id, p.role_id, p.scope_id, p.s, least(p.s, coalesce(min(a.event_time) FILTER (WHERE a.started_at >= p.s), p.s)) AS read_from
        FROM cut p LEFT JOIN acts a ON ${PARTITION_MATCH('a', 'p')} GROUP BY p.tenant_id, p.plane, p.principal_id, p.role_id, p.scope_id, p.s`);
      // A row for an end whose activation the data does not hold (no activated_at) is made by its end:
      // it is derived again with the partition when that end is, whatever start stands in for it.
      const cut = (a: string) => `EXISTS (SELECT 1 FROM derive_cut p WHERE ${match(a)}
        AND (CASE WHEN ${a}.activated_at IS NULL THEN ${a}.ended_at ELSE ${a}.started_at END) >= p.s)`;
      // Inputs: the partition from the cut, and every row sharing a key with those (ends or activations elsewhere).
      await db.run(`CREATE OR REPLACE TEMP TABLE derive_act_in AS
        SELECT i.tenant_id, i.event_id, i.request_key FROM int_pim_events i SEMI JOIN derive_cut p ON ${match('i')} AND i.event_time >= p.read_from`);
      await db.run(
        `CREATE OR REPLACE TEMP TABLE derive_act_keys AS SELECT tenant_id, request_key FROM pim_activations a WHERE ${cut('a')}`,
      );
      await db.run(`DELETE FROM pim_activations a WHERE ${cut('a')}`);
      await db.run(`INSERT INTO pim_activations SELECT x.* FROM (
          WITH int_pim_events AS (SELECT * FROM main.int_pim_events WHERE rowid IN (
            SELECT i.rowid FROM main.int_pim_events i SEMI JOIN derive_act_in d ON ${sameEvent('d', 'i')}
            UNION ALL
            SELECT i.rowid FROM main.int_pim_events i SEMI JOIN derive_act_in d ON ${sameKey('d', 'i')}))
          SELECT * FROM (${modelSql('pim_activations')})) x
        WHERE ${cut('x')}`);
      await db.run(
        `INSERT INTO derive_act_keys SELECT tenant_id, request_key FROM pim_activations a WHERE ${cut('a')}`,
      );
    });
  },

  pim_requests: async ({ db }) => {
    // pim_requests: every key whose rows or activation changed, from all its rows.
    await timed('derive pim_requests', () =>
      db.run(`CREATE OR REPLACE TEMP TABLE derive_keys AS
        SELECT tenant_id, request_key FROM derive_old WHERE replaced
        UNION SELECT i.tenant_id, i.request_key FROM int_pim_events i SEMI JOIN derive_parts p ON ${match('i')} AND i.event_time >= p.t
        UNION SELECT tenant_id, request_key FROM derive_act_keys;
      DELETE FROM pim_requests r WHERE EXISTS (SELECT 1 FROM derive_keys k WHERE ${sameKey('k', 'r')});
      INSERT INTO pim_requests
        WITH int_pim_events AS (SELECT * FROM main.int_pim_events i WHERE EXISTS (SELECT 1 FROM derive_keys k WHERE ${sameKey('k', 'i')})),
             pim_activations AS (SELECT * FROM main.pim_activations a WHERE EXISTS (SELECT 1 FROM derive_keys k WHERE ${sameKey('k', 'a')}))
        SELECT * FROM (${modelSql('pim_requests')});`),
    );
  },

  role_assignments: async ({ db }) => {
    // role_assignments: whole partitions (assignment events are few; an add's end is its next removal).
    await timed('derive role_assignments', () =>
      db.run(`DELETE FROM role_assignments r WHERE r.source = 'audit_replay' AND EXISTS (SELECT 1 FROM derive_parts p WHERE ${match('r')});
      INSERT INTO role_assignments BY NAME
        WITH int_pim_events AS (SELECT i.* FROM main.int_pim_events i SEMI JOIN derive_parts p ON ${match('i')}
                                WHERE i.step IN ('assigned', 'direct_add', 'outside_pim', 'removed', 'direct_remove'))
        SELECT * FROM (${modelSql('role_assignments')});`),
    );
  },

  pim_approvals: ({ db, config }) => timed('pim_approvals', () => deriveApprovals(db, config)),
};

/** Derives again only what the files staged after `afterSeq` can change (see the header). */
async function deriveIncremental(db: Db, config: Config, afterSeq: number, through: number): Promise<void> {
  await markIncomplete(db);
  for (const name of DERIVED_MODELS) await INCREMENTAL[name]({ db, config, afterSeq, through });
  await db.run(`DROP TABLE derive_probe; DROP TABLE derive_parts; DROP TABLE derive_old; DROP TABLE derive_touched; DROP TABLE derive_cut;
    DROP TABLE derive_act_in; DROP TABLE derive_act_keys; DROP TABLE derive_keys;`);
  await markComplete(db, config, through);
}

export type DeriveMode = 'full' | 'incremental' | 'none';

/**
 * Brings the PIM tables up to date with everything staged: in full when asked (`force`), when they
 * were never completed or the pairing window changed; else only for files staged since the last
 * derivation (crash-safe: that is a sequence number, not "this run").
 */
export async function derive(db: Db, config: Config, force = false): Promise<DeriveMode> {
  const state = await readState(db);
  const through = await stagedThrough(db);
  if (
    force ||
    !state.complete ||
    state.derivedSeq === null ||
    state.pairingWindowHours !== config.correlation.pairingWindowHours ||
    state.modelsHash !== modelsHash()
  ) {
    await derivePim(db, config);
    return 'full';
  }
  if (through <= state.derivedSeq) return 'none';
  if (await coverageMoved(db, state.derivedSeq, through)) {
    await derivePim(db, config);
    return 'full';
  }
  await deriveIncremental(db, config, state.derivedSeq, through);
  return 'incremental';
}
