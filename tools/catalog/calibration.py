"""How sure a semantic catalog match must be before the planner takes it without asking.

The embedding matcher always returns *something*: asked for "flowers" in a catalog without a
floral section it still ranks the nearest names (a sausage category, say), with a score. The
planner takes a semantic reading only at or above `SEMANTIC_ACCEPT`; below it, the operator is
asked, with the top candidates listed. The threshold is measured, not guessed, on a labelled
set built from the catalog itself and its curated synonym table, in two runs per phrase:

- "catalog has it": each English phrase of tools/catalog/synonyms.toml, with its whole
  [[entry]] (and every entry sharing a target) left out of the anchors, so the matcher sees a
  phrase no table covers; plus each sizeable product type (>= 30 products, >= 80% of them in one
  merchandise category), spelled out. Only phrases sharing no word with any department or
  category name are kept: the others are read by spelling, and the matcher never sees them.
  The reading is right when the top candidate is one of the entry's targets, a category
  inside a target department or a department holding a target category; for a product type,
  its category or that category's department.
- "catalog lacks it": the same phrases with every right answer (the targets, their holding
  departments, the categories inside target departments) left out of the catalog as well.
  Whatever the matcher then ranks first is wrong by construction: the "flowers -> sausage" case.

Each run yields the top candidate's score and whether it is right. `calibrate` picks the
lowest threshold at which at most `MAX_WRONG_SHARE` of the readings it would accept are wrong
(both runs pooled, each phrase weighing the same in both), and reports how many right readings
it keeps. `SEMANTIC_ACCEPT` in coupondesk.agent.planning.scope_resolution is that figure,
measured on The Complete Journey's catalog (tests/queries/test_catalog.py checks that it still
holds on the test database's catalog).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coupondesk.tools.catalog.index import CatalogIndex, Level, catalog_index
from coupondesk.tools.catalog.lookup import semantic_candidates
from coupondesk.tools.catalog.text import has_cjk, is_merchandise, normalise, readable, tokens
from sqlalchemy.orm import Session

MAX_WRONG_SHARE = 0.1
"""A scope taken silently may be wrong at most one time in ten; below that, ask."""
_MIN_TYPE_PRODUCTS = 30
_MIN_TYPE_SHARE = 0.8


@dataclass(frozen=True)
class LabelledPhrase:
    """A phrase and the catalog names that are a right reading of it."""

    phrase: str
    source: str
    """"synonym" (operator vocabulary from the table) or "product type" (catalog vocabulary)."""
    right: frozenset[tuple[Level, str]]
    left_out_entries: frozenset[int]
    """Synonym entries hidden in both runs (the phrase's own and those sharing its targets)."""


@dataclass(frozen=True)
class Reading:
    """The top semantic candidate of one run."""

    phrase: str
    run: str
    """"has" (the right answer is in the catalog) or "lacks" (it was left out)."""
    score: float
    name: str
    right: bool


@dataclass
class Calibration:
    """Every reading, and the threshold chosen from them."""

    readings: list[Reading] = field(default_factory=list)
    threshold: float = 1.0

    def at(self, threshold: float) -> tuple[int, int, int]:
        """(right readings accepted, wrong readings accepted, right readings in all)."""
        accepted = [r for r in self.readings if r.score >= threshold]
        right = sum(r.right for r in accepted)
        return right, len(accepted) - right, sum(r.right for r in self.readings)


def _right_names(index: CatalogIndex, targets: set[tuple[Level, str]]) -> set[tuple[Level, str]]:
    """Targets, categories inside a target department (narrower) and the departments holding
    a target category (broader: "steak" read as MEAT is wide, not wrong)."""
    right = set(targets)
    departments = {name for level, name in targets if level == "department"}
    for level, name in index.keys("category"):
        if departments & set(index.holders(level, name)):
            right.add((level, name))
    for level, name in targets:
        if level == "category":
            right |= {("department", d) for d in index.holders(level, name)}
    return right


def labelled_phrases(index: CatalogIndex) -> list[LabelledPhrase]:
    """The labelled set (see the module docstring), in a stable order."""
    entries: dict[int, set[tuple[Level, str]]] = {}
    phrases: dict[int, list[str]] = {}
    for synonym in index.synonyms:
        entries.setdefault(synonym.entry, set()).update(synonym.targets)
        if synonym.key_tokens and not has_cjk(synonym.phrase):
            phrases.setdefault(synonym.entry, []).append(synonym.phrase)
    named = {word for key, words in index.tokens.items() if key[0] != "type" for word in words}
    out: list[LabelledPhrase] = []
    for number, texts in sorted(phrases.items()):
        texts = [t for t in texts if not set(tokens(t)) & named]
        targets = entries[number]
        sharing = frozenset(n for n, t in entries.items() if t & targets)
        right = frozenset(_right_names(index, targets))
        out += [LabelledPhrase(text, "synonym", right, sharing) for text in texts]
    for product_type, holders in sorted(index.types.items()):
        total = sum(holders.values())
        category, count = max(holders.items(), key=lambda kv: (kv[1], kv[0]))
        if total < _MIN_TYPE_PRODUCTS or count < _MIN_TYPE_SHARE * total:
            continue
        if not is_merchandise(category) or not is_merchandise(product_type):
            continue
        if set(tokens(product_type)) & named or not tokens(product_type):
            continue
        holding: set[tuple[Level, str]] = {("category", category)} | {
            ("department", d) for d in index.holders("category", category)
        }
        sharing = frozenset(s.entry for s in index.synonyms if set(s.targets) & holding)
        out.append(LabelledPhrase(readable(product_type), "product type", frozenset(holding),
                                  sharing))
    return out


def _top(
    index: CatalogIndex, phrase: LabelledPhrase, query: object, *, run: str
) -> Reading | None:
    left_out: frozenset[tuple[Level, str]] = frozenset()
    if run == "lacks":
        holders: set[tuple[Level, str]] = {
            ("department", d) for level, name in phrase.right if level == "category"
            for d in index.holders(level, name)
        }
        left_out = phrase.right | frozenset(holders)
    hits = semantic_candidates(index, query, limit=1, left_out=left_out,  # type: ignore[arg-type]
                               left_out_entries=phrase.left_out_entries)
    if not hits:
        return None
    top = hits[0]
    return Reading(phrase.phrase, run, top.score, top.name,
                   run == "has" and (top.level, top.name) in phrase.right)


def calibrate(session: Session) -> Calibration:
    """Score the labelled set on this catalog and choose the threshold (module docstring)."""
    from coupondesk.tools.catalog import semantic as catalog_semantic

    index = catalog_index(session)
    phrases = labelled_phrases(index)
    queries = catalog_semantic.encode([normalise(p.phrase) for p in phrases])
    result = Calibration()
    for phrase, query in zip(phrases, queries, strict=True):
        for run in ("has", "lacks"):
            reading = _top(index, phrase, query, run=run)
            if reading is not None:
                result.readings.append(reading)
    result.threshold = choose_threshold(result.readings)
    return result


def choose_threshold(readings: list[Reading], *, max_wrong: float = MAX_WRONG_SHARE) -> float:
    """The lowest score at which at most `max_wrong` of the accepted readings are wrong."""
    for candidate in sorted({r.score for r in readings}):
        accepted = [r for r in readings if r.score >= candidate]
        wrong = sum(not r.right for r in accepted)
        if accepted and wrong <= max_wrong * len(accepted):
            return candidate
    return 1.0
