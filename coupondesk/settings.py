"""Settings: built once at the entry point (CLI/TUI) and passed down, never read ad hoc.

Sources, highest priority first: constructor arguments, `COUPONDESK_*` environment variables,
a TOML file (`COUPONDESK_CONFIG`, default `$COUPONDESK_HOME/config.toml`), then defaults.
Settings nest by concern (`llm`, `database`, `models`, `guardrails`, `copywriter`): the
nested form is `COUPONDESK_LLM__BACKEND` or a `[llm]` table in the TOML file; the flat names
that came first (`COUPONDESK_LLM_BACKEND`, `COUPONDESK_DATABASE_URL`, `llm_backend = ...` in
the file) keep working. tools/ never sees this module: its functions take the values they need.
"""

from __future__ import annotations

import getpass
import logging
import os
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from coupondesk.tools.data.limits import CHUNK_HOUSEHOLDS, TRAIN_HOUSEHOLDS
from coupondesk.tools.errors import ConfigError
from coupondesk.tools.llm.factory import LLMOptions
from coupondesk.tools.policy.rules import DEFAULT_POLICY_PATH, Policy, load_policy

logger = logging.getLogger(__name__)

ENV_PREFIX = "COUPONDESK_"
DEFAULT_HOME = Path("~/.local/share/coupondesk")


def _default_operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "operator"


