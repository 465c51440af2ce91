"""deploy/: the linters pass, and the files agree with each other and with the hub."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.broker import UNROUTED_EXCHANGE, Binding, QueueSpec
from hub.broker.amqp_topology import exchange_arguments, queue_arguments
from hub.config import load_config
from hub.runtime import UNROUTED_QUEUE

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
PORT = 8080


def _k8s() -> dict[str, dict[str, Any]]:
    docs = [yaml.safe_load(p.read_text()) for p in sorted((DEPLOY / "k8s").glob("*.yaml"))]
    return {doc["kind"]: doc for doc in docs}


@pytest.mark.slow
def test_lint_script_passes() -> None:
    env = {**os.environ, "VENV": str(Path(sys.executable).parent.parent)}
    done = subprocess.run(
        ["bash", str(DEPLOY / "lint.sh")], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_runs_two_hubs_after_healthy_services() -> None:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert {"rabbitmq", "postgres", "hub1", "hub2"} <= services.keys()
    assert services["postgres"]["image"].startswith("postgres:15")
    assert "management" in services["rabbitmq"]["image"]
    for name in ("hub1", "hub2"):
        hub = services[name]
        assert hub["environment"]["OMNIHUB_BROKER__URL"].startswith("amqp://")
        assert hub["environment"]["OMNIHUB_STORE__URL"].startswith("postgresql://")
        assert {d: c["condition"] for d, c in hub["depends_on"].items()} == {
            "rabbitmq": "service_healthy",
            "postgres": "service_healthy",
        }
        assert f"{PORT}/readyz" in " ".join(hub["healthcheck"]["test"])
    mounts = " ".join(services["rabbitmq"]["volumes"])
    for name in ("enabled_plugins", "rabbitmq.conf", "definitions.json"):
        assert f"./rabbitmq/{name}:" in mounts


def test_rabbitmq_definitions_match_what_the_hub_declares() -> None:
    defs = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
    exchanges = {e["name"]: e for e in defs["exchanges"]}
    assert {n: e["type"] for n, e in exchanges.items()} == {
        "omnihub.ingress": "direct",
        "omnihub.events": "topic",
        "omnihub.dlx": "direct",
        "omnihub.unrouted": "fanout",
    }
    # RabbitMQ refuses a re-declaration with other arguments: they must equal the hub's.
    assert exchanges["omnihub.events"]["arguments"] == exchange_arguments(UNROUTED_EXCHANGE)
    (queue,) = defs["queues"]
    spec = QueueSpec(UNROUTED_QUEUE, (Binding(UNROUTED_EXCHANGE, "#"),), max_length=10_000)
    assert queue["name"] == UNROUTED_QUEUE
    assert queue["arguments"] == queue_arguments(spec)  # as Hub._declare_topology declares it
    assert defs["policies"]
    plugins = (DEPLOY / "rabbitmq" / "enabled_plugins").read_text()
    assert "rabbitmq_management" in plugins
    assert "rabbitmq_consistent_hash_exchange" in plugins
    conf = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    assert "load_definitions = /etc/rabbitmq/definitions.json" in conf


def test_hub_toml_reads_urls_from_the_environment() -> None:
    env = {
        "OMNIHUB_BROKER__URL": "amqp://u:p@rabbitmq:5672/",
        "OMNIHUB_STORE__URL": "postgresql://u:p@postgres/omnihub",
        "OMNIHUB_ADMIN_TOKEN": "a-test-token-of-some-length",
        "OMNIHUB_PRIVACY__SUPPRESSION_SALT": "a-test-salt",
    }
    config = load_config(DEPLOY / "hub.toml", env)
    assert (config.broker.url, config.store.url) == (
        env["OMNIHUB_BROKER__URL"],
        env["OMNIHUB_STORE__URL"],
    )
    assert (config.http.host, config.http.port, config.logging.json_output) == (
        "0.0.0.0",
        PORT,
        True,
    )
    configmap = _k8s()["ConfigMap"]
    assert configmap["data"]["hub.toml"] == (DEPLOY / "hub.toml").read_text()


def test_k8s_deployment_probes_config_and_secret() -> None:
    manifests = _k8s()
    assert {"Namespace", "ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget"} <= (
        manifests.keys()
    )
    deployment = manifests["Deployment"]
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = container[probe]["httpGet"]
        assert get["path"] == path
        assert ports.get(get["port"], get["port"]) == PORT
    assert container["envFrom"] == [
        {"secretRef": {"name": manifests["Secret"]["metadata"]["name"]}}
    ]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    config_volume = volumes[mounts["/etc/omnihub"]]
    assert config_volume["configMap"]["name"] == manifests["ConfigMap"]["metadata"]["name"]
    assert set(manifests["Secret"]["stringData"]) >= {"OMNIHUB_BROKER__URL", "OMNIHUB_STORE__URL"}
    assert "/etc/omnihub/hub.toml" in container["args"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert manifests["Service"]["spec"]["selector"] == labels
    assert manifests["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == labels


def test_dockerfile_runs_the_hub_as_non_root_with_a_healthcheck() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text
    assert "USER 10001" in text
    assert f"http://127.0.0.1:{PORT}/healthz" in text
    assert 'CMD ["run", "--config", "/etc/omnihub/hub.toml", "--host", "0.0.0.0"]' in text
    assert "./plugins/*/" in text
    assert "./contracts" in text
