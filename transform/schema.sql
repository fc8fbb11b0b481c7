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
  ingested_at     TIMESTAMPTZ NOT NULL,
  -- Appended (issue 18), never inserted between: a store made before gets them by ALTER below, in this order.
  user_agent           VARCHAR,
  actor_agent_type     VARCHAR,
  principal_agent_type VARCHAR,
  via_group_id         VARCHAR,
  via_group_name       VARCHAR,
  source_kind          VARCHAR DEFAULT 'file'
);
ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS user_agent VARCHAR;
ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS actor_agent_type VARCHAR;
ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS principal_agent_type VARCHAR;
ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS via_group_id VARCHAR;
ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS via_group_name VARCHAR;
ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS source_kind VARCHAR DEFAULT 'file';

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
-- The same for many keys of one record: lower its keys once (pim_detail_keys), then look each up.
CREATE OR REPLACE MACRO pim_detail_keys(details) AS (list_transform(details, d -> lower(d."key")));
CREATE OR REPLACE MACRO pim_detail_at(details, detail_keys, k) AS (details[list_position(detail_keys, lower(k))]."value");
-- The first target whose type is one of kinds: targets are selected by type, never by index.
CREATE OR REPLACE MACRO pim_target(targets, kinds) AS (list_filter(targets, t -> list_contains(kinds, lower(t."type")))[1]);
-- A modifiedProperties value: they are JSON-encoded strings ("\"Security Administrator\"").
CREATE OR REPLACE MACRO pim_modified(target, name) AS (
  trim(coalesce(nullif(nullif(list_filter(target.modifiedProperties, p -> p.displayName = name)[1].newValue, ''), 'null'),
                list_filter(target.modifiedProperties, p -> p.displayName = name)[1].oldValue), '"'));
-- ISO 8601 durations as Graph writes them in role settings (PT8H, P365D, PT1H30M): seconds.
CREATE OR REPLACE MACRO iso_duration_seconds(d) AS (
  CASE WHEN d IS NULL OR NOT regexp_matches(d, '^P') THEN NULL ELSE
    coalesce(TRY_CAST(regexp_extract(split_part(d, 'T', 1), '(\d+(?:\.\d+)?)Y', 1) AS DOUBLE), 0) * 365 * 86400 +
    coalesce(TRY_CAST(regexp_extract(split_part(d, 'T', 1), '(\d+(?:\.\d+)?)M', 1) AS DOUBLE), 0) * 30 * 86400 +
    coalesce(TRY_CAST(regexp_extract(split_part(d, 'T', 1), '(\d+(?:\.\d+)?)W', 1) AS DOUBLE), 0) * 7 * 86400 +
    coalesce(TRY_CAST(regexp_extract(split_part(d, 'T', 1), '(\d+(?:\.\d+)?)D', 1) AS DOUBLE), 0) * 86400 +
    coalesce(TRY_CAST(regexp_extract(split_part(d, 'T', 2), '(\d+(?:\.\d+)?)H', 1) AS DOUBLE), 0) * 3600 +
    coalesce(TRY_CAST(regexp_extract(split_part(d, 'T', 2), '(\d+(?:\.\d+)?)M', 1) AS DOUBLE), 0) * 60 +
    coalesce(TRY_CAST(regexp_extract(split_part(d, 'T', 2), '(\d+(?:\.\d+)?)S', 1) AS DOUBLE), 0)
  END);

-- Eligible and active assignments: audit replay rows (role_assignments model) and snapshot rows.
CREATE TABLE IF NOT EXISTS role_assignments (
  plane VARCHAR, principal_id VARCHAR, principal_upn VARCHAR, principal_type VARCHAR,
  role_id VARCHAR, role_name VARCHAR, scope_id VARCHAR, kind VARCHAR, member_type VARCHAR,
  start_at TIMESTAMPTZ, end_at TIMESTAMPTZ, removed_at TIMESTAMPTZ, is_permanent BOOLEAN, via_pim BOOLEAN,
  source VARCHAR, observed_at TIMESTAMPTZ, source_event_id VARCHAR
);

-- Activated assignment schedule instances seen in snapshots: where an activation that began before
-- the log did gets its start (pim_activations). One set of rows per observation, kept.
CREATE TABLE IF NOT EXISTS activation_instances (
  observed_at TIMESTAMPTZ, principal_id VARCHAR, role_id VARCHAR, scope_id VARCHAR, start_at TIMESTAMPTZ, end_at TIMESTAMPTZ,
  member_type VARCHAR, instance_id VARCHAR, landing_file VARCHAR
);

-- The earliest audit event held per tenant and source kind (file, graph, log_analytics): the lower
-- bound of an activation whose start the data does not hold. Kept by derive.ts.
CREATE TABLE IF NOT EXISTS coverage_starts (tenant_id VARCHAR, source_kind VARCHAR, coverage_start TIMESTAMPTZ);

