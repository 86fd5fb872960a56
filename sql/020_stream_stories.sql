-- Stories are clustered as a stream (pipeline/dedupe/stories.py): a new article joins the one
-- story whose centroid it matches best, instead of every story it has a pair link into (one
-- link joined two stories, and chains of links grew whole topics into one story).

-- Each story's centroid (the sum of its articles' story vectors, its heaviest words only) and
-- its time extent; written with the articles, under the dedupe lock.
CREATE TABLE story_centroids (
    story_id  bigint PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    words     text[] NOT NULL,
    weights   real[] NOT NULL,
    articles  integer NOT NULL,
    first_at  timestamptz,
    last_at   timestamptz,
    CHECK (cardinality(words) = cardinality(weights))
);
COMMENT ON TABLE story_centroids IS
    'Per story: the centroid new articles are compared with, and its first and last dated articles';

-- How many stored articles use each word: the stream's own IDF. The row whose word is '' counts
-- every article placed.
CREATE TABLE story_word_counts (
    word      text PRIMARY KEY,
    articles  bigint NOT NULL
);
COMMENT ON TABLE story_word_counts IS
    'Articles using each word (the row of word '''' counts all): story vectors weigh words by it';

-- Why each article is in its story: its cosine with the story's centroid and the runner-up.
CREATE TABLE story_assignments (
    article_id       bigint PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    story_id         bigint NOT NULL,
    score            real NOT NULL,
    runner_up        bigint,
    runner_up_score  real NOT NULL,
    reason           text NOT NULL
);
COMMENT ON TABLE story_assignments IS
    'Which story an article joined when it was placed, its cosine with it and the runner-up';
