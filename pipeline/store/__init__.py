"""PostgreSQL, the source of truth: every read and write of the news database (psycopg2, every
statement parameterised). Callers use this package's names; its modules are laid out by table.
"""

from pipeline.store.articles import (
    DEDUPE_LOCK,
    Link,
    StaleFingerprints,
    known_inputs,
    lock_for_dedupe,
    merge_stories,
    record_rejection,
    register_schemes,
    rejections_of,
    site_boilerplate,
    use_schemes,
)
from pipeline.store.bulk import (
    NewArticle,
    StoredRow,
    clear_rejections,
    count_site_lines,
    exact_body_matches,
    insert_articles,
    insert_screens,
    insert_signatures,
    next_article_ids,
    stored_for_placement,
    stored_texts,
)
from pipeline.store.candidate_index import (
    BucketKey,
    CandidateIndex,
    MemoryCandidateIndex,
    PostgresCandidateIndex,
)
from pipeline.store.database import Connection, Cursor, query_rows
from pipeline.store.migrations import (
    MigrationError,
    apply_migrations,
    migration_files,
)
from pipeline.store.runs import (
    RunCounts,
    add_run_counts,
    finish_run,
    run_counts,
    start_run,
)

__all__ = [
    "DEDUPE_LOCK",
    "BucketKey",
    "CandidateIndex",
    "Connection",
    "Cursor",
    "Link",
    "MemoryCandidateIndex",
    "MigrationError",
    "NewArticle",
    "PostgresCandidateIndex",
    "RunCounts",
    "StaleFingerprints",
    "StoredRow",
    "add_run_counts",
    "apply_migrations",
    "clear_rejections",
    "count_site_lines",
    "exact_body_matches",
    "finish_run",
    "insert_articles",
    "insert_screens",
    "insert_signatures",
    "known_inputs",
    "lock_for_dedupe",
    "merge_stories",
    "migration_files",
    "next_article_ids",
    "query_rows",
    "record_rejection",
    "register_schemes",
    "rejections_of",
    "run_counts",
    "site_boilerplate",
    "start_run",
    "stored_for_placement",
    "stored_texts",
    "use_schemes",
]
