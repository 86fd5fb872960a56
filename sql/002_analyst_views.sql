-- The analysts' contract: query these views, not the tables behind them.

CREATE VIEW canonical_articles AS
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
           AS duplicate_count
FROM articles a
WHERE a.canonical_id = a.id;

CREATE VIEW article_duplicates AS
SELECT m.article_id,
       m.matched_id AS canonical_id,
       m.similarity,
       m.method,
       m.scores,
       m.created_at
FROM article_matches m
JOIN articles a ON a.id = m.article_id AND a.canonical_id = m.matched_id
WHERE m.level = 'duplicate';

CREATE VIEW story_clusters AS
SELECT a.story_id,
       a.id AS article_id,
       CASE
           WHEN a.id = a.story_id THEN 'lead'
           WHEN a.canonical_id = a.id THEN 'coverage'
           ELSE 'duplicate'
       END AS role
FROM articles a;
