-- The analysts' contract (issue 22): what the newsdedup_analyst role reads, each relation and
-- column described for the tools that show catalog comments (psql \d+, BI tools), and full-text
-- search over the canonical articles. Internal tables stay unreadable to the role: views run
-- with their owner's rights.

-- The text search configuration of an article's language (ISO 639-1, as language detection
-- stores it): its stemmer and stop words where this server has them, else 'simple' (words as
-- they are). Built from pg_ts_config, because servers differ in the configurations they ship
-- and a cast to one that is missing would fail every insert.
DO $do$
DECLARE
    known constant text[] := ARRAY[
        'ar:arabic', 'hy:armenian', 'eu:basque', 'ca:catalan', 'da:danish', 'nl:dutch',
        'en:english', 'fi:finnish', 'fr:french', 'de:german', 'el:greek', 'hi:hindi',
        'hu:hungarian', 'id:indonesian', 'ga:irish', 'it:italian', 'lt:lithuanian',
        'ne:nepali', 'no:norwegian', 'nb:norwegian', 'nn:norwegian', 'pt:portuguese',
        'ro:romanian', 'ru:russian', 'sr:serbian', 'es:spanish', 'sv:swedish', 'ta:tamil',
        'tr:turkish', 'yi:yiddish'];
    entry text;
    cases text := '';
    configs text[] := ARRAY['simple'];
BEGIN
    FOREACH entry IN ARRAY known LOOP
        IF EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = split_part(entry, ':', 2)) THEN
            cases := cases || format(' WHEN %L THEN %L::regconfig',
                                     split_part(entry, ':', 1), split_part(entry, ':', 2));
            IF NOT split_part(entry, ':', 2) = ANY (configs) THEN
                configs := configs || split_part(entry, ':', 2);
            END IF;
        END IF;
    END LOOP;
    EXECUTE format(
        $create$CREATE FUNCTION newsdedup_search_config(language text) RETURNS regconfig
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            AS $body$SELECT CASE lower(language) %s ELSE 'simple'::regconfig END$body$$create$,
        cases);
    EXECUTE format(
        $create$CREATE FUNCTION newsdedup_search_configs() RETURNS regconfig[]
            LANGUAGE sql IMMUTABLE PARALLEL SAFE
            AS $body$SELECT %L::regconfig[]$body$$create$,
        configs);
END $do$;
COMMENT ON FUNCTION newsdedup_search_config(text) IS
    'the text search configuration for an ISO 639-1 language code; simple when the server has none';
COMMENT ON FUNCTION newsdedup_search_configs() IS
    'every configuration newsdedup_search_config can give: a search query is parsed in each';

-- The search document of a canonical article: its title (weight A) and body (B), parsed in its
-- language. Duplicates have none: search answers with canonical articles, and their copies are
-- one join away. The body is read up to 100,000 characters (a long feature is 50,000), so no
-- body can exceed the 1 MB a tsvector may hold and have its article refused.
ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    CASE WHEN canonical_id = id THEN
        setweight(to_tsvector(newsdedup_search_config(language), coalesce(title, '')), 'A')
        || setweight(to_tsvector(newsdedup_search_config(language), left(body, 100000)), 'B')
    END) STORED;
CREATE INDEX articles_search_vector_idx ON articles USING gin (search_vector)
    WHERE canonical_id = id;

-- Every article, duplicates included, with what an analyst may read of it.
CREATE VIEW all_articles AS
SELECT a.id,
       a.source_uri AS url,
       a.outlet,
       a.title,
       a.authors,
       a.published_at,
       a.updated_at,
       a.language,
       a.body,
       a.canonical_id,
       a.story_id,
       a.canonical_id = a.id AS is_canonical,
       a.published_day,
       a.ingested_at,
       a.revision,
       a.revised_at
FROM articles a;

