-- id: data_coverage
-- title: Data coverage by source
-- description: What each source delivered: files or pages landed, records, the time window asked
--   for (pulls) or seen (files), and when it last landed anything. A report states this so stale
--   data is never read as health.
-- parameters:
--   as_of TIMESTAMPTZ: the report's as-of time (ages are measured from it)
-- columns:
--   source: files, graph, log_analytics or snapshot
--   files, records
--   first_event, last_event: audit records from this source (snapshots: observation times)
--   last_landed: when the source last landed a file
--   age_hours: as_of − last_event
WITH f AS (
  SELECT l.landed_file AS landing_file, CASE WHEN l.shape LIKE 'snapshot:%' THEN 'snapshot' WHEN l.shape IN ('graph_page') AND l.original_path LIKE 'graph:%' THEN 'graph'
                             WHEN l.shape = 'log_analytics_query' THEN 'log_analytics' ELSE 'files' END AS source,
         l.records, l.landed_at
  FROM landing_files l
),
e AS (SELECT landing_file, min(event_time) AS first_event, max(event_time) AS last_event FROM audit_events GROUP BY landing_file)
SELECT source, count(*) AS files, sum(records) AS records, min(e.first_event) AS first_event, max(e.last_event) AS last_event,
       max(landed_at) AS last_landed, round((epoch($as_of::TIMESTAMPTZ) - epoch(max(e.last_event))) / 3600, 1) AS age_hours
FROM f LEFT JOIN e USING (landing_file)
GROUP BY source
ORDER BY source;
