-- Cleaning that an operator should look at (issue 19, item 1). An article is never lost to
-- cleaning: when the rules would leave less than an article, the extracted text is kept as it
-- came ('kept_extracted') and the removals the rules would have made are kept with
-- applied = false; cleaning that removed more than half of the extracted text is
-- 'most_removed'. Rows stored before this migration have NULL in both new article columns.
ALTER TABLE articles ADD COLUMN removed_share real
    CHECK (removed_share BETWEEN 0 AND 1);
ALTER TABLE articles ADD COLUMN cleaning_audit text
    CHECK (cleaning_audit IN ('kept_extracted', 'most_removed'));
ALTER TABLE article_removals ADD COLUMN applied boolean NOT NULL DEFAULT true;
COMMENT ON COLUMN articles.removed_share IS
    'share of the extracted text''s characters that cleaning removed';
COMMENT ON COLUMN articles.cleaning_audit IS
    'kept_extracted: cleaning would have left too little, the extracted text was kept; '
    'most_removed: cleaning removed more than half of the extracted text';
COMMENT ON COLUMN article_removals.applied IS
    'false when the rule fired but the extracted text was kept (cleaning_audit kept_extracted)';
CREATE INDEX articles_cleaning_audit_idx ON articles (ingested_at DESC)
    WHERE cleaning_audit IS NOT NULL;

-- The articles to audit, newest first, with the rules that fired on each.
CREATE VIEW cleaning_audit AS
SELECT a.id,
       a.source_uri,
       coalesce(nullif(a.outlet, ''), '(unknown)') AS outlet,
       a.title,
       a.cleaning_audit AS reason,
       a.removed_share,
       length(a.body) AS body_chars,
       a.ingested_at,
       (SELECT array_agg(DISTINCT r.rule ORDER BY r.rule)
        FROM article_removals r WHERE r.article_id = a.id) AS rules
FROM articles a
WHERE a.cleaning_audit IS NOT NULL;
COMMENT ON VIEW cleaning_audit IS
    'articles whose cleaning an operator should check: see articles.cleaning_audit';

-- What the cleaner removed, per rule and outlet: only what it did remove.
CREATE OR REPLACE VIEW monitoring_removals AS
SELECT r.rule,
       coalesce(nullif(a.outlet, ''), '(unknown)') AS outlet,
       count(*) AS removals,
       count(DISTINCT r.article_id) AS articles,
       sum(length(r.removed)) AS chars_removed
FROM article_removals r
JOIN articles a ON a.id = r.article_id
WHERE r.applied
GROUP BY 1, 2;

-- Analysts see which bodies are the extracted text kept as it came.
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
       a.cleaning_audit
FROM articles a
WHERE a.canonical_id = a.id;
