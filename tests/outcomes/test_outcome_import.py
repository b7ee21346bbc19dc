"""`import-outcomes`: validated like `import`, one transaction, idempotent, through the core."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from coupondesk.tools.db.schema import (
    Holdout,
    IssuedCoupon,
    OutcomeImport,
    OutcomeTransaction,
    Redemption,
    RedemptionRefusal,
)
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.errors import BadInputError
from coupondesk.tools.outcomes.outcome_import import import_outcomes
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.outcomes.issued import catalog, issue

REDEMPTION_HEADER = "code,redeemed_at,basket_total,discount,order_id\n"
TRANSACTION_HEADER = (
    "household_id,store_id,basket_id,product_id,quantity,sales_value,retail_disc,coupon_disc,"
    "coupon_match_disc,week,transaction_timestamp\n"
)


def _write(directory: Path, redemptions: list[str] | None, transactions: list[str] | None
           ) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    if redemptions is not None:
        (directory / "redemptions.csv").write_text(REDEMPTION_HEADER + "".join(redemptions))
    if transactions is not None:
        (directory / "transactions.csv").write_text(TRANSACTION_HEADER + "".join(transactions))
    return directory


def _counts(url: str) -> tuple[int, int, int]:
    with Session(get_engine(url)) as session:
        return (
            session.execute(select(func.count()).select_from(Redemption)).scalar_one(),
            session.execute(select(func.count()).select_from(OutcomeTransaction)).scalar_one(),
            session.execute(select(func.count()).select_from(OutcomeImport)).scalar_one(),
        )


def test_import_loads_once_and_redeems_through_the_core(fresh_db_url: str, tmp_path: Path
                                                        ) -> None:
    campaign_id, codes = issue(fresh_db_url, n=3, budget=100.0)
    products = catalog(fresh_db_url)
    (code, household), _ = codes[0], codes[1]
    directory = _write(
        tmp_path / "out",
        [f"{code},2018-01-03 10:00:00,12.00,1.80,555\n"],
        [f"{household},1,555,{products.coffee},1,12.00,0,1.80,0,54,2018-01-03 10:00:00\n",
         f"{household},1,556,{products.other},2,3.50,0,0,0,54,2018-01-04 11:00:00\n"],
    )
    engine = get_engine(fresh_db_url)
    report = import_outcomes(engine, directory)
    assert (report.redemptions, report.transactions, report.campaign_ids) == (1, 2, [campaign_id])
    assert _counts(fresh_db_url) == (1, 2, 1)
    with Session(engine) as session:
        coupon = session.execute(select(IssuedCoupon).where(IssuedCoupon.code == code)).scalar_one()
        row = session.execute(select(Redemption)).scalar_one()
        record = session.execute(select(OutcomeImport)).scalar_one()
    assert coupon.status == "redeemed" and row.source == "observed" and row.discount == 1.80
    assert row.outcome_import_id == record.id and record.campaign_id == campaign_id
    again = import_outcomes(engine, directory)
    assert again.skipped and "imported before" in again.reason
    assert _counts(fresh_db_url) == (1, 2, 1)


@pytest.mark.parametrize(
    ("redemption", "words"),
    [
        ("CD-NOPE-0000-0000,2018-01-03 10:00:00,12.00,1.80,1\n", "never issued"),
        ("{code},not a date,12.00,1.80,1\n", "redeemed_at 'not a date' is not a valid timestamp"),
        ("{code},2018-01-03 10:00:00,-1,1.80,1\n", "basket_total '-1' is negative"),
        ("{code},2018-02-03 10:00:00,12.00,1.80,1\n", "refused: expired"),
        ("{held},2018-01-03 10:00:00,12.00,1.80,1\n", "held-out household"),
    ],
)
def test_a_bad_redemption_row_loads_nothing(
    fresh_db_url: str, tmp_path: Path, redemption: str, words: str
) -> None:
    campaign_id, codes = issue(fresh_db_url, n=3)
    held_code, held_household = codes[2]
    with Session(get_engine(fresh_db_url)) as session, session.begin():
        session.add(Holdout(campaign_id=campaign_id, household_id=held_household))
    products = catalog(fresh_db_url)
    good = f"{codes[1][0]},2018-01-03 10:00:00,9.00,1.35,2\n"
    line = f"{codes[0][1]},1,7,{products.coffee},1,9.00,0,0,0,54,2018-01-03 10:00:00\n"
    directory = _write(tmp_path / "bad", [good, redemption.format(code=codes[0][0],
                                                                 held=held_code)], [line])
    with pytest.raises(BadInputError) as raised:
        import_outcomes(get_engine(fresh_db_url), directory)
    message = str(raised.value)
    assert message.startswith("redemptions.csv line 3: ") and words in message
    assert "nothing was imported" in message
    assert _counts(fresh_db_url) == (0, 0, 0)
    with Session(get_engine(fresh_db_url)) as session:
        assert session.execute(select(func.count()).select_from(RedemptionRefusal)
                               ).scalar_one() == 0


def test_bad_transaction_rows_name_file_and_line(fresh_db_url: str, tmp_path: Path) -> None:
    products = catalog(fresh_db_url)
    line = f"8,1,7,{products.coffee},1,9.00,0,0,0,54,2018-01-03 10:00:00\n"
    directory = _write(tmp_path / "dup", None, [line, line.replace("9.00", "abc", 1)])
    with pytest.raises(BadInputError, match=r"transactions.csv line 3: sales_value 'abc'"):
        import_outcomes(get_engine(fresh_db_url), directory)
    directory = _write(tmp_path / "twice", None, [line, line])
    with pytest.raises(BadInputError, match=r"transactions.csv line 3: duplicate"):
        import_outcomes(get_engine(fresh_db_url), directory)
    import_outcomes(get_engine(fresh_db_url), _write(tmp_path / "once", None, [line]))
    # the same line again, in different files: already imported for this source
    other = _write(tmp_path / "again", None, [line, line.replace(",7,", ",8,", 1)])
    with pytest.raises(BadInputError, match=r"transactions.csv line 2: observed line .* before"):
        import_outcomes(get_engine(fresh_db_url), other)
    assert _counts(fresh_db_url) == (0, 1, 1)


def test_parquet_and_budget_refusals(fresh_db_url: str, tmp_path: Path) -> None:
    _campaign_id, codes = issue(fresh_db_url, n=3, budget=3.0)
    directory = tmp_path / "parquet"
    directory.mkdir()
    pd.DataFrame({
        "code": [c for c, _h in codes],
        "redeemed_at": ["2018-01-03 10:00:00"] * 3,
        "basket_total": [10.0, 10.0, 10.0],
        "discount": [1.5, 1.5, 1.5],
        "order_id": ["1", "2", "3"],
    }).to_parquet(directory / "redemptions.parquet")
    report = import_outcomes(get_engine(fresh_db_url), directory)
    assert (report.redemptions, report.refused_budget) == (2, 1)
    with Session(get_engine(fresh_db_url)) as session:
        reasons = session.execute(select(RedemptionRefusal.reason)).scalars().all()
    assert reasons == ["budget_exhausted"]


def test_no_files_is_a_clear_error(tmp_path: Path, sqlite_url: str) -> None:
    with pytest.raises(BadInputError, match="no outcome files"):
        import_outcomes(get_engine(sqlite_url), tmp_path)