-- canonical_articles gains its search document (columns may only be added at the end).
CREATE OR REPLACE VIEW canonical_articles AS
SELECT a.id,
       a.source_uri,
       a.outlet,
       a.title,
       a.authors,
       a.published_at,
       a.language,
       a.body,
       a.ingested_at,
       a.story_id,
       (SELECT count(*) FROM articles d WHERE d.canonical_id = a.id AND d.id <> a.id)
           AS duplicate_count,
       a.revision,
       a.revised_at,
       a.published_day,
       a.published_utc_offset,
       a.updated_at,
       a.cleaning_audit,
       a.search_vector
FROM articles a
WHERE a.canonical_id = a.id;

-- Each copy beside its canonical: who republished what, where and when.
CREATE OR REPLACE VIEW article_duplicates AS
SELECT DISTINCT ON (a.id)
       a.id AS article_id,
       a.canonical_id,
       m.similarity,
       m.method,
       m.scores,
       m.created_at,
       m.matched_id,
       m.reason,
       m.shared_passages,
       a.source_uri AS url,
       a.outlet,
       a.title,
       a.published_at,
       c.source_uri AS canonical_url,
       c.outlet AS canonical_outlet,
       c.title AS canonical_title,
       c.published_at AS canonical_published_at
FROM articles a
JOIN article_matches m ON m.article_id = a.id AND m.level = 'duplicate'
JOIN articles c ON c.id = a.canonical_id
WHERE a.canonical_id <> a.id
ORDER BY a.id, (m.matched_id = a.canonical_id) DESC, m.similarity DESC, m.matched_id;

-- One row per story. Its headline is its lead's (the first canonical article of the story,
-- whose id the story carries), else the first title the story has; "seen" is the publication
-- time, else the time of loading.
CREATE VIEW stories AS
SELECT s.story_id,
       coalesce(lead.title, (SELECT t.title FROM articles t
                             WHERE t.story_id = s.story_id AND t.title <> ''
                             ORDER BY t.id LIMIT 1)) AS headline,
       min(coalesce(s.published_at, s.ingested_at)) AS first_seen,
       max(coalesce(s.published_at, s.ingested_at)) AS last_seen,
       count(*) AS articles,
       count(*) FILTER (WHERE s.canonical_id = s.id) AS canonical_articles,
       count(DISTINCT s.outlet) AS outlets,
       array_agg(s.id ORDER BY coalesce(s.published_at, s.ingested_at), s.id)
           FILTER (WHERE s.canonical_id = s.id) AS canonical_ids
FROM articles s
JOIN articles lead ON lead.id = s.story_id
GROUP BY s.story_id, lead.title;

-- Ranked full-text search over canonical articles, for psql and `newsdedup search`. The query
-- is read as a web search (words, "a phrase", or, -word) in every configuration the articles
-- may be parsed in, so each article matches in its own language's stems; the rank weighs
-- title matches above body matches and longer bodies do not win by length alone.
CREATE FUNCTION search_articles(query text,
                                since timestamptz DEFAULT NULL,
                                outlet_name text DEFAULT NULL,
                                max_results integer DEFAULT 20)
RETURNS TABLE (id bigint, rank real, url text, outlet text, title text,
               published_at timestamptz, language text, story_id bigint,
               duplicate_count bigint, excerpt text)
LANGUAGE sql STABLE AS $$
    WITH parsed AS (
        SELECT DISTINCT websearch_to_tsquery(config, query)::text AS one
        FROM unnest(newsdedup_search_configs()) AS config
    ), wanted AS (
        -- tsquery has no OR aggregate: the parsed queries are joined as text, then read back.
        SELECT coalesce(string_agg('(' || one || ')', ' | ' ORDER BY one), '')::tsquery AS q
        FROM parsed WHERE one <> ''
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

-- The role reads the analyst views and the search; replaces the list of 011.
CREATE OR REPLACE FUNCTION newsdedup_grant_analyst_access() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO newsdedup_analyst', current_database());
    GRANT USAGE ON SCHEMA public TO newsdedup_analyst;
    GRANT SELECT ON all_articles, canonical_articles, article_duplicates, stories,
                    story_clusters, article_history, site_boilerplate
        TO newsdedup_analyst;
END $$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'newsdedup_analyst') THEN
        PERFORM newsdedup_grant_analyst_access();
    END IF;
END $$;

