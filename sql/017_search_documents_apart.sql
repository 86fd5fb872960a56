-- The search document leaves the articles row. As a stored generated column (014) it was
-- computed, and its GIN entries written, inside the transaction that places a batch under the
-- dedupe lock: about half of that serialised time (BENCHMARKS.md, issue 21). In a table of its
-- own it is written by the same transaction before the lock is taken (pipeline/store/bulk.py
-- index_for_search), so every other placing process goes on meanwhile; the foreign key is
-- checked at commit, when the article row is there.
CREATE FUNCTION newsdedup_search_document(language text, title text, body text)
    RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector(newsdedup_search_config(language), coalesce(title, '')), 'A')
           || setweight(to_tsvector(newsdedup_search_config(language), left(body, 100000)), 'B')
$$;
COMMENT ON FUNCTION newsdedup_search_document(text, text, text) IS
    'the full-text document of an article: title (weight A) and body (B, its first 100,000 characters) in the configuration of its language';

CREATE TABLE article_search (
    article_id     bigint   PRIMARY KEY
                   REFERENCES articles (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    search_vector  tsvector NOT NULL
);
COMMENT ON TABLE article_search IS
    'the search document of each canonical article (duplicates have none); read through canonical_articles and search_articles()';
INSERT INTO article_search (article_id, search_vector)
    SELECT id, search_vector FROM articles WHERE search_vector IS NOT NULL;
SET CONSTRAINTS ALL IMMEDIATE;  -- checked now: the index and the ALTER below need no pending check
CREATE INDEX article_search_vector_idx ON article_search USING gin (search_vector);

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
       s.search_vector
FROM articles a
LEFT JOIN article_search s ON s.article_id = a.id
WHERE a.canonical_id = a.id;

ALTER TABLE articles DROP COLUMN search_vector;
