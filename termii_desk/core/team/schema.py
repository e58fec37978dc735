"""The shared history's schema, versioned, and the rules PostgreSQL enforces on agents.

Created and migrated only by ``termii-desk team init``, run by the database's owner; desks never migrate.
Agents (members of ``termii_desk_agent``) may insert their own attempts, complete their own attempt while it
is in flight, and read everyone's. They hold no DELETE or TRUNCATE privilege, and the columns that name the
agent and the server's times are not theirs to write: ``agent`` is ``current_user``, set by the server and
checked by the row policy.
"""

from __future__ import annotations

import hashlib

SCHEMA = "termii_desk"
AGENT_GROUP = "termii_desk_agent"
SCHEMA_VERSION = 1
NOTIFY_CHANNEL = "termii_desk_attempts"
# pg_advisory_xact_lock(LOCK_SPACE, hashtext(phone)): the per-number lock the cooldown check is taken under.
LOCK_SPACE = 0x7E11
# What `team erase-number` leaves where a customer's number was (on the server and in desks' outboxes).
ERASED_MARK = "[erased]"


def team_door(database: str) -> str:
    """The role that may connect to one team's database (``AGENT_GROUP`` carries the table rights, server-wide).

    Roles belong to the whole server, so the agents' group alone would let an agent of one team into every
    team's database on it: CONNECT is granted only to this per-database role, which each agent added is given.
    """
    return "termii_desk_team_" + hashlib.sha256(database.encode()).hexdigest()[:16]

# The columns an agent may give when inserting, and those it may set when completing its in-flight attempt.
INSERT_COLUMNS = (
    "uuid", "called_at", "via_outbox", "os_user", "machine", "app_version", "profile", "base_host", "phone",
    "code_masked", "outcome", "http_status", "message_id", "termii_message", "balance", "currency",
    "duration_ms", "error",
)
COMPLETE_COLUMNS = (
    "outcome", "http_status", "message_id", "termii_message", "balance", "currency", "duration_ms", "error",
)

_V1 = f"""
CREATE TABLE IF NOT EXISTS {SCHEMA}.attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid uuid NOT NULL UNIQUE,
    called_at timestamptz NOT NULL DEFAULT now(),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    via_outbox boolean NOT NULL DEFAULT false,
    agent text NOT NULL DEFAULT current_user,
    os_user text NOT NULL DEFAULT '',
    machine text NOT NULL DEFAULT '',
    app_version text NOT NULL DEFAULT '',
    profile text NOT NULL DEFAULT '',
    base_host text NOT NULL,
    phone text NOT NULL,
    code_masked text NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('sent', 'rejected', 'failed', 'unknown')),
    http_status integer,
    message_id text,
    termii_message text,
    balance text,
    currency text,
    duration_ms integer,
    error text
);
CREATE INDEX IF NOT EXISTS attempts_phone_trgm ON {SCHEMA}.attempts USING gin (phone gin_trgm_ops);
CREATE INDEX IF NOT EXISTS attempts_phone_time ON {SCHEMA}.attempts (phone, called_at DESC);
CREATE INDEX IF NOT EXISTS attempts_called_at ON {SCHEMA}.attempts (called_at);

CREATE TABLE IF NOT EXISTS {SCHEMA}.owner_actions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    done_at timestamptz NOT NULL DEFAULT now(),
    done_by text NOT NULL DEFAULT current_user,
    action text NOT NULL,
    detail text NOT NULL,
    rows_changed bigint NOT NULL
);

-- A completed attempt, or another agent's, is refused out loud (the row policy alone would skip it
-- silently); only the table's owner (purge, erasure) may change those. The completion time is the server's.
CREATE OR REPLACE FUNCTION {SCHEMA}.stamp_completion() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
        IF OLD.agent <> current_user THEN
            RAISE EXCEPTION 'permission denied: attempt % belongs to another agent', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.duration_ms IS NOT NULL THEN
            RAISE EXCEPTION 'permission denied: attempt % is completed and cannot be changed', OLD.id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    IF NEW.duration_ms IS NOT NULL AND OLD.duration_ms IS NULL THEN
        NEW.completed_at := now();
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS attempts_stamp_completion ON {SCHEMA}.attempts;
CREATE TRIGGER attempts_stamp_completion BEFORE UPDATE ON {SCHEMA}.attempts
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.stamp_completion();

-- Every desk's listener hears each new or completed attempt (LISTEN/NOTIFY: no polling).
CREATE OR REPLACE FUNCTION {SCHEMA}.announce_attempt() RETURNS trigger LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_notify('{NOTIFY_CHANNEL}', NEW.id::text);
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS attempts_announce ON {SCHEMA}.attempts;
CREATE TRIGGER attempts_announce AFTER INSERT OR UPDATE ON {SCHEMA}.attempts
    FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.announce_attempt();

ALTER TABLE {SCHEMA}.attempts ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS agents_read ON {SCHEMA}.attempts;
CREATE POLICY agents_read ON {SCHEMA}.attempts FOR SELECT TO {AGENT_GROUP} USING (true);
DROP POLICY IF EXISTS agents_insert_own ON {SCHEMA}.attempts;
CREATE POLICY agents_insert_own ON {SCHEMA}.attempts FOR INSERT TO {AGENT_GROUP}
    WITH CHECK (agent = current_user);
DROP POLICY IF EXISTS agents_complete_own ON {SCHEMA}.attempts;
-- USING (true): the trigger above sees every row an agent tries to change, and refuses with an error.
CREATE POLICY agents_complete_own ON {SCHEMA}.attempts FOR UPDATE TO {AGENT_GROUP}
    USING (true)
    WITH CHECK (agent = current_user AND duration_ms IS NOT NULL);
"""

_GRANTS = f"""
REVOKE ALL ON SCHEMA {SCHEMA} FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM PUBLIC, {AGENT_GROUP};
REVOKE ALL ON ALL SEQUENCES IN SCHEMA {SCHEMA} FROM PUBLIC, {AGENT_GROUP};
GRANT USAGE ON SCHEMA {SCHEMA} TO {AGENT_GROUP};
GRANT SELECT ON {SCHEMA}.meta, {SCHEMA}.owner_actions TO {AGENT_GROUP};
GRANT SELECT, INSERT ({", ".join(INSERT_COLUMNS)}), UPDATE ({", ".join(COMPLETE_COLUMNS)})
    ON {SCHEMA}.attempts TO {AGENT_GROUP};
"""

MIGRATIONS: dict[int, str] = {1: _V1}


def init_statements(current: int) -> list[str]:
    """What ``team init`` runs on a database at schema ``current`` (0: none yet), in one transaction."""
    statements = [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
        f"CREATE TABLE IF NOT EXISTS {SCHEMA}.meta (name text PRIMARY KEY, value text NOT NULL)",
    ]
    statements += [MIGRATIONS[step] for step in range(current + 1, SCHEMA_VERSION + 1)]
    statements.append(
        f"INSERT INTO {SCHEMA}.meta (name, value) VALUES ('schema_version', '{SCHEMA_VERSION}') "
        "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value"
    )
    statements.append(_GRANTS)
    return statements


VERSION_QUERY = (
    f"SELECT CASE WHEN to_regclass('{SCHEMA}.meta') IS NULL THEN 0 ELSE "
    f"(SELECT value::int FROM {SCHEMA}.meta WHERE name = 'schema_version') END"
)
