"""The merchandise phrases of a request and whom each one is about: the coupon or the audience.

"10% off soup to households that haven't shopped in 40 days" names soup as what the coupon
covers; "$1 off potatoes for produce regulars" names potatoes for the coupon and produce for
the audience; "anyone who hasn't bought crackers" names crackers as what the audience stopped
buying. The role is read from the words next to the phrase ("off X", "X buyers", "bought X",
"买过X的", "X9折券"), never from the catalog: the catalog (coupondesk.tools.catalog.lookup)
only says what a phrase means. Quantities are masked first, so "$25" or "一周" never become phrases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

PhraseRole = Literal["offer", "audience", "unknown"]


def _words(text: str) -> frozenset[str]:
    """A word list written as text (easier to read and extend than a list literal)."""
    return frozenset(text.split())


_I = re.IGNORECASE
_MASK = "\x00"


@dataclass(frozen=True)
class ScopePhrase:
    """A merchandise phrase of the request and what it scopes."""

    text: str
    role: PhraseRole
    span: tuple[int, int]
    not_bought: bool = False
    """The audience *stopped* buying it ("hasn't bought crackers for 2 months")."""
    alternatives: tuple[str, ...] = ()
    """Wider readings to try when this one matches nothing: a one-character function word
    may be part of the product name (发 in 洗发水, shampoo)."""


@dataclass(frozen=True)
class ScopeReading:
    """All phrases, plus whether the request says the coupon covers everything."""

    phrases: list[ScopePhrase]
    storewide: bool

    def of_role(self, role: PhraseRole) -> list[ScopePhrase]:
        """The phrases with one role, in text order."""
        return [p for p in self.phrases if p.role == role]


_STOREWIDE = re.compile(
    r"(?<![a-z])(?:store[\s-]?wide|site[\s-]?wide|sitewide|storewide|everything|all\s+"
    r"(?:products|items|departments|categories|purchases|orders|merchandise)|any\s+(?:purchase|"
    r"order|item|product|basket)|entire\s+(?:store|order|basket|purchase)|whole\s+(?:store|"
    r"order|basket)|across\s+the\s+(?:store|board)|no\s+(?:product\s+)?restrictions?|any\s*thing)"
    r"(?![a-z])|全场|全場|全店|全品类|全品類|所有商品|任意商品|不限品类|不限品類|通用券|全部商品",
    _I,
)


# --------------------------------------------------------------------------- English

_AUDIENCE_NOUNS = _words(
    """households household customers customer shoppers shopper buyers buyer regulars regular
    fans fan lovers lover owners owner users user members member families family purchasers
    purchaser consumers consumer clients client people folks drinkers drinker eaters eater
    enthusiasts enthusiast parents moms dads addicts crowd fanatics devotees bakers cooks"""
)
_OFFER_NOUNS = _words(
    """coupon coupons voucher vouchers discount discounts deal deals offer offers promo promos
    promotion promotions savings sale special specials markdown rebate"""
)
_PURCHASE_VERBS = _words(
    """bought buy buys buying purchased purchase purchases purchasing shopped shop shops
    shopping ordered orders picked grabbed get gets got"""
)
_NEGATIONS = _words(
    """haven't hasn't havent hasnt hadn't didn't didnt don't doesn't not no never stopped
    quit"""
)
_PLACE_WORDS = _words("on in at across from toward towards within for")
_BOUNDARY_WORDS = _words(
    """a an the this that these those to for from with without by of in on at into onto over under
    above below than then who whom whose which what when where why how it its they them their
    theirs our ours we us you your yours i me my he she his her hers someone anyone anybody
    everyone everybody anything something nothing each every any all both either some more most
    less least only just also too very really please and or but if so as per via plus
    give gives giving given send sends sending sent offer offers offering reward rewards
    rewarding target targets targeting email emails emailing text create run launch make makes
    made get gets getting got set want wants need needs let lets like would could can should will
    shall may might must is are was were be been being have has had having do does did done
    haven't hasn't havent hasnt hadn't didn't didnt don't doesn't not no never stopped quit
    campaign campaigns promo promos promotion promotions coupon coupons voucher vouchers discount
    discounts deal deals savings save saving saves off percent pct budget budgets valid validity
    good day days week weeks month months year years fortnight expires expire expiring lasting
    lasts total max maximum minimum min cap capped limit limited up most least over spend spent
    spending spends orders order purchase purchases purchased items item products product
    basket baskets stuff things goods merchandise section aisle department departments category
    categories everything store-wide storewide sitewide site-wide store wide whole entire
    households household customers customer shoppers shopper buyers buyer regulars regular fans
    fan lovers lover owners owner users user members member families family purchasers purchaser
    consumers consumer clients client people folks recipients recipient drinkers eaters
    enthusiasts parents crowd lapsed inactive active dormant recent recently last past previous
    prior shopped shop shops shopping bought buy buys buying ordered visited visit visits came
    come biggest big top highest high best loyal frequent frequently heavy new former existing
    usual usually regularly often occasionally already ever since ago again back win bring
    re-engage reengage reactivate thank thanks reach reward worth value validity window
    expiry expiration coupon-holders anyone's about around approx approximately roughly nearly
    almost exactly least instead rather change changed make it them allow allowed only just
    households' customers' today tomorrow tonight weekend week's month's spenders spender
    vip vips value-ers high-value valuable switch swap replace target targeting focus extend
    shorten raise lower increase decrease reduce cut drop remove add keep restrict narrow widen
    expand instead rather change update set move"""
)
_TRIM_WORDS = frozenset({"items", "item", "products", "product", "stuff", "goods", "section"})
_JOINERS = frozenset({"and", "&", "or", "n", "plus", ","})
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'&\-]*|\x00+|,|[^\sA-Za-z\x00]")


@dataclass
class _Token:
    text: str
    start: int
    end: int
    kind: Literal["word", "quantity", "punct"]

    @property
    def low(self) -> str:
        return self.text.lower()


def _tokens(masked: str) -> list[_Token]:
    out: list[_Token] = []
    for match in _TOKEN.finditer(masked):
        text = match.group(0)
        if text.startswith(_MASK):
            kind: Literal["word", "quantity", "punct"] = "quantity"
        elif text[0].isalpha():
            kind = "word"
        else:
            kind = "punct"
        out.append(_Token(text, match.start(), match.end(), kind))
    return out


_SHOPPER_WORD = re.compile(r"spend|spent|spender|shopper|buyer|customer|household", _I)
"""Hyphenated words about the shopper ("highest-spending", "first-time-buyer") are not goods."""


def _is_content(token: _Token) -> bool:
    return (
        token.kind == "word"
        and token.low not in _BOUNDARY_WORDS
        and len(token.low) > 1
        and not _SHOPPER_WORD.search(token.low)
    )


def _english_phrases(
    text: str, masked: str, offer_spans: set[tuple[int, int]]
) -> list[ScopePhrase]:
    tokens = _tokens(masked)
    phrases: list[ScopePhrase] = []
    i = 0
    while i < len(tokens):
        if not _is_content(tokens[i]):
            i += 1
            continue
        start = i
        end = i + 1  # exclusive
        while end < len(tokens):
            if _is_content(tokens[end]):
                end += 1
            elif (
                tokens[end].low in _JOINERS
                and end + 1 < len(tokens)
                and _is_content(tokens[end + 1])
            ):
                end += 2
            else:
                break
        words = tokens[start:end]
        while words and words[-1].low in _TRIM_WORDS:
            words = words[:-1]
        if words:
            span = (words[0].start, words[-1].end)
            role, not_bought = _english_role(tokens, start, end, text, offer_spans)
            phrases.append(ScopePhrase(text[span[0] : span[1]], role, span, not_bought))
        i = end
    return phrases


def _run_before(tokens: list[_Token], index: int) -> tuple[list[str], _Token | None]:
    """Boundary words right before a phrase, and the token that ends the run (a quantity...)."""
    run: list[str] = []
    j = index - 1
    while j >= 0 and tokens[j].kind == "word" and not _is_content(tokens[j]):
        run.append(tokens[j].low)
        j -= 1
    run.reverse()
    return run, tokens[j] if j >= 0 else None


def _english_role(
    tokens: list[_Token], start: int, end: int, text: str, offer_spans: set[tuple[int, int]]
) -> tuple[PhraseRole, bool]:
    run, stop = _run_before(tokens, start)
    after = tokens[end].low if end < len(tokens) else ""
    after_next = tokens[end + 1].low if end + 1 < len(tokens) else ""
    negated = any(w in _NEGATIONS for w in run)
    if after in _AUDIENCE_NOUNS or (after in ("who", "that") and after_next in ("buy", "shop")):
        return "audience", False
    purchase_at = max((k for k, w in enumerate(run) if w in _PURCHASE_VERBS), default=-1)
    off_at = max((k for k, w in enumerate(run) if w == "off"), default=-1)
    if purchase_at > off_at:
        return "audience", negated
    if after in _OFFER_NOUNS:
        return "offer", False
    if off_at >= 0:
        return "offer", False
    after_quantity = stop is not None and stop.kind == "quantity" and any(
        s <= stop.start < e for s, e in offer_spans
    )
    if after_quantity and (not run or run[-1] in _PLACE_WORDS or run[0] in _PLACE_WORDS):
        return "offer", False
    if run and run[-1] in ("on", "for") and len(run) >= 2 and run[-2] in _OFFER_NOUNS:
        return "offer", False
    return "unknown", False


# --------------------------------------------------------------------------- Chinese

_ZH_BOUNDARY = sorted(
    _words("""
    给 向 对 针对 为 把 将 让 请 帮我 帮忙 我们 我想 想要 需要 要 发放 发送 发一张 发 送出
    送 推送 提供 给予 做 搞 一个 一张 一批 张 个 份 的 了 过 地 得 和 及 与 或 、 用户 用戶
    家庭 顾客 顧客 客户 客戶 会员 會員 人群 买家 買家 消费者 消費者 爱好者 愛好者 粉丝 人士
    家长 宝妈 老用户 新用户 老顾客 老顧客 老客户 老客戶 老会员 老會員 新顾客 新客户 新客
    熟客 回头客 老客 忠实 买过 買過 购买过 購買過 购买 購買 买了 常买 爱买 喜欢 购物 購物
    消费 消費 下单 下過單 下过单 到店 最近 近 过去 過去 活跃 活躍 不活跃 沉睡 流失 召回 唤醒
    未 没有 没 沒有 沒 无 無 不 预算 預算 有效期 有效 期限 最多 至多 不超过 不超過 上限 仅限
    限 共 总 约 控制在 以上 以内 以內 内 內 优惠券 優惠券 优惠 優惠 代金券 红包 紅包 券 折扣
    打折 满减 滿減 满 滿 减 減 立减 元 块 天 周 月 人 名 户 类商品 类 類 品类 品類 商品 产品
    產品 专区 專區 系列 全场 全場 全店 通用 所有 任意 可用 使用 门槛 門檻 消费最高 最高
    高消费 大客户 高价值 前 名 位 其他 等 各 每 里 裡 中 时 後 后 起 到 至 从 從 在 改成
    改为 改為 换成 換成 变成 變成 改 换 換 延长 延長 缩短 縮短 提高 降低 调整 調整 设为 設為
    设置 設置 只发 只给 只 仅 僅 不要 去掉 取消 增加 减少 減少 加 再 还是 還是 吧 呢 吗 嗎
    """),
    key=len,
    reverse=True,
)
_ZH_SPLIT = re.compile(
    "|".join(re.escape(w) for w in _ZH_BOUNDARY)
    + r"|[\x00\s，。；：！？、,.;:!?()（）“”\"'《》\-—~～/]+"
)
_ZH_PURCHASE_BEFORE = re.compile(
    r"(?:买过|買過|购买过|購買過|购买|購買|买了|常买|爱买|喜欢|消费过|消費過|下单过|下單過|买|買|购|購)"
    r"[\s的]*$"
)
_ZH_NEGATION = re.compile(r"未|没|沒|无|無|不|停止")
_ZH_AUDIENCE_AFTER = re.compile(
    r"^\s*的?\s*(?:老|新|忠实的?|忠實的?)?\s*(?:用户|用戶|顾客|顧客|客户|客戶|会员|會員|家庭|人群|"
    r"买家|買家|消费者|消費者|爱好者|愛好者|粉丝|粉絲|人士|家长|家長|宝妈|寶媽|达人|達人|熟客|回头客|客)"
)
_ZH_OFFER_AFTER = re.compile(
    r"^\s*(?:\x00|类?(?:商品|产品|產品)?\s*(?:优惠券|優惠券|优惠|優惠|代金券|券|折扣|红包|紅包|满减|滿減|"
    r"专区|專區|打折))"
)
_ZH_OFFER_BEFORE = re.compile(
    r"(?:发放|发送|发|送出|送|推送|提供|给予|打折|\x00\s*的?)\s*$"
)


def _is_soft(separator: str) -> bool:
    """A one-character word between two pieces may belong to a product name."""
    return len(separator) == 1 and bool(re.match(r"[\u3400-\u9fff]", separator))


def _chinese_phrases(text: str, masked: str) -> list[ScopePhrase]:
    phrases: list[ScopePhrase] = []
    cursor = 0
    pieces: list[tuple[int, int]] = []
    for match in _ZH_SPLIT.finditer(masked):
        if match.start() > cursor:
            pieces.append((cursor, match.start()))
        cursor = max(cursor, match.end())
    if cursor < len(masked):
        pieces.append((cursor, len(masked)))
    for index, (start, end) in enumerate(pieces):
        alternatives: list[str] = []
        if index > 0 and _is_soft(masked[pieces[index - 1][1] : start]):
            alternatives.append(text[pieces[index - 1][0] : end])
        if index + 1 < len(pieces) and _is_soft(masked[end : pieces[index + 1][0]]):
            alternatives.append(text[start : pieces[index + 1][1]])
        chunk = text[start:end].strip()
        if not chunk or not re.search(r"[\u3400-\u9fffA-Za-z]", chunk):
            continue
        before = masked[max(0, start - 12) : start]
        after = masked[end : end + 12]
        role: PhraseRole = "unknown"
        not_bought = False
        purchase = _ZH_PURCHASE_BEFORE.search(before)
        if purchase or _ZH_AUDIENCE_AFTER.match(after):
            role = "audience"
            if purchase:
                lead = before[: purchase.start()]
                not_bought = bool(_ZH_NEGATION.search(lead[-4:]))
        elif _ZH_OFFER_AFTER.match(after) or _ZH_OFFER_BEFORE.search(before):
            role = "offer"
        phrases.append(ScopePhrase(chunk, role, (start, end), not_bought, tuple(alternatives)))
    return phrases


# --------------------------------------------------------------------------- entry point


def _mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        for i in range(start, min(end, len(chars))):
            chars[i] = _MASK
    return "".join(chars)


def find_scope_phrases(
    text: str,
    *,
    quantity_spans: Iterable[tuple[int, int]],
    offer_spans: Iterable[tuple[int, int]] = (),
    language: Literal["en", "zh"] = "en",
) -> ScopeReading:
    """The merchandise phrases of a request with their roles (see the module docstring).

    `quantity_spans` are masked out; `offer_spans` are the discount/minimum-spend quantities, so
    "$25 in the deli" and "Spend $20 on bakery items" attach the place to the coupon.
    """
    spans = list(quantity_spans)
    masked = _mask(text, spans)
    storewide_hits = [m.span() for m in _STOREWIDE.finditer(masked)]
    masked = _mask(masked, storewide_hits)
    if language == "zh":
        phrases = _chinese_phrases(text, masked)
    else:
        phrases = _english_phrases(text, masked, set(offer_spans))
    return ScopeReading(phrases=phrases, storewide=bool(storewide_hits))
