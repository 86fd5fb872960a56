-- The ops page answers "which" and "why" (issue 23, part 4): source health needs to know how
-- often a listing was polled and how often the poll was free, and the article browser searches
-- with the same query the analysts' search_articles() reads.

-- Poll counters per listing URL. http_validators kept the last status only; these count every
-- answered poll (200 or 304) from now on. A failed poll raises before its validators are
-- saved: failures are in source_items (kind 'listing'), not here. Rows from before this
-- migration start from what they show: one poll, free when its last status was 304.
ALTER TABLE http_validators ADD COLUMN polls integer NOT NULL DEFAULT 0,
                            ADD COLUMN not_modified integer NOT NULL DEFAULT 0;
UPDATE http_validators SET polls = 1, not_modified = (last_status = 304)::integer;
COMMENT ON COLUMN http_validators.polls IS
    'answered conditional GETs of this URL (200 or 304) since it was first fetched';
COMMENT ON COLUMN http_validators.not_modified IS
    'of those, how many were answered 304 Not Modified (nothing to download)';

-- A web-search query read in every configuration articles may be parsed in, OR-ed: what
-- search_articles() matched against (sql/014), now one function that the ops page's article
-- browser (pipeline/ops/browse.py) uses too.
CREATE FUNCTION newsdedup_search_query(query text) RETURNS tsquery
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
    WITH parsed AS (
        SELECT DISTINCT websearch_to_tsquery(config, query)::text AS one
        FROM unnest(newsdedup_search_configs()) AS config
    )
    -- tsquery has no OR aggregate: the parsed queries are joined as text, then read back.
    SELECT coalesce(string_agg('(' || one || ')', ' | ' ORDER BY one), '')::tsquery
    FROM parsed WHERE one <> ''
$$;
COMMENT ON FUNCTION newsdedup_search_query(text) IS
    'a web-search style query (words, "a phrase", or, -word) as one tsquery over every search configuration';

CREATE OR REPLACE FUNCTION search_articles(query text,
                                           since timestamptz DEFAULT NULL,
                                           outlet_name text DEFAULT NULL,
                                           max_results integer DEFAULT 20)
RETURNS TABLE (id bigint, rank real, url text, outlet text, title text,
               published_at timestamptz, language text, story_id bigint,
               duplicate_count bigint, excerpt text)
LANGUAGE sql STABLE AS $$
    WITH wanted AS (
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
