-- Core tables: runs, articles, dedupe provenance, fingerprints, quarantine.

CREATE TABLE ingest_runs (
    id            bigserial PRIMARY KEY,
    triggered_by  text        NOT NULL,            -- 'cli' or 'airflow:<dag_id>/<run_id>'
    started_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    status        text        NOT NULL DEFAULT 'running'
                  CHECK (status IN ('running', 'succeeded', 'failed')),
    inputs_read   integer     NOT NULL DEFAULT 0,  -- inputs looked at
    loaded        integer     NOT NULL DEFAULT 0,  -- new rows in articles (canonical or not)
    merged        integer     NOT NULL DEFAULT 0,  -- of those, linked as duplicates of a canonical
    same_story    integer     NOT NULL DEFAULT 0,  -- of those, grouped into an existing story
    unchanged     integer     NOT NULL DEFAULT 0,  -- already stored with the same bytes: skipped
    rejected      integer     NOT NULL DEFAULT 0,  -- sent to rejected_inputs
    error         text
);

CREATE TABLE articles (
    id            bigserial   PRIMARY KEY,
    source_uri    text        NOT NULL UNIQUE,
    outlet        text,
    title         text,
    authors       text[]      NOT NULL DEFAULT '{}',
    published_at  timestamptz,
    language      text,
    body          text        NOT NULL CHECK (body <> ''),
    raw_sha256    text        NOT NULL,
    body_sha256   text        NOT NULL,
    ingested_at   timestamptz NOT NULL DEFAULT now(),
    -- A canonical article points to itself; a duplicate points to its canonical (never a chain).
    canonical_id  bigint      NOT NULL REFERENCES articles (id),
    -- The story an article belongs to: the id of the story's first canonical article.
    story_id      bigint      NOT NULL REFERENCES articles (id),
    run_id        bigint      REFERENCES ingest_runs (id),
    metadata      jsonb       NOT NULL DEFAULT '{}'  -- canonical URL, credit line, ...
);
CREATE INDEX articles_canonical_id_idx ON articles (canonical_id);
CREATE INDEX articles_story_id_idx ON articles (story_id);
CREATE INDEX articles_body_sha256_idx ON articles (body_sha256);
CREATE INDEX articles_published_at_idx ON articles (published_at);

-- Why an article was linked to another: one row per decided link, with every score kept.
CREATE TABLE article_matches (
    article_id       bigint      NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    matched_id       bigint      NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    level            text        NOT NULL CHECK (level IN ('duplicate', 'same_story')),
    similarity       real        NOT NULL,
    method           text        NOT NULL,
    scores           jsonb       NOT NULL DEFAULT '{}',
    shared_passages  jsonb       NOT NULL DEFAULT '[]',
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (article_id, matched_id)
);

-- What the cleaner removed from each article, and by which rule (for audits).
CREATE TABLE article_removals (
    article_id  bigint  NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position    integer NOT NULL,
    rule        text    NOT NULL,
    removed     text    NOT NULL,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX article_removals_rule_idx ON article_removals (rule);

-- MinHash signatures and their LSH band buckets, so every run sees every stored article.
CREATE TABLE article_fingerprints (
    article_id  bigint NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    scheme      text   NOT NULL,   -- what was hashed and how, e.g. 'words3:128:1'
    signature   bytea  NOT NULL,   -- num_perm little-endian uint32 hash values
    PRIMARY KEY (article_id, scheme)
);

CREATE TABLE lsh_buckets (
    scheme      text     NOT NULL,
    band        smallint NOT NULL,
    bucket      bigint   NOT NULL,
    article_id  bigint   NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    PRIMARY KEY (scheme, band, bucket, article_id)
);

-- Inputs that could not become articles. One row per distinct input (URI and bytes); seeing
-- the same bad input again bumps `attempts` instead of adding a row.
CREATE TABLE rejected_inputs (
    id           bigserial   PRIMARY KEY,
    source_uri   text        NOT NULL,
    raw_sha256   text        NOT NULL DEFAULT '',
    reason       text        NOT NULL,
    detail       text        NOT NULL DEFAULT '',
    rejected_at  timestamptz NOT NULL DEFAULT now(),
    attempts     integer     NOT NULL DEFAULT 1,
    run_id       bigint      REFERENCES ingest_runs (id),
    UNIQUE (source_uri, raw_sha256)
);
CREATE INDEX rejected_inputs_rejected_at_idx ON rejected_inputs (rejected_at);
