"""The words around a quantity that give it its role in a campaign request, EN and ZH.

Patterns only; coupondesk.agent.planning.parsing applies them. Left patterns are searched in
the text between the previous quantity (or the clause start) and this one, so each ends with `$`;
right patterns are matched from just after the quantity, so each starts with `^`. Kept apart
from the reader because they are data an operator-facing team extends ("lapsed" has many
ways to be said), while the reader's logic rarely changes.
"""

from __future__ import annotations

import re

from coupondesk.tools.policy.quantities import BUDGET_AFTER_AMOUNT

_I = re.IGNORECASE
CLAUSE_BREAK = re.compile(r"[;!?\n。；！？，]|,(?!\d{3})|\.(?!\d)|\s[-–—]+\s|[–—]")
"""A clause is the context a quantity's role is read from ("..., budget $800, valid 7 days")."""

# --------------------------------------------------------------------------- role markers
# Left markers are searched in the text between the previous quantity (or the clause start)
# and this one; the nearest marker wins, except that a negation ("haven't", 未) beats an
# "in the last" window, since "no purchase in the last 45 days" is lapsed, not active.

LAPSED_LEFT = re.compile(
    r"(?<![a-z'])(?:haven'?t|hasn'?t|have\s+not|has\s+not|hadn'?t|had\s+not|didn'?t|did\s+not|"
    r"don'?t|doesn'?t|do\s+not|does\s+not|not|no|never|without|inactive|lapsed?|dormant|idle|"
    r"absent|quiet|churned|silent|since\s+(?:their|the|a)\s+last|"
    r"last\s+(?:shopped|purchased|bought|visited|ordered|seen|came))(?![a-z'])"
    r"|未|没|沒|无|無|不活跃|不活躍|流失|沉睡|沉默",
    _I,
)
LAPSED_RIGHT = re.compile(
    r"^\s*\+?\s*(?:(?:or\s+more|or\s+longer|plus)\s+)?(?:ago|inactive|lapsed|dormant|"
    r"without|of\s+inactivity|since\s+(?:their|the)\s+last|with\s+no)(?![a-z])"
    r"|^\s*(?:以上|多)?\s*(?:内|內)?\s*(?:未|没|沒|无|無|不|都没|都沒)",
    _I,
)
ACTIVE_LEFT = re.compile(
    r"(?<![a-z])(?:(?:in|within|over|during|for)\s+(?:the\s+)?(?:last|past|previous|prior)|"
    r"within|recent(?:ly)?|active|past|last)(?![a-z])"
    r"|最近|近|过去|過去|前",
    _I,
)
ACTIVE_RIGHT = re.compile(
    r"^\s*(?:内|內|以内|以內|里|裡)?\s*(?:活跃|活躍|有过?购买|有過?購買|购买过|購買過|买过|買過|"
    r"有过?消费|有過?消費|消费过|消費過|下过单|下過單|购物过|購物過|来过|來過)"
    r"|^\s*(?:of\s+activity)",
    _I,
)
VALIDITY_LEFT = re.compile(
    r"(?<![a-z])(?:valid(?:ity)?|good|lasts|lasting|last\s+for|expires?|expiring|runs?|running|"
    r"redeemable|usable|open|duration|window|extend(?:ed)?|lengthen|shorten)(?![a-z])"
    r"|有效期|有效|期限|可用|使用期|延长|延長|缩短|縮短",
    _I,
)
VALIDITY_RIGHT = re.compile(
    r"^\s*-?\s*(?:validity|valid|expir\w*|window|coupon|offer|promo)(?![a-z])"
    r"|^\s*(?:内|內)?\s*(?:有效|可用|使用)",
    _I,
)
# "spent more than $300": a past spend describes the audience, not the coupon's condition.
AUDIENCE_SPEND_LEFT = re.compile(
    r"(?<![a-z])(?:spent|(?:who|that)\s+(?:spend|spends)|spending|"
    r"(?:total|lifetime|past|historical|annual|yearly|monthly)\s+spend(?:ing)?)(?![a-z])"
    r"|累计|累計|消费超过|消費超過|消费过|消費過|消费了|消費了|花了|花过|花過",
    _I,
)
AUDIENCE_SPEND_RIGHT = re.compile(
    r"^\s*(?:(?:or\s+more|and\s+up|and\s+above|plus)\s+)?(?:(?:in\s+)?(?:total\s+)?"
    r"(?:spend|spending|spent|purchases)\s+)?(?:in|over|during|within)\s+the\s+"
    r"(?:last|past|previous)|^\s*(?:this|last)\s+(?:year|month|quarter)"
    r"|^\s*(?:以上)?\s*的\s*(?:用户|用戶|顾客|顧客|客户|客戶|会员|會員|家庭|人)",
    _I,
)
AMOUNT_RIGHT = re.compile(
    r"^\s*(?:[a-z-]+\s+){0,3}?(?:off|coupons?|vouchers?|discounts?|savings?|rebates?|credits?)"
    r"(?![a-z])|^[\s\x00]*\S{0,8}?(?:券|优惠|優惠|红包|紅包|立减|立減)",
    _I,
)
BUDGET_LEFT = re.compile(
    r"(?<![a-z])(?:budget(?:ed)?|spend(?:ing)?\s+cap|cost\s+cap|total\s+(?:spend|cost)|"
    r"campaign\s+(?:cost|spend)|spend\s+no\s+more\s+than|not\s+to\s+exceed)"
    r"(?:\s*[:=]?\s*[a-z']+){0,3}\s*[:=]?\s*$"
    r"|(?:预算|預算|总额|總額|总费用|總費用|花费|花費)[^\x00\d]{0,6}$",
    _I,
)
"""The budget word, then at most three words ("budget capped at", "预算控制在"), then the amount."""
BUDGET_RIGHT = BUDGET_AFTER_AMOUNT
MIN_SPEND_LEFT = re.compile(
    r"(?<![a-z])(?:min(?:imum)?(?:\s+(?:spend|purchase|order|basket))?|threshold)"
    r"(?:\s+(?:of|to|at|is))?\s*:?\s*$|(?:门槛|門檻|起用)\s*$",
    _I,
)
SIZE_LEFT = re.compile(
    r"(?<![a-z])(?:max(?:imum)?|up\s+to|at\s+most|limit(?:ed)?(?:\s+(?:it|them))?(?:\s+(?:to|at))?|"
    r"cap(?:ped)?(?:\s+(?:it|them))?(?:\s+(?:to|at))?|no\s+more\s+than|top|first|only|just)"
    r"\s*:?\s*$|(?:最多|至多|不超过|不超過|上限|前|仅|僅|只)\s*$",
    _I,
)
TOP_SPENDERS = re.compile(
    r"(?<![a-z])(?:(?:biggest|top|highest|heaviest|largest)[\s-]+spend(?:ing|ers?)|"
    r"(?:biggest|top|highest|best|largest|heaviest|most\s+valuable|high[\s-]value|"
    r"big|high[\s-]spending|heavy)\s+(?:\S+\s+)?(?:spenders|customers|shoppers|households|"
    r"buyers|clients|members)|vips?|big\s+spenders|high[\s-]spenders|by\s+(?:total\s+)?spend)"
    r"(?![a-z])|消费最高|消費最高|最高消费|最高消費|消费最多|消費最多|高消费|高消費|大客户|大客戶|"
    r"高价值|高價值|vip",
    _I,
)
OLD_VALUE_LEFT = re.compile(
    r"(?<![a-z])(?:instead\s+of|rather\s+than|not|from|was|replace|change)\s*$"
    r"|(?:而不是|不是|从|從|由|原来的?|原來的?)\s*$",
    _I,
)
OLD_VALUE_RIGHT = re.compile(
    r"^\s*(?:to|->|→|=>|into)\s*\x00|^\s*(?:改为|改成|变成|變成|换成|換成|改到)\s*\x00", _I
)
SHARE_OF_AUDIENCE = re.compile(
    r"^\s*(?:of\s+(?:the\s+)?(?:our\s+)?(?:customers|households|spenders|shoppers|buyers|users))",
    _I,
)
HOUSEHOLDS_RIGHT = re.compile(
    r"^\s*(?:[a-z-]+\s+){0,3}?(?:households?|homes?|famil(?:y|ies)|customers?|shoppers?|people|"
    r"buyers?|owners?|users?|members?|fans?|lovers?|regulars?|parents?|clients?)(?![a-z])"
    r"|^\s*(?:个|個)?\s*(?:人|位|名|户|戶|家庭|用户|用戶|顾客|顧客|客户|客戶|会员|會員)",
    _I,
)
DAYS_SUFFIX = re.compile(r"^\s*-?\s*d(?![a-z])", _I)
OFF_RIGHT = re.compile(r"^\s*off(?![a-z])|^\s*折扣", _I)