-- What analysts see in psql (\d+) and BI tools.
COMMENT ON VIEW all_articles IS
    'every article loaded, duplicates included: its metadata, text, canonical and story';
COMMENT ON COLUMN all_articles.id IS 'article id (stable)';
COMMENT ON COLUMN all_articles.url IS 'where the article was read: canonical URL after redirects, or file:// path';
COMMENT ON COLUMN all_articles.outlet IS 'publisher, as the page or the source names it';
COMMENT ON COLUMN all_articles.title IS 'headline';
COMMENT ON COLUMN all_articles.authors IS 'bylines, one name each';
COMMENT ON COLUMN all_articles.published_at IS 'original publication time as the page states it';
COMMENT ON COLUMN all_articles.updated_at IS 'when the page says it was last modified';
COMMENT ON COLUMN all_articles.language IS 'ISO 639-1 code of the body''s language, detected';
COMMENT ON COLUMN all_articles.body IS 'the article text, boilerplate removed (latest revision)';
COMMENT ON COLUMN all_articles.canonical_id IS 'the canonical article this one is a copy of; its own id when canonical';
COMMENT ON COLUMN all_articles.story_id IS 'the story: id of its first canonical article (stories.story_id)';
COMMENT ON COLUMN all_articles.is_canonical IS 'true for canonical articles, false for duplicates';
COMMENT ON COLUMN all_articles.published_day IS 'publication day in the offset the page states';
COMMENT ON COLUMN all_articles.ingested_at IS 'when the article was first loaded';
COMMENT ON COLUMN all_articles.revision IS 'the revision the row shows: 1 until its content changes';
COMMENT ON COLUMN all_articles.revised_at IS 'when the latest revision was loaded; null if never revised';

COMMENT ON VIEW canonical_articles IS
    'one row per canonical article (the first copy loaded), with how often it was republished';
COMMENT ON COLUMN canonical_articles.id IS 'article id (stable)';
COMMENT ON COLUMN canonical_articles.source_uri IS 'where the article was read: canonical URL after redirects, or file:// path';
COMMENT ON COLUMN canonical_articles.outlet IS 'publisher, as the page or the source names it';
COMMENT ON COLUMN canonical_articles.title IS 'headline';
COMMENT ON COLUMN canonical_articles.authors IS 'bylines, one name each';
COMMENT ON COLUMN canonical_articles.published_at IS 'original publication time as the page states it';
COMMENT ON COLUMN canonical_articles.language IS 'ISO 639-1 code of the body''s language, detected';
COMMENT ON COLUMN canonical_articles.body IS 'the article text, boilerplate removed (latest revision)';
COMMENT ON COLUMN canonical_articles.ingested_at IS 'when the article was first loaded';
COMMENT ON COLUMN canonical_articles.story_id IS 'the story: id of its first canonical article (stories.story_id)';
COMMENT ON COLUMN canonical_articles.duplicate_count IS 'how many other articles are copies of this one';
COMMENT ON COLUMN canonical_articles.revision IS 'the revision the row shows: 1 until its content changes';
COMMENT ON COLUMN canonical_articles.revised_at IS 'when the latest revision was loaded; null if never revised';
COMMENT ON COLUMN canonical_articles.published_day IS 'publication day in the offset the page states';
COMMENT ON COLUMN canonical_articles.published_utc_offset IS 'the UTC offset the page states for published_at';
COMMENT ON COLUMN canonical_articles.updated_at IS 'when the page says it was last modified';
COMMENT ON COLUMN canonical_articles.cleaning_audit IS 'kept_extracted or most_removed: cleaning worth checking (cleaning_audit); else null';
COMMENT ON COLUMN canonical_articles.search_vector IS 'full-text document (title A, body B) in the article''s language; see search_articles()';

COMMENT ON VIEW article_duplicates IS
    'one row per duplicate: the copy and its canonical side by side, with the evidence of the link';