-- State snapshots from Graph (pimops ingest snapshot): one set of rows per observation, kept.
CREATE TABLE IF NOT EXISTS role_policies (
  observed_at TIMESTAMPTZ, role_id VARCHAR, policy_id VARCHAR,
  max_activation VARCHAR, max_activation_seconds DOUBLE,
  mfa_required BOOLEAN, justification_required BOOLEAN, ticket_required BOOLEAN,
  auth_context_enabled BOOLEAN, auth_context VARCHAR,
  approval_required BOOLEAN, approvers INTEGER, approver_ids VARCHAR[], approval_timeout_days DOUBLE,
  permanent_eligible_allowed BOOLEAN, permanent_active_allowed BOOLEAN,
  landing_file VARCHAR
);
CREATE TABLE IF NOT EXISTS role_definitions (
  observed_at TIMESTAMPTZ, role_id VARCHAR, role_name VARCHAR, is_built_in BOOLEAN, is_privileged BOOLEAN, landing_file VARCHAR
);
CREATE TABLE IF NOT EXISTS directory_users (
  observed_at TIMESTAMPTZ, user_id VARCHAR, user_principal_name VARCHAR, display_name VARCHAR, account_enabled BOOLEAN,
  last_sign_in TIMESTAMPTZ, last_password_change TIMESTAMPTZ, manager_id VARCHAR, landing_file VARCHAR,
  sign_in_known BOOLEAN, sign_in_missing VARCHAR
);
-- Stores made before these columns existed get them at the end, where the loader writes them.
ALTER TABLE directory_users ADD COLUMN IF NOT EXISTS sign_in_known BOOLEAN;
ALTER TABLE directory_users ADD COLUMN IF NOT EXISTS sign_in_missing VARCHAR;
CREATE TABLE IF NOT EXISTS access_review_definitions (
  observed_at TIMESTAMPTZ, review_id VARCHAR, display_name VARCHAR, status VARCHAR, scope JSON, settings JSON, reviewers JSON, landing_file VARCHAR
);

-- Sign-ins (break-glass accounts): from Graph signIns or Log Analytics SigninLogs. Unique by sign_in_id.
CREATE TABLE IF NOT EXISTS sign_ins (
  sign_in_id VARCHAR, created_at TIMESTAMPTZ, user_id VARCHAR, user_principal_name VARCHAR, app_display_name VARCHAR,
  ip_address VARCHAR, error_code INTEGER, conditional_access_status VARCHAR, landing_file VARCHAR, event_type VARCHAR
);
ALTER TABLE sign_ins ADD COLUMN IF NOT EXISTS event_type VARCHAR;

CREATE TABLE IF NOT EXISTS access_review_instances (
  observed_at TIMESTAMPTZ, definition_id VARCHAR, instance_id VARCHAR, start_at TIMESTAMPTZ, end_at TIMESTAMPTZ, status VARCHAR, landing_file VARCHAR
);
CREATE TABLE IF NOT EXISTS access_review_decisions (
  observed_at TIMESTAMPTZ, definition_id VARCHAR, instance_id VARCHAR, decision_id VARCHAR, principal_id VARCHAR, principal_upn VARCHAR,
  decision VARCHAR, recommendation VARCHAR, reviewed_by VARCHAR, reviewed_at TIMESTAMPTZ, apply_result VARCHAR, landing_file VARCHAR
);

-- The role settings in force at a moment (newest snapshot at or before it), with each role's name and
-- whether it is tier 0 (the shipped list, or named in tier0_roles: a JSON list of names or ids).
CREATE OR REPLACE MACRO role_settings_at(as_of, tier0_roles) AS TABLE
  WITH snap AS (SELECT max(observed_at) AS snap_at FROM role_policies WHERE observed_at <= as_of),
  extra AS (SELECT lower(unnest(from_json(tier0_roles, '["VARCHAR"]'))) AS r)
  SELECT rp.*, coalesce(ro.role_name, d.role_name, rp.role_id) AS name,
         coalesce(ro.tier0, false) OR rp.role_id IN (SELECT r FROM extra) OR lower(coalesce(ro.role_name, d.role_name)) IN (SELECT r FROM extra) AS tier0
  FROM role_policies rp JOIN snap ON rp.observed_at = snap.snap_at
  LEFT JOIN roles ro USING (role_id)
  LEFT JOIN (SELECT role_id, arg_max(role_name, observed_at) AS role_name FROM role_definitions GROUP BY role_id) d USING (role_id);

-- The same record id seen again with different content (other than what differs by source shape).
-- The first copy in manifest order is kept; the conflict is reported here, never resolved silently.
CREATE TABLE IF NOT EXISTS id_conflicts (
  event_id VARCHAR, kept_file VARCHAR, kept_line BIGINT, other_file VARCHAR, other_line BIGINT, differs VARCHAR, detected_at TIMESTAMPTZ
);
