-- mallbots.events gains who issued the command that caused each event
-- (docs/adr/0023): issued_by, the subject (an API caller's token subject,
-- a service such as mallbots-policies, or an external producer's claim),
-- and issuer_role, its role (customer, store_manager, kiosk, analyst,
-- operator, service). Events written before the fields existed, and every
-- row written before 0022, hold ''.
-- 18.16 has no ADD COLUMN IF NOT EXISTS: Migrate takes "already exists" for
-- done (addcolumn.go).
ALTER TABLE mallbots.events ADD COLUMN issued_by String DEFAULT '';
ALTER TABLE mallbots.events ADD COLUMN issuer_role String DEFAULT '';