COMMENT ON COLUMN article_duplicates.article_id IS 'the duplicate (a copy or rewrite)';
COMMENT ON COLUMN article_duplicates.canonical_id IS 'the canonical article it copies';
COMMENT ON COLUMN article_duplicates.similarity IS 'the score of the deciding comparison, 0..1';
COMMENT ON COLUMN article_duplicates.method IS 'which comparison decided the link';
COMMENT ON COLUMN article_duplicates.scores IS 'every score of the comparison (JSON)';
COMMENT ON COLUMN article_duplicates.created_at IS 'when the link was decided';
COMMENT ON COLUMN article_duplicates.matched_id IS 'the article it was compared with: the canonical, or another copy of it';
COMMENT ON COLUMN article_duplicates.reason IS 'the rule that decided the link, in words';
COMMENT ON COLUMN article_duplicates.shared_passages IS 'passages the two texts share (JSON array)';
COMMENT ON COLUMN article_duplicates.url IS 'where the copy was read';
COMMENT ON COLUMN article_duplicates.outlet IS 'the copy''s publisher';
COMMENT ON COLUMN article_duplicates.title IS 'the copy''s headline';
COMMENT ON COLUMN article_duplicates.published_at IS 'when the copy was published';
COMMENT ON COLUMN article_duplicates.canonical_url IS 'where the canonical article was read';
COMMENT ON COLUMN article_duplicates.canonical_outlet IS 'the canonical article''s publisher';
COMMENT ON COLUMN article_duplicates.canonical_title IS 'the canonical article''s headline';
COMMENT ON COLUMN article_duplicates.canonical_published_at IS 'when the canonical article was published';

COMMENT ON VIEW stories IS
    'one row per story: independent coverage and follow-ups of one event, with their copies';
COMMENT ON COLUMN stories.story_id IS 'story id: the id of its first canonical article';
COMMENT ON COLUMN stories.headline IS 'the title of the story''s first article (else its first title)';
COMMENT ON COLUMN stories.first_seen IS 'earliest publication time of its articles (load time when undated)';
COMMENT ON COLUMN stories.last_seen IS 'latest publication time of its articles (load time when undated)';
COMMENT ON COLUMN stories.articles IS 'articles in the story, duplicates included';
COMMENT ON COLUMN stories.canonical_articles IS 'canonical articles in the story (distinct texts)';
COMMENT ON COLUMN stories.outlets IS 'distinct outlets that carried the story (named outlets only)';
COMMENT ON COLUMN stories.canonical_ids IS 'ids of its canonical articles, earliest first';

COMMENT ON VIEW story_clusters IS 'one row per article: its story and its role in it';
COMMENT ON COLUMN story_clusters.story_id IS 'story id: the id of its first canonical article';
COMMENT ON COLUMN story_clusters.article_id IS 'the article';
COMMENT ON COLUMN story_clusters.role IS 'lead (the first article), coverage (another canonical), duplicate (a copy)';

COMMENT ON COLUMN article_history.article_id IS 'the article';
COMMENT ON COLUMN article_history.revision IS 'version number, 1 for the first text loaded';
COMMENT ON COLUMN article_history.fetched_at IS 'when this version was loaded';
COMMENT ON COLUMN article_history.title IS 'headline of this version';
COMMENT ON COLUMN article_history.body IS 'text of this version';
COMMENT ON COLUMN article_history.body_sha256 IS 'SHA-256 of this version''s text';
COMMENT ON COLUMN article_history.change IS 'what changed from the version before';
COMMENT ON COLUMN article_history.is_current IS 'true for the version the article shows';

COMMENT ON VIEW site_boilerplate IS
    'lines a site repeats across its articles, which the cleaner removes from later ones';
COMMENT ON COLUMN site_boilerplate.site IS 'web host, else outlet name, else inbox folder';
COMMENT ON COLUMN site_boilerplate.line IS 'the line as first seen';
COMMENT ON COLUMN site_boilerplate.articles IS 'how many of the site''s articles carried it';
COMMENT ON COLUMN site_boilerplate.first_seen IS 'when it was first seen';
COMMENT ON COLUMN site_boilerplate.last_seen IS 'when it was last seen';

COMMENT ON FUNCTION search_articles(text, timestamptz, text, integer) IS
    'ranked full-text search of canonical articles: search_articles(''query'' [, since, outlet, max_results])';
