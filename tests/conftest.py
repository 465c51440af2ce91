"""Suite-wide test set-up: service markers (skipped locally, mandatory in CI) and a scan of
every log line the suite writes for the personal data its fixtures use."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from hub.logging import build_formatter, configure_logging
from tests import pii

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES_URL = os.environ.get("POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

_SERVICES = {"rabbitmq": AMQP_URL, "postgres": POSTGRES_URL}
_reachable: dict[str, bool] = {}


def _is_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 2):
            return True
    except OSError:
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, url in _SERVICES.items():
        if item.get_closest_marker(marker) is None:
            continue
        if marker not in _reachable:
            _reachable[marker] = _is_reachable(url)
        if not _reachable[marker]:
            message = f"{marker} is not reachable at {urlsplit(url).netloc}"
            if IN_CI:
                pytest.fail(f"{message}: {marker} tests are mandatory when CI=true")
            pytest.skip(message)


# --- No personal data in logs (issue 5): record every log line, scan them at the end. ---


class _LineRecorder(logging.Handler):
    """Keeps every line exactly as production would write it (JSON, after redaction)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:
            self.handleError(record)


_recorder = _LineRecorder()


def pytest_configure(config: pytest.Config) -> None:
    configure_logging(json=True, level="debug")
    for chatty in ("aiormq", "aio_pika"):  # frame-level debug chatter, no event data
        logging.getLogger(chatty).setLevel(logging.INFO)
    _recorder.setFormatter(build_formatter(json=True))
    root = logging.getLogger()
    if _recorder not in root.handlers:
        root.addHandler(_recorder)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    needles = pii.harvest(Path(__file__).resolve().parent.parent)
    hits = pii.scan(_recorder.lines, needles)
    if not hits:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter is not None else print
    write(f"\nPERSONAL DATA IN LOGS: {len(hits)} hit(s) in {len(_recorder.lines)} log lines")
    for entry in pii.report(_recorder.lines, hits, needles):
        write(entry)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
