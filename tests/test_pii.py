"""tests/pii.py: the end-of-session scan must catch a planted leak and spare clean lines."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from hub.logging import build_formatter
from tests import pii

CHANGE = {
    "contacts": [{"profile": {"name": "Ana Beatriz"}, "wa_id": "5521977776666"}],
    "messages": [{"from": "5521977776666", "text": {"body": "Meu pedido não chegou"}}],
    "template": {"name": "order_update"},
}
FIXTURE = {"entry": [{"changes": [{"value": CHANGE}]}]}  # a WhatsApp webhook's shape


def _needles(tmp_path: Path) -> list[pii.Needle]:
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    (tmp_path / "tests" / "fixtures" / "webhook.json").write_text(json.dumps(FIXTURE))
    return pii.harvest(tmp_path)


def test_harvest_takes_values_under_personal_keys(tmp_path: Path) -> None:
    by_value = {n.value: n for n in _needles(tmp_path)}
    assert by_value["5521977776666"].kind == "phone"
    assert by_value["Ana Beatriz"].origin == "tests/fixtures/webhook.json"
    assert "Meu pedido não chegou" in by_value
    assert "order_update" not in by_value  # a template name is not a person
    assert "maria.silva@example.com" in by_value  # from pii.KNOWN


def test_scan_catches_planted_leaks_in_any_spelling(tmp_path: Path) -> None:
    needles = _needles(tmp_path)
    lines = [
        json.dumps({"event": "ok", "event_id": "evt-1"}),
        json.dumps({"event": "hi", "name": "Ana Beatriz"}),  # as is
        json.dumps({"event": "Meu pedido não chegou"}),  # ensure_ascii escapes the "ã"
        '{"event": "call (21) 97777-6666"}',  # national format of the wa_id
        '{"event": "GET /?e=maria.silva%40example.com"}',  # URL-encoded e-mail
    ]
    hits = pii.scan(lines, needles)
    assert [(h.line, h.needle.kind) for h in hits] == [
        (2, "text"),
        (3, "text"),
        (4, "phone"),
        (5, "email"),
    ]
    report = "\n".join(pii.report(lines, hits, needles))
    assert "log line 4" in report
    for secret in ("Ana Beatriz", "97777", "maria.silva"):
        assert secret not in report


def test_redacted_output_is_clean_and_raw_output_is_not(tmp_path: Path) -> None:
    needles = _needles(tmp_path)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(build_formatter(json=True))
    logger = logging.getLogger("test.pii.planted")
    logger.addHandler(handler)
    logger.propagate = False  # the planted data must not reach the session-wide capture
    try:
        logger.warning("from 5521977776666: %s", "x", extra={"profile": {"name": "Ana Beatriz"}})
    finally:
        logger.removeHandler(handler)
    assert pii.scan(out.getvalue().splitlines(), needles) == []
    raw = "from 5521977776666: x {'profile': {'name': 'Ana Beatriz'}}"
    assert len(pii.scan([raw], needles)) == 2
