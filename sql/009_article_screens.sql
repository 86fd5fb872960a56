-- What dedupe's cheap first look at a pair needs of each stored article (pipeline/screen.py):
-- sorted hashes of its words with their counts and rarity weights, and of its word 3-grams.
-- With it, a stored LSH candidate's body is read and prepared for the full comparison only when
-- the pair can link at all. `hashing` names the tokenization and hashes (fingerprint
-- FEATURE_HASHING); a screen of another hashing is ignored and the body is prepared instead,
-- until `newsdedup db reindex` writes current ones.
CREATE TABLE article_screens (
    article_id  bigint NOT NULL PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    hashing     text   NOT NULL,
    screen      bytea  NOT NULL
);
