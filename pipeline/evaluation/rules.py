"""`newsdedup eval extraction --rules`: what each cleaning rule removes, and what it is worth.

For every rule, on every set: how many of the characters it removed are gold article text and
how many are not (pipeline.evaluation.metric.gold_share), and the set's F1 with that rule
switched off (every other rule on).

The cross-fit guards against keeping rules that only fit the set they were tuned on: a rule is
kept on one set's evidence when switching it off does not raise that set's F1, and the rules
kept are then scored together on the other set, against all rules and against trafilatura.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from pipeline.clean import RULE_NAMES
from pipeline.evaluation.extraction import PageRun, clean_all, score_runs, score_trafilatura
from pipeline.evaluation.metric import GoldText, Score, gold_share


@dataclass
class RuleEvidence:
    rule: str
    lines: int = 0
    removed_chars: int = 0
    gold_chars: int = 0
    f1_without: float = 0.0
    gold_examples: list[str] = field(default_factory=list)

    @property
    def gold_fraction(self) -> float:
        return self.gold_chars / self.removed_chars if self.removed_chars else 0.0


@dataclass
class SetEvidence:
    name: str
    runs: list[PageRun]
    all_rules: Score
    rules: dict[str, RuleEvidence]

    @property
    def f1_all(self) -> float:
        return self.all_rules.f1

    def hurting(self) -> set[str]:
        """Rules whose removal raises this set's F1: what a fit on this set would drop."""
        return {name for name, e in self.rules.items() if e.f1_without > self.f1_all}


def collect(name: str, runs: list[PageRun], learn_sites: bool = True) -> SetEvidence:
    cleaned = clean_all(runs, learn_sites)
    evidence = {rule: RuleEvidence(rule) for rule in RULE_NAMES}
    for run, article in zip(runs, cleaned.articles, strict=True):
        if article is None:
            continue
        gold = GoldText.of(run.page.text)
        for removal in article.removals:
            entry = evidence.setdefault(removal.rule, RuleEvidence(removal.rule))
            share = gold_share(removal.text, gold)
            entry.lines += 1
            entry.removed_chars += len(removal.text)
            entry.gold_chars += round(share * len(removal.text))
            if share >= 0.5 and len(entry.gold_examples) < 3:
                entry.gold_examples.append(removal.text[:100])
    for rule, entry in evidence.items():
        if rule in RULE_NAMES:
            entry.f1_without = score_runs(runs, clean_all(runs, learn_sites, {rule})).f1
    return SetEvidence(name, runs, score_runs(runs, cleaned), evidence)


@dataclass(frozen=True)
class CrossFit:
    fitted_on: str
    checked_on: str
    dropped: frozenset[str]
    all_rules: Score
    kept_rules: Score
    trafilatura_precision: Score


def cross_fit(fit: SetEvidence, check: SetEvidence, learn_sites: bool = True) -> CrossFit:
    dropped = frozenset(fit.hurting())
    return CrossFit(
        fit.name,
        check.name,
        dropped,
        check.all_rules,
        score_runs(check.runs, clean_all(check.runs, learn_sites, dropped)),
        score_trafilatura(check.runs, favor_precision=True),
    )


def print_evidence(console: Console, sets: Sequence[SetEvidence], fits: Sequence[CrossFit]) -> None:
    table = Table(title="What each rule removes (characters), and F1 with the rule off")
    for column in ("rule", *(f"{s.name} {c}" for s in sets for c in ("removed", "gold", "F1 off"))):
        table.add_column(column, justify="left" if column == "rule" else "right")
    names = list(dict.fromkeys(rule for s in sets for rule in s.rules))
    for rule in names:
        cells: list[str] = []
        for evidence in sets:
            entry = evidence.rules.get(rule, RuleEvidence(rule))
            off = entry.f1_without - evidence.f1_all if rule in RULE_NAMES else None
            cells += [
                str(entry.removed_chars),
                f"{entry.gold_chars} ({entry.gold_fraction:.0%})" if entry.removed_chars else "0",
                f"{off:+.4f}" if off is not None else "n/a",
            ]
        table.add_row(rule, *cells)
    console.print(table)
    for evidence in sets:
        console.print(f"{evidence.name}: F1 with every rule {evidence.f1_all:.4f}")
        for entry in evidence.rules.values():
            if entry.gold_examples and entry.gold_fraction >= 0.2:
                shown = " | ".join(entry.gold_examples)
                console.print(f"  {entry.rule} removed gold text, e.g.: {shown}", markup=False)
    for fit in fits:
        console.print(
            f"fit on {fit.fitted_on}, checked on {fit.checked_on}: drops "
            f"{', '.join(sorted(fit.dropped)) or 'nothing'}; F1 {fit.kept_rules.f1:.4f} "
            f"(all rules {fit.all_rules.f1:.4f}, favor_precision "
            f"{fit.trafilatura_precision.f1:.4f}), recall {fit.kept_rules.recall:.4f}"
        )


def gold_by_rule(sets: Sequence[SetEvidence]) -> dict[str, dict[str, float]]:
    """rule -> set name -> share of removed characters that were gold (for tests and notes)."""
    shares: dict[str, dict[str, float]] = defaultdict(dict)
    for evidence in sets:
        for rule, entry in evidence.rules.items():
            if entry.removed_chars:
                shares[rule][evidence.name] = entry.gold_fraction
    return dict(shares)
