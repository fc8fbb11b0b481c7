-- stg_log_analytics: Log Analytics `AuditLogs` rows (API results and CSV / JSON exports), renames only.
-- ActivityDateTime is the event time; TimeGenerated (ingestion) only when it is missing.
SELECT
  line_no, parse_error, raw_line,
  nullif(trim(Id), '')                              AS event_id,
  coalesce(AADTenantId, TenantId)                   AS tenant_id,
  coalesce(ActivityDateTime, TimeGenerated)         AS event_time_text,
  coalesce(ActivityDisplayName, OperationName)      AS activity,
  Category                                          AS category,
  LoggedByService                                   AS service,
  AADOperationType                                  AS operation_type,
  Result                                            AS result,
  ResultReason                                      AS result_reason,
  CorrelationId                                     AS correlation_id,
  InitiatedBy                                       AS initiated_by,
  Identity                                          AS identity,
  TargetResources                                   AS targets,
  AdditionalDetails                                 AS details
FROM src