def _config_file() -> Path:
    explicit = os.environ.get("COUPONDESK_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    home = Path(os.environ.get("COUPONDESK_HOME", str(DEFAULT_HOME))).expanduser()
    return home / "config.toml"


class DatabaseSettings(BaseModel):
    """Where the campaigns and the retail history live."""

    url: str | None = None
    """Any SQLAlchemy URL; default `sqlite:///$COUPONDESK_HOME/coupondesk.db`."""


class LLMSettings(BaseModel):
    """Which chat model drafts copy and reads requests."""

    backend: Literal["local", "openai", "fake"] = "local"
    """local = SmolLM2-135M in-process (no network); openai = any OpenAI-compatible endpoint."""
    base_url: str | None = None
    """Endpoint of the openai backend, e.g. http://127.0.0.1:11434/v1 for Ollama."""
    model: str | None = None
    """Model name at the endpoint (openai backend), e.g. gpt-4o-mini or qwen2.5:7b."""
    api_key: SecretStr | None = None
    """API key of the endpoint; falls back to OPENAI_API_KEY."""
    timeout: float = 60.0
    """Seconds before one LLM request is abandoned."""
    max_retries: int = 3
    """Retries (with exponential backoff) on transient endpoint errors."""
    local_engine: Literal["auto", "transformers", "llamacpp"] = "auto"
    """auto = llama-cpp-python when installed (fast), else transformers."""

    @property
    def resolved_api_key(self) -> str | None:
        """The endpoint key, falling back to OPENAI_API_KEY."""
        if self.api_key is not None:
            return self.api_key.get_secret_value()
        return os.environ.get("OPENAI_API_KEY")

    def options(self) -> LLMOptions:
        """The values the LLM factory needs (secrets resolved)."""
        return LLMOptions(
            backend=self.backend, model=self.model, base_url=self.base_url,
            api_key=self.resolved_api_key, timeout=self.timeout, max_retries=self.max_retries,
            local_engine=self.local_engine,
        )


class ModelSettings(BaseModel):
    """Where the trained scoring models are kept, and how many households scoring and training
    hold at once."""

    dir: Path | None = None
    """Trained models, loaded by name; default `$COUPONDESK_HOME/models`."""
    chunk_households: int = Field(default=CHUNK_HOUSEHOLDS, ge=1)
    """Households the scorer reads from the database and featurises at a time: memory is
    bounded by one chunk's history, and the scores are the same for any chunk size."""
    train_households: int = Field(default=TRAIN_HOUSEHOLDS, ge=1)
    """Households `coupondesk train` learns from: a seeded random sample (seed = the first
    training seed), all of them when the data has fewer; stated in the model card."""
    engine: Literal["local", "ray"] = "local"
    """Where the chunks are read and featurised: here, or on Ray (same scores either way)."""
    ray_address: str | None = None
    """A Ray cluster (`ray://head:10001`, `auto`) or "local"; setting it selects Ray."""
    ray_workers: int = Field(default=2, ge=1)
    """Ray actors (one CPU each) that score chunks at once."""

    @property
    def resolved_ray_address(self) -> str | None:
        """The Ray address to score on, or None for the local backend."""
        if self.ray_address:
            return self.ray_address
        return "local" if self.engine == "ray" else None


class GuardrailSettings(BaseModel):
    """The discount policy and the overrides an operator may set on it."""

    policy: Path = DEFAULT_POLICY_PATH
    """The discount policy TOML file."""
    two_operator_threshold: float | None = None
    """Override of the policy's budget above which two different operators must approve."""

    @field_validator("policy", mode="after")
    @classmethod
    def _expand(cls, path: Path) -> Path:
        return path.expanduser()

    def load_policy(self) -> Policy:
        """The policy file, with the two-operator override applied."""
        return load_policy(self.policy, two_operator_threshold=self.two_operator_threshold)


class CopySettings(BaseModel):
    """How the copywriter drafts."""

    variants: int = 3
    """How many copy variants the copywriter drafts per campaign."""


FLAT_NAMES: dict[str, tuple[str, str]] = {
    "database_url": ("database", "url"),
    "llm_backend": ("llm", "backend"),
    "llm_base_url": ("llm", "base_url"),
    "llm_model": ("llm", "model"),
    "llm_api_key": ("llm", "api_key"),
    "llm_timeout": ("llm", "timeout"),
    "llm_max_retries": ("llm", "max_retries"),
    "llm_local_engine": ("llm", "local_engine"),
    "models_dir": ("models", "dir"),
    "chunk_households": ("models", "chunk_households"),
    "train_households": ("models", "train_households"),
    "scoring_engine": ("models", "engine"),
    "ray_address": ("models", "ray_address"),
    "ray_workers": ("models", "ray_workers"),
    "policy": ("guardrails", "policy"),
    "two_operator_threshold": ("guardrails", "two_operator_threshold"),
    "copy_variants": ("copywriter", "variants"),
}
"""The first, flat setting names (env `COUPONDESK_<NAME>`, TOML keys) and where they now nest."""


def nest_flat_names(values: dict[str, Any]) -> dict[str, Any]:
    """Move flat keys (`llm_backend`) under their group (`llm.backend`); nested keys win."""
    out = {k: v for k, v in values.items() if k not in FLAT_NAMES}
    for flat, (group, name) in FLAT_NAMES.items():
        if flat in values:
            section = out.setdefault(group, {})
            if isinstance(section, dict):
                section.setdefault(name, values[flat])
    return out


class FlatEnvSource(PydanticBaseSettingsSource):
    """The flat environment names (`COUPONDESK_LLM_BACKEND`), read into the nested groups."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        found = {flat: os.environ[ENV_PREFIX + flat.upper()] for flat in FLAT_NAMES
                 if ENV_PREFIX + flat.upper() in os.environ}
        return nest_flat_names(found)


class NestingSource(PydanticBaseSettingsSource):
    """Another source (the constructor's arguments) with its flat names nested."""

    def __init__(self, settings_cls: type[BaseSettings], inner: PydanticBaseSettingsSource):
        super().__init__(settings_cls)
        self._inner = inner

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return nest_flat_names(self._inner())


class NestingTomlSource(TomlConfigSettingsSource):
    """The TOML file, where flat keys (`llm_backend = "openai"`) still mean their group."""

    def __call__(self) -> dict[str, Any]:
        return nest_flat_names(super().__call__())


class Settings(BaseSettings):
    """Everything configurable about coupondesk, one documented field each."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="ignore"
    )

    home: Path = DEFAULT_HOME
    """Where coupondesk keeps its database, trained models, logs and agent checkpoints."""
    operator: str = Field(default_factory=_default_operator)
    """Who is at the keyboard; recorded on approvals, rejections and the audit log."""
    today: date | None = None
    """Planning date. Default: the day after the last transaction in the database."""
    service_date: Literal["planning", "wall"] = "planning"
    """The date the redemption service checks validity against: `planning` = the planning date
    (`today`, else the day after the data's last sale, so the embedded data's campaigns can be
    redeemed), `wall` = the real UTC date (a live deployment). The time of day is always real."""

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    models: ModelSettings = Field(default_factory=ModelSettings)
    guardrails: GuardrailSettings = Field(default_factory=GuardrailSettings)
    copywriter: CopySettings = Field(default_factory=CopySettings)

    @field_validator("home", mode="after")
    @classmethod
    def _expand(cls, path: Path) -> Path:
        return path.expanduser()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_source = NestingTomlSource(settings_cls, toml_file=_config_file())
        flat_env = FlatEnvSource(settings_cls)
        init = NestingSource(settings_cls, init_settings)
        return (init, env_settings, flat_env, toml_source, file_secret_settings)

    # Derived locations: one place for every path (elia/posting keep a locations module).
    @property
    def resolved_database_url(self) -> str:
        """The database URL with the SQLite default filled in."""
        return self.database.url or f"sqlite:///{self.home / 'coupondesk.db'}"

    @property
    def models_dir(self) -> Path:
        """Trained models, loaded by name (`models/<name>/`)."""
        return (self.models.dir or self.home / "models").expanduser()

    @property
    def checkpoints_path(self) -> Path:
        """SQLite file of the LangGraph checkpointer when the database is not PostgreSQL."""
        return self.home / "checkpoints.db"

    @property
    def logs_dir(self) -> Path:
        """The rotating log files (`coupondesk.log`)."""
        return self.home / "logs"

    def masked_database_url(self) -> str:
        """The database URL with any password replaced by ***, for display."""
        from sqlalchemy.engine import make_url

        return make_url(self.resolved_database_url).render_as_string(hide_password=True)

    def ensure_home(self) -> None:
        """Create the home directory tree."""
        self.models_dir.mkdir(parents=True, exist_ok=True)


def load_settings(**overrides: Any) -> Settings:
    """Build Settings once; a broken value or file becomes a one-line ConfigError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"setting {where}: {first['msg']}") from exc
    except (OSError, ValueError) as exc:  # e.g. a TOML syntax error in the config file
        raise ConfigError(f"cannot read settings: {exc}") from exc
