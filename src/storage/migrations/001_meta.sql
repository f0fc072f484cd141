-- Released as part of 001_core; never edit (a change is a new migration). All times are epoch milliseconds.
-- Facts about this database that no feature owns alone (the sample ring size, the default key's origin).

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
