-- The MinHash/LSH schemes the stored signatures and buckets were made with (a scheme key names
-- the features, the hashing, num_perm, seed and banding). Buckets of another scheme never match
-- a new article's, so ingest refuses to place articles while one is present, until
-- `newsdedup db reindex` has fingerprinted the stored articles again.
CREATE TABLE fingerprint_schemes (
    scheme      text        PRIMARY KEY,
    first_used  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO fingerprint_schemes (scheme) SELECT DISTINCT scheme FROM article_fingerprints;
