"""Catalog lookup: an operator's phrase -> real departments and categories, with scores.

"coffee", "frozen meat dinners", "shampoo", "bakery items", "猫粮" and "BBQ lovers" all have to
land on names that exist in *this* database's catalog, in its spelling, because offers and
audiences are matched on those names. Four methods, each candidate labelled with the one that
found it so a planner can decide or ask:

- exact: the same words once case, punctuation, abbreviations and plurals are normalised
  ("frozen meat dinners" = "FRZN MEAT/MEAT DINNERS"), or exactly one listed alternative of a
  name ("crackers" in "CRACKERS/MISC BKD FD"); a product type named exactly ("shampoo") maps
  up to the category holding most of those products (HAIR CARE PRODUCTS).
- synonym: tools/catalog/synonyms.toml (EN + ZH), targets validated against the catalog.
- fuzzy: weighted word overlap (rare words count more, typos tolerated) over department,
  category and product type names.
- semantic: all-MiniLM-L6-v2 similarity to each merchandise name and to the synonym phrases,
  weighted by commercial size so tiny junk rows do not win. Used when nothing lexical scores
  0.8, or when asked for.

Scores are in [0, 1]: >= 0.9 is a confident reading, 0.6-0.9 plausible, below that the planner
should ask. A long phrase (a whole request) is also scanned for short catalog mentions.
"""

from __future__ import annotations

import difflib
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from coupondesk.tools.catalog.index import CatalogIndex, Level, NameKey, catalog_index
from coupondesk.tools.catalog.text import (
    has_cjk,
    is_merchandise,
    normalise,
    readable,
    split_parts,
    tokens,
)
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

MatchMethod = Literal["exact", "synonym", "fuzzy", "semantic"]

_METHOD_RANK: dict[str, int] = {"exact": 0, "synonym": 1, "fuzzy": 2, "semantic": 3}
_MIN_LEXICAL = 0.45
_SEMANTIC_WHEN_BELOW = 0.8
_SEMANTIC_MIN = 0.3
_SEMANTIC_CAP = 0.85
_ANCHOR_MIN = 0.5
_SCAN_MIN_WORDS = 4
_SEMANTIC_MAX_WORDS = 5


class CatalogMatch(BaseModel):
    """One candidate reading of a phrase: a department or category in catalog spelling."""

    model_config = ConfigDict(frozen=True)

    name: str
    """Catalog spelling, ready for Offer.departments/categories and Audience scopes."""
    level: Level
    score: float
    method: MatchMethod
    departments: list[str]
    """For a category, the departments that hold it (a name can span several)."""
    product_count: int
    via: str | None = None
    """What matched: a product type, a synonym phrase, or the part of a longer phrase."""


class CatalogEntry(BaseModel):
    """A department or category with its size, for planners that show or choose names."""

    model_config = ConfigDict(frozen=True)

    name: str
    level: Level
    product_count: int
    departments: list[str]


class CatalogNames(BaseModel):
    """Every department and category of the catalog, largest first."""

    departments: list[CatalogEntry]
    categories: list[CatalogEntry]


@dataclass(frozen=True)
class _Hit:
    level: Level
    name: str
    score: float
    method: MatchMethod
    via: str | None = None

    def scaled(self, factor: float, via: str | None = None) -> _Hit:
        return _Hit(
            self.level, self.name, round(self.score * factor, 4), self.method, self.via or via
        )


# --------------------------------------------------------------------------- word matching


def _corrections(index: CatalogIndex, words: list[str]) -> dict[str, str]:
    """Typo fixes for words the catalog never uses ("cofee" -> "coffee"), memoised."""
    fixes: dict[str, str] = {}
    for word in words:
        if word in index.vocabulary or len(word) < 4 or not word.isalpha():
            continue
        if word not in index.typo_fixes:
            close = difflib.get_close_matches(word, index.vocabulary, n=1, cutoff=0.85)
            index.typo_fixes[word] = close[0] if close else None
        fixed = index.typo_fixes[word]
        if fixed is not None:
            fixes[word] = fixed
    return fixes


