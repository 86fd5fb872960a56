-- Two pipeline processes starting at once (two DAG tasks, two workers) both gave a new analyst
-- login its statement_timeout: the second ALTER ROLE failed on pg_db_role_setting's unique
-- index, and its command with it. The logins still to limit are found without a lock; only
-- when there are some is the sweep taken one process at a time, under a lock on
-- schema_migrations, which only the pipeline may lock (no analyst can hold it), and the
-- logins are looked up again under it.
CREATE FUNCTION newsdedup_unlimited_analysts(timeout text) RETURNS SETOF name
    LANGUAGE sql STABLE AS $$
    WITH RECURSIVE members(oid) AS (
        SELECT oid FROM pg_roles WHERE rolname = 'newsdedup_analyst'
        UNION
        SELECT m.member FROM pg_auth_members m JOIN members ON m.roleid = members.oid
    )
    SELECT r.rolname
    FROM members JOIN pg_roles r ON r.oid = members.oid
    JOIN pg_database d ON d.datname = current_database()
    WHERE NOT r.rolsuper AND r.oid <> d.datdba AND r.rolname <> current_user
      AND NOT EXISTS (SELECT 1 FROM pg_db_role_setting s
                      WHERE s.setrole = r.oid AND s.setdatabase = d.oid
                        AND 'statement_timeout=' || timeout = ANY (s.setconfig))
$$;
REVOKE EXECUTE ON FUNCTION newsdedup_unlimited_analysts(text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION newsdedup_limit_analysts(timeout text) RETURNS integer
    LANGUAGE plpgsql AS $$
DECLARE
    login name;
    refused integer := 0;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM newsdedup_unlimited_analysts(timeout)) THEN
        RETURN 0;
    END IF;
    LOCK TABLE schema_migrations IN SHARE UPDATE EXCLUSIVE MODE;
    FOR login IN SELECT * FROM newsdedup_unlimited_analysts(timeout) LOOP
        BEGIN
            EXECUTE format('ALTER ROLE %I IN DATABASE %I SET statement_timeout = %L',
                           login, current_database(), timeout);
        EXCEPTION WHEN insufficient_privilege THEN
            refused := refused + 1;
        END;
    END LOOP;
    RETURN refused;
END $$;
