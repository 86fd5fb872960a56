-- Revisions (issue 18): when the content at a stored URL or path changes (a correction, an
-- update, a half-written file completed), the article keeps its id, canonical and story, shows
-- the latest text, and every earlier text stays in article_revisions.

ALTER TABLE articles ADD COLUMN revision integer NOT NULL DEFAULT 1;
ALTER TABLE articles ADD COLUMN revised_at timestamptz;
COMMENT ON COLUMN articles.revision IS 'the revision the row shows: 1 until its content changes';

-- Rows exist only for articles that were revised: revision 1 is written (from the article row)
-- when revision 2 arrives, so an article that never changes does not store its body twice.
CREATE TABLE article_revisions (
    article_id   bigint      NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    revision     integer     NOT NULL CHECK (revision >= 1),
    fetched_at   timestamptz NOT NULL DEFAULT now(),
    run_id       bigint      REFERENCES ingest_runs (id),
    raw_sha256   text        NOT NULL,
    body_sha256  text        NOT NULL,
    title        text,
    body         text        NOT NULL,
    change       text        NOT NULL DEFAULT '',  -- what changed from the revision before
    PRIMARY KEY (article_id, revision)
);

ALTER TABLE ingest_runs ADD COLUMN revised integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN ingest_runs.revised IS 'stored articles whose content changed: a new revision';

CREATE OR REPLACE VIEW monitoring_runs AS
SELECT r.id AS run_id,
       r.triggered_by,
       r.started_at,
       r.finished_at,
       r.status,
       r.error,
       r.inputs_read,
       r.loaded AS ingested,
       r.loaded - r.merged AS canonical,
       r.merged AS duplicates,
       r.same_story,
       r.unchanged,
       r.rejected,
       round(r.merged::numeric / NULLIF(r.loaded, 0), 4) AS duplicate_rate,
       round(r.rejected::numeric / NULLIF(r.inputs_read, 0), 4) AS reject_rate,
       r.revised
FROM ingest_runs r;

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
       a.revised_at
FROM articles a
WHERE a.canonical_id = a.id;

-- Every version of every article, the current one included: analysts see what changed and when.
CREATE VIEW article_history AS
SELECT r.article_id,
       r.revision,
       r.fetched_at,
       r.title,
       r.body,
       r.body_sha256,
       r.change,
       r.revision = a.revision AS is_current
FROM article_revisions r
JOIN articles a ON a.id = r.article_id
UNION ALL
SELECT a.id, 1, a.ingested_at, a.title, a.body, a.body_sha256, '', true
FROM articles a
WHERE a.revision = 1;
COMMENT ON VIEW article_history IS
    'every version of every article; revision 1 is the first text loaded, is_current the latest';

CREATE OR REPLACE FUNCTION newsdedup_grant_analyst_access() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO newsdedup_analyst', current_database());
    GRANT USAGE ON SCHEMA public TO newsdedup_analyst;
    GRANT SELECT ON canonical_articles, article_duplicates, story_clusters, site_boilerplate,
                    article_history
        TO newsdedup_analyst;
END $$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'newsdedup_analyst') THEN
        PERFORM newsdedup_grant_analyst_access();
    END IF;
END $$;
