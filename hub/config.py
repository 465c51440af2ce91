"""``hub.toml``: typed sections, ``${ENV}`` substitution and ``OMNIHUB_*`` overrides.

Precedence: ``OMNIHUB_<SECTION>__<KEY>`` environment variables over the file over defaults,
e.g. ``OMNIHUB_BROKER__URL=amqp://…`` or ``OMNIHUB_PLUGINS__WHATSAPP__APP_SECRET=…``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

ENV_PREFIX = "OMNIHUB_"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
SCOPES = frozenset(
    {
        "events:write",
        "dlq:read",
        "dlq:write",
        "customers:read",
        "customers:write",
        "consent:write",
        "erasure:write",
        "audit:read",
        "conversations:write",
        "admin",
    }
)


class ConfigError(ValueError):
    """hub.toml (or the environment) is wrong; the message names the key."""


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HubSection(Section):
    data_dir: Path = Path(".omnihub")
    strict: bool = False  # refuse to start when a plugin fails to load
    # "uvloop" halves the event loop's own cost per event (futures, tasks, socket I/O);
    # "auto" uses it where it is installed (not on Windows), else asyncio's loop.
    event_loop: Literal["auto", "uvloop", "asyncio"] = "auto"
    # Processes of one `omnihub run` behind its port: a hub is one event loop, so one
    # process uses at most one core. "auto": one per core. More than one needs a broker
    # the processes share (amqp://); the store is shared already (SQLite file, PostgreSQL).
    workers: Annotated[int, Field(ge=1)] | Literal["auto"] = 1

    def worker_count(self) -> int:
        return (os.cpu_count() or 1) if self.workers == "auto" else self.workers


class BrokerSection(Section):
    url: str = "memory://"
    publish_timeout: float = Field(10.0, gt=0)
    drain_timeout: float = Field(10.0, ge=0)


class PipelineSection(Section):
    # "edge": the hub's own publishers (API, webhooks) run the pipeline before one publish
    # to omnihub.events; "ingress": they publish to omnihub.ingress and the pipeline
    # consumer does it (one more broker hop). omnihub.ingress is consumed in both modes,
    # for systems that publish to it directly.
    mode: Literal["edge", "ingress"] = "edge"
    concurrency: int = Field(32, ge=1)  # events the ingress consumer handles at once


class StoreSection(Section):
    url: str = "sqlite:///omnihub.db"
    dedupe_hours: float = Field(48.0, ge=24.0)  # ingress duplicates are dropped this long


class IdentifierRule(Section):
    priority: int = 50  # when identifiers conflict, the lowest priority is set aside
    limit: int = Field(5, ge=1)  # values of this kind one profile may hold


class IdentitySection(Section):
    """How identifiers resolve to one customer; ``kinds`` and ``blocklist`` add to the
    built-in defaults (hub/identity/policy.py). A kind key may end in ``*`` (``crm:*``)."""

    default_region: str = Field("BR", pattern=r"^[A-Z]{2}$")  # for phones without +country
    kinds: dict[str, IdentifierRule] = {}
    blocklist: dict[str, list[str]] = {}  # kind ("*": any) -> fnmatch patterns of values
    source_priority: dict[str, int] = {}  # trait source -> rank; higher beats newer


class ConsumerOverride(Section):
    purposes: list[str] | None = None  # replaces the purposes the consumer registered
    fields: list[str] | None = None  # data fields it receives (dotted paths); None: all


class PrivacySection(Section):
    """Consent purposes, defaults and erasure; see docs/privacy.md."""

    purposes: list[str] = ["service", "marketing", "personalization", "ai_assistant", "surveys"]
    # Allowed without a recorded decision (legal basis: contract), e.g. answering the
    # customer's own messages. A recorded revocation still wins.
    default_allowed: list[str] = ["service"]
    erasure_deadline_days: int = Field(15, ge=1)  # LGPD Art. 19: 15 days
    # Unfinished erasures due within this many days count as due soon (a metric, a listing).
    erasure_due_soon_days: int = Field(3, ge=0)
    # Salt of the hashes that keep erased identifiers suppressed; keep it secret and stable.
    suppression_salt: SecretStr = SecretStr("omnihub-default-suppression-salt")
    consumers: dict[str, ConsumerOverride] = {}


class ConversationsSection(Section):
    """Who answers a new conversation, and what happens to an offer nobody accepts."""

    first_controller: Literal["bot", "human", "none"] = "bot"
    offer_timeout: float = Field(120.0, gt=0)  # seconds an offered conversation waits
    offer_fallback: Literal["bot", "human", "none"] = "bot"


class HttpSection(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    max_body_bytes: int = Field(1_048_576, gt=0)
    max_batch: int = Field(500, gt=0)


class ApiToken(Section):
    name: str
    token: SecretStr = Field(min_length=16)
    scopes: list[str]

    def model_post_init(self, __context: Any) -> None:
        unknown = set(self.scopes) - SCOPES
        if unknown:
            raise ValueError(f"unknown scopes {sorted(unknown)}; known: {sorted(SCOPES)}")


class ApiSection(Section):
    tokens: list[ApiToken] = []


class LoggingSection(Section):
    level: str = "info"
    json_output: bool | None = Field(None, alias="json")


class HubConfig(Section):
    hub: HubSection = HubSection()
    broker: BrokerSection = BrokerSection()
    store: StoreSection = StoreSection()
    pipeline: PipelineSection = PipelineSection()
    identity: IdentitySection = IdentitySection()
    privacy: PrivacySection = PrivacySection()
    conversations: ConversationsSection = ConversationsSection()
    http: HttpSection = HttpSection()
    api: ApiSection = ApiSection()
    logging: LoggingSection = LoggingSection()
    plugins: dict[str, dict[str, Any]] = {}

    @model_validator(mode="after")
    def _workers_share_a_broker(self) -> HubConfig:
        problem = self.workers_problem()
        if problem:
            raise ValueError(problem)
        return self

    def workers_problem(self) -> str | None:
        """Why ``hub.workers`` cannot work with this broker, if it cannot."""
        workers = self.hub.worker_count()
        if workers > 1 and self.broker.url.startswith("memory:"):
            return (
                f"hub.workers = {self.hub.workers} ({workers} processes) needs a broker they "
                "share: the in-process memory:// broker would give each its own events "
                "(set broker.url to amqp://…, or workers = 1)"
            )
        return None

    def plugin_enabled(self, name: str) -> bool:
        table = self.plugins.get(name)
        return table is not None and table.get("enabled", True) is not False

    def plugin_table(self, name: str) -> dict[str, Any]:
        """The plugin's table without the hub's own ``enabled`` switch."""
        return {k: v for k, v in self.plugins.get(name, {}).items() if k != "enabled"}


def substitute(value: Any, env: Mapping[str, str], path: str = "") -> Any:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string; a missing VAR is an error."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is not None:
                return default
            raise ConfigError(f"{path}: environment variable {name} is not set")

        return _ENV_REF.sub(replace, value)
    if isinstance(value, dict):
        return {k: substitute(v, env, f"{path}.{k}" if path else k) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, env, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def apply_env_overrides(data: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    for key, value in sorted(env.items()):
        if not key.startswith(ENV_PREFIX) or "__" not in key:
            continue
        parts = [p.lower() for p in key[len(ENV_PREFIX) :].split("__")]
        target = data
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                raise ConfigError(f"{key}: {'.'.join(parts[:-1])} is not a table")
        target[parts[-1]] = value
    return data


def load_config(path: Path | None, env: Mapping[str, str] | None = None) -> HubConfig:
    """Read ``path`` (None: defaults only), substitute, override from env, validate."""
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    where = str(path) if path else "defaults"
    if path is not None:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    data = apply_env_overrides(substitute(data, env), env)
    try:
        return HubConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{where}: {describe(exc)}") from None


def describe(exc: ValidationError, prefix: str = "") -> str:
    """``field.path: message`` for each error, e.g. ``http.port: Input should be …``."""
    return "; ".join(
        f"{'.'.join([prefix] * bool(prefix) + [str(p) for p in e['loc']])}: {e['msg']}"
        for e in exc.errors(include_url=False)
    )
