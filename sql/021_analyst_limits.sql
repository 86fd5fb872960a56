-- No one analyst can stall the pipeline (issue 40).
--
-- 1. The dedupe lock is a table lock on a table only the pipeline may lock. It was an advisory
--    lock, which any session may take: an analyst login holding pg_advisory_lock(7146002)
--    stopped every load. LOCK TABLE checks the privilege before it waits, and the analyst role
--    has none on this table.
CREATE TABLE dedupe_lock ();
COMMENT ON TABLE dedupe_lock IS
    'empty: loads lock it (EXCLUSIVE) to serialise dedupe decisions; only the pipeline may';

-- 2. Each analyst login gets a statement_timeout in this database. A role's settings are not
--    inherited by its members, so the pipeline gives every login of newsdedup_analyst its own
--    each time it checks the schema (pipeline/store/migrations.py); the timeout is its
--    setting NEWSDEDUP_ANALYST_STATEMENT_TIMEOUT_SECONDS. Superusers and this database's owner
--    are left alone: they run the pipeline. Returns how many logins this account may not alter
--    (it needs CREATEROLE, or to be superuser).
CREATE FUNCTION newsdedup_limit_analysts(timeout text) RETURNS integer
    LANGUAGE plpgsql AS $$
DECLARE
    login name;
    refused integer := 0;
BEGIN
    FOR login IN
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
    LOOP
        BEGIN
            EXECUTE format('ALTER ROLE %I IN DATABASE %I SET statement_timeout = %L',
                           login, current_database(), timeout);
        EXCEPTION WHEN insufficient_privilege THEN
            refused := refused + 1;
        END;
    END LOOP;
    RETURN refused;
END $$;
REVOKE EXECUTE ON FUNCTION newsdedup_limit_analysts(text) FROM PUBLIC;

-- 3. A search query is parsed once per search, and bounded. search_articles (a SQL function)
--    was inlined into its caller and newsdedup_search_query run again for every row it
--    filtered, ranked and excerpted (5 s on 20,000 articles); its query is now a MATERIALIZED
--    CTE. A query over 256 characters is refused with a clear error: a 10,000-character one
--    held a backend for minutes and a 33,000-character one overflowed the parser's stack.
CREATE OR REPLACE FUNCTION newsdedup_search_query(query text) RETURNS tsquery
    LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    parsed tsquery;
BEGIN
    IF length(query) > 256 THEN
        RAISE EXCEPTION 'a search query has at most 256 characters; this one has %',
                        length(query)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- tsquery has no OR aggregate: the parsed queries are joined as text, then read back.
    SELECT coalesce(string_agg('(' || one || ')', ' | ' ORDER BY one), '')::tsquery INTO parsed
    FROM (SELECT DISTINCT websearch_to_tsquery(config, query)::text AS one
          FROM unnest(newsdedup_search_configs()) AS config) AS each_config
    WHERE one <> '';
    RETURN parsed;
END $$;

CREATE OR REPLACE FUNCTION search_articles(query text,
                                           since timestamptz DEFAULT NULL,
                                           outlet_name text DEFAULT NULL,
                                           max_results integer DEFAULT 20)
RETURNS TABLE (id bigint, rank real, url text, outlet text, title text,
               published_at timestamptz, language text, story_id bigint,
               duplicate_count bigint, excerpt text)
LANGUAGE sql STABLE AS $$
    WITH wanted AS MATERIALIZED (
        SELECT newsdedup_search_query(query) AS q
    ), hits AS (
        SELECT c.*, ts_rank(c.search_vector, w.q, 1) AS rank, w.q
        FROM canonical_articles c, wanted w
        WHERE c.search_vector @@ w.q
          AND (since IS NULL OR coalesce(c.published_at, c.ingested_at) >= since)
          AND (outlet_name IS NULL OR c.outlet = outlet_name)
        ORDER BY rank DESC, c.published_at DESC NULLS LAST, c.id
        LIMIT greatest(max_results, 0)
    )
    SELECT h.id, h.rank, h.source_uri, h.outlet, h.title, h.published_at, h.language,
           h.story_id, h.duplicate_count,
           ts_headline(newsdedup_search_config(h.language), left(h.body, 100000), h.q,
                       'MaxFragments=1, MaxWords=30, MinWords=12, StartSel=«, StopSel=»')
    FROM hits h
    ORDER BY h.rank DESC, h.published_at DESC NULLS LAST, h.id
$$;

-- 4. site_boilerplate hides the lines a site has carried once; a leaky function in an analyst's
--    WHERE could see them before the view's filter unless the view is a security barrier.
ALTER VIEW site_boilerplate SET (security_barrier = true);

-- 5. Large objects are stored outside every table, unbounded and unused by the pipeline; any
--    role could create them. Only a superuser may revoke that (the functions are the
--    catalog's): elsewhere an admin runs these REVOKEs once in the news database.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper) THEN
        REVOKE EXECUTE ON FUNCTION lo_create(oid), lo_creat(integer),
                                   lo_from_bytea(oid, bytea) FROM PUBLIC;
    ELSE
        RAISE WARNING 'large objects stay creatable: % is not a superuser', current_user
            USING HINT = 'As a superuser, in this database: REVOKE EXECUTE ON FUNCTION '
                         'lo_create(oid), lo_creat(integer), lo_from_bytea(oid, bytea) '
                         'FROM PUBLIC;';
    END IF;
END $$;
