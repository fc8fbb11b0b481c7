-- id: check_exception_expiring
-- title: Exception about to expire
-- description: A configured exception (config exceptions) that is still in force at as-of and
--   expires within the warning days: the finding it hides will count again after that.
-- severity: info
-- doc: docs/rules.md#exception_expiring
-- action: Renew the exception with a reason and an owner, or fix what it hides before it expires.
-- parameters:
--   as_of TIMESTAMPTZ: the moment the exception is judged at
--   exceptions VARCHAR: JSON list of the configured exceptions (rule, subject, reason, owner, expires as ISO UTC)
--   exception_warning_days DOUBLE: days before expiry from which it is said
-- thresholds:
--   exception_warning_days: checks.exceptionWarningDays (14)
--   exceptions: exceptions
WITH e AS (
  SELECT unnest(from_json($exceptions, '[{"rule":"VARCHAR","subject":"VARCHAR","reason":"VARCHAR","owner":"VARCHAR","expires":"VARCHAR"}]'), recursive := true)
)
SELECT 'info' AS severity, 'exception' AS subject_type, rule || '|' || subject AS subject_id, rule || ' / ' || subject AS subject_name,
       'expires ' || strftime(expires::TIMESTAMPTZ, '%Y-%m-%d %H:%M UTC') AS observed, 'more than ' || $exception_warning_days || ' days ahead' AS threshold,
       'the exception for ' || rule || ' on ' || subject || ' (owner ' || owner || ': ' || reason || ') expires ' || strftime(expires::TIMESTAMPTZ, '%Y-%m-%d %H:%M UTC') ||
         ': renew it with a reason, or fix what it hides' AS detail,
       expires::TIMESTAMPTZ AS first_seen, expires::TIMESTAMPTZ AS last_seen
FROM e
WHERE expires::TIMESTAMPTZ >= $as_of::TIMESTAMPTZ
  AND expires::TIMESTAMPTZ <= $as_of::TIMESTAMPTZ + to_seconds(CAST($exception_warning_days * 86400 AS BIGINT))
ORDER BY first_seen, subject_id;
