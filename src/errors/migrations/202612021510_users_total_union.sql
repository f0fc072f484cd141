-- Users affected (docs/decisions.md, "Users affected"): an issue's total is now the union
-- of its per-release sketches (errors/users.ts), so the stored total sketches go.
-- `issues.users_count` already holds their estimate. Never edit once merged.
DELETE FROM issue_user_sketches WHERE scope = 't';
