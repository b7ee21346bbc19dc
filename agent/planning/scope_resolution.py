"""Merchandise phrases -> catalog departments and categories, through the catalog lookup.

The catalog lookup ranks candidates with a score and the method that found them; this module
decides how many of them a phrase means and says so: a confident exact match is taken as is;
a synonym that names a family ("frozen food" -> every frozen category) is taken whole; a
plausible fuzzy or semantic match is taken with an assumption the operator sees; anything
weaker is not taken at all and becomes a question, because a wrong scope silently changes who
gets a coupon and what it costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from coupondesk.agent.planning.scope_phrases import ScopePhrase
from coupondesk.tools.catalog.lookup import CatalogMatch, catalog_lookup
from coupondesk.tools.catalog.text import split_parts
from sqlalchemy.orm import Session

CONFIDENT = 0.9
"""coupondesk.tools.catalog.lookup: >= 0.9 is a confident reading."""
PLAUSIBLE = 0.6
"""0.6-0.9 is plausible (taken, with an assumption); below that the operator is asked."""
_FAMILY_SPREAD = 0.1
"""Synonym targets of one phrase are ranked 0.99, 0.98...: all of them are the phrase."""
_NAMESAKE_SHARE = 0.5
"""An exact namesake much smaller than the best (COFFEE SHOP next to COFFEE) is left out."""


@dataclass
class PhraseScope:
    """What one phrase resolved to, and what the operator should be told about it."""

    phrase: str
    departments: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    note: str | None = None
    """An assumption to show (a synonym, fuzzy or semantic reading, a left-out namesake)."""

    @property
    def resolved(self) -> bool:
        return bool(self.departments or self.categories)


@dataclass
class Scope:
    """The union of several phrases' readings."""

    departments: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.departments and not self.categories

    def add(self, part: PhraseScope) -> None:
        for name in part.departments:
            if name not in self.departments:
                self.departments.append(name)
        for name in part.categories:
            if name not in self.categories:
                self.categories.append(name)
        if part.note and part.note not in self.notes:
            self.notes.append(part.note)
        if not part.resolved and part.phrase not in self.unresolved and not _fragment(part.phrase):
            self.unresolved.append(part.phrase)


def _fragment(phrase: str) -> bool:
    """One Chinese character that matched nothing is a leftover of segmentation (老 of 老顾客),
    not a product the operator named; it is not worth a question."""
    return len(phrase) == 1 and "\u3400" <= phrase <= "\u9fff"


def _describe(matches: list[CatalogMatch]) -> str:
    return ", ".join(f"{m.name} ({m.level})" for m in matches)


def _choose(phrase: str, matches: list[CatalogMatch], *, floor: float) -> PhraseScope:
    """The matches a phrase means (see the module docstring for the rules)."""
    result = PhraseScope(phrase)
    if not matches or matches[0].score < floor:
        return result
    best = matches[0]
    chosen = [best]
    left_out: list[CatalogMatch] = []
    for other in matches[1:]:
        family = (
            best.method == "synonym"
            and other.method == "synonym"
            and other.via == best.via
            and other.score >= best.score - _FAMILY_SPREAD
        )
        namesake = other.score == best.score and other.method == best.method
        if family or (namesake and other.product_count >= _NAMESAKE_SHARE * best.product_count):
            chosen.append(other)
        elif namesake:
            left_out.append(other)
    result.departments = [m.name for m in chosen if m.level == "department"]
    result.categories = [m.name for m in chosen if m.level == "category"]
    if best.method != "exact" or best.score < CONFIDENT or len(chosen) > 1:
        how = {
            "exact": "catalog name",
            "synonym": "synonym table",
            "fuzzy": "closest catalog spelling",
            "semantic": "closest catalog meaning",
        }[best.method]
        sure = "" if best.score >= CONFIDENT else f", score {best.score:.2f}"
        result.note = f"\"{phrase}\" read as {_describe(chosen)} ({how}{sure})"
    if left_out:
        extra = f"; not {_describe(left_out)}"
        result.note = (result.note or f"\"{phrase}\" read as {_describe(chosen)}") + extra
    return result


class ScopeResolver:
    """Looks phrases up once each (a request often names the same thing twice)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[tuple[str, bool], list[CatalogMatch]] = {}

    def lookup(self, phrase: str, *, semantic: bool) -> list[CatalogMatch]:
        key = (phrase.strip().lower(), semantic)
        if key not in self._cache:
            self._cache[key] = catalog_lookup(
                self.session, phrase, limit=8, semantic=None if semantic else False
            )
        return self._cache[key]

    def phrase(self, phrase: str, *, strict: bool = False) -> PhraseScope:
        """One phrase; `strict` (a phrase with no role cue) takes confident matches only and
        never asks the embedding model, so a stray word cannot become a scope."""
        floor = CONFIDENT if strict else PLAUSIBLE
        matches = self.lookup(phrase, semantic=not strict)
        whole = _choose(phrase, matches, floor=floor)
        parts = split_parts(phrase)
        whole_is_exact = bool(matches) and matches[0].method == "exact" and matches[0].via is None
        if parts and not whole_is_exact:
            combined = PhraseScope(phrase)
            notes: list[str] = []
            for part in parts:
                scoped = _choose(part, self.lookup(part, semantic=not strict), floor=floor)
                combined.departments += [d for d in scoped.departments
                                         if d not in combined.departments]
                combined.categories += [c for c in scoped.categories
                                        if c not in combined.categories]
                if scoped.note:
                    notes.append(scoped.note)
            if combined.resolved:
                combined.note = "; ".join(notes) or None
                return combined
        return whole

    def phrases(self, phrases: Sequence[str | ScopePhrase], *, strict: bool = False) -> Scope:
        """The union of several phrases' readings, with notes and the unresolved ones.

        A phrase that matches nothing is retried in its wider readings (ScopePhrase.alternatives)
        before it counts as unresolved.
        """
        scope = Scope()
        for item in phrases:
            text = item if isinstance(item, str) else item.text
            reading = self.phrase(text, strict=strict)
            wider = () if isinstance(item, str) else item.alternatives
            for alternative in wider if not reading.resolved else ():
                candidate = self.phrase(alternative, strict=strict)
                if candidate.resolved:
                    reading = candidate
                    break
            scope.add(reading)
        return scope
