"""The answer to a typed question in words: the reading restated (scope, window, filters), then
the figure, in the question's language, so the operator can see what was counted.

Only values of the query and its result reach the text; nothing is rounded into a different
claim (a share is the count over all households, stated as such).
"""

from __future__ import annotations

from coupondesk.tools.queries.question_query import QueryFilters, QueryResult, QuestionQuery, Window

_MEASURE_EN = {
    "households": "households", "baskets": "baskets", "spend": "sales ($)",
    "units": "units sold", "redemptions": "retail coupon redemptions",
    "coupons_issued": "coupondesk coupon codes issued",
    "campaigns": "historical retail campaigns running",
}
_MEASURE_ZH = {
    "households": "家庭数", "baskets": "购物篮数", "spend": "销售额（美元）", "units": "销量（件）",
    "redemptions": "零售优惠券核销次数", "coupons_issued": "coupondesk 已发券数",
    "campaigns": "进行中的历史零售活动数",
}


def _dates(window: Window | None, counted_from: str, counted_to: str, zh: bool,
           measure: str = "") -> str:
    if window is None and measure == "coupons_issued":
        return "全部时间" if zh else "all time"
    if window is None:
        return (f"全部数据（{counted_from} 至 {counted_to}）" if zh
                else f"all the data ({counted_from} to {counted_to})")
    if zh:
        return f"{window.start} 至 {window.end}"
    return f"{window.start} to {window.end} ({window.words})"


def _span(window: Window | None, zh: bool) -> str:
    if window is None:
        return "（全部数据）" if zh else " (all the data)"
    return (f"（{window.start} 至 {window.end}）" if zh
            else f" from {window.start} to {window.end}")


def filter_words(filters: QueryFilters, query: QuestionQuery, zh: bool) -> list[str]:
    """Each household filter in plain words."""
    words: list[str] = []
    scope = "/".join([*query.scope.departments, *query.scope.categories])
    if filters.lapsed_days is not None:
        days = filters.lapsed_days
        if filters.lapsed_from_scope:
            words.append(f"以前买过 {scope} 但最近{days}天没买" if zh
                         else f"bought {scope} before but not in the last {days} days")
        else:
            words.append(f"最近{days}天没有购物（之前购物过）" if zh
                         else f"made no purchase in the last {days} days (but did before)")
    if filters.active_days is not None:
        words.append(f"最近{filters.active_days}天购物过" if zh
                     else f"shopped in the last {filters.active_days} days")
    if filters.min_spend is not None:
        more = ("至少" if filters.min_spend_inclusive else "超过") if zh else (
            "at least" if filters.min_spend_inclusive else "more than")
        amount = f"${filters.min_spend:,.2f}".replace(".00", "")
        words.append(f"消费{more} {amount}{_span(filters.spend_window, zh)}" if zh
                     else f"spent {more} {amount}{_span(filters.spend_window, zh)}")
    if filters.redeemed_coupon:
        words.append(f"核销过零售优惠券{_span(filters.redeemed_window, zh)}" if zh
                     else f"redeemed a retail coupon{_span(filters.redeemed_window, zh)}")
    if filters.received_campaign:
        words.append(f"收到过零售活动{_span(filters.received_window, zh)}" if zh
                     else f"received a retail campaign{_span(filters.received_window, zh)}")
    return words


def reading_text(result: QueryResult) -> str:
    """The reading alone: what is counted, over which scope, window and households."""
    query = result.query
    zh = query.language == "zh"
    counted_from, counted_to = str(result.counted_from), str(result.counted_to)
    scope = ", ".join([*query.scope.departments, *query.scope.categories])
    measure = (_MEASURE_ZH if zh else _MEASURE_EN)[query.measure]
    parts: list[str] = []
    if query.group_by is not None:
        unit = ("品类" if query.group_by == "category" else "部门") if zh else (
            "categories" if query.group_by == "category" else "departments")
        if zh:
            parts.append(f"按{measure}排名前{query.top_n}的{unit}")
        elif query.top_n == 1:
            parts.append(f"top {unit.removesuffix('s').replace('ie', 'y')} by {measure}")
        else:
            parts.append(f"top {query.top_n} {unit} by {measure}")
    else:
        parts.append(f"统计：{measure}" if zh else f"counted: {measure}")
    if query.measure in ("households", "baskets", "spend", "units"):
        if scope:
            parts.append(f"商品范围：{scope}" if zh else f"scope: {scope}")
        elif query.measure != "households" or query.window is not None:
            parts.append("商品范围：全店" if zh else "scope: storewide")
    show_window = query.measure != "households" or query.window is not None or \
        not query.scope.empty or query.group_by is not None
    if show_window:
        label = "时间" if zh else "window"
        if query.measure == "households" and query.group_by is None:
            label = "购买时间" if zh else "bought"
        dates = _dates(query.window, counted_from, counted_to, zh, query.measure)
        parts.append(f"{label}：{dates}" if zh else f"{label}: {dates}")
    conditions = filter_words(query.filters, query, zh)
    if conditions:
        parts.append(("人群：" if zh else "households that ") + ("；" if zh else "; ").join(
            conditions))
    elif query.measure not in ("campaigns",):
        parts.append("人群：全部家庭" if zh else "households: all")
    notes = [*query.notes, *query.scope.notes]
    text = ("；" if zh else " · ").join(parts)
    if notes:
        text += ("（" + "；".join(notes) + "）") if zh else f" ({'; '.join(notes)})"
    return text


def _figure(value: float, measure: str, zh: bool) -> str:
    if measure == "spend":
        return f"${value:,.2f}"
    count = f"{int(value):,}"
    if measure == "households":
        return f"{count} 户" if zh else f"{count} households"
    unit_en = {"baskets": "baskets", "units": "units", "redemptions": "redemptions",
               "coupons_issued": "codes", "campaigns": "campaigns"}[measure]
    unit_zh = {"baskets": "个购物篮", "units": "件", "redemptions": "次", "coupons_issued": "张",
               "campaigns": "个"}[measure]
    return f"{count} {unit_zh}" if zh else f"{count} {unit_en}"


def figure_text(result: QueryResult) -> str:
    """The figure, or the ranked rows, with the share of all households for a household count."""
    query = result.query
    zh = query.language == "zh"
    if query.group_by is not None:
        if not result.rows:
            return "没有符合条件的购买记录" if zh else "no purchases match"
        return ("、" if zh else ", ").join(
            f"{i}. {row.name} {_figure(row.value, query.measure, zh)}"
            for i, row in enumerate(result.rows, 1))
    value = result.value or 0.0
    figure = _figure(value, query.measure, zh)
    everyone = query.scope.empty and query.window is None and query.filters.empty
    if query.measure == "households" and result.total_households and not everyone:
        share = value / result.total_households
        figure += (f"（占全部 {result.total_households:,} 户的 {share:.1%}）" if zh
                   else f" ({share:.1%} of all {result.total_households:,} households)")
    return figure


def answer_text(result: QueryResult) -> str:
    """The reading, then the figure: "counted: households · scope: COFFEE · ... → 56 households"."""
    zh = result.query.language == "zh"
    return f"{reading_text(result)} → {figure_text(result)}" + ("。" if zh else ".")
