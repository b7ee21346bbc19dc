"""User-facing errors: one base class whose message is shown as one line to the operator.

Guardrail findings are *not* errors (they are typed verdicts); these are for things the
operator must fix before anything can proceed: bad input, a missing model, an unreachable
database or endpoint.
"""

from __future__ import annotations


class CoupondeskError(Exception):
    """An error whose message is written for the operator, not for a stack trace."""

    title: str = "Error"
    exit_code: int = 1

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        if title is not None:
            self.title = title

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.title


class BadInputError(CoupondeskError):
    """The operator's input (JSON, file, request) cannot be understood at all."""

    title = "Bad input"
    exit_code = 2


class ConfigError(CoupondeskError):
    """A setting or the policy file is invalid."""

    title = "Configuration error"
    exit_code = 2


class NotReadyError(CoupondeskError):
    """Something the command needs has not been set up yet (data not loaded, model not trained)."""

    title = "Not set up"


class NotFoundError(CoupondeskError):
    """A campaign or other record the operator named does not exist."""

    title = "Not found"


class RefusedError(CoupondeskError):
    """An action was refused by a rule (approval missing, budget exhausted, wrong state)."""

    title = "Refused"


class LLMError(CoupondeskError):
    """The language model backend failed (endpoint down, model file missing)."""

    title = "LLM error"
