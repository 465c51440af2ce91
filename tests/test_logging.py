"""hub.logging: redaction of personal data, one format for structlog and stdlib logs."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
import structlog
from pydantic import BaseModel, ValidationError
from structlog.testing import capture_logs

from hub.logging import (
    REDACTED,
    build_formatter,
    configure_logging,
    get_logger,
    redact,
    redact_processor,
    scrub,
)

PHONES = [
    "+55 11 99999-9999",
    "+5511999999999",
    "5511988887777",  # a WhatsApp wa_id
    "(11) 99999-9999",
    "11 99999-9999",
    "99999-9999",
    "+1 (415) 555-0100",
    "415-555-0100",
    "phone=%2B5511999999999",  # URL-encoded, as in an access log's query string
]
EMAILS = ["maria.silva@example.com", "a.b+tag@mail.example.com.br", "maria.silva%40example.com"]
NOT_PERSONAL = [
    "123e4567-e89b-12d3-a456-426614174000",
    "wamid.HBgNNTUxMTk5OTk5OTk5ORUCABIYFjNFQjBDM0Y4ODk5OTk5AA==",
    "01HX5Z8K9Q4W2E3R4T5Y6U7I8O",
    "evt-20240501-000123",
    "1714567890",  # unix seconds (WhatsApp sends them as strings)
    "1714567890123",  # unix milliseconds
    "2024-05-01T12:34:56.789012+00:00",
    '127.0.0.1 [01/May/2024:12:00:00 +0000] "POST /webhooks/whatsapp/ HTTP/1.1" 200',
    "handled 3 events in 0.012345678901 s",
    "message.received.whatsapp",
]


@pytest.mark.parametrize("phone", PHONES)
def test_phone_numbers_are_scrubbed(phone: str) -> None:
    assert scrub(f"call {phone} now") in ("call [phone] now", "call phone=[phone] now")


@pytest.mark.parametrize("email", EMAILS)
def test_email_addresses_are_scrubbed(email: str) -> None:
    assert scrub(f"<{email}>") == "<[email]>"


@pytest.mark.parametrize("value", NOT_PERSONAL)
def test_ids_and_timestamps_survive(value: str) -> None:
    assert scrub(value) == value
    assert redact({"event": value, "event_id": value}) == {"event": value, "event_id": value}


def test_sensitive_keys_are_redacted_recursively_without_touching_the_original() -> None:
    original = {
        "event": "message_received",
        "data": {
            "Text": "Quero saber do meu pedido, por favor",
            "contacts": [{"profile": {"name": "Maria Silva"}, "wa_id": "5511988887777"}],
            "identifiers": [{"kind": "phone", "value": "+55 11 99999-9999"}],
            "customer_email": "maria.silva@example.com",
        },
        "attempt": 2,
        "consumer": "crm",
    }
    snapshot = json.dumps(original)
    cleaned = redact(original)
    assert json.dumps(original) == snapshot  # the caller's event is not modified
    data = cleaned["data"]
    assert data["Text"] == REDACTED
    assert data["contacts"][0] == {"profile": {"name": REDACTED}, "wa_id": REDACTED}
    assert data["identifiers"] == [{"kind": "phone", "value": REDACTED}]
    assert data["customer_email"] == REDACTED
    assert (cleaned["attempt"], cleaned["consumer"]) == (2, "crm")


def test_a_logged_model_is_redacted_field_by_field() -> None:
    class Message(BaseModel):
        id: str
        text: str

    cleaned = redact({"event": "x", "message": Message(id="m-1", text="Maria Silva")})
    assert cleaned["message"] == {"id": "m-1", "text": REDACTED}


def test_pydantic_input_values_are_scrubbed_from_error_text() -> None:
    class Profile(BaseModel):
        age: int

    with pytest.raises(ValidationError) as info:
        Profile.model_validate({"age": "Maria Silva"})
    assert "Maria Silva" not in scrub(str(info.value))
    assert "age" in scrub(str(info.value))  # the field is still named


def test_request_line_query_strings_are_scrubbed() -> None:
    line = 'GET /api/v1/customers?identifier=instagram:17841400000000001 HTTP/1.1" 200'
    assert scrub(line) == 'GET /api/v1/customers?[redacted] HTTP/1.1" 200'
    assert scrub("is this a question? HTTP/ maybe") == "is this a question? HTTP/ maybe"


def test_context_is_merged_and_redacted() -> None:
    assert structlog.get_config()["processors"][0] is structlog.contextvars.merge_contextvars
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(event_id="evt-1", plugin="whatsapp")
    try:
        processors = [structlog.contextvars.merge_contextvars, redact_processor]
        with capture_logs(processors=processors) as logs:
            get_logger(consumer="crm").info("from +55 11 99999-9999", body="oi")
    finally:
        structlog.contextvars.clear_contextvars()
    assert logs == [
        {
            "event": "from [phone]",
            "body": REDACTED,
            "consumer": "crm",
            "event_id": "evt-1",
            "plugin": "whatsapp",
            "log_level": "info",
        }
    ]


@pytest.fixture
def stream() -> Iterator[tuple[str, io.StringIO]]:
    """A fresh stdlib logger with a real handler using the hub's JSON formatter."""
    name = f"test.logging.{uuid.uuid4().hex}"
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(build_formatter(json=True))
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.propagate = False  # keep the planted data out of the suite-wide capture
    logger.setLevel(logging.DEBUG)
    yield name, out
    logger.removeHandler(handler)


