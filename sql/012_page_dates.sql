-- Dates as the page states them (issue 19, item 4). published_at is a timestamptz, so the offset
-- a page gives ("2024-03-01T22:00:00-04:00") was lost and published_at::date gave the UTC day
-- (March 2), not the page's. published_day keeps the page's own calendar day and
-- published_utc_offset its offset; updated_at is the page's "modified" date when it states one.
-- Rows stored before this migration have NULL there: their offset was not kept.
ALTER TABLE articles ADD COLUMN published_day date;
ALTER TABLE articles ADD COLUMN published_utc_offset interval;
ALTER TABLE articles ADD COLUMN updated_at timestamptz;
COMMENT ON COLUMN articles.published_day IS 'the publication day in the offset the page states';
COMMENT ON COLUMN articles.published_utc_offset IS 'the offset the page states for published_at';
COMMENT ON COLUMN articles.updated_at IS 'when the page says it was last modified';

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
       a.updated_at
FROM articles a
WHERE a.canonical_id = a.id;
