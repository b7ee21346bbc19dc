"""Settings: built once at the entry point (CLI/TUI) and passed down, never read ad hoc.

Sources, highest priority first: constructor arguments, `COUPONDESK_*` environment variables,
a TOML file (`COUPONDESK_CONFIG`, default `$COUPONDESK_HOME/config.toml`), then defaults.
"""

from __future__ import annotations

import getpass
import os
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_HOME = Path("~/.local/share/coupondesk")
DEFAULT_POLICY = Path(__file__).parent / "policy" / "policy.toml"


def _default_operator() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "operator"


def _config_file() -> Path:
    explicit = os.environ.get("COUPONDESK_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    home = Path(os.environ.get("COUPONDESK_HOME", str(DEFAULT_HOME))).expanduser()
    return home / "config.toml"


class Settings(BaseSettings):
    """Everything configurable about coupondesk, one documented field each."""

    model_config = SettingsConfigDict(
        env_prefix="COUPONDESK_", env_nested_delimiter="__", extra="ignore"
    )

    home: Path = DEFAULT_HOME
    """Where coupondesk keeps its database, trained models and agent checkpoints."""
    database_url: str | None = None
    """Any SQLAlchemy URL; default `sqlite:///$COUPONDESK_HOME/coupondesk.db`."""
    operator: str = Field(default_factory=_default_operator)
    """Who is at the keyboard; recorded on approvals, rejections and the audit log."""
    today: date | None = None
    """Planning date. Default: the day after the last transaction in the database."""

    llm_backend: Literal["local", "openai", "fake"] = "local"
    """local = SmolLM2-135M in-process (no network); openai = any OpenAI-compatible endpoint."""
    llm_base_url: str | None = None
    """Endpoint of the openai backend, e.g. http://127.0.0.1:11434/v1 for Ollama."""
    llm_model: str | None = None
    """Model name at the endpoint (openai backend), e.g. gpt-4o-mini or qwen2.5:7b."""
    llm_api_key: SecretStr | None = None
    """API key of the endpoint; falls back to OPENAI_API_KEY."""
    llm_timeout: float = 60.0
    """Seconds before one LLM request is abandoned."""
    llm_max_retries: int = 3
    """Retries (with exponential backoff) on transient endpoint errors."""
    llm_local_engine: Literal["auto", "transformers", "llamacpp"] = "auto"
    """auto = llama-cpp-python when installed (fast), else transformers."""

    service_date: Literal["planning", "wall"] = "planning"
    """The date the redemption service checks validity against: `planning` = the planning date
    (`today`, else the day after the data's last sale, so the embedded data's campaigns can be
    redeemed), `wall` = the real UTC date (a live deployment). The time of day is always real."""

    policy: Path = DEFAULT_POLICY
    """The discount policy TOML file."""
    copy_variants: int = 3
    """How many copy variants the copywriter drafts per campaign."""
    two_operator_threshold: float | None = None
    """Override of the policy's budget above which two different operators must approve."""

    @field_validator("home", "policy", mode="after")
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
        toml_source = TomlConfigSettingsSource(settings_cls, toml_file=_config_file())
        return (init_settings, env_settings, toml_source, file_secret_settings)

    # Derived locations: one place for every path (elia/posting keep a locations module).
    @property
    def resolved_database_url(self) -> str:
        """The database URL with the SQLite default filled in."""
        return self.database_url or f"sqlite:///{self.home / 'coupondesk.db'}"

    @property
    def models_dir(self) -> Path:
        """Trained models, loaded by name (`models/<name>/`)."""
        return self.home / "models"

    @property
    def checkpoints_path(self) -> Path:
        """SQLite file of the LangGraph checkpointer when the database is not PostgreSQL."""
        return self.home / "checkpoints.db"

    @property
    def resolved_llm_api_key(self) -> str | None:
        """The endpoint key, falling back to OPENAI_API_KEY."""
        if self.llm_api_key is not None:
            return self.llm_api_key.get_secret_value()
        return os.environ.get("OPENAI_API_KEY")

    def masked_database_url(self) -> str:
        """The database URL with any password replaced by ***, for display."""
        from sqlalchemy.engine import make_url

        return make_url(self.resolved_database_url).render_as_string(hide_password=True)

    def ensure_home(self) -> None:
        """Create the home directory tree."""
        self.models_dir.mkdir(parents=True, exist_ok=True)


def load_settings(**overrides: Any) -> Settings:
    """Build Settings once; a broken value or file becomes a one-line ConfigError."""
    from coupondesk.tools.errors import ConfigError
    from pydantic import ValidationError

    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"setting {where}: {first['msg']}") from exc
    except Exception as exc:  # e.g. a TOML syntax error in the config file
        raise ConfigError(f"cannot read settings: {exc}") from exc
