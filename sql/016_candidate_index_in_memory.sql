-- The LSH candidate index leaves the database. lsh_buckets held ~300 rows an article (27.6 kB of
-- rows and B-tree), every insert was ~300 random page writes and every lookup ~300 random leaf
-- reads, so placement slowed as the store grew (BENCHMARKS.md, issue 7). Each placing process
-- now keeps the index in memory (pipeline/dedupe/stored_index.py), rebuilt from the stored
-- signatures, which stay the source of truth, and caught up under the dedupe lock with what other
-- processes stored since: the fingerprint rows whose change_seq is above its high-water mark.
--
-- change_seq is taken when a fingerprint row is written (a revision writes its article's rows
-- again). Every writer holds the dedupe lock until it commits (pipeline/store/articles.py
-- lock_for_dedupe), so committed rows appear in change_seq order and a high-water mark misses
-- none.
CREATE SEQUENCE article_fingerprints_change_seq;
ALTER TABLE article_fingerprints
    ADD COLUMN change_seq bigint NOT NULL DEFAULT nextval('article_fingerprints_change_seq');
ALTER SEQUENCE article_fingerprints_change_seq OWNED BY article_fingerprints.change_seq;
CREATE INDEX article_fingerprints_change_seq_idx ON article_fingerprints (change_seq);
COMMENT ON COLUMN article_fingerprints.change_seq IS
    'Order in which fingerprint rows were written: placing processes catch their in-memory LSH '
    'index up by it';

-- Which database an in-memory index was built from: a process that meets another database (a
-- test's fresh one, a restored dump) under the same URL builds its index again.
CREATE TABLE candidate_index_origin (
    origin uuid PRIMARY KEY DEFAULT gen_random_uuid()
);
INSERT INTO candidate_index_origin DEFAULT VALUES;
COMMENT ON TABLE candidate_index_origin IS
    'One random id for this database: in-memory LSH indexes built from it carry it';

DROP TRIGGER articles_forget_lsh_buckets ON articles;
DROP FUNCTION forget_lsh_buckets();
DROP TABLE lsh_buckets;