# Words that say an audience window exists even without a number.
LAPSED_WORDS = re.compile(
    r"(?<![a-z])(?:lapsed|inactive|dormant|win[\s-]*back|winback|re-?engage|re-?activate|"
    r"churned|lost\s+customers|haven'?t\s+(?:shopped|bought|been\s+back|visited))(?![a-z])"
    r"|流失|沉睡|召回|唤醒|喚醒|未购物|未購物|不活跃|不活躍",
    _I,
)
# "in the last month" / "this past week" / "上个月": a window stated by a unit alone.
UNIT_WINDOW = re.compile(
    r"(?<![a-z])(?:in|within|over|during|for|since)?\s*(?:the|this)?\s*(?:last|past|previous)\s+"
    r"(?P<unit>week|fortnight|month|quarter|year)(?![a-z])"
    r"|(?:过去|過去|最近|近)\s*(?P<zh>半年|上个?月|上個?月|一?个?季度|一?個?季度)",
    _I,
)
ZH_WINDOW_WORDS = {"半年": "6个月", "上月": "1个月", "上个月": "1个月", "上個月": "1个月",
                    "季度": "3个月", "一季度": "3个月", "一个季度": "3个月", "个季度": "3个月",
                    "一個季度": "3个月", "個季度": "3个月"}
"""Windows coupondesk.tools.policy.quantities does not read as durations, rewritten as ones
it does."""
