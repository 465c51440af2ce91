"""Plugin discovery and loading: entry points ``omnihub.plugins``, one pluggy manager per hub.

Built-in plugins are ordinary distributions with the same entry point, so they load here
exactly like third-party ones. A plugin that fails to import or declares a misspelt hook is
reported and skipped; the hub refuses to start on it only in strict mode.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy
import structlog
from pydantic import BaseModel, ValidationError

from . import hookspecs
from .config import ConfigError, HubConfig, describe

ENTRY_POINT_GROUP = "omnihub.plugins"
log = structlog.get_logger("hub.plugins")


@dataclass
class PluginInfo:
    name: str
    version: str
    dist: str
    obj: object | None = None  # the loaded module or object
    enabled: bool = False
    error: str | None = None  # why it could not be loaded
    config: Any = None  # validated config (model instance or dict)


@dataclass
class PluginSet:
    """Every installed plugin with its state, and the pluggy manager holding the enabled ones."""

    manager: pluggy.PluginManager
    plugins: dict[str, PluginInfo] = field(default_factory=dict)

    @property
    def enabled(self) -> list[PluginInfo]:
        return [p for p in self.plugins.values() if p.enabled and p.error is None]

    @property
    def broken(self) -> list[PluginInfo]:
        return [p for p in self.plugins.values() if p.error is not None]

    def call(self, hook: str, plugin: PluginInfo, **kwargs: Any) -> Any:
        """Call one plugin's implementation of ``hook`` (None if it has none).

        Per-plugin calls let each plugin receive its own context and let the hub name the
        culprit of an error, which a broadcast ``pm.hook.x()`` cannot.
        """
        caller: pluggy.HookCaller = getattr(self.manager.hook, hook)
        for impl in caller.get_hookimpls():
            if impl.plugin is plugin.obj:
                return impl.function(**{name: kwargs[name] for name in impl.argnames})
        return None


def _entry_points() -> list[EntryPoint]:
    return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)


def discover_plugins(
    extra: Mapping[str, object] | None = None, *, discover: bool = True
) -> dict[str, PluginInfo]:
    """Import every installed plugin (and ``extra`` in-process ones); failures are recorded."""
    found: dict[str, PluginInfo] = {}
    for ep in _entry_points() if discover else []:
        dist = ep.dist
        info = PluginInfo(ep.name, dist.version if dist else "?", dist.name if dist else "?")
        if ep.name in found:
            info.error = f"entry point name clashes with {found[ep.name].dist}"
        else:
            try:
                info.obj = ep.load()
            except Exception as exc:  # a broken plugin must not take the hub down
                info.error = f"import failed: {type(exc).__name__}: {exc}"
        found[ep.name] = info
    for name, obj in (extra or {}).items():
        found[name] = PluginInfo(name, getattr(obj, "__version__", "0"), "(in-process)", obj)
    return found


def new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager("omnihub")
    manager.add_hookspecs(hookspecs)
    return manager


def load_plugins(
    config: HubConfig,
    *,
    extra: Mapping[str, object] | None = None,
    discover: bool = True,
    strict: bool = False,
) -> PluginSet:
    """Discover, import, register and configure plugins; raise ConfigError on bad config."""
    manager = new_manager()
    found = discover_plugins(extra, discover=discover)
    for info in found.values():
        info.enabled = config.plugin_enabled(info.name)
        if info.enabled and info.error is None:
            register_plugin(manager, info)
        if info.error:
            log.error("plugin_failed", plugin=info.name, error=info.error)
            if strict and info.enabled:
                raise ConfigError(f"plugins.{info.name}: {info.error} (strict mode)")

    missing = sorted(set(config.plugins) - set(found))
    missing = [name for name in missing if config.plugin_enabled(name)]
    if missing:
        raise ConfigError(
            f"plugins.{missing[0]}: enabled in hub.toml but no such plugin is installed "
            f"(installed: {', '.join(sorted(found)) or 'none'})"
        )
    plugin_set = PluginSet(manager, found)
    for info in plugin_set.enabled:
        info.config = _validate_config(plugin_set, info, config)
    return plugin_set


def register_plugin(manager: pluggy.PluginManager, info: PluginInfo) -> bool:
    """Register ``info.obj``; a hook that matches no spec makes it broken (False)."""
    try:
        manager.register(info.obj, name=info.name)
        for hook_impl in _unknown_hooks(manager, info):
            raise pluggy.PluginValidationError(info.obj, f"unknown hook {hook_impl!r}")
    except (pluggy.PluginValidationError, ValueError) as exc:
        if manager.is_registered(info.obj):
            manager.unregister(info.obj)
        info.error = f"invalid hooks: {exc}"
        return False
    return True


def _unknown_hooks(manager: pluggy.PluginManager, info: PluginInfo) -> list[str]:
    """``hub_*`` implementations that match no hook spec (a misspelt hook name)."""
    return [
        name
        for name, caller in vars(manager.hook).items()
        if isinstance(caller, pluggy.HookCaller)
        and caller.spec is None
        and any(impl.plugin is info.obj for impl in caller.get_hookimpls())
    ]


def _validate_config(plugin_set: PluginSet, info: PluginInfo, config: HubConfig) -> Any:
    table = config.plugin_table(info.name)
    model = plugin_set.call("hub_config_model", info)
    if model is None:
        return table
    if not (inspect.isclass(model) and issubclass(model, BaseModel)):
        raise ConfigError(f"plugins.{info.name}: hub_config_model must return a pydantic model")
    try:
        return model.model_validate(table)
    except ValidationError as exc:
        raise ConfigError(describe(exc, prefix=f"plugins.{info.name}")) from None


async def await_maybe(value: Any) -> Any:
    """pluggy cannot await: hooks may return values or awaitables."""
    return await value if inspect.isawaitable(value) else value