def _lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_stdlib_records_pass_the_same_redaction(stream: tuple[str, io.StringIO]) -> None:
    name, out = stream
    logger = logging.getLogger(name)
    logger.warning("peer %s closed", "maria.silva@example.com", extra={"phone": "x"})
    try:
        raise ConnectionError("lost +55 11 99999-9999")
    except ConnectionError:
        logger.exception("reconnecting")
    first, second = _lines(out)
    assert first["event"] == "peer [email] closed"
    assert (first["phone"], first["level"], first["logger"]) == (REDACTED, "warning", name)
    assert "timestamp" in first
    assert "[phone]" in str(second["exception"])
    assert "99999" not in out.getvalue()


def test_structlog_events_go_through_stdlib(stream: tuple[str, io.StringIO]) -> None:
    name, out = stream
    log = get_logger(name, plugin="whatsapp")
    try:
        raise ValueError("no customer for maria.silva@example.com")
    except ValueError:
        log.exception("lookup failed", text="Quero saber do meu pedido, por favor")
    (line,) = _lines(out)
    assert line["event"] == "lookup failed"
    assert (line["text"], line["plugin"], line["level"]) == (REDACTED, "whatsapp", "error")
    assert "no customer for [email]" in str(line["exception"])


def test_a_plain_stdlib_handler_only_sees_redacted_events(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        get_logger("test.caplog").info("for maria.silva@example.com", phone="+55 11 99999-9999")
    assert "maria" not in caplog.text
    assert "99999" not in caplog.text


_SCRIPT = """
import logging, sys
from hub.logging import configure_logging, get_logger
mode = sys.argv[1]
configure_logging(json=None if mode == "auto" else mode == "json", level="info")
configure_logging(json=None if mode == "auto" else mode == "json", level="info")  # idempotent
get_logger("demo").info("hello", text="Maria Silva")
logging.getLogger("aiohttp.access").info("GET /?email=maria.silva%40example.com 200")
get_logger("demo").debug("below the level")
"""


def _run(mode: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, mode], capture_output=True, text=True, check=True
    )
    assert "Maria" not in done.stderr
    assert "maria" not in done.stderr
    return done.stderr.splitlines()


@pytest.mark.parametrize("mode", ["json", "auto"])  # auto: stderr is a pipe, not a terminal
def test_json_output_when_not_a_terminal(mode: str) -> None:
    lines = [json.loads(line) for line in _run(mode)]
    assert [(e["logger"], e["event"]) for e in lines] == [
        ("demo", "hello"),
        ("aiohttp.access", "GET /?email=[email] 200"),
    ]
    assert lines[0]["text"] == REDACTED


def test_console_output() -> None:
    lines = _run("console")
    assert len(lines) == 2
    assert lines[0].split()[1:4] == ["[info", "]", "hello"]
    assert "text=[redacted]" in lines[0]
    assert "GET /?email=[email] 200" in lines[1]
    assert not lines[0].startswith("{")


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="verbose"):
        configure_logging(level="verbose")


def test_libraries_that_log_customer_data_at_debug_stay_at_info() -> None:
    # The session runs at debug (tests/conftest.py); SQL parameters must still not be logged.
    assert logging.getLogger().level == logging.DEBUG
    assert logging.getLogger("aiosqlite").getEffectiveLevel() == logging.INFO
