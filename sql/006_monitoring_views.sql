-- Ops monitoring (issue 6): what the Airflow "News ingest" page and the DAG's data-quality checks
-- read. Views only, so that the numbers on the page and in the checks cannot drift apart.

-- One row per ingest run. canonical = new articles that became canonical (loaded - merged);
-- duplicates = merged; duplicate_rate over the articles the run loaded (NULL when none).
CREATE VIEW monitoring_runs AS
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
       round(r.rejected::numeric / NULLIF(r.inputs_read, 0), 4) AS reject_rate
FROM ingest_runs r;

-- The same counts per UTC day of the run's start.
CREATE VIEW monitoring_daily AS
SELECT (r.started_at AT TIME ZONE 'UTC')::date AS day,
       count(*) AS runs,
       count(*) FILTER (WHERE r.status = 'failed') AS failed_runs,
       sum(r.inputs_read) AS inputs_read,
       sum(r.loaded) AS ingested,
       sum(r.loaded - r.merged) AS canonical,
       sum(r.merged) AS duplicates,
       sum(r.same_story) AS same_story,
       sum(r.rejected) AS rejected,
       round(sum(r.merged)::numeric / NULLIF(sum(r.loaded), 0), 4) AS duplicate_rate
FROM ingest_runs r
GROUP BY 1;

-- Duplicate rate per outlet and UTC day of ingestion: of the articles stored that day, how many
-- were duplicates of an earlier canonical article.
CREATE VIEW monitoring_outlet_daily AS
SELECT coalesce(nullif(a.outlet, ''), '(unknown)') AS outlet,
       (a.ingested_at AT TIME ZONE 'UTC')::date AS day,
       count(*) AS articles,
       count(*) FILTER (WHERE a.canonical_id <> a.id) AS duplicates,
       round(count(*) FILTER (WHERE a.canonical_id <> a.id)::numeric / count(*), 4)
           AS duplicate_rate
FROM articles a
GROUP BY 1, 2;

-- Canonical articles with their copies, largest group first.
CREATE VIEW monitoring_duplicate_groups AS
SELECT c.id AS canonical_id,
       c.title,
       coalesce(nullif(c.outlet, ''), '(unknown)') AS outlet,
       c.source_uri,
       count(d.id) AS duplicates,
       array_agg(DISTINCT coalesce(nullif(d.outlet, ''), '(unknown)')) AS duplicate_outlets,
       max(d.ingested_at) AS last_duplicate_at
FROM articles c
JOIN articles d ON d.canonical_id = c.id AND d.id <> c.id
WHERE c.canonical_id = c.id
GROUP BY c.id;

-- What the cleaner removed, per rule and outlet.
CREATE VIEW monitoring_removals AS
SELECT r.rule,
       coalesce(nullif(a.outlet, ''), '(unknown)') AS outlet,
       count(*) AS removals,
       count(DISTINCT r.article_id) AS articles,
       sum(length(r.removed)) AS chars_removed
FROM article_removals r
JOIN articles a ON a.id = r.article_id
GROUP BY 1, 2;
