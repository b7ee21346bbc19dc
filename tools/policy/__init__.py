"""The discount policy and the guardrails that hold every offer, plan and copy to it."""
