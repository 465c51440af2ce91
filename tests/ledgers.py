"""Fault-test ledgers, printed at the end of every run (pytest hides a passing test's
output, and the ledgers are the evidence: attempted, confirmed, effects, lost, duplicates)."""

from __future__ import annotations

REPORTS: list[str] = []


def record(report: str) -> None:
    REPORTS.append(report)
