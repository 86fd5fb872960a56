-- A read-only role for analysts: SELECT on the analyst views and nothing else. Views run with
-- their owner's rights, so the role needs no access to the tables behind them (articles,
-- ingest_runs, rejected_inputs, ... stay operational-only).
--
-- The role is NOLOGIN: a migration cannot know a deployment's passwords. People get a login role
-- of their own that inherits it (README, "Analyst access"):
--     CREATE ROLE alice LOGIN PASSWORD '...' IN ROLE newsdedup_analyst;
--
-- Roles belong to the whole server, grants to one database: the role is created once (if this
-- migration may create roles), the grants are made in every database migrated.

-- The grants, as a function: a later migration that adds an analyst view (or drops and recreates
-- one, which drops its grants) replaces this function with the new list and calls it again.
CREATE FUNCTION newsdedup_grant_analyst_access() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO newsdedup_analyst', current_database());
    GRANT USAGE ON SCHEMA public TO newsdedup_analyst;
    GRANT SELECT ON canonical_articles, article_duplicates, story_clusters, site_boilerplate
        TO newsdedup_analyst;
END $$;
REVOKE EXECUTE ON FUNCTION newsdedup_grant_analyst_access() FROM PUBLIC;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'newsdedup_analyst') THEN
        IF NOT EXISTS (SELECT 1 FROM pg_roles
                       WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
            -- Ingestion must not stop over this: say what to do and carry on without the role.
            RAISE WARNING 'newsdedup_analyst not created: % may not create roles', current_user
                USING HINT = 'As an admin: CREATE ROLE newsdedup_analyst NOLOGIN; then, in this '
                             'database, SELECT newsdedup_grant_analyst_access();';
            RETURN;
        END IF;
        BEGIN
            CREATE ROLE newsdedup_analyst NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;  -- another database of this server created it a moment ago
        END;
    END IF;
    PERFORM newsdedup_grant_analyst_access();
END $$;
