-- PostgreSQL twin of 008_invite_role.sql; never edit (a change is a new migration).
ALTER TABLE invites ADD COLUMN role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user'));
