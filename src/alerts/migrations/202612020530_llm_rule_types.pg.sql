-- PostgreSQL twin of 202612020530_llm_rule_types.sql; never edit (a change is a new migration).
-- PostgreSQL alters a CHECK in place: no rebuild of the table and its children.
ALTER TABLE alert_rules DROP CONSTRAINT alert_rules_rule_type_check;
ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_rule_type_check CHECK (rule_type IN ('new_issue', 'threshold',
  'spike', 'llm_cost_spike', 'llm_error_rate', 'llm_latency', 'llm_budget'));
