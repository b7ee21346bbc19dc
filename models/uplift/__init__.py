"""Uplift models: who a coupon changes, and by how much at each depth.

Learners follow causalml's shape (`fit(features, arm, outcome)`, `predict(features)` -> one
effect column per arm, control a named arm) and learn from randomised data only; metrics follow
scikit-uplift's signatures so the two can be held side by side in a test.
"""

from __future__ import annotations
