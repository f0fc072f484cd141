-- PostgreSQL twin of 202612021510_users_total_union.sql; never edit (a change is a new migration).
-- Users affected (docs/decisions.md, "Users affected"): an issue's total is now the union
-- of its per-release sketches (errors/users.ts), so the stored total sketches go.
-- `issues.users_count` already holds their estimate. Never edit once merged.
DELETE FROM issue_user_sketches WHERE scope = 't';
