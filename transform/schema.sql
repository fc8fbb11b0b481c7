-- The canonical tables: the contract queries, reports and ad hoc SQL rely on (docs/schema.md).
-- All times are TIMESTAMPTZ in UTC; GUIDs are lower-cased.

CREATE TABLE IF NOT EXISTS landing_files (
  seq            INTEGER PRIMARY KEY,   -- manifest order: the first copy of an id wins
  sha256         VARCHAR NOT NULL UNIQUE,
  original_path  VARCHAR,
  landed_file    VARCHAR NOT NULL,
  shape          VARCHAR NOT NULL,
  flavor         VARCHAR,
  origin         VARCHAR NOT NULL,      -- 'line' (landed line = source line) or 'index' (landed line n = element n-1)
  records        BIGINT NOT NULL,
  landed_at      TIMESTAMPTZ NOT NULL,
  transformed_at TIMESTAMPTZ,
  new_records    BIGINT,
  duplicates     BIGINT,
  quarantined    BIGINT
);

CREATE TABLE IF NOT EXISTS audit_events (
  event_id        VARCHAR NOT NULL,      -- unique: staging inserts only ids not yet stored (no index to maintain)
  tenant_id       VARCHAR,
  event_time      TIMESTAMPTZ NOT NULL,
  activity        VARCHAR NOT NULL,
  category        VARCHAR,
  service         VARCHAR,
  operation_type  VARCHAR,
  audit_type      VARCHAR,
  result          VARCHAR,
  result_reason   VARCHAR,
  correlation_id  VARCHAR,
  request_key     VARCHAR,
  actor_type      VARCHAR,
  actor_id        VARCHAR,
  actor_upn       VARCHAR,
  actor_name      VARCHAR,
  actor_app_id    VARCHAR,
  actor_ip        VARCHAR,
  role_id         VARCHAR,
  role_name       VARCHAR,
  principal_id    VARCHAR,
  principal_upn   VARCHAR,
  principal_name  VARCHAR,
  principal_type  VARCHAR,
  scope_id        VARCHAR,
  details         STRUCT("key" VARCHAR, "value" VARCHAR)[],
  targets         STRUCT(id VARCHAR, displayName VARCHAR, "type" VARCHAR, userPrincipalName VARCHAR, groupType VARCHAR,
                         modifiedProperties STRUCT(displayName VARCHAR, oldValue VARCHAR, newValue VARCHAR)[])[],
  source_shape    VARCHAR NOT NULL,
  landing_file    VARCHAR NOT NULL,
  landing_line    BIGINT NOT NULL,
  ingested_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS quarantine (
  landing_file  VARCHAR NOT NULL,
  original_path VARCHAR,
  line          BIGINT,                 -- NULL when the whole file was refused
  reason        VARCHAR NOT NULL,
  detail        VARCHAR,
  excerpt       VARCHAR,
  quarantined_at TIMESTAMPTZ NOT NULL
);

-- Looks up an additionalDetails value by key, case-insensitively (PIM's key casing is not a contract).
CREATE OR REPLACE MACRO pim_detail(details, k) AS (list_filter(details, d -> lower(d."key") = lower(k))[1]."value");
-- The first target whose type is one of kinds: targets are selected by type, never by index.
CREATE OR REPLACE MACRO pim_target(targets, kinds) AS (list_filter(targets, t -> list_contains(kinds, lower(t."type")))[1]);
-- A modifiedProperties value: they are JSON-encoded strings ("\"Security Administrator\"").
CREATE OR REPLACE MACRO pim_modified(target, name) AS (
  trim(coalesce(nullif(nullif(list_filter(target.modifiedProperties, p -> p.displayName = name)[1].newValue, ''), 'null'),
                list_filter(target.modifiedProperties, p -> p.displayName = name)[1].oldValue), '"'));
