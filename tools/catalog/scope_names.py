"""Customer-facing names for what an offer covers ("FRZN MEAT/MEAT DINNERS" → "frozen meat and
meat dinners"; storewide → "everything in store" / "全场商品").

Catalog spellings are upper-case and abbreviated; copy and prompts need words a shopper (and a
small model) understands. Chinese copy names a few common departments and categories and
otherwise uses 指定商品 ("selected items"), the standard wording on Chinese coupons, because
the catalog has no Chinese names.
"""

from __future__ import annotations

import re

from coupondesk.tools.campaigns.offer import Offer

STOREWIDE_EN = "everything in store"
STOREWIDE_ZH = "全场商品"
SELECTED_ZH = "指定商品"

_ABBREVIATIONS = {
    "FRZN": "frozen",
    "BKD": "baked",
    "FD": "food",
    "FDS": "foods",
    "MISC": "",
    "PRODUCTS": "",
    "PRODUCT": "",
    "GM": "general merchandise",
    "&": "and",
    "W/": "with",
    "VEG": "vegetables",
    "REFRGRATD": "refrigerated",
    "REFRG": "refrigerated",
    "ACCS": "accessories",
    "CONDIMENTS/SAUCES": "condiments and sauces",
}

_ZH_NAMES = {
    "SOUP": "汤品",
    "DELI": "熟食",
    "PRODUCE": "生鲜果蔬",
    "MEAT": "肉类",
    "BEEF": "牛肉",
    "PORK": "猪肉",
    "CHICKEN": "鸡肉",
    "SEAFOOD": "海鲜",
    "PASTRY": "烘焙",
    "BAKED BREAD/BUNS/ROLLS": "面包",
    "COOKIES/CONES": "饼干",
    "CRACKERS/MISC BKD FD": "饼干",
    "FLUID MILK PRODUCTS": "牛奶",
    "CHEESE": "奶酪",
    "EGGS": "鸡蛋",
    "COFFEE": "咖啡",
    "TEAS": "茶叶",
    "SOFT DRINKS": "饮料",
    "BEVERAGE": "饮料",
    "BABY FOODS": "婴儿食品",
    "DIAPERS & DISPOSABLES": "纸尿裤",
    "PET CARE SUPPLIES": "宠物用品",
    "HAIR CARE PRODUCTS": "洗护用品",
    "FROZEN PIZZA": "冷冻披萨",
    "FRZN MEAT/MEAT DINNERS": "冷冻肉食",
    "POTATOES": "土豆",
    "GROCERY": "食品杂货",
    "DRUG GM": "日用百货",
}


def friendly_name(catalog_name: str) -> str:
    """A catalog spelling in plain lower-case English ("CRACKERS/MISC BKD FD" → "crackers and
    baked food")."""
    parts = []
    for part in catalog_name.strip().split("/"):
        words = [_ABBREVIATIONS.get(word, word.lower()) for word in part.split()]
        phrase = " ".join(word for word in words if word)
        if phrase and phrase not in parts:
            parts.append(phrase)
    name = " and ".join(parts) or catalog_name.strip().lower()
    return re.sub(r"\s+", " ", name).strip()


def join_en(names: list[str]) -> str:
    """An English list: "soup", "soup and deli", "soup, beef and deli"."""
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def scope_names(offer: Offer) -> list[str]:
    """The offer's departments and categories, catalog spelling (categories first: narrower)."""
    return catalog_names(offer.departments, offer.categories)


def catalog_names(departments: list[str], categories: list[str]) -> list[str]:
    """A scope's catalog names, categories first (the narrower ones lead a description)."""
    return [*categories, *departments]


def scope_label(offer: Offer, language: str = "en") -> str:
    """What the coupon covers, for copy and prompts in `language`."""
    names = scope_names(offer)
    if language == "zh":
        if not names:
            return STOREWIDE_ZH
        labels: list[str] = []
        for name in names:
            label = _ZH_NAMES.get(name.strip().upper(), SELECTED_ZH)
            if label not in labels:
                labels.append(label)
        return SELECTED_ZH if SELECTED_ZH in labels else "、".join(labels)
    if not names:
        return STOREWIDE_EN
    friendly: list[str] = []
    for name in names:
        label = friendly_name(name)
        if label not in friendly:
            friendly.append(label)
    return join_en(friendly)
