"""Print the full eval figures of a trained models dir beside the issue's baselines and goals.

    python bench/eval_figures.py [--models-dir DIR]

Reads the model card (written by `coupondesk train`): test-split metrics of every model, the
transformer's per-seed values and sd, bootstrap intervals, validation-fold figures, timings.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REFERENCE = {
    "acceptance": {"logistic": {"roc_auc": 0.821, "pr_auc": 0.536, "lift_at_10": 3.86},
                   "lightgbm": {"roc_auc": 0.818, "pr_auc": 0.503, "lift_at_10": 3.73},
                   "goal (transformer)": {"roc_auc": 0.84, "pr_auc": 0.56, "lift_at_10": 4.0}},
    "behavior": {"lightgbm": {"buy_14d_auc": 0.862, "buy_28d_auc": 0.879, "spend_28d_rmse": 102.7,
                              "spend_28d_r2": 0.69},
                 "goal (transformer)": {"buy_14d_auc": 0.87, "spend_28d_r2": 0.70}},
}
"""Figures measured outside the project (issue 3) and the issue's goals."""


def print_figures(card: dict) -> None:
    """Human-readable table of the card's figures."""
    for task in ("acceptance", "behavior"):
        print(f"== {task} (test split; serving: {card[task]['serving']})")
        print(f"   why: {card[task]['serving_reason']}")
        test = card[task]["test"]
        for name in ("transformer", "logistic", "lightgbm"):
            if name not in test:
                continue
            metrics = {k: v for k, v in test[name].items() if isinstance(v, float)}
            print(f"   {name:<20}" + "  ".join(f"{k}={v:.3f}" for k, v in metrics.items()))
            if "sd" in test[name]:
                print(f"   {'  sd over seeds':<20}" + "  ".join(
                    f"{k}={v:.3f}" for k, v in test[name]["sd"].items()))
        for name, metrics in REFERENCE[task].items():
            print(f"   {'ref ' + name:<20}" + "  ".join(f"{k}={v}" for k, v in metrics.items()))
        tuning = card[task].get("baseline_tuning")
        if tuning:
            print(f"   baselines tuned on the fold: logistic C={tuning['logistic_c']} "
                  f"(fold ROC-AUC {tuning['logistic_c_fold_roc_auc']}); LightGBM "
                  f"{tuning['lightgbm_config']}")
        if "transformer_seed_ensemble" in card[task]["test"]:
            ens = card[task]["test"]["transformer_seed_ensemble"]
            print(f"   {'seed ensemble':<20}" + "  ".join(f"{k}={v:.3f}" for k, v in ens.items()))
        for name, result in card[task].get("bootstrap", {}).items():
            print(f"   bootstrap {name}: gain {result['gain']:+.3f} "
                  f"[{result['ci_low']:+.3f}, {result['ci_high']:+.3f}] "
                  f"P(better)={result['p_better']:.2f}")
    print(f"== training time (s): {card['training_time_s']}")
    print(f"== seeds: {card['seeds']}")
    print("== eval --json document:")
    print(json.dumps(card["eval"], indent=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, default=None)
    args = parser.parse_args()
    models_dir = args.models_dir
    if models_dir is None:
        from coupondesk.settings import load_settings

        models_dir = load_settings().models_dir
    from coupondesk.models.registry import read_card

    card = read_card(models_dir)
    if card is None:
        raise SystemExit(f"no model card in {models_dir}; run `coupondesk train`")
    print_figures(card)


if __name__ == "__main__":
    main()
