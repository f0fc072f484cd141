-- Released as 008_invite_role; never edit (a change is a new migration). All times are epoch milliseconds.

-- An invite may make its user an admin: the CLI's way back in when the only admin has
-- lost their passkeys (`bloop user invite --admin`). Existing invites keep making users.
ALTER TABLE invites ADD COLUMN role TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('admin', 'user'));
