"""Structured logging: JSON in production, console in a terminal, no personal data.

structlog redacts each event and hands it to the stdlib ``logging`` module; one
``ProcessorFormatter`` on the root logger redacts the stdlib's own records (aio-pika, aiormq,
aiohttp access logs) and renders both. So every line has one format, nothing reaches a
handler unredacted, and any stdlib handler (a file, the test suite's PII scan) sees the
same text.

Per-message context: ``structlog.contextvars.clear_contextvars()`` then
``bind_contextvars(event_id=…, plugin=…)``; ``merge_contextvars`` runs first in both chains.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

REDACTED = "[redacted]"
_HANDLER_NAME = "omnihub.stderr"
# Libraries whose debug lines carry SQL parameters or AMQP frames, i.e. customer data that
# no key or pattern identifies: they log at info at most, whatever the hub's level.
_QUIET_LIBRARIES = ("aiosqlite", "aiormq", "aio_pika")

# Values under these keys are personal (or secret) whatever they look like.
SENSITIVE_KEYS = frozenset(
    {
        "text", "body", "comment", "caption", "message_text", "input",
        "name", "display_name", "first_name", "last_name", "full_name", "profile_name",
        "customer_name", "contact_name", "sender_name", "username", "user_name", "handle",
        "phone", "phone_number", "msisdn", "wa_id", "from", "email", "address",
        "token", "secret", "password", "authorization", "cookie", "api_key", "app_secret",
    }
)  # fmt: skip
_SENSITIVE_SUFFIXES = ("_email", "_phone", "_phone_number", "_text", "_body", "_address")
# "value" is personal inside an identifier ({"kind": "phone", "value": …}) or under these.
_IDENTIFIER_KEYS = frozenset({"identifier", "identifiers", "identity", "identities", "contacts"})

# Starts only at a token boundary, so a long blob is scanned once, not once per character.
_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w.%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
# Glued to a word, a uuid group, a decimal or a "+" means it is part of an id, not a phone.
_PHONE = re.compile(
    r"(?<![\w\-.+])(?:"
    r"(?P<intl>(?:\+|%2[bB])\d{1,3}(?:[ \-]?\(?\d{1,5}\)?){1,5})"  # +55 11 99999-9999
    r"|\(\d{2,3}\) ?\d{3,5}[ \-]?\d{4}"  # (11) 99999-9999, (415) 555-0100
    r"|\d{2,3}[ \-]\d{3,5}[ \-]\d{4}"  # 11 99999-9999, 415-555-0100
    r"|\d{4,5}-\d{4}"  # 99999-9999
    r"|(?!1\d{12}(?!\d))\d{11,15}"  # 5511999999999 (a wa_id), but not a ms timestamp
    r")(?![\w\-])"
)
_DIGIT = re.compile(r"\d")
# A request line's query string may hold an identifier (GET /api/v1/customers?identifier=…).
_QUERY = re.compile(r"(?<=\?)[^\s\"]+(?= HTTP/\d)")
# pydantic puts the rejected input into its messages: "…, input_value='Ana', input_type=str]".
_PYDANTIC_INPUT = re.compile(r"(?<=input_value=).*?(?=, input_type=)")


def _phone(match: re.Match[str]) -> str:
    if match.group("intl") is not None:
        digits = sum(c.isdigit() for c in match.group(0)) - match.group(0).startswith("%2")
        if not 8 <= digits <= 15:  # "+1", a timezone "+0000": not a phone
            return match.group(0)
    return "[phone]"


def scrub(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers and pydantic input values masked."""
    if "input_value=" in text:
        text = _PYDANTIC_INPUT.sub(REDACTED, text)
    if "?" in text and " HTTP/" in text:
        text = _QUERY.sub(REDACTED, text)
    if "@" in text or "%40" in text:  # cheap tests first: most strings have neither
        text = _EMAIL.sub("[email]", text)
    if _DIGIT.search(text) is not None:
        text = _PHONE.sub(_phone, text)
    return text


