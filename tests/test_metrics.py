"""hub.metrics: one registry per hub, Prometheus text that parses."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from hub.metrics import Metrics


def _samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    payload, _ = metrics.render()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(payload.decode())
        for s in family.samples
    }


def _exercise(m: Metrics) -> None:
    m.events_in_total.labels(type="message.received").inc(3)
    m.events_out_total.labels(type="message.received").inc(2)
    m.events_failed_total.labels(type="message.received", consumer="crm").inc()
    m.events_duplicate_total.labels(source="/whatsapp").inc()
    m.deliveries_total.labels(consumer="crm", outcome="ok").inc()
    m.deliveries_dropped_total.labels(consumer="newsletter", purpose="marketing").inc()
    m.handler_seconds.labels(consumer="crm").observe(0.02)


def test_two_instances_do_not_share_counts() -> None:
    first, second = Metrics(), Metrics()  # would raise "Duplicated timeseries" on one registry
    _exercise(first)
    assert _samples(first)[("omnihub_events_in_total", (("type", "message.received"),))] == 3
    assert not any(name == "omnihub_events_in_total" for name, _ in _samples(second))


def test_render_names_every_metric_with_its_labels() -> None:
    m = Metrics()
    _exercise(m)
    m.update_queue_depths({"omnihub.crm": 7, "omnihub.crm.dlq": 1})
    payload, content_type = m.render()
    assert content_type.startswith("text/plain")
    samples = _samples(m)
    expected = {
        ("omnihub_events_in_total", (("type", "message.received"),)): 3,
        ("omnihub_events_out_total", (("type", "message.received"),)): 2,
        ("omnihub_events_failed_total", (("consumer", "crm"), ("type", "message.received"))): 1,
        ("omnihub_events_duplicate_total", (("source", "/whatsapp"),)): 1,
        ("omnihub_deliveries_total", (("consumer", "crm"), ("outcome", "ok"))): 1,
        (
            "omnihub_deliveries_dropped_total",
            (("consumer", "newsletter"), ("purpose", "marketing")),
        ): 1,
        ("omnihub_handler_seconds_count", (("consumer", "crm"),)): 1,
        ("omnihub_queue_depth", (("queue", "omnihub.crm"),)): 7,
        ("omnihub_queue_depth", (("queue", "omnihub.crm.dlq"),)): 1,
    }
    for key, value in expected.items():
        assert samples[key] == value, key
    assert b"# HELP omnihub_handler_seconds " in payload


async def test_queue_depths_come_from_the_source_at_scrape_time() -> None:
    m = Metrics()
    depths = {"omnihub.crm": 4, "omnihub.gone": 2}

    async def source() -> dict[str, int]:
        return dict(depths)

    m.set_queue_depth_source(source)
    await m.refresh()
    del depths["omnihub.gone"]
    await m.refresh()
    gauges = {k[1]: v for k, v in _samples(m).items() if k[0] == "omnihub_queue_depth"}
    assert gauges == {(("queue", "omnihub.crm"),): 4}  # a deleted queue disappears
