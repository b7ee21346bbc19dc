"""Typed guardrail results: every check says which rule, why, and the offending value."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Violation(BaseModel):
    """One broken rule. `rule` is the policy rule id (e.g. "offer.max_percent")."""

    rule: str
    message: str
    value: Any = None


class Verdict(BaseModel):
    """The outcome of a check: ok is True exactly when there are no violations."""

    violations: list[Violation] = Field(default_factory=list)
    notes: list[Violation] = Field(default_factory=list)
    """Findings that do not block (e.g. "plan.two_operator": two approvals are needed)."""

    @property
    def ok(self) -> bool:
        return not self.violations

    def merged(self, other: Verdict) -> Verdict:
        """Both verdicts' violations, in order."""
        return Verdict(
            violations=[*self.violations, *other.violations], notes=[*self.notes, *other.notes]
        )

    def to_json_dict(self) -> dict[str, Any]:
        """The `{"ok", "violations"}` shape of the command-line contract."""
        document: dict[str, Any] = {
            "ok": self.ok,
            "violations": [v.model_dump(mode="json") for v in self.violations],
        }
        if self.notes:
            document["notes"] = [n.model_dump(mode="json") for n in self.notes]
        return document
