"""Text normalisation for catalog matching: tokens, abbreviations, plural folding, CJK detection.

The catalog spells names the way a 1990s POS system did ("FRZN MEAT/MEAT DINNERS",
"SALD DRSNG/SNDWCH SPRD"), while operators write "frozen meat dinners buyers". Both sides are
reduced to the same tokens here: lower case, punctuation split, abbreviations expanded, plurals
folded, and words that say *who* rather than *what* ("buyers", "lovers", "lapsed") dropped.
"""

from __future__ import annotations

import re
import unicodedata

from coupondesk.tools.language import has_chinese

# fmt: off
ABBREVIATIONS: dict[str, str] = {
    "frzn": "frozen", "bkd": "baked", "fd": "food", "misc": "miscellaneous",
    "refrgratd": "refrigerated", "drnks": "drinks", "drnk": "drink", "drsng": "dressing",
    "sald": "salad", "sndwch": "sandwich", "sprd": "spread", "brkfst": "breakfast",
    "whlsm": "wholesome", "pnt": "peanut", "btr": "butter", "mxs": "mixes", "mx": "mix",
    "mixs": "mixes", "pwdr": "powder", "crystl": "crystal", "jce": "juice", "conc": "concentrate",
    "dsh": "dishes", "veg": "vegetable", "bn": "bean", "cleang": "cleaning", "tiss": "tissue",
    "dnr": "dinner", "trsh": "trash", "bg": "bag", "wtr": "water", "sherbts": "sherbets",
    "snks": "snacks", "ckys": "cookies", "crkr": "crackers", "cndy": "candy", "ndairy": "nondairy",
    "sod": "soda", "pkld": "pickled", "flvrd": "flavored", "flvr": "flavor",
    "hbc": "health beauty care", "gm": "general merchandise", "pkgd": "packaged",
    "pckgd": "packaged", "pkg": "package", "mw": "microwave", "sply": "supplies", "rw": "raw",
    "suppplies": "supplies", "mfg": "manufacturer", "disposible": "disposable",
    "memorablilia": "memorabilia", "sweetners": "sweeteners", "cntrl": "central",
    "elect": "electrical", "sup": "supplies", "sce": "sauce", "marina": "marinade", "sw": "sweet",
    "gds": "goods", "sv": "service", "bev": "beverage", "grnd": "ground", "reg": "regular",
    "frz": "frozen", "whs": "warehouse", "cnd": "canned", "prod": "produce",
}
# fmt: on
"""Catalog abbreviations seen in The Complete Journey's department/category/type names."""

STOPWORDS: frozenset[str] = frozenset(
    """
    a an the and or of for in on at to with from by who that which their them all any other
    others item items product products stuff goods thing things section aisle aisles
    department departments dept category categories type types kind kinds etc buyer buyers
    shopper shoppers customer customers household households people person family families
    user users fan fans lover lovers regular regulars owner owners client clients member
    members consumer consumers purchaser purchasers bought buy buys buying purchase purchased
    purchasing shopped shopping miscellaneous lapsed active inactive recent recently loyal
    frequent heavy light former past new occasional big top best usual
    """.split()  # noqa: SIM905 - a word list reads best as words
)
"""Words that describe the shopper, the request or nothing at all, not the merchandise.

("goods" is here because "baked goods" and "sweet goods" are matched through their other word.)
"""

CONJUNCTION_SPLIT = re.compile(r"\s*(?:,|;|\+|\band\b|\bor\b|\bplus\b|和|及|与|或|、|，)\s*")
"""Where an operator's phrase lists several things ("shampoo and hair care", "咖啡和茶")."""

NOT_MERCHANDISE = re.compile(
    r"COUPON|DEPOSIT|^MISC(ELLANEOUS)?$|PROD SUPPLIES|STORE SUP|WHS SALES|MERCH EXP|CHARITABLE"
    r"|POSTAL|CONTINUITIES|DOLLAR VALUE|^FUEL$|KIOSK"
)
"""Catalog rows that are bookkeeping (coupons, deposits, fuel, misc), not merchandise: never
offered by meaning alone, and left out of "what do they buy" summaries."""

_PUNCT = re.compile(r"[^\w\s]|_")
has_cjk = has_chinese
"""True when the text contains Chinese characters (coupondesk.tools.language's rule)."""


def is_merchandise(name: str) -> bool:
    """False for bookkeeping rows such as COUPON/MISC ITEMS or MISCELLANEOUS."""
    return not NOT_MERCHANDISE.search(name.upper())


def normalise(text: str) -> str:
    """NFKC, lower case, punctuation to spaces, single spaces (full-width forms folded)."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return " ".join(_PUNCT.sub(" ", folded).split())


def stem(word: str) -> str:
    """Fold English plurals so "cookies"/"cookie", "potatoes"/"potato" meet (both sides alike)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("ie"):
        return word[:-2] + "y"
    if word.endswith(("oes", "sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("ss") or word.endswith("us"):
        return word
    if word.endswith("s"):
        return word[:-1]
    return word


def tokens(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Normalised, abbreviation-expanded, plural-folded tokens (stopwords dropped by default)."""
    out: list[str] = []
    for raw in normalise(text).split():
        for word in ABBREVIATIONS.get(raw, raw).split():
            if not keep_stopwords and word in STOPWORDS:
                continue
            out.append(stem(word))
    return out


def readable(name: str) -> str:
    """A catalog name spelled out for a sentence encoder ("FRZN MEAT/MEAT DINNERS" ->
    "frozen meat meat dinners")."""
    words = [ABBREVIATIONS.get(w, w) for w in normalise(name).split()]
    return " ".join(words)


def segments(name: str) -> tuple[tuple[str, ...], ...]:
    """The alternatives a catalog name lists: "COOKIES/CONES" is cookies or cones."""
    return tuple(t for part in name.split("/") if (t := tuple(tokens(part))))


def split_parts(phrase: str) -> list[str]:
    """The listed parts of a phrase ("shampoo and hair care" -> ["shampoo", "hair care"])."""
    parts = [p.strip() for p in CONJUNCTION_SPLIT.split(phrase) if p and p.strip()]
    return parts if len(parts) > 1 else []
