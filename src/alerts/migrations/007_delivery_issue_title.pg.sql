-- PostgreSQL twin of 007_delivery_issue_title.sql; never edit (a change is a new migration).
ALTER TABLE alert_deliveries ADD COLUMN issue_title TEXT;
UPDATE alert_deliveries SET issue_title = (
  SELECT substr(replace(replace(replace(i.error_type || ': ' || i.message, chr(13) || chr(10), ' '), chr(10), ' '), chr(13), ' '), 1, 200)
  FROM issues i JOIN alert_rules r ON r.project_id = i.project_id
  WHERE r.id = alert_deliveries.rule_id AND i.fingerprint = alert_deliveries.fingerprint
)
WHERE fingerprint IS NOT NULL;
