"""Prometheus metrics of one hub instance.

Each ``Metrics`` owns its registry (never prometheus_client's global one), so two hubs in one
process — tests, the plugin-author kit — count separately and never clash on names.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

NAMESPACE = "omnihub"
# Consumer handlers range from an in-memory counter (µs) to a CRM call behind retries (s).
HANDLER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
QueueDepthSource = Callable[[], Awaitable[Mapping[str, int]]]


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
        self.queue_depth = Gauge(
            "queue_depth",
            "Messages ready in a queue, read at scrape time.",
            ["queue"],
            namespace=NAMESPACE,
            registry=self.registry,
        )
        self.erasures_overdue = self._gauge(
            "erasures_overdue",
            "Unfinished erasure requests past their deadline, by system not done yet.",
            "system",
        )
        self.erasures_due_soon = self._gauge(
            "erasures_due_soon",
            "Unfinished erasure requests due within [privacy] erasure_due_soon_days, "
            "by system not done yet.",
            "system",
        )
        self._queue_depth_source: QueueDepthSource | None = None

    def _counter(self, name: str, documentation: str, *labels: str) -> Counter:
        return Counter(name, documentation, labels, namespace=NAMESPACE, registry=self.registry)

    def _gauge(self, name: str, documentation: str, *labels: str) -> Gauge:
        return Gauge(name, documentation, labels, namespace=NAMESPACE, registry=self.registry)

    def update_erasure_deadlines(
        self, overdue: Mapping[str, int], due_soon: Mapping[str, int]
    ) -> None:
        """Replace both erasure gauges: a system no longer late disappears."""
        for gauge, counts in ((self.erasures_overdue, overdue), (self.erasures_due_soon, due_soon)):
            gauge.clear()
            for system, count in counts.items():
                gauge.labels(system=system).set(count)

    def update_queue_depths(self, depths: Mapping[str, int]) -> None:
        """Replace the queue depth gauge with ``depths``; a queue that is gone disappears."""
        self.queue_depth.clear()
        for queue, depth in depths.items():
            self.queue_depth.labels(queue=queue).set(depth)

    def set_queue_depth_source(self, source: QueueDepthSource | None) -> None:
        """Let ``refresh()`` ask ``source`` (e.g. ``broker.queue_depths``) before a scrape."""
        self._queue_depth_source = source

    async def refresh(self) -> None:
        """Read the queue depths from the source, if any; its errors reach the caller."""
        if self._queue_depth_source is not None:
            self.update_queue_depths(await self._queue_depth_source())

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
