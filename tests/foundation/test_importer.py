"""`coupondesk import DIR`: good files load; one bad row loads nothing and names file + line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from coupondesk.tools.data.importer import import_directory
from coupondesk.tools.data.ingest import table_counts
from coupondesk.tools.db.migrate import upgrade
from coupondesk.tools.db.session import get_engine
from coupondesk.tools.errors import BadInputError
from sqlalchemy import text

from coupondesk.cli import main

TX_HEADER = (
    "household_id,store_id,basket_id,product_id,quantity,sales_value,retail_disc,"
    "coupon_disc,coupon_match_disc,week,transaction_timestamp\n"
)


def _write_shop(directory: Path, bad_line: str | None = None) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "products.csv").write_text(
        "product_id,manufacturer_id,department,brand,product_category,product_type,package_size\n"
        "9000001,1,GROCERY,National,COFFEE,GROUND COFFEE,12 OZ\n"
        "9000002,1,PRODUCE,Private,POTATOES,POTATOES RUSSET,5 LB\n"
    )
    rows = [
        "70001,1,1,9000001,1,7.99,0,0,0,1,2018-02-01 10:00:00\n",
        "70001,1,2,9000002,2,3.50,0.5,0,0,2,2018-02-09 11:30:00\n",
        "70002,2,3,9000001,1,7.99,0,0,0,2,2018-02-10 09:15:00\n",
    ]
    if bad_line is not None:
        rows.insert(1, bad_line)
    (directory / "transactions.csv").write_text(TX_HEADER + "".join(rows))


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = get_engine(f"sqlite:///{tmp_path / 'import.db'}")
    upgrade(engine)
    return engine


def test_import_loads_and_is_idempotent(engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _write_shop(tmp_path / "shop")
    report = import_directory(engine, tmp_path / "shop")
    assert report.row_counts == {"households": 2, "products": 2, "transactions": 3}
    again = import_directory(engine, tmp_path / "shop")
    assert again.skipped
    with engine.connect() as connection:
        assert table_counts(connection)["transactions"] == 3
        spend = connection.execute(
            text("SELECT SUM(sales_value) FROM transactions WHERE household_id = 70001")
        ).scalar_one()
    assert spend == pytest.approx(11.49)


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("70001,1,9,9000001,1,abc,0,0,0,1,2018-02-01 10:00:00\n", "line 3: sales_value 'abc'"),
        (
            "70001,1,9,9000001,1,-2,0,0,0,1,2018-02-01 10:00:00\n",
            "line 3: sales_value '-2' is negative",
        ),
        ("70001,1,9,9000001,1,2,0,0,0,1,not-a-date\n", "line 3: transaction_timestamp"),
        (",1,9,9000001,1,2,0,0,0,1,2018-02-01 10:00:00\n", "line 3: household_id is empty"),
        # beyond 64 bits: would wrap to a negative id in astype("int64")
        (
            "99999999999999999999,1,9,9000001,1,2,0,0,0,1,2018-02-01 10:00:00\n",
            "line 3: household_id '99999999999999999999' is not a valid int",
        ),
        (
            "70001,1,9,9000001,1,inf,0,0,0,1,2018-02-01 10:00:00\n",
            "line 3: sales_value 'inf' is not a valid float",
        ),
    ],
)
def test_a_bad_row_loads_nothing(engine, tmp_path: Path, bad_line: str, message: str) -> None:  # type: ignore[no-untyped-def]
    _write_shop(tmp_path / "shop", bad_line)
    with pytest.raises(BadInputError, match=message) as caught:
        import_directory(engine, tmp_path / "shop")
    assert "transactions.csv" in str(caught.value)
    with engine.connect() as connection:
        counts = table_counts(connection)
    assert counts["transactions"] == 0 and counts["products"] == 0 and counts["households"] == 0


def test_cli_import_reports_one_line_and_exit_2(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COUPONDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    _write_shop(tmp_path / "shop", "70001,1,9,9000001,1,abc,0,0,0,1,2018-02-01 10:00:00\n")
    result = CliRunner().invoke(main, ["import", str(tmp_path / "shop")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "transactions.csv line 3" in lines[0]
    _write_shop(tmp_path / "good")
    result = CliRunner().invoke(main, ["import", str(tmp_path / "good"), "--json"])
    assert result.exit_code == 0, result.output
    assert '"transactions": 3' in result.output
