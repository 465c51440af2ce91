"""Prometheus metrics of one hub instance.

Each ``Metrics`` owns its registry (never prometheus_client's global one), so two hubs in one
process — tests, the plugin-author kit — count separately and never clash on names.

Under ``[hub] workers`` the processes of one hub answer ``/metrics`` in turn (they share
the port), so each must render everyone's counts: prometheus_client's multiprocess mode
(``PROMETHEUS_MULTIPROC_DIR``, set by the supervisor before a worker imports anything)
keeps counters and histograms in files that any worker sums. Gauges (``Snapshot``) are
the answering worker's own: they describe shared state (queue depths, late erasures) that
each worker reads for itself.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

NAMESPACE = "omnihub"
# Consumer handlers range from an in-memory counter (µs) to a CRM call behind retries (s).
HANDLER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
QueueDepthSource = Callable[[], Awaitable[Mapping[str, int]]]
SHARED_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own switch


class Snapshot:
    """A gauge whose values are replaced as a whole (a label that went away disappears),
    kept in this process only."""

    def __init__(self, name: str, documentation: str, label: str):
        self.name, self.documentation, self.label = name, documentation, label
        self.values: dict[str, float] = {}

    def replace(self, values: Mapping[str, float]) -> None:
        self.values = dict(values)

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(self.name, self.documentation, labels=[self.label])
        for value, number in self.values.items():
            family.add_metric([value], number)
        yield family


class _WorkersView:
    """The counters and histograms of every worker, this worker's gauges."""

    def __init__(self, own: CollectorRegistry, shared_dir: str):
        self._own = own
        self._shared = MultiProcessCollector(None, shared_dir)  # type: ignore[no-untyped-call]

    def collect(self) -> Iterator[Metric]:
        yield from (m for m in self._shared.collect() if m.type != "gauge")  # type: ignore[no-untyped-call]
        yield from (m for m in self._own.collect() if m.type == "gauge")


class Metrics:
    """The hub's instruments; ``render()`` is what ``GET /metrics`` answers."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events_in_total = self._counter("events_in", "Events accepted.", "type")
        self.events_out_total = self._counter(
            "events_out", "Events published to omnihub.events.", "type"
        )
        self.events_failed_total = self._counter(
            "events_failed",
            "Deliveries that failed (retried or dead-lettered).",
            "type",
            "consumer",
        )
        self.events_duplicate_total = self._counter(
            "events_duplicate", "Events dropped as duplicates of (source, id).", "source"
        )
        self.events_suppressed_total = self._counter(
            "events_suppressed",
            "Events dropped at ingress because they name an erased customer.",
            "type",
        )
        self.deliveries_total = self._counter(
            "deliveries",
            "Deliveries to consumers by outcome "
            "(ok, retry, dead_letter, skipped_consent, skipped_replay, duplicate).",
            "consumer",
            "outcome",
        )
        self.deliveries_dropped_total = self._counter(
            "deliveries_dropped",
            "Deliveries withheld because the customer did not allow a purpose the consumer serves.",
            "consumer",
            "purpose",
        )
        self.identity_resolutions_total = self._counter(
            "identity_resolutions",
            "Events resolved to a customer, by outcome (known, created, merged, none).",
            "outcome",
        )
        self.identifiers_set_aside_total = self._counter(
            "identifiers_set_aside",
            "Identifiers that linked nobody (junk, limit, unmerged_before).",
            "kind",
            "reason",
        )
        self.handler_seconds = Histogram(
            "handler_seconds",
            "Time a consumer's handler took.",
            ["consumer"],
            buckets=HANDLER_BUCKETS,
            namespace=NAMESPACE,
            registry=self.registry,
        )
        self.queue_depth = self._snapshot(
            "queue_depth", "Messages ready in a queue, read at scrape time.", "queue"
        )
        self.erasures_overdue = self._snapshot(
            "erasures_overdue",
            "Unfinished erasure requests past their deadline, by system not done yet.",
            "system",
        )
        self.erasures_due_soon = self._snapshot(
            "erasures_due_soon",
            "Unfinished erasure requests due within [privacy] erasure_due_soon_days, "
            "by system not done yet.",
            "system",
        )
        self._queue_depth_source: QueueDepthSource | None = None
        shared_dir = os.environ.get(SHARED_DIR_ENV)
        self._exposed = _WorkersView(self.registry, shared_dir) if shared_dir else self.registry

    def _counter(self, name: str, documentation: str, *labels: str) -> Counter:
        return Counter(name, documentation, labels, namespace=NAMESPACE, registry=self.registry)

    def _snapshot(self, name: str, documentation: str, label: str) -> Snapshot:
        snapshot = Snapshot(f"{NAMESPACE}_{name}", documentation, label)
        self.registry.register(snapshot)
        return snapshot

    def update_erasure_deadlines(
        self, overdue: Mapping[str, int], due_soon: Mapping[str, int]
    ) -> None:
        """Replace both erasure gauges: a system no longer late disappears."""
        self.erasures_overdue.replace(overdue)
        self.erasures_due_soon.replace(due_soon)

    def update_queue_depths(self, depths: Mapping[str, int]) -> None:
        """Replace the queue depth gauge with ``depths``; a queue that is gone disappears."""
        self.queue_depth.replace(depths)

    def set_queue_depth_source(self, source: QueueDepthSource | None) -> None:
        """Let ``refresh()`` ask ``source`` (e.g. ``broker.queue_depths``) before a scrape."""
        self._queue_depth_source = source

    async def refresh(self) -> None:
        """Read the queue depths from the source, if any; its errors reach the caller."""
        if self._queue_depth_source is not None:
            self.update_queue_depths(await self._queue_depth_source())

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition and its content type."""
        return generate_latest(self._exposed), CONTENT_TYPE_LATEST
