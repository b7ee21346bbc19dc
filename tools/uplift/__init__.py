"""Incremental targeting: per-household depth from the policy's menu, chosen under the budget.

The economics of every arm come from an uplift model's ArmEffects; the choice is a Lagrangian
dual over the budget (Meituan 2406.05987), checked against an exact solver on small cases.
"""