def _similarity(
    index: CatalogIndex, phrase: list[str], name: tuple[str, ...], fixes: dict[str, str]
) -> float:
    """Weighted two-way word overlap: phrase words found in the name (typos count 0.8),
    scaled by how much of the name they cover; 1.0 means the same words. Rare words weigh
    more (idf), so "hair care" matches HAIR CARE PRODUCTS on "hair", not on "care"."""
    if not phrase or not name:
        return 0.0
    if "".join(phrase) == "".join(name):  # "babyfood" vs "baby food"
        return 1.0
    idf, unseen = index.idf, index.max_idf
    name_set = set(name)
    phrase_total = sum(idf.get(w, unseen) for w in phrase)
    found = sum(
        idf.get(w, unseen) * (1.0 if w in name_set else 0.8 if fixes.get(w) in name_set else 0.0)
        for w in phrase
    )
    if found == 0.0:
        return 0.0
    used = set(phrase) | {fixes[w] for w in phrase if w in fixes}
    name_total = sum(idf.get(w, unseen) for w in name)
    name_cover = sum(idf.get(w, unseen) for w in name if w in used) / name_total
    return (found / phrase_total) * (0.55 + 0.45 * name_cover)


def _candidates(index: CatalogIndex, words: list[str], fixes: dict[str, str]) -> list[NameKey]:
    """Names sharing at least one (possibly typo-fixed) word with the phrase, in stable order."""
    found: dict[NameKey, None] = {}
    lookups = [*words, *fixes.values()]
    if len(words) > 1:
        lookups.append("".join(words))  # "baby food" may be spelled "BABYFOOD"
    for word in lookups:
        for key in index.postings.get(word, []):
            found[key] = None
    return list(found)


def _name_score(
    index: CatalogIndex, words: list[str], key: NameKey, fixes: dict[str, str]
) -> tuple[float, MatchMethod] | None:
    """How well the words name one catalog row, before size weighting.

    1.0 exact: the same words. 0.98 and down, exact: the words of one listed alternative
    ("crackers" in CRACKERS/MISC BKD FD; more alternatives = less specific). Otherwise the
    fuzzy overlap when it reaches _MIN_LEXICAL.
    """
    name_words = index.tokens[key]
    similarity = _similarity(index, words, name_words, fixes)
    if similarity >= 1.0 or set(words) == set(name_words):
        return 1.0, "exact"
    parts = index.segments[key]
    if len(parts) > 1 and any(set(part) == set(words) for part in parts):
        return 0.98 - 0.02 * (len(parts) - 2), "exact"
    if similarity >= _MIN_LEXICAL:
        return similarity, "fuzzy"
    return None


def _lexical_hits(index: CatalogIndex, phrase: str) -> list[_Hit]:
    """Exact and fuzzy hits on department/category names, and product types mapped up."""
    words = tokens(phrase)
    if not words:
        return []
    fixes = _corrections(index, words)
    candidates = _candidates(index, words, fixes)
    hits: list[_Hit] = []
    type_names: list[str] = []
    for kind, name in candidates:
        if kind == "type":
            type_names.append(name)
            continue
        level: Level = kind
        scored = _name_score(index, words, (level, name), fixes)
        if scored is None:
            continue
        similarity, method = scored
        prior = index.prior(level, name)
        if similarity >= 1.0:
            score = 1.0
        elif method == "exact":  # one listed alternative: a tiny row loses up to 0.15
            score = similarity - 0.15 * (1.0 - prior)
        else:
            score = 0.9 * similarity * (0.85 + 0.15 * prior)
        hits.append(_Hit(level, name, round(score, 4), method))
    return hits + _type_hits(index, words, fixes, type_names)


def _type_hits(
    index: CatalogIndex, words: list[str], fixes: dict[str, str], type_names: list[str]
) -> list[_Hit]:
    """Product types matching the phrase, credited to categories by how many products match.

    "shampoo" names a product type, not a category; the category holding most shampoo
    (HAIR CARE PRODUCTS, 592 products) wins over one holding a stray few (BABY HBC, 4).
    """
    mass: dict[str, float] = defaultdict(float)
    best: dict[str, tuple[float, str]] = {}
    for product_type in type_names:
        scored = _name_score(index, words, ("type", product_type), fixes)
        if scored is None or scored[0] < 0.6:
            continue
        similarity = scored[0]
        for category, count in index.types[product_type].items():
            mass[category] += count * similarity
            if similarity > best.get(category, (0.0, ""))[0]:
                best[category] = (similarity, product_type)
    if not mass:
        return []
    top = max(mass.values())
    hits: list[_Hit] = []
    for category, weight in mass.items():
        similarity, product_type = best[category]
        share = weight / top
        size = 0.85 + 0.15 * index.prior("category", category)
        score = 0.9 * similarity * (0.4 + 0.6 * share) * size
        if score >= _MIN_LEXICAL:
            method: MatchMethod = "exact" if similarity >= 1.0 and share >= 0.5 else "fuzzy"
            hits.append(
                _Hit("category", category, round(score, 4), method, f"product type {product_type}")
            )
    return hits


# --------------------------------------------------------------------------- synonyms


