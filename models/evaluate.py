"""Evaluation of each task: the time fold, the exact split, the transformer and its baselines.

For each task: an earlier time fold (tuning, calibration, the serving choice), then the issue's
exact split (train rows only -> test metrics), for the transformer (several seeds), LightGBM and
logistic on the same rows. Pretraining is redone per split on baskets strictly before that
split's earliest label (the fold's 2017-05-08, the test split's 2017-08-08); the run that
chains the tasks and saves the models is `coupondesk.models.pipeline`.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

import numpy as np
import pandas as pd
import torch
from coupondesk.models.acceptance import predict_acceptance
from coupondesk.models.baselines import LogisticBaseline, fit_lightgbm, predict_lightgbm
from coupondesk.models.behaviour import BINARY_BEHAVIOUR_TARGETS, predict_behaviour
from coupondesk.models.calibration import Calibrator, fit_calibrator
from coupondesk.models.config import TrainConfig
from coupondesk.models.datasets import BEHAVIOUR_TARGETS, acceptance_tensors, behaviour_tensors
from coupondesk.models.features import campaign_scope
from coupondesk.models.history import History, to_days
from coupondesk.models.metrics import (
    bootstrap_ci,
    classification_report,
    expected_calibration_error,
    paired_bootstrap,
    r2,
    rmse,
    roc_auc,
)
from coupondesk.models.sequences import BasketTable
from coupondesk.models.tasks import (
    ACCEPTANCE_FOLD_DATE,
    ACCEPTANCE_FOLD_END,
    ACCEPTANCE_SPLIT_DATE,
    ACCEPTANCE_TEST_END,
    BEHAVIOUR_FOLD_LAST_TRAIN_CUTOFF,
    BEHAVIOUR_FOLD_LAST_VALID_CUTOFF,
    BEHAVIOUR_LAST_TRAIN_CUTOFF,
    OWN_CAMPAIGN_OFFSET,
    AcceptanceSplit,
    acceptance_rows,
    acceptance_split,
    behaviour_cutoffs_after,
    behaviour_cutoffs_until,
    behaviour_rows,
)
from coupondesk.models.train import Progress, finetune_acceptance, finetune_behaviour, staged

BINARY_BEHAVIOUR = list(BINARY_BEHAVIOUR_TARGETS)


def _stats(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=float)
    return {"mean": float(arr.mean()), "sd": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0}


# ----------------------------------------------------------------------------- acceptance


def evaluate_acceptance(
    history: History, table: BasketTable, encoders: dict[str, dict[str, torch.Tensor]],
    config: TrainConfig, progress: Progress,
) -> dict[str, Any]:
    max_len = config.encoder.max_baskets
    splits = {
        "fold": acceptance_split(history, ACCEPTANCE_FOLD_DATE, ACCEPTANCE_FOLD_END),
        "main": acceptance_split(history, ACCEPTANCE_SPLIT_DATE, ACCEPTANCE_TEST_END,
                                 own_test_open_ended=True),
    }
    # Features of every needed campaign are built once (the fold's campaigns are all in the
    # main train set) and sliced per split.
    needed = tuple(sorted({c for split in splits.values()
                           for c in (*split.train_campaigns, *split.test_campaigns)}))
    all_rows = acceptance_rows(history, needed)
    all_tensors, all_features = acceptance_tensors(history, table, all_rows, max_len)
    data: dict[Any, Any] = {}
    for name, split in splits.items():
        for part, campaigns in (("train", split.train_campaigns), ("test", split.test_campaigns)):
            index = np.flatnonzero(all_rows["campaign_id"].isin(campaigns).to_numpy())
            data[(name, part)] = (all_rows.iloc[index].reset_index(drop=True),
                                  all_tensors.subset(index),
                                  all_features.iloc[index].reset_index(drop=True))
    progress("acceptance features", 1, 1)

    # Baseline settings are chosen on the validation fold, like the transformer's.
    fold_rows, _, fold_features = data[("fold", "train")]
    val_rows, _, val_features = data[("fold", "test")]
    y_fold, y_val = fold_rows["label"].to_numpy(), val_rows["label"].to_numpy()
    logistic_grid = {
        str(c): roc_auc(y_val, LogisticBaseline.fit(fold_features, y_fold, c).predict(val_features))
        for c in config.logistic_c_grid
    }
    logistic_c = float(max(logistic_grid, key=lambda k: logistic_grid[k])) if logistic_grid \
        else config.logistic_c
    lightgbm_grid = {
        str(i): roc_auc(y_val, predict_lightgbm(fit_lightgbm(
            fold_features, y_fold, cfg, threads=config.threads), val_features))
        for i, cfg in enumerate(config.acceptance_lightgbm_grid)
    }
    lightgbm_config = (config.acceptance_lightgbm_grid[int(max(lightgbm_grid,
                                                               key=lambda k: lightgbm_grid[k]))]
                       if lightgbm_grid else config.acceptance_lightgbm)
    baseline_tuning = {
        "logistic_c_fold_roc_auc": logistic_grid, "logistic_c": logistic_c,
        "lightgbm_fold_roc_auc": {
            json_key: {"config": asdict(config.acceptance_lightgbm_grid[int(json_key)]),
                       "roc_auc": value} for json_key, value in lightgbm_grid.items()},
        "lightgbm_config": asdict(lightgbm_config),
    }

    def fit_all(name: str, seeds: tuple[int, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
        rows, tensors, features = data[(name, "train")]
        y = rows["label"].to_numpy()
        run_config = config
        if name == "fold" and config.match_fold_steps:
            ratio = len(data[("main", "train")][0]) / max(len(rows), 1)
            epochs = max(1, round(config.acceptance.epochs * ratio))
            run_config = replace(config, acceptance=replace(config.acceptance, epochs=epochs))
        _, test_tensors, test_features = data[(name, "test")]
        models: dict[str, Any] = {
            "logistic": LogisticBaseline.fit(features, y, logistic_c),
            "lightgbm": fit_lightgbm(features, y, lightgbm_config, threads=config.threads),
        }
        preds: dict[str, Any] = {
            "logistic": models["logistic"].predict(test_features),
            "lightgbm": predict_lightgbm(models["lightgbm"], test_features),
        }
        transformers, seed_preds = [], []
        for seed in seeds:
            model, losses = finetune_acceptance(
                history, encoders[name], tensors, run_config, seed,
                staged(progress, f"acceptance ({name}, seed {seed})"),
            )
            transformers.append((seed, model, losses))
            seed_preds.append(predict_acceptance(model, test_tensors))
        models["transformer"] = transformers
        preds["transformer"] = seed_preds
        return models, preds

    # Every seed runs on the fold too (a fine-tune is seconds): one seed's luck must not pick
    # the serving model when the candidates are within a few thousandths of each other.
    fold_models, fold_preds = fit_all("fold", config.seeds)
    y_val = data[("fold", "test")][0]["label"].to_numpy()
    calibrators: dict[str, Calibrator] = {}
    validation: dict[str, dict[str, Any]] = {}
    for kind in ("transformer", "logistic", "lightgbm"):
        if kind == "transformer":
            reports = [classification_report(y_val, p) for p in fold_preds[kind]]
            stacked = np.concatenate(fold_preds[kind])
            calibrators[kind] = fit_calibrator(np.tile(y_val, len(reports)), stacked, "platt")
            validation[kind] = {k: _stats([r[k] for r in reports])["mean"] for k in reports[0]}
            calibrated = [classification_report(y_val, calibrators[kind](p))
                          for p in fold_preds[kind]]
            validation[kind]["ece"] = _stats([r["ece"] for r in calibrated])["mean"]
            validation[kind]["ece_raw"] = _stats(
                [expected_calibration_error(y_val, p) for p in fold_preds[kind]])["mean"]
            validation[kind]["roc_auc_per_seed"] = [r["roc_auc"] for r in reports]
            continue
        p = fold_preds[kind]
        fold_calibrator = fit_calibrator(y_val, p, "platt")
        validation[kind] = classification_report(y_val, fold_calibrator(p))
        validation[kind]["ece_raw"] = expected_calibration_error(y_val, p)
    serving = max(validation, key=lambda k: validation[k]["roc_auc"])

    main_models, main_preds = fit_all("main", config.seeds)
    # The baselines' maps come from their own leave-one-campaign-out predictions on the main
    # training rows (cross-fitting): a map fitted to the fold model (669 rows) does not match
    # the scale of a strongly regularised logistic trained on 2,319. Measured on the full
    # data: logistic test ECE 0.096 with the fold map, 0.042 with this one; LightGBM 0.032 ->
    # 0.067 (the test campaigns' base rate differs from the train campaigns'; no map fitted
    # before the split can know it). Chosen for the principle, both figures are in the README.
    main_rows, _, main_features = data[("main", "train")]
    for kind in ("logistic", "lightgbm"):
        oof = _leave_one_campaign_out(
            main_rows, main_features,
            fit=(lambda x, y: LogisticBaseline.fit(x, y, logistic_c)) if kind == "logistic"
            else (lambda x, y: fit_lightgbm(x, y, lightgbm_config, threads=config.threads)),
            predict=(lambda m, x: m.predict(x)) if kind == "logistic" else predict_lightgbm,
        )
        calibrators[kind] = fit_calibrator(main_rows["label"].to_numpy(), oof, "platt")
    y_test = data[("main", "test")][0]["label"].to_numpy()
    test: dict[str, Any] = {}
    for kind in ("logistic", "lightgbm"):
        p = calibrators[kind](main_preds[kind])
        test[kind] = classification_report(y_test, p)
        test[kind]["ece_raw"] = expected_calibration_error(y_test, main_preds[kind])
        test[kind]["roc_auc_ci95"] = list(bootstrap_ci(y_test, p, rounds=config.bootstrap_rounds))
    per_seed = []
    for seed, p_raw in zip(config.seeds, main_preds["transformer"], strict=True):
        report = classification_report(y_test, calibrators["transformer"](p_raw))
        report["ece_raw"] = expected_calibration_error(y_test, p_raw)
        per_seed.append({"seed": seed, **report})
    keys = ("roc_auc", "pr_auc", "lift_at_10", "ece", "ece_raw")
    test["transformer"] = {k: _stats([s[k] for s in per_seed])["mean"] for k in keys}
    test["transformer"]["sd"] = {k: _stats([s[k] for s in per_seed])["sd"] for k in keys}
    test["transformer"]["per_seed"] = per_seed
    ensemble = calibrators["transformer"](np.mean(main_preds["transformer"], axis=0))
    test["transformer_seed_ensemble"] = classification_report(y_test, ensemble)
    first = calibrators["transformer"](main_preds["transformer"][0])
    test["transformer"]["roc_auc_ci95_seed0"] = list(
        bootstrap_ci(y_test, first, rounds=config.bootstrap_rounds))
    best_baseline = max(("logistic", "lightgbm"), key=lambda k: validation[k]["roc_auc"])
    bootstrap = {
        f"transformer_seed{seed}_vs_{ref}": paired_bootstrap(
            y_test, calibrators["transformer"](p_raw), calibrators[ref](main_preds[ref]),
            rounds=config.bootstrap_rounds, seed=seed)
        for ref in ("logistic", "lightgbm")
        for seed, p_raw in zip(config.seeds, main_preds["transformer"], strict=True)
    }
    for metric in ("pr_auc", "lift_at_10"):
        bootstrap[f"transformer_seed{config.seeds[0]}_vs_{best_baseline}_{metric}"] = (
            paired_bootstrap(y_test, first, calibrators[best_baseline](main_preds[best_baseline]),
                             metric=metric, rounds=config.bootstrap_rounds, seed=0))
    splits_json = {name: split.describe() for name, split in splits.items()}
    rows_json = {
        f"{name}_{part}": {"rows": int(len(data[(name, part)][0])),
                           "positive_rate": float(data[(name, part)][0]["label"].mean())}
        for name in splits for part in ("train", "test")
    }
    durations = [campaign_scope(history, c).duration_days
                 for c in splits["main"].train_campaigns]
    return {
        "own_campaigns": own_campaigns_used(history, splits["main"], all_rows),
        "trained_duration_days": [float(min(durations)), float(max(durations))],
        "splits": splits_json,
        "rows": rows_json,
        "validation": validation,
        "test": test,
        "bootstrap": bootstrap,
        "best_baseline_on_validation": best_baseline,
        "baseline_tuning": baseline_tuning,
        "serving": serving,
        "serving_reason": (
            "highest ROC-AUC on the validation fold (campaigns "
            f"{list(splits['fold'].test_campaigns)}"
            f" after training on {list(splits['fold'].train_campaigns)}): "
            + ", ".join(f"{k} {v['roc_auc']:.3f}" for k, v in validation.items())
        ),
        "calibrators": calibrators,
        "models": main_models,
        "feature_names": list(data[("main", "train")][2].columns),
        "train_losses": {str(seed): losses for seed, _, losses in main_models["transformer"]},
    }


def own_campaigns_used(
    history: History, split: AcceptanceSplit, rows: pd.DataFrame
) -> dict[str, Any]:
    """Which of the product's own campaigns are acceptance rows, in which part, from what source.

    The card says whether any simulated outcomes went into training or testing: a model scored
    on simulated redemptions has learned (or been measured on) the simulator, not the market.
    """
    desc = history.frames.campaign_descriptions
    own = desc[desc["campaign_id"] >= OWN_CAMPAIGN_OFFSET]
    listed = []
    for record in own.itertuples(index=False):
        campaign = int(record.campaign_id)
        part = ("train" if campaign in split.train_campaigns
                else "test" if campaign in split.test_campaigns else "unused")
        campaign_rows = rows[rows["campaign_id"] == campaign]
        listed.append({
            "campaign_id": campaign - OWN_CAMPAIGN_OFFSET,
            "source": str(getattr(record, "outcome_source", "observed")),
            "offer_kind": str(getattr(record, "offer_kind", "")),
            "offer_value": _finite_or_none(getattr(record, "offer_value", None)),
            "start": str(pd.Timestamp(record.start_date).date()),
            "part": part,
            "rows": int(len(campaign_rows)),
            "positive_rate": float(campaign_rows["label"].mean()) if len(campaign_rows) else 0.0,
        })
    used = [c for c in listed if c["part"] != "unused"]
    return {
        "campaigns": listed,
        "any_simulated": any(c["source"] in ("simulated", "mixed") for c in used),
        "rule": "the product's dispatched campaigns with outcomes, described as new offers "
        "are (catalog scope, kind, depth, validity); train if they ended before the split date, "
        "test if they started on or after it",
    }


def _finite_or_none(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


# ----------------------------------------------------------------------------- behaviour


def _leave_one_campaign_out(
    rows: pd.DataFrame, features: pd.DataFrame,
    fit: Any, predict: Any,
) -> np.ndarray:
    """Out-of-campaign predictions: each campaign's rows scored by a model fitted on the other
    campaigns' rows. Calibration maps fitted on these match the scale of the model trained on
    all of them (features are built before each campaign's start, so nothing leaks forward)."""
    campaigns = rows["campaign_id"].to_numpy()
    labels = rows["label"].to_numpy()
    oof = np.zeros(len(rows))
    for campaign in np.unique(campaigns):
        held = campaigns == campaign
        model = fit(features[~held].reset_index(drop=True), labels[~held])
        oof[held] = predict(model, features[held].reset_index(drop=True))
    return oof


def _behaviour_metrics(frame: pd.DataFrame, preds: dict[str, np.ndarray]) -> dict[str, float]:
    out = {
        "buy_7d_auc": roc_auc(frame["buy_7d"].to_numpy(), preds["buy_7d"]),
        "buy_14d_auc": roc_auc(frame["buy_14d"].to_numpy(), preds["buy_14d"]),
        "buy_28d_auc": roc_auc(frame["buy_28d"].to_numpy(), preds["buy_28d"]),
        "spend_28d_rmse": rmse(frame["spend_28d"].to_numpy(), preds["spend_28d"]),
        "spend_28d_r2": r2(frame["spend_28d"].to_numpy(), preds["spend_28d"]),
        "next_visit_mae": float(np.mean(np.abs(frame["next_visit_days"].to_numpy()
                                               - preds["next_visit_days"]))),
    }
    for target in BINARY_BEHAVIOUR:
        if target.startswith("dept_"):
            out[f"{target}_auc"] = roc_auc(frame[target].to_numpy(), preds[target])
    depts = [v for k, v in out.items() if k.startswith("dept_")]
    out["dept_mean_auc"] = float(np.mean(depts))
    for target in ("buy_7d", "buy_14d", "buy_28d"):
        out[f"{target}_ece"] = expected_calibration_error(frame[target].to_numpy(), preds[target])
    return out


def evaluate_behaviour(
    history: History, table: BasketTable, encoders: dict[str, dict[str, torch.Tensor]],
    config: TrainConfig, progress: Progress,
) -> dict[str, Any]:
    max_len = config.encoder.max_baskets
    fold_train = behaviour_cutoffs_until(BEHAVIOUR_FOLD_LAST_TRAIN_CUTOFF)
    fold_valid = tuple(c for c in behaviour_cutoffs_after(BEHAVIOUR_FOLD_LAST_TRAIN_CUTOFF)
                       if c <= BEHAVIOUR_FOLD_LAST_VALID_CUTOFF)
    main_train = behaviour_cutoffs_until(BEHAVIOUR_LAST_TRAIN_CUTOFF)
    main_test = behaviour_cutoffs_after(BEHAVIOUR_LAST_TRAIN_CUTOFF)
    parts = {("fold", "train"): fold_train, ("fold", "test"): fold_valid,
             ("main", "train"): main_train, ("main", "test"): main_test}
    every = tuple(sorted({c for cutoffs in parts.values() for c in cutoffs}))
    all_rows = behaviour_rows(history, every)
    all_tensors, all_features = behaviour_tensors(history, table, all_rows, max_len)
    data: dict[Any, Any] = {}
    for key, cutoffs in parts.items():
        days = [to_days(c) for c in cutoffs]
        index = np.flatnonzero(all_rows["cutoff"].isin(days).to_numpy())
        data[key] = (all_rows.iloc[index].reset_index(drop=True), all_tensors.subset(index),
                     all_features.iloc[index].reset_index(drop=True))
    progress("behaviour features", 1, 1)

    def fit_all(name: str, seeds: tuple[int, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
        rows, tensors, features = data[(name, "train")]
        _, test_tensors, test_features = data[(name, "test")]
        boosters = {}
        for i, target in enumerate(BEHAVIOUR_TARGETS):
            objective = "binary" if target in BINARY_BEHAVIOUR else "regression"
            boosters[target] = fit_lightgbm(features, rows[target].to_numpy(),
                                            config.behaviour_lightgbm, objective=objective,
                                            threads=config.threads)
            progress(f"behaviour lightgbm ({name})", i + 1, len(BEHAVIOUR_TARGETS))
        preds: dict[str, Any] = {"lightgbm": {t: predict_lightgbm(b, test_features)
                                              for t, b in boosters.items()}}
        preds["lightgbm"]["spend_28d"] = np.clip(preds["lightgbm"]["spend_28d"], 0, None)
        preds["lightgbm"]["next_visit_days"] = np.clip(preds["lightgbm"]["next_visit_days"], 0, 28)
        run_config = config
        if name == "fold" and config.match_fold_steps:
            ratio = len(data[("main", "train")][0]) / max(len(rows), 1)
            epochs = max(1, round(config.behaviour.epochs * ratio))
            run_config = replace(config, behaviour=replace(config.behaviour, epochs=epochs))
        transformers, seed_preds = [], []
        for seed in seeds:
            model, losses = finetune_behaviour(
                history, encoders[name], tensors, run_config, seed,
                staged(progress, f"behaviour ({name}, seed {seed})"),
            )
            transformers.append((seed, model, losses))
            seed_preds.append(predict_behaviour(model, test_tensors))
        preds["transformer"] = seed_preds
        return {"lightgbm": boosters, "transformer": transformers}, preds

    def calibrated(preds: dict[str, np.ndarray], cals: dict[str, Calibrator]
                   ) -> dict[str, np.ndarray]:
        return {k: (cals[k](v) if k in cals else v) for k, v in preds.items()}

    fold_models, fold_preds = fit_all("fold", config.seeds[:1])
    val_rows = data[("fold", "test")][0]
    calibrators: dict[str, dict[str, Calibrator]] = {}
    validation = {}
    for kind in ("transformer", "lightgbm"):
        p = fold_preds[kind][0] if kind == "transformer" else fold_preds[kind]
        calibrators[kind] = {t: fit_calibrator(val_rows[t].to_numpy(), p[t], "platt")
                             for t in BINARY_BEHAVIOUR}
        validation[kind] = _behaviour_metrics(val_rows, calibrated(p, calibrators[kind]))

    def choice_score(m: dict[str, float]) -> float:
        return float(np.mean([m["buy_7d_auc"], m["buy_14d_auc"], m["buy_28d_auc"],
                              m["spend_28d_r2"]]))

    serving = max(validation, key=lambda k: choice_score(validation[k]))

    main_models, main_preds = fit_all("main", config.behaviour_seeds)
    test_rows = data[("main", "test")][0]
    test: dict[str, Any] = {"lightgbm": _behaviour_metrics(
        test_rows, calibrated(main_preds["lightgbm"], calibrators["lightgbm"]))}
    per_seed = [{"seed": seed, **_behaviour_metrics(test_rows, calibrated(p, calibrators[
        "transformer"]))}
        for seed, p in zip(config.behaviour_seeds, main_preds["transformer"], strict=True)]
    keys = [k for k in per_seed[0] if k != "seed"]
    test["transformer"] = {k: _stats([s[k] for s in per_seed])["mean"] for k in keys}
    test["transformer"]["sd"] = {k: _stats([s[k] for s in per_seed])["sd"] for k in keys}
    test["transformer"]["per_seed"] = per_seed
    y14 = test_rows["buy_14d"].to_numpy()
    bootstrap = {
        f"transformer_seed{seed}_vs_lightgbm_buy_14d": paired_bootstrap(
            y14, p["buy_14d"], main_preds["lightgbm"]["buy_14d"], rounds=config.bootstrap_rounds,
            seed=seed)
        for seed, p in zip(config.behaviour_seeds, main_preds["transformer"], strict=True)
    }
    return {
        "seeds": list(config.behaviour_seeds),
        "cutoffs": {f"{n}_{p}": [str(c.date()) for c in cs] for (n, p), cs in parts.items()},
        "rows": {f"{n}_{p}": int(len(data[(n, p)][0])) for (n, p) in parts},
        "validation": validation,
        "test": test,
        "bootstrap": bootstrap,
        "serving": serving,
        "serving_reason": (
            "higher mean of buy 7/14/28d ROC-AUC and spend-28d R^2 on the validation fold "
            f"(train cutoffs {[str(c.date()) for c in fold_train]}, validate on "
            f"{[str(c.date()) for c in fold_valid]}): "
            + ", ".join(f"{k} {choice_score(v):.3f}" for k, v in validation.items())
        ),
        "calibrators": calibrators,
        "models": main_models,
        "feature_names": list(data[("main", "train")][2].columns),
        "train_losses": {str(seed): losses for seed, _, losses in main_models["transformer"]},
    }
