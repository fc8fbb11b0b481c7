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
  quarantined    BIGINT,
  -- Appended (issue 21): the tenant the file was pulled from or imported for, else the one tenant its
  -- records name (NULL when they name several: such a file belongs to no single tenant's coverage).
  tenant_id      VARCHAR
);
ALTER TABLE landing_files ADD COLUMN IF NOT EXISTS tenant_id VARCHAR;

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

-- What an ARM scope is: 'management_group', 'subscription', 'resource_group' or 'resource' (NULL otherwise).
CREATE OR REPLACE MACRO azure_scope_level(s) AS (
  CASE WHEN regexp_matches(lower(s), '^/providers/microsoft\.management/managementgroups/[^/]+/?$') THEN 'management_group'
       WHEN regexp_matches(lower(s), '^/subscriptions/[^/]+/?$') THEN 'subscription'
       WHEN regexp_matches(lower(s), '^/subscriptions/[^/]+/resourcegroups/[^/]+/?$') THEN 'resource_group'
       WHEN regexp_matches(lower(s), '^/subscriptions/') THEN 'resource' END);

-- Eligible and active assignments: audit replay rows (role_assignments model) and snapshot rows.
CREATE TABLE IF NOT EXISTS role_assignments (
  plane VARCHAR, principal_id VARCHAR, principal_upn VARCHAR, principal_type VARCHAR,
  role_id VARCHAR, role_name VARCHAR, scope_id VARCHAR, kind VARCHAR, member_type VARCHAR,
  start_at TIMESTAMPTZ, end_at TIMESTAMPTZ, removed_at TIMESTAMPTZ, is_permanent BOOLEAN, via_pim BOOLEAN,
  source VARCHAR, observed_at TIMESTAMPTZ, source_event_id VARCHAR,
  -- Appended (issue 18): the role-assignable group the principal holds the role through. A store made
  -- before gets them by ALTER below, at the end, where every INSERT (by name) puts them.
  via_group_id VARCHAR, via_group_name VARCHAR
);
ALTER TABLE role_assignments ADD COLUMN IF NOT EXISTS via_group_id VARCHAR;
ALTER TABLE role_assignments ADD COLUMN IF NOT EXISTS via_group_name VARCHAR;
-- Appended (issue 21): whose tenant. Audit replay rows take their records' tenant, snapshot rows the snapshot's.
ALTER TABLE role_assignments ADD COLUMN IF NOT EXISTS tenant_id VARCHAR;

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
  landing_file VARCHAR,
  -- Appended (issue 23): which plane and scope a policy governs (Entra roles: 'entra_role' and '/'; PIM for
  -- Groups: the group id, role_id 'member' or 'owner'; Azure resources: the ARM scope). Old stores get them below.
  plane VARCHAR, scope_id VARCHAR
);
ALTER TABLE role_policies ADD COLUMN IF NOT EXISTS plane VARCHAR;
ALTER TABLE role_policies ADD COLUMN IF NOT EXISTS scope_id VARCHAR;
CREATE TABLE IF NOT EXISTS role_definitions (
  observed_at TIMESTAMPTZ, role_id VARCHAR, role_name VARCHAR, is_built_in BOOLEAN, is_privileged BOOLEAN, landing_file VARCHAR,
  plane VARCHAR   -- appended (issue 23): Azure role definitions share the table, told apart by plane
);
ALTER TABLE role_definitions ADD COLUMN IF NOT EXISTS plane VARCHAR;
-- The groups, subscriptions and management groups the snapshots of the other planes name: what a
-- scope id is called (issue 23). One set of rows per observation, kept.
CREATE TABLE IF NOT EXISTS pim_scopes (
  tenant_id VARCHAR, observed_at TIMESTAMPTZ, plane VARCHAR, scope_id VARCHAR, scope_name VARCHAR, scope_type VARCHAR, landing_file VARCHAR
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

-- The role settings in force at a moment (newest snapshot at or before it, per plane), with each
-- role's name, the finding subject and whether it is tier 0: Entra roles from the shipped list or
-- tier0_roles (a JSON list of names or ids); Azure roles in tier0_azure_roles (JSON list of role
-- definition ids) at subscription or management-group scope; groups that hold a tier-0 Entra role.
CREATE OR REPLACE MACRO role_settings_at(as_of, tier0_roles, tier0_azure_roles) AS TABLE
  WITH snap AS (SELECT coalesce(plane, 'entra_role') AS plane, max(observed_at) AS snap_at FROM role_policies
                WHERE observed_at <= as_of GROUP BY ALL),
  extra AS (SELECT lower(unnest(from_json(tier0_roles, '["VARCHAR"]'))) AS r),
  azure0 AS (SELECT lower(unnest(from_json(tier0_azure_roles, '["VARCHAR"]'))) AS r),
  defs AS (SELECT role_id, arg_max(role_name, observed_at) AS role_name FROM role_definitions GROUP BY role_id),
  entra_tier0 AS (
    SELECT role_id FROM roles WHERE tier0 UNION SELECT r FROM extra
    UNION SELECT d.role_id FROM defs d WHERE lower(d.role_name) IN (SELECT r FROM extra)),
  tier0_groups AS (SELECT DISTINCT principal_id AS group_id FROM role_assignments
                   WHERE coalesce(plane, 'entra_role') = 'entra_role' AND principal_type = 'group'
                     AND coalesce(start_at, observed_at) <= as_of AND coalesce(removed_at, end_at, 'infinity'::TIMESTAMPTZ) > as_of
                     AND (source = 'audit_replay' OR observed_at = (SELECT max(observed_at) FROM role_assignments
                          WHERE source = 'snapshot' AND observed_at <= as_of AND coalesce(plane, 'entra_role') = 'entra_role'))
                     AND role_id IN (SELECT role_id FROM entra_tier0)),
  scope_names AS (SELECT scope_id, arg_max(scope_name, observed_at) AS scope_name FROM pim_scopes WHERE observed_at <= as_of GROUP BY scope_id),
  p AS (SELECT rp.* REPLACE (coalesce(rp.plane, 'entra_role') AS plane, coalesce(rp.scope_id, '/') AS scope_id)
        FROM role_policies rp JOIN snap ON coalesce(rp.plane, 'entra_role') = snap.plane AND rp.observed_at = snap.snap_at)
  SELECT p.*,
         CASE p.plane
           WHEN 'entra_role' THEN coalesce(ro.role_name, d.role_name, p.role_id)
           WHEN 'group' THEN upper(left(p.role_id, 1)) || substr(p.role_id, 2) || ' of ' || coalesce(sn.scope_name, p.scope_id)
           ELSE coalesce(d.role_name, p.role_id) || ' at ' || coalesce(sn.scope_name, p.scope_id) END AS name,
         -- Entra findings keep the role id as their subject; the other planes name scope and role.
         CASE p.plane WHEN 'entra_role' THEN p.role_id ELSE p.plane || ':' || p.scope_id || ':' || p.role_id END AS subject,
         CASE p.plane WHEN 'entra_role' THEN 'role' WHEN 'group' THEN 'group_role' ELSE 'azure_role' END AS subject_kind,
         CASE p.plane
           WHEN 'entra_role' THEN coalesce(ro.tier0, false) OR p.role_id IN (SELECT r FROM extra) OR lower(coalesce(ro.role_name, d.role_name)) IN (SELECT r FROM extra)
           WHEN 'azure_resource' THEN p.role_id IN (SELECT r FROM azure0) AND azure_scope_level(p.scope_id) IN ('subscription', 'management_group')
           WHEN 'group' THEN p.scope_id IN (SELECT group_id FROM tier0_groups)
           ELSE false END AS tier0
  FROM p
  LEFT JOIN roles ro ON p.plane = 'entra_role' AND ro.role_id = p.role_id
  LEFT JOIN defs d ON d.role_id = p.role_id
  LEFT JOIN scope_names sn ON sn.scope_id = p.scope_id;

-- Appended (issue 21): every state table says whose tenant its rows are (the snapshot's, stamped by
-- transform/snapshot.ts), so a reader scoped to one tenant sees only its own state.
ALTER TABLE activation_instances ADD COLUMN IF NOT EXISTS tenant_id VARCHAR;
ALTER TABLE role_policies ADD COLUMN IF NOT EXISTS tenant_id VARCHAR;
ALTER TABLE role_definitions ADD COLUMN IF NOT EXISTS tenant_id VARCHAR;
ALTER TABLE directory_users ADD COLUMN IF NOT EXISTS tenant_id VARCHAR;
ALTER TABLE sign_ins ADD COLUMN IF NOT EXISTS tenant_id VARCHAR;
ALTER TABLE access_review_definitions ADD COLUMN IF NOT EXISTS tenant_id VARCHAR;
ALTER TABLE access_review_instances ADD COLUMN IF NOT EXISTS tenant_id VARCHAR;
ALTER TABLE access_review_decisions ADD COLUMN IF NOT EXISTS tenant_id VARCHAR;

-- The same record id seen again with different content (other than what differs by source shape).
-- The first copy in manifest order is kept; the conflict is reported here, never resolved silently.
-- A record's identity is (tenant_id, event_id): the same id in two tenants is two records.
CREATE TABLE IF NOT EXISTS id_conflicts (
  event_id VARCHAR, kept_file VARCHAR, kept_line BIGINT, other_file VARCHAR, other_line BIGINT, differs VARCHAR, detected_at TIMESTAMPTZ,
  tenant_id VARCHAR
);
ALTER TABLE id_conflicts ADD COLUMN IF NOT EXISTS tenant_id VARCHAR;
