-- The audit chain's head, read after the append lock is granted, in one round trip (the first
-- append of every transaction that records anything runs it). A plain statement could not do
-- both: its snapshot is taken before it waits for the lock, so it could miss an event appended
-- and committed in the meantime and fork the chain. Inside a plpgsql function each query takes
-- a fresh snapshot (READ COMMITTED), after the PERFORM returned. (\073 is a semicolon: the
-- migration runner splits statements at every literal one.)
CREATE FUNCTION "audit_lock_and_read_head"(lock_key bigint) RETURNS TABLE(sequence bigint, hash text) LANGUAGE plpgsql VOLATILE AS
E'BEGIN
  PERFORM pg_advisory_xact_lock(lock_key)\073
  RETURN QUERY SELECT e.sequence, e.hash FROM "AuditEvent" e ORDER BY e.sequence DESC LIMIT 1\073
END\073';
