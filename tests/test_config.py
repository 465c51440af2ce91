from __future__ import annotations

import os
from pathlib import Path

import pytest

from hub.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hub.toml"
    path.write_text(text)
    return path


def test_defaults_are_the_embedded_mode() -> None:
    config = load_config(None, env={})
    assert config.broker.url == "memory://"
    assert config.store.url.startswith("sqlite:///")
    assert (config.http.host, config.http.port) == ("127.0.0.1", 8080)


def test_shipped_hub_toml_loads() -> None:
    config = load_config(Path(__file__).parents[1] / "hub.toml", env={})
    assert config.broker.url == "memory://"
    assert config.plugin_enabled("archive")


def test_env_substitution_with_default_and_missing(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[plugins.x]\nsecret = "${X_SECRET}"\nother = "${X_OTHER:-fallback}"\n',
    )
    config = load_config(path, env={"X_SECRET": "s3cret"})
    assert config.plugins["x"] == {"secret": "s3cret", "other": "fallback"}
    with pytest.raises(ConfigError, match=r"plugins\.x\.secret: environment variable X_SECRET"):
        load_config(path, env={})


def test_omnihub_env_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[broker]\nurl = "memory://"\n[http]\nport = 8080\n')
    config = load_config(
        path,
        env={
            "OMNIHUB_BROKER__URL": "amqp://guest:guest@127.0.0.1:5672/",
            "OMNIHUB_HTTP__PORT": "9090",
            "OMNIHUB_PLUGINS__WHATSAPP__APP_SECRET": "abc",
        },
    )
    assert config.broker.url.startswith("amqp://")
    assert config.http.port == 9090
    assert config.plugins["whatsapp"]["app_secret"] == "abc"


def test_bad_value_names_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "[http]\nport = 99999\n")
    with pytest.raises(ConfigError, match=r"http\.port"):
        load_config(path, env={})


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[broker]\nurll = 'memory://'\n")
    with pytest.raises(ConfigError, match=r"broker\.urll"):
        load_config(path, env={})


def test_token_scopes_are_checked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[api.tokens]]\nname = "t"\ntoken = "0123456789abcdef0"\nscopes = ["events:wrte"]\n',
    )
    with pytest.raises(ConfigError, match=r"api\.tokens\.0.*events:wrte"):
        load_config(path, env={})


def test_invalid_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(write(tmp_path, "[broker\n"), env={})
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml", env={})


def test_plugin_table_switch(tmp_path: Path) -> None:
    path = write(tmp_path, "[plugins.a]\nx = 1\n[plugins.b]\nenabled = false\n")
    config = load_config(path, env={})
    assert config.plugin_enabled("a")
    assert not config.plugin_enabled("b")
    assert not config.plugin_enabled("c")
    assert config.plugin_table("b") == {}


def test_workers_need_a_broker_the_processes_share(tmp_path: Path) -> None:
    path = write(tmp_path, "[hub]\nworkers = 2\n")
    with pytest.raises(ConfigError, match=r"hub\.workers = 2 .*amqp://"):
        load_config(path, env={})
    shared = {"OMNIHUB_BROKER__URL": "amqp://guest:guest@127.0.0.1:5672/"}
    assert load_config(path, env=shared).hub.worker_count() == 2
    auto = write(tmp_path, "[hub]\nworkers = 'auto'\n")
    assert load_config(auto, env=shared).hub.worker_count() == (os.cpu_count() or 1)
    with pytest.raises(ConfigError, match=r"hub\.workers"):
        load_config(write(tmp_path, "[hub]\nworkers = 0\n"), env=shared)
