"""Coupon copy: terms by construction, the LLM's hook, every variant checked."""
