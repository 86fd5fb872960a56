-- site_lines counts every line of every article, so that a line a site repeats is learned as its
-- boilerplate; kept whole, the texts of the lines seen once made it a second copy of every body
-- (9.5 kB an article, BENCHMARKS.md, issue 21). A line's text is now kept from its second
-- article on, when it may be boilerplate (the site_boilerplate view and the cleaner's audits
-- show only those); a line seen once is its key and count.
ALTER TABLE site_lines ALTER COLUMN line DROP NOT NULL;
UPDATE site_lines SET line = NULL WHERE articles < 2;
COMMENT ON COLUMN site_lines.line IS
    'the line as first seen, kept once a second article of the site carries it (NULL before)';
