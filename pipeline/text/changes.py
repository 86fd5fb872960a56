"""What changed between two versions of an article, in words (article_revisions.change)."""

from __future__ import annotations

from difflib import SequenceMatcher


def describe_change(
    old_title: str | None, old_body: str, new_title: str | None, new_body: str
) -> str:
    """E.g. "title changed; paragraphs: 1 added, 2 changed"."""
    parts = ["title changed"] if (old_title or "") != (new_title or "") else []
    old, new = _paragraphs(old_body), _paragraphs(new_body)
    added = removed = changed = 0
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "replace":
            common = min(i2 - i1, j2 - j1)
            changed += common
            added += j2 - j1 - common
            removed += i2 - i1 - common
        elif tag == "insert":
            added += j2 - j1
        elif tag == "delete":
            removed += i2 - i1
    counts = [(added, "added"), (removed, "removed"), (changed, "changed")]
    said = ", ".join(f"{n} {what}" for n, what in counts if n)
    if said:
        parts.append(f"{'paragraph' if added + removed + changed == 1 else 'paragraphs'}: {said}")
    return "; ".join(parts) or "text unchanged"


def _paragraphs(body: str) -> list[str]:
    """A body's paragraphs: its non-blank lines (the cleaner separates them by a blank line)."""
    return [line for line in body.splitlines() if line.strip()]
