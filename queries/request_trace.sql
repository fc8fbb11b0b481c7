-- id: request_trace
-- title: Request trace
-- description: Every record of one PIM request, in order, with the time since the first and since
--   the previous record; the activation's end (deactivation or expiry) included.
-- parameters:
--   request VARCHAR: the request key (RoleAssignmentRequestId, or pair:/event: keys pimops made)
-- columns:
--   event_time, step, activity, actor: who did it
--   elapsed_seconds: since the first record
--   since_previous_seconds: since the record before
--   keyed: the record carried the key itself (false: paired by principal, role and time)
--   event_id
--   actor_ip: the requester's address (PIM request records hold it in the ipaddr detail)
--   user_agent: the client the request came from (User-Agent detail)
--   actor_agent_type: the initiator's agentType (notAgentic, or an Entra Agent ID kind)
--   via_group: the role-assignable group the role came through, when the record names one
WITH ev AS (
  SELECT event_time, step, activity, coalesce(actor_upn, actor_name, actor_id) AS actor, keyed, event_id,
         actor_ip, user_agent, actor_agent_type, coalesce(via_group_name, via_group_id) AS via_group
  FROM int_pim_events WHERE request_key = lower($request)
  UNION ALL
  SELECT a.ended_at, a.end_reason, 'activation ended (' || a.end_reason || ')', NULL, NULL, NULL, NULL, NULL, NULL,
         coalesce(a.via_group_name, a.via_group_id)
  FROM pim_activations a WHERE a.request_key = lower($request) AND a.ended_at IS NOT NULL
)
SELECT event_time, step, activity, actor,
       (epoch_us(event_time) - epoch_us(min(event_time) OVER ())) / 1e6 AS elapsed_seconds,
       (epoch_us(event_time) - epoch_us(lag(event_time) OVER (ORDER BY event_time))) / 1e6 AS since_previous_seconds,
       keyed, event_id, actor_ip, user_agent, actor_agent_type, via_group
FROM ev
ORDER BY event_time, event_id NULLS LAST;
