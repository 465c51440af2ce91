from __future__ import annotations

import sys
import types
from importlib.metadata import EntryPoint
from typing import Any

import pytest
from pydantic import BaseModel

from hub import Consumer, EventType, hookimpl
from hub.config import ConfigError, HubConfig
from hub.plugins import load_plugins
from hub.runtime import Hub


def config(**plugins: dict[str, Any]) -> HubConfig:
    return HubConfig.model_validate({"plugins": plugins})


class Settings(BaseModel):
    model_config = {"extra": "forbid"}
    url: str
    retries: int = 3


class GoodPlugin:
    @hookimpl
    def hub_config_model(self) -> type[BaseModel]:
        return Settings

    @hookimpl
    def hub_register_consumers(self, register: Any, context: Any) -> None:
        async def handle(event: Any) -> None:
            return None

        register(Consumer("good", ("customer.#",), handle))


class MisspeltPlugin:
    @hookimpl
    def hub_register_consumer(self, register: Any) -> None:  # missing "s"
        pass


def test_config_is_validated_against_the_plugin_model() -> None:
    plugins = load_plugins(
        config(good={"url": "https://crm.example"}), extra={"good": GoodPlugin()}, discover=False
    )
    [info] = plugins.enabled
    assert info.config == Settings(url="https://crm.example")


def test_bad_plugin_table_names_plugin_and_field() -> None:
    with pytest.raises(ConfigError, match=r"plugins\.good\.retries: Input should be a valid int"):
        load_plugins(
            config(good={"url": "u", "retries": "many"}),
            extra={"good": GoodPlugin()},
            discover=False,
        )
    with pytest.raises(ConfigError, match=r"plugins\.good\.url: Field required"):
        load_plugins(config(good={}), extra={"good": GoodPlugin()}, discover=False)


def test_misspelt_hook_is_reported_and_skipped_unless_strict() -> None:
    plugins = load_plugins(config(bad={}), extra={"bad": MisspeltPlugin()}, discover=False)
    assert plugins.enabled == []
    assert "hub_register_consumer" in (plugins.plugins["bad"].error or "")
    with pytest.raises(ConfigError, match=r"plugins\.bad: invalid hooks"):
        load_plugins(config(bad={}), extra={"bad": MisspeltPlugin()}, discover=False, strict=True)


def test_enabled_but_not_installed_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"plugins\.ghost: enabled in hub.toml but no such"):
        load_plugins(config(ghost={}), discover=False)


def test_entry_point_that_fails_to_import_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = EntryPoint("broken", "omnihub_no_such_module_xyz", "omnihub.plugins")
    monkeypatch.setattr("hub.plugins._entry_points", lambda: [broken])
    plugins = load_plugins(config(broken={}))
    assert plugins.enabled == []
    assert "ModuleNotFoundError" in (plugins.plugins["broken"].error or "")
    with pytest.raises(ConfigError, match="strict mode"):
        load_plugins(config(broken={}), strict=True)


def test_entry_point_modules_load_like_any_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("omnihub_fake_plugin")
    module.hub_config_model = hookimpl(lambda: None)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "omnihub_fake_plugin", module)
    ep = EntryPoint("fake", "omnihub_fake_plugin", "omnihub.plugins")
    monkeypatch.setattr("hub.plugins._entry_points", lambda: [ep])
    plugins = load_plugins(config(fake={"anything": 1}))
    [info] = plugins.enabled
    assert info.obj is module
    assert info.config == {"anything": 1}  # no model: the raw table


def test_duplicate_consumer_names_the_culprits() -> None:
    with pytest.raises(ConfigError, match=r"plugins\.two: consumer 'good' .* plugin 'one'"):
        Hub(
            config(one={"url": "a"}, two={"url": "b"}),
            extra_plugins={"one": GoodPlugin(), "two": GoodPlugin()},
            discover=False,
        )


class TypePlugin:
    def __init__(self, name: str):
        self.name = name

    @hookimpl
    def hub_register_event_types(self, register: Any) -> None:
        register(EventType(self.name, Settings))


def test_extra_event_types_must_be_namespaced() -> None:
    hub = Hub(
        config(acme={}), extra_plugins={"acme": TypePlugin("acme.thing.done")}, discover=False
    )
    assert "acme.thing.done" in hub.registry
    with pytest.raises(ConfigError, match="reserved namespace 'message'"):
        Hub(config(acme={}), extra_plugins={"acme": TypePlugin("message.hijacked")}, discover=False)
