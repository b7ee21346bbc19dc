"""The in-memory catalog index behind catalog lookups, built once per database catalog.

A lookup compares a phrase with every department, category and product type name (about
2,700 in The Complete Journey), so the names are tokenised once, with word statistics, a
commercial weight per department/category and the validated synonym table. The index is
cached per (database URL, product count, highest product id): a reload of the catalog gives a
new fingerprint and a fresh index.
"""

from __future__ import annotations

import math
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

from coupondesk.tools.catalog.text import has_cjk, normalise, segments, tokens
from coupondesk.tools.db.schema import CategoryPromotionWeek, Product
from sqlalchemy import func, select
from sqlalchemy.orm import Session

Level = Literal["department", "category"]
NameKey = tuple[Literal["department", "category", "type"], str]


@dataclass(frozen=True)
class Synonym:
    """One phrase of the synonym table and the catalog names it stands for, best first."""

    phrase: str
    key_tokens: tuple[str, ...]
    targets: tuple[tuple[Level, str], ...]


@dataclass
class CatalogIndex:
    """Names, word statistics, weights and synonyms of one catalog."""

    departments: dict[str, int]
    """department -> product count"""
    categories: dict[str, dict[str, int]]
    """category -> {department: product count} (a category name can span departments)"""
    types: dict[str, dict[str, int]]
    """product type -> {category: product count}"""
    tokens: dict[NameKey, tuple[str, ...]] = field(default_factory=dict)
    segments: dict[NameKey, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    postings: dict[str, list[NameKey]] = field(default_factory=dict)
    """word -> the names using it, so a lookup scores only names sharing a word."""
    idf: dict[str, float] = field(default_factory=dict)
    max_idf: float = 1.0
    """Weight of a word no catalog name uses (as rare as it gets)."""
    vocabulary: frozenset[str] = frozenset()
    weights: dict[tuple[Level, str], float] = field(default_factory=dict)
    """0..1 commercial weight of each department/category (see _weights)."""
    synonyms: list[Synonym] = field(default_factory=list)
    synonym_problems: list[str] = field(default_factory=list)
    typo_fixes: dict[str, str | None] = field(default_factory=dict)
    """Memo of word -> closest catalog word (difflib is the slow part of a lookup)."""

    def count(self, level: Level, name: str) -> int:
        """Products in a department or category."""
        if level == "department":
            return self.departments.get(name, 0)
        return sum(self.categories.get(name, {}).values())

    def holders(self, level: Level, name: str) -> list[str]:
        """The departments holding a category (largest first); a department holds itself."""
        if level == "department":
            return [name]
        held = self.categories.get(name, {})
        return sorted((d for d in held if d), key=lambda d: (-held[d], d))

    def prior(self, level: Level, name: str) -> float:
        """0..1 commercial weight: SOFT DRINKS 1, COFFEE ~0.5, bookkeeping rows ~0."""
        return self.weights.get((level, name), 0.0)

    def keys(self, *levels: Level) -> list[tuple[Level, str]]:
        """Every department and/or category key, in a stable order."""
        out: list[tuple[Level, str]] = []
        if "department" in levels:
            out += [("department", d) for d in sorted(self.departments)]
        if "category" in levels:
            out += [("category", c) for c in sorted(self.categories)]
        return out


_INDEXES: dict[tuple[str, int, int], CatalogIndex] = {}


def catalog_index(session: Session) -> CatalogIndex:
    """The (cached) index of the session's catalog."""
    count, top = session.execute(
        select(func.count(), func.coalesce(func.max(Product.product_id), 0))
    ).one()
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    key = (url, int(count), int(top))
    index = _INDEXES.get(key)
    if index is None:
        index = _build(session)
        _INDEXES[key] = index
    return index


def _build(session: Session) -> CatalogIndex:
    rows = session.execute(
        select(
            Product.department, Product.product_category, Product.product_type, func.count()
        ).group_by(Product.department, Product.product_category, Product.product_type)
    ).all()
    departments: dict[str, int] = defaultdict(int)
    categories: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    types: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for department, category, product_type, count in rows:
        if department:
            departments[department] += count
        if category:
            categories[category][department or ""] += count
            if product_type:
                types[product_type][category] += count
    index = CatalogIndex(
        departments=dict(departments),
        categories={c: dict(d) for c, d in categories.items()},
        types={t: dict(c) for t, c in types.items()},
    )
    names: list[NameKey] = [
        *(("department", d) for d in index.departments),
        *(("category", c) for c in index.categories),
        *(("type", t) for t in index.types),
    ]
    document_frequency: dict[str, int] = defaultdict(int)
    for key in names:
        words = tuple(tokens(key[1]))
        index.tokens[key] = words
        index.segments[key] = segments(key[1])
        for word in set(words):
            document_frequency[word] += 1
            index.postings.setdefault(word, []).append(key)
    total = len(names)
    index.idf = {w: math.log((1 + total) / (1 + df)) + 1.0 for w, df in document_frequency.items()}
    index.max_idf = max(index.idf.values(), default=1.0)
    index.vocabulary = frozenset(document_frequency)
    index.weights = _weights(session, index)
    index.synonyms, index.synonym_problems = _load_synonyms(index)
    return index


def _weights(session: Session, index: CatalogIndex) -> dict[tuple[Level, str], float]:
    """How much each department/category matters commercially, as (share of the largest)^0.25.

    Measured by in-store display + mailer activity (category_promotion_weeks: a few thousand
    rows, so this costs milliseconds where summing 1.47M sales lines costs seconds). The
    retailer promotes what sells, so COFFEE SHOP (a 3-product restaurant row) or
    COUPON/MISC ITEMS weigh almost nothing. Without promotion data, product counts stand in.
    """
    activity = CategoryPromotionWeek.display_rows + CategoryPromotionWeek.mailer_rows
    rows = session.execute(
        select(
            CategoryPromotionWeek.department,
            CategoryPromotionWeek.product_category,
            func.sum(activity),
        ).group_by(CategoryPromotionWeek.department, CategoryPromotionWeek.product_category)
    ).all()
    raw: dict[tuple[Level, str], float] = defaultdict(float)
    if rows:
        for department, category, amount in rows:
            raw[("category", category)] += float(amount or 0)
            raw[("department", department)] += float(amount or 0)
    else:
        for level, name in index.keys("department", "category"):
            raw[(level, name)] = float(index.count(level, name))
    weights: dict[tuple[Level, str], float] = {}
    for wanted in ("department", "category"):
        top = max((v for (level, _n), v in raw.items() if level == wanted), default=0.0)
        for (level, name), value in raw.items():
            if level == wanted and top > 0:
                weights[(level, name)] = (value / top) ** 0.25
    return weights


def _load_synonyms(index: CatalogIndex) -> tuple[list[Synonym], list[str]]:
    """The synonym table with targets this catalog lacks dropped (and reported)."""
    source = resources.files("coupondesk.tools.catalog").joinpath("synonyms.toml")
    text = source.read_text(encoding="utf-8")
    synonyms: list[Synonym] = []
    problems: list[str] = []
    for entry in tomllib.loads(text).get("entry", []):
        label = entry["phrases"][0]
        targets: list[tuple[Level, str]] = []
        # Departments first when an entry names both: they are the broader reading.
        for name in entry.get("departments", []):
            if name in index.departments:
                targets.append(("department", name))
            else:
                problems.append(f"synonym {label!r}: no department {name!r}")
        for name in entry.get("categories", []):
            if name in index.categories:
                targets.append(("category", name))
            else:
                problems.append(f"synonym {label!r}: no category {name!r}")
        if not targets:
            continue
        for phrase in entry["phrases"]:
            key_tokens = () if has_cjk(phrase) else tuple(tokens(phrase))
            synonyms.append(Synonym(normalise(phrase), key_tokens, tuple(targets)))
    return synonyms, problems
