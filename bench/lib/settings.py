"""Knobs of one benchmark run, shared by every scenario so all are measured alike."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"


@dataclass(frozen=True)
class Settings:
    amqp_url: str  # RabbitMQ for every scenario (the hub gets a vhost of its own on it)
    events: int  # events per max-throughput run
    rate: float  # offered events/s of the fixed-rate (latency) runs
    rate_seconds: float  # how long a fixed-rate run offers load
    batch: int  # events per request in the hub's batch runs
    concurrency: int  # single-event requests in flight per hub in closed-loop runs
    batch_concurrency: int  # batch requests in flight per hub in closed-loop runs
    window: int  # baselines: publishes awaiting their confirm at once
    prefetch: int  # baselines: unacked deliveries per consumer
    outstanding: int  # closed loop: events sent but not yet received, at most
    timeout: float  # upper bound of one run, from first send to last receipt
    repeat: int  # rounds of every scenario; per figure the median round is reported
    quiet_wait: float  # before each round, wait up to this long for an idle machine
    tag: str  # unique per invocation: names on RabbitMQ, event ids
    workdir: Path  # temp dir: hub configs, SQLite, receipts, logs (removed afterwards)
    results_dir: Path  # kept: results JSON and the profile (bench/results/ is git-ignored)
    hub_broker: str  # "amqp" or "memory" (the fallback while amqp:// is unusable)
    hub_workers: int = 2  # d1w: [hub] workers of its one `omnihub run`
    hub_store: str = "sqlite"  # the hubs' store: "sqlite" (a file) or "postgresql"
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"  # for postgresql
    round: int = 0  # which round is running (event ids must differ between rounds)

    @property
    def rate_events(self) -> int:
        return max(1, round(self.rate * self.rate_seconds))

    def event_id(self, run: str, n: int) -> str:
        """Unique across the whole invocation, so the hub's dedupe never drops one."""
        return f"{self.tag}-r{self.round}-{run}-{n}"