def _is_sensitive(key: str) -> bool:
    key = key.lower()
    return key in SENSITIVE_KEYS or key.endswith(_SENSITIVE_SUFFIXES)


def _clean(value: Any, *, identifier: bool = False) -> Any:
    """A redacted copy: the caller's objects are never modified."""
    if isinstance(value, str):
        return scrub(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        value_is_personal = identifier or "kind" in value
        out: dict[Any, Any] = {}
        for k, v in value.items():
            key = str(k)
            if _is_sensitive(key) or (key == "value" and value_is_personal):
                out[k] = REDACTED
            else:
                out[k] = _clean(v, identifier=key.lower() in _IDENTIFIER_KEYS)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v, identifier=identifier) for v in value]
    if hasattr(value, "model_dump"):  # a pydantic model (an event): redact its fields
        return _clean(value.model_dump(mode="json"), identifier=identifier)
    return scrub(str(value))  # a renderer would str()/repr() it anyway


def redact(event_dict: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``event_dict`` with sensitive keys masked and every string scrubbed."""
    cleaned: dict[str, Any] = _clean(event_dict)
    return cleaned


def redact_processor(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """``redact`` as a structlog processor; runs after exceptions are rendered to text."""
    return redact(event_dict)


def _structlog_chain() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.filter_by_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,  # tracebacks become text, then get scrubbed
        # Redact before the record exists, so every stdlib handler (pytest's log capture,
        # one without our formatter) only ever sees the redacted event.
        redact_processor,
        structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
    ]


def _finish(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Drop the formatter's meta keys; redact stdlib records (structlog's already are)."""
    event_dict.pop("_record", None)
    if event_dict.pop("_from_structlog", False):
        return event_dict
    return redact(event_dict)


_PROCESS_FIELDS: dict[str, Any] = {}


def tag_process(**fields: Any) -> None:
    """Fields every line of this process carries, e.g. ``worker=1`` under ``hub.workers``."""
    _PROCESS_FIELDS.update(fields)


def _add_process_fields(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    for key, value in _PROCESS_FIELDS.items():
        event_dict.setdefault(key, value)
    return event_dict


def build_formatter(*, json: bool) -> structlog.stdlib.ProcessorFormatter:
    """The formatter every handler should use: redaction, then JSON or console rendering."""
    renderer: Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            structlog.stdlib.ExtraAdder(),
            structlog.processors.format_exc_info,
        ],
        processors=[
            _finish,
            _add_process_fields,
            structlog.processors.TimeStamper(fmt="iso", utc=True),  # after: never scrubbed
            renderer,
        ],
    )


class _StderrHandler(logging.Handler):
    """Writes to whatever ``sys.stderr`` is at the time, so redirection and capture work."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
            sys.stderr.flush()
        except Exception:
            self.handleError(record)


def configure_logging(*, json: bool | None = None, level: str = "info") -> None:
    """Route all logging to stderr through redaction; JSON unless stderr is a terminal.

    Idempotent: calling again replaces only the handler installed here, never others.
    """
    numeric = logging.getLevelNamesMapping().get(level.upper())
    if numeric is None:
        raise ValueError(f"unknown log level {level!r}; use debug, info, warning or error")
    if json is None:
        json = not sys.stderr.isatty()
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    handler = _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(build_formatter(json=json))
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(numeric, logging.INFO))


def get_logger(name: str | None = None, /, **bind: Any) -> structlog.stdlib.BoundLogger:
    """A structlog logger (named after the calling module unless ``name``) with ``bind``."""
    args = () if name is None else (name,)  # None would name the root logger
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(*args, **bind)
    return logger


# The structlog side is configured at import and never again: loggers bound earlier keep a
# reference to the processor list, so replacing it later would strand them. Only the stdlib
# handler (format, level) changes in configure_logging.
structlog.configure(
    processors=_structlog_chain(),
    logger_factory=structlog.stdlib.LoggerFactory(ignore_frame_names=["hub.logging"]),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)
