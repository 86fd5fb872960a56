-- Incremental ingest from configured sources (sources.toml): what each source has seen, and
-- the HTTP validators that make re-polling a feed or sitemap a cheap 304.

-- One row per thing a source listed: an article URL (canonical) from a feed or sitemap, or an
-- archive/inbox file. A run processes rows that are 'new' or 'retry'; a failed fetch stays
-- 'retry' (with its reason) until it loads or runs out of attempts ('gave_up').
CREATE TABLE source_items (
    source          text        NOT NULL,   -- the source's name in sources.toml
    item_key        text        NOT NULL,   -- canonical URL, or absolute file path
    kind            text        NOT NULL CHECK (kind IN ('page', 'file', 'listing')),
    entry_id        text,                   -- feed entry id / guid, when a feed listed it
    content_sha256  text,                   -- files: hash of the whole file last processed
    published_at    timestamptz,            -- what the feed, sitemap or archive claimed
    status          text        NOT NULL DEFAULT 'new'
                    CHECK (status IN ('new', 'done', 'retry', 'rejected', 'gave_up')),
    attempts        integer     NOT NULL DEFAULT 0,
    reason          text,                   -- last failure's reason code (as in rejected_inputs)
    detail          text,
    first_seen      timestamptz NOT NULL DEFAULT now(),
    last_attempt    timestamptz,
    done_at         timestamptz,
    run_id          bigint      REFERENCES ingest_runs (id),
    PRIMARY KEY (source, item_key)
);
CREATE INDEX source_items_due_idx ON source_items (source, first_seen)
    WHERE status IN ('new', 'retry');

-- ETag / Last-Modified per fetched listing URL, sent back as If-None-Match / If-Modified-Since.
CREATE TABLE http_validators (
    url            text        PRIMARY KEY,  -- canonical URL
    etag           text,
    last_modified  text,
    last_status    integer     NOT NULL,     -- 200 or 304: audits see how often polls were free
    checked_at     timestamptz NOT NULL DEFAULT now(),
    changed_at     timestamptz NOT NULL DEFAULT now()  -- last 200
);
