-- id: sentinel_activations
-- title: Activations as the PIMActivations_CL custom table carries them
-- description: One row per activation window (the activation request's key): when it started, its
--   scheduled end, and how and when it ended. Open windows have no end; the workbook clips them at
--   its own now, as active_hours clips at the as-of time.
-- columns:
--   request_key, plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id
--   activated_at, started_at, scheduled_end, ended_at, end_reason
--   active_seconds: ended_at − started_at; NULL while open
SELECT request_key, plane, principal_id, principal_upn, principal_type, role_id, role_name, scope_id,
       activated_at, started_at, scheduled_end, ended_at, end_reason,
       CASE WHEN ended_at IS NOT NULL THEN (epoch_us(ended_at) - epoch_us(started_at)) / 1e6 END AS active_seconds
FROM pim_activations
WHERE started_at IS NOT NULL
ORDER BY request_key;