def _synonym_hits(index: CatalogIndex, phrase: str) -> tuple[list[_Hit], bool]:
    """Table hits, and whether the whole phrase is a table entry (then the table leads).

    English entries match as whole words inside the phrase ("frozen food buyers"); Chinese
    entries as substrings ("买过尿布的家庭"), keeping only the longest of nested keys.
    """
    cjk = has_cjk(phrase)
    text = normalise(phrase)
    words = tuple(tokens(phrase))
    hits: list[_Hit] = []
    whole = False
    matched_keys: list[str] = []
    for synonym in index.synonyms:
        if cjk:
            if synonym.key_tokens or synonym.phrase not in text:
                continue
            exact = synonym.phrase == text
            score = 0.99 if exact else 0.9
            matched_keys.append(synonym.phrase)
        else:
            key = synonym.key_tokens
            if not key or not _contains(words, key):
                continue
            exact = key == words
            score = 0.99 if exact else 0.9 * math.sqrt(len(key) / len(words))
        whole = whole or exact
        for rank, (level, name) in enumerate(synonym.targets):
            hits.append(_Hit(level, name, round(score - 0.01 * rank, 4), "synonym", synonym.phrase))
    if cjk:
        nested = {k for k in matched_keys for other in matched_keys if k != other and k in other}
        hits = [h for h in hits if h.via not in nested]
    return hits, whole


def _contains(words: tuple[str, ...], key: tuple[str, ...]) -> bool:
    size = len(key)
    return any(words[i : i + size] == key for i in range(len(words) - size + 1))


# --------------------------------------------------------------------------- semantic


def _semantic_rows(index: CatalogIndex) -> list[tuple[Level, str, str]]:
    """One text per merchandise department/category: its name spelled out.

    Plain names beat richer descriptions (name + main product types) on a hand-labelled set
    of 16 phrases (29 vs 24 of 80 top-5 slots) and encode 5x faster: this catalog's product
    types are noisy enough ("seasonal candy bags" under COLD CEREAL) to pull vectors off topic.
    """
    return [
        (level, name, readable(name))
        for level, name in index.keys("department", "category")
        if is_merchandise(name) and index.count(level, name) >= 3
    ]


def _semantic_hits(index: CatalogIndex, phrase: str, limit: int) -> list[_Hit]:
    """Candidates by meaning: near a catalog name, or near a curated synonym phrase.

    The synonym phrases double as anchors: "healthy eating" is far from every catalog name
    but close to the table's "health food" (cosine 0.77), whose targets are known good.
    """
    from coupondesk.tools.catalog import semantic as catalog_semantic

    # The whole phrase, not its content words: "new parents" means more than "parent".
    query = catalog_semantic.encode([normalise(phrase)])[0]
    return semantic_candidates(index, query, limit=limit)


def semantic_candidates(
    index: CatalogIndex,
    query: npt.NDArray[np.float32],
    *,
    limit: int,
    left_out: frozenset[tuple[Level, str]] = frozenset(),
    left_out_entries: frozenset[int] = frozenset(),
) -> list[_Hit]:
    """The semantic candidates of one encoded phrase, best first.

    `left_out` names and synonym `left_out_entries` are treated as absent from the catalog and
    the table: coupondesk.tools.catalog.calibration asks what the matcher would say if the
    catalog lacked the right answer, or the table lacked the phrase.
    """
    from coupondesk.tools.catalog import semantic as catalog_semantic

    rows = _semantic_rows(index)
    anchors = [s for s in index.synonyms if s.key_tokens]
    texts = tuple(text for _level, _name, text in rows) + tuple(s.phrase for s in anchors)
    if not texts:
        return []
    similarities = catalog_semantic.encode_cached(texts) @ query
    hits: list[_Hit] = []
    for (level, name, _text), cosine in zip(rows, similarities[: len(rows)], strict=True):
        if (level, name) in left_out:
            continue
        score = float(cosine) * (0.7 + 0.3 * index.prior(level, name))
        if score >= _SEMANTIC_MIN:
            hits.append(_Hit(level, name, round(min(score, _SEMANTIC_CAP), 4), "semantic"))
    for synonym, cosine in zip(anchors, similarities[len(rows) :], strict=True):
        if cosine < _ANCHOR_MIN or synonym.entry in left_out_entries:
            continue
        for rank, (level, name) in enumerate(synonym.targets):
            score = min(float(cosine) * 0.95, _SEMANTIC_CAP) - 0.01 * rank
            if (level, name) not in left_out:
                hits.append(
                    _Hit(level, name, round(score, 4), "semantic", f"like {synonym.phrase!r}")
                )
    return sorted(_merge(hits).values(), key=lambda h: -h.score)[: max(limit, 5)]


