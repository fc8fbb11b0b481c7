-- stg_diagnostic: Azure Monitor diagnostic-settings records (Event Hub bodies, storage PT1H.json):
-- the Graph event sits under `properties`; the envelope adds tenantId, time and identity.
SELECT
  line_no, parse_error, raw_line,
  nullif(trim(properties.id), '')                  AS event_id,
  coalesce(properties.tenantId, tenantId)          AS tenant_id,
  coalesce(properties.activityDateTime, "time")    AS event_time_text,
  properties.activityDisplayName                   AS activity,
  properties.category                              AS category,
  properties.loggedByService                       AS service,
  properties.operationType                         AS operation_type,
  properties.result                                AS result,
  properties.resultReason                          AS result_reason,
  properties.correlationId                         AS correlation_id,
  properties.initiatedBy                           AS initiated_by,
  identity                                         AS identity,
  properties.targetResources                       AS targets,
  properties.additionalDetails                     AS details
FROM src
