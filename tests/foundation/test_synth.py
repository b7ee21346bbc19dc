"""`coupondesk synth`: a seeded, larger retailer resampled from The Complete Journey."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from coupondesk.tools.data.importer import FILE_COLUMNS
from coupondesk.tools.data.ingest import read_completejourney_tables
from coupondesk.tools.data.synth import FIRST_HOUSEHOLD_ID, SYNTHETIC_MARKER, synthesize
from coupondesk.tools.errors import BadInputError

from coupondesk.cli import main

HOUSEHOLDS = 30


@pytest.fixture(scope="module")
def real() -> dict[str, pd.DataFrame]:
    tables = read_completejourney_tables(("transactions", "products"))
    return {name: table.to_pandas() for name, table in tables.items()}


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth") / "shop"
    synthesize(out, HOUSEHOLDS, seed=7)
    return out


def _read(directory: Path, name: str) -> pd.DataFrame:
    return pq.read_table(directory / f"{name}.parquet").to_pandas()


def test_same_seed_same_rows_other_seed_other_rows(synth_dir: Path, tmp_path: Path) -> None:
    again = synthesize(tmp_path / "again", HOUSEHOLDS, seed=7)
    other = synthesize(tmp_path / "other", HOUSEHOLDS, seed=8)
    for name in FILE_COLUMNS:
        assert pq.read_table(synth_dir / f"{name}.parquet").equals(
            pq.read_table(tmp_path / "again" / f"{name}.parquet")
        ), name
    assert not _read(synth_dir, "transactions").equals(_read(tmp_path / "other", "transactions"))
    assert again.row_counts["transactions"] == len(_read(synth_dir, "transactions"))
    assert other.households == HOUSEHOLDS


def test_households_baskets_products_and_dates(
    synth_dir: Path, real: dict[str, pd.DataFrame]
) -> None:
    tx = _read(synth_dir, "transactions")
    assert list(tx.columns) == list(FILE_COLUMNS["transactions"])
    households = set(tx["household_id"])
    assert len(households) == HOUSEHOLDS
    assert min(households) >= FIRST_HOUSEHOLD_ID  # never a real household's id
    assert tx["basket_id"].is_unique is False  # baskets have several lines...
    assert tx.groupby("basket_id")["household_id"].nunique().max() == 1  # ...of one household
    real_tx, catalog = real["transactions"], set(real["products"]["product_id"])
    # Lines are copied as they are: a product is in the catalog unless the real line's was not
    # (4,836 real lines name uncatalogued products; the schema keeps them, so does synth).
    uncatalogued = set(real_tx["product_id"]) - catalog
    assert set(tx["product_id"]) <= catalog | uncatalogued
    assert _read(synth_dir, "products").equals(real["products"][list(FILE_COLUMNS["products"])])
    stamps = tx["transaction_timestamp"]
    assert stamps.min() >= real_tx["transaction_timestamp"].min()
    assert stamps.max() <= real_tx["transaction_timestamp"].max()
    # A whole-week shift keeps `week` in the same relation to the date as in the real data.
    def week_gap(frame: pd.DataFrame) -> set[int]:
        days = (frame["transaction_timestamp"].dt.normalize() - pd.Timestamp("2017-01-01")).dt.days
        return set(frame["week"] - (days // 7 + 1))

    assert week_gap(tx) <= week_gap(real_tx)
    # A synthetic household is a shifted copy of one real household: same lines, same spend.
    spend = tx.groupby("household_id")["sales_value"].sum().round(2)
    assert set(spend) <= set(real_tx.groupby("household_id")["sales_value"].sum().round(2))


def test_household_tables_follow_their_household(synth_dir: Path) -> None:
    households = set(_read(synth_dir, "transactions")["household_id"])
    for name in ("campaigns", "coupon_redemptions", "demographics"):
        assert set(_read(synth_dir, name)["household_id"]) <= households, name
    assert _read(synth_dir, "demographics")["household_id"].is_unique
    assert not _read(synth_dir, "campaigns").duplicated().any()
    assert "synthetic" in (synth_dir / SYNTHETIC_MARKER).read_text().lower()
    metadata = pq.read_schema(synth_dir / "transactions.parquet").metadata
    assert json.loads(metadata[b"coupondesk.synthetic"])["seed"] == 7


def test_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="at least 1"):
        synthesize(tmp_path / "none", 0)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(BadInputError, match="not empty"):
        synthesize(tmp_path / "full", 5)
    (tmp_path / "a-file").write_text("")
    with pytest.raises(BadInputError, match="cannot write"):
        synthesize(tmp_path / "a-file" / "below", 5)


def test_cli_json_and_one_line_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["synth", "--households", "3", "--out", str(tmp_path / "s"),
                                  "--seed", "1", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["households"] == 3 and report["synthetic"] is True
    assert report["row_counts"]["transactions"] > 0 and report["bytes"] > 0
    assert "seconds" in report
    for args in (["--households", "0", "--out", str(tmp_path / "t")],
                 ["--households", "3", "--out", str(tmp_path / "s")]):
        result = runner.invoke(main, ["synth", *args])
        assert result.exit_code == 2
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("coupondesk: "), result.output
