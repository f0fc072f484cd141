-- Released as 007_delivery_issue_title; never edit (a change is a new migration). All times are epoch milliseconds.

-- The delivery log names the issue an alert was about: its title (error type and message
-- on one line, at most 200 characters) is stored with each row, as the alert said it, next
-- to the fingerprint already kept. NULL for test sends.
ALTER TABLE alert_deliveries ADD COLUMN issue_title TEXT;
-- Rows logged before: the title of their issue as stored now (issues keep the first
-- event's description), line breaks as spaces. Rows of issues that no longer exist stay NULL.
UPDATE alert_deliveries SET issue_title = (
  SELECT substr(replace(replace(replace(i.error_type || ': ' || i.message, char(13) || char(10), ' '), char(10), ' '), char(13), ' '), 1, 200)
  FROM issues i JOIN alert_rules r ON r.project_id = i.project_id
  WHERE r.id = alert_deliveries.rule_id AND i.fingerprint = alert_deliveries.fingerprint
)
WHERE fingerprint IS NOT NULL;
