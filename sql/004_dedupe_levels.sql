-- Dedupe in two levels (issue 4): every verified link is kept with its reason, canonicals
-- never change, and article_duplicates shows the evidence of each duplicate.

-- The rule that decided a link, in words (scores hold the numbers).
ALTER TABLE article_matches ADD COLUMN reason text NOT NULL DEFAULT '';
CREATE INDEX article_matches_matched_id_idx ON article_matches (matched_id);

-- The canonical policy, enforced: a duplicate points to a canonical article (no chains), and an
-- article's canonical never changes after it is stored, so a later duplicate can never take the
-- place of an article analysts already cite.
CREATE FUNCTION articles_check_canonical() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.canonical_id IS DISTINCT FROM OLD.canonical_id THEN
        RAISE EXCEPTION 'article %: canonical_id is stable (% -> % refused)',
            OLD.id, OLD.canonical_id, NEW.canonical_id;
    END IF;
    IF TG_OP = 'INSERT' AND NEW.canonical_id <> NEW.id AND NOT EXISTS (
            SELECT 1 FROM articles c WHERE c.id = NEW.canonical_id AND c.canonical_id = c.id) THEN
        RAISE EXCEPTION 'article %: canonical % is itself a duplicate', NEW.id, NEW.canonical_id;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER articles_canonical_stable
    BEFORE INSERT OR UPDATE OF canonical_id ON articles
    FOR EACH ROW EXECUTE FUNCTION articles_check_canonical();

-- One row per duplicate: its canonical and the evidence. The evidence is the link to the
-- canonical itself when the new article was compared with it, else its strongest duplicate
-- link to another copy in the group (matched_id).
DROP VIEW article_duplicates;
CREATE VIEW article_duplicates AS
SELECT DISTINCT ON (a.id)
       a.id AS article_id,
       a.canonical_id,
       m.similarity,
       m.method,
       m.scores,
       m.created_at,
       m.matched_id,
       m.reason,
       m.shared_passages
FROM articles a
JOIN article_matches m ON m.article_id = a.id AND m.level = 'duplicate'
WHERE a.canonical_id <> a.id
ORDER BY a.id, (m.matched_id = a.canonical_id) DESC, m.similarity DESC, m.matched_id;