# --------------------------------------------------------------------------- combining


def _merge(hits: list[_Hit]) -> dict[tuple[Level, str], _Hit]:
    """One hit per catalog name: the best score (the stronger method on a tie)."""
    merged: dict[tuple[Level, str], _Hit] = {}
    for hit in hits:
        key = (hit.level, hit.name)
        current = merged.get(key)
        if current is None or (hit.score, -_METHOD_RANK[hit.method]) > (
            current.score,
            -_METHOD_RANK[current.method],
        ):
            merged[key] = hit
    return merged


def _phrase_hits(index: CatalogIndex, phrase: str) -> list[_Hit]:
    synonyms, whole = _synonym_hits(index, phrase)
    lexical = [] if has_cjk(phrase) else _lexical_hits(index, phrase)
    if whole:  # the curated table leads; plain-spelling hits stay as alternatives
        lexical = [_Hit(h.level, h.name, min(h.score, 0.94), h.method, h.via) for h in lexical]
    return synonyms + lexical


def _mention_hits(index: CatalogIndex, phrase: str) -> list[_Hit]:
    """Strong hits of 1-3 word windows of a long phrase (a whole request names its products
    among numbers and conditions: "25 percent off cookies ... budget 1.2k")."""
    words = [w for w in normalise(phrase).split() if w.isalpha() and tokens(w)]
    hits: list[_Hit] = []
    for size in (1, 2, 3):
        for start in range(len(words) - size + 1):
            chunk = words[start : start + size]
            if len(set(chunk)) < size:  # "cookies ... cookies" says nothing new
                continue
            window = " ".join(chunk)
            strong = [h for h in _phrase_hits(index, window) if h.score >= 0.9]
            # Longer windows are more specific: "frozen meat dinners" over "frozen meat".
            hits += [h.scaled(0.86 + 0.02 * size, window) for h in strong]
    return hits


def catalog_lookup(
    session: Session, phrase: str, *, limit: int = 5, semantic: bool | None = None
) -> list[CatalogMatch]:
    """Catalog departments/categories a phrase most likely means, best first.

    `semantic`: None = only for a short phrase (<= 5 content words) when nothing lexical
    scores 0.8 (the model loads only when needed), True = always add semantic candidates,
    False = never. A listed phrase ("coffee
    and tea") is also looked up part by part, and a long one scanned for short mentions.
    """
    text = phrase.strip()
    if not text:
        return []
    index = catalog_index(session)
    hits = _phrase_hits(index, text)
    for part in split_parts(text):
        hits += [h.scaled(1.0, part) for h in _phrase_hits(index, part)]
    if not has_cjk(text) and len(tokens(text)) >= _SCAN_MIN_WORDS:
        hits += _mention_hits(index, text)
    best = max((h.score for h in hits), default=0.0)
    short = len(tokens(text)) <= _SEMANTIC_MAX_WORDS  # a whole request has no one meaning
    wants = semantic is True or (semantic is None and short and best < _SEMANTIC_WHEN_BELOW)
    if wants and tokens(text) and not has_cjk(text):  # MiniLM-L6 is English-only
        hits += _semantic_hits(index, text, limit)
    ranked = sorted(
        _merge(hits).values(),
        key=lambda h: (-h.score, _METHOD_RANK[h.method], h.level != "department", h.name),
    )
    return [
        CatalogMatch(
            name=h.name,
            level=h.level,
            score=round(h.score, 3),
            method=h.method,
            departments=index.holders(h.level, h.name),
            product_count=index.count(h.level, h.name),
            via=h.via,
        )
        for h in ranked[:limit]
    ]


def catalog_names(session: Session) -> CatalogNames:
    """Every department and category with product counts (what a planner may choose from)."""
    index = catalog_index(session)

    def entry(level: Level, name: str) -> CatalogEntry:
        return CatalogEntry(
            name=name,
            level=level,
            product_count=index.count(level, name),
            departments=index.holders(level, name),
        )

    def by_size(entries: list[CatalogEntry]) -> list[CatalogEntry]:
        return sorted(entries, key=lambda e: (-e.product_count, e.name))

    return CatalogNames(
        departments=by_size([entry(lv, n) for lv, n in index.keys("department")]),
        categories=by_size([entry(lv, n) for lv, n in index.keys("category")]),
    )


def synonym_problems(session: Session) -> list[str]:
    """Synonym-table targets this catalog lacks (dropped from lookups; for health checks)."""
    return list(catalog_index(session).synonym_problems)
