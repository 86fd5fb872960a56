-- Learned, site-level boilerplate: how many different articles of a site carried each line.
-- A line seen in enough of them (NEWSDEDUP_SITE_BOILERPLATE_MIN_ARTICLES, default 3) is removed
-- from that site's later articles, with the rule 'site_boilerplate' in article_removals.
CREATE TABLE site_lines (
    site        text        NOT NULL,   -- web host, else outlet name, else inbox folder
    line_key    text        NOT NULL,   -- hash of the line's words, casefolded
    line        text        NOT NULL,   -- the line as first seen, for audits
    articles    integer     NOT NULL DEFAULT 0 CHECK (articles >= 0),
    first_seen  timestamptz NOT NULL DEFAULT now(),
    last_seen   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site, line_key)
);

-- What each site is known to repeat, most frequent first.
CREATE VIEW site_boilerplate AS
SELECT site, line, articles, first_seen, last_seen
FROM site_lines
WHERE articles >= 2
ORDER BY site, articles DESC, line;
