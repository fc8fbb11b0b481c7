-- id: audit_coverage
-- title: Audit coverage
-- description: What the store can see: the time span of its audit records, how many there are,
--   what was quarantined, and the newest state snapshot at or before the as-of time. Replay-based
--   answers (standing access without a snapshot) cannot see before first_event.
-- parameters:
--   as_of TIMESTAMPTZ: the moment to look at
-- columns:
--   first_event, last_event: the oldest and newest audit record
--   audit_events: records stored
--   pim_events: of those, PIM lifecycle records
--   quarantined: lines and files refused
--   snapshot_at: the newest snapshot at or before as_of (NULL: none)
SELECT (SELECT min(event_time) FROM audit_events) AS first_event,
       (SELECT max(event_time) FROM audit_events) AS last_event,
       (SELECT count(*) FROM audit_events) AS audit_events,
       (SELECT count(*) FROM int_pim_events) AS pim_events,
       (SELECT count(*) FROM quarantine) AS quarantined,
       (SELECT max(observed_at) FROM role_assignments WHERE source = 'snapshot' AND observed_at <= $as_of::TIMESTAMPTZ) AS snapshot_at;
