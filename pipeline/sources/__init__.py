"""Where inputs come from: inbox files, polite HTTP fetching, feeds and sitemaps, WARC archives,
the sources configured in sources.toml and what is known of each source's items."""
