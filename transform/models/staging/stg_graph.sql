-- stg_graph: Graph directoryAudit records (also JSON arrays and saved response pages), renames only.
SELECT
  line_no, parse_error, raw_line,
  nullif(trim(id), '')   AS event_id,
  NULL::VARCHAR          AS tenant_id,
  activityDateTime       AS event_time_text,
  activityDisplayName    AS activity,
  category,
  loggedByService        AS service,
  operationType          AS operation_type,
  result,
  resultReason           AS result_reason,
  correlationId          AS correlation_id,
  initiatedBy            AS initiated_by,
  NULL::VARCHAR          AS identity,
  targetResources        AS targets,
  additionalDetails      AS details
FROM src
