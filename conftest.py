"""Suite-wide test set-up: a scan of every log line the suite writes for the personal data
its fixtures use (service markers come from the hub.testing pytest plugin)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hub.logging import build_formatter, configure_logging
from tests import ledgers, pii

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
    configure_logging(json=True, level="debug")  # debug: the scan sees the most
    _recorder.setFormatter(build_formatter(json=True))
    root = logging.getLogger()
    if _recorder not in root.handlers:
        root.addHandler(_recorder)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if ledgers.REPORTS:
        terminalreporter.section("fault-test ledgers")
        for report in ledgers.REPORTS:
            terminalreporter.write_line(report)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    needles = pii.harvest(Path(__file__).resolve().parent)
    hits = pii.scan(_recorder.lines, needles)
    if not hits:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    write = reporter.write_line if reporter is not None else print
    write(f"\nPERSONAL DATA IN LOGS: {len(hits)} hit(s) in {len(_recorder.lines)} log lines")
    for entry in pii.report(_recorder.lines, hits, needles):
        write(entry)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
