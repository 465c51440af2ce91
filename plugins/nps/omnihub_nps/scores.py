"""NPS over the plugin's surveys: overall and grouped, with a 95% margin of error."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from omnihub_contracts.survey import NpsCategory

from .records import Survey

GROUPS = ("channel", "resolved_by", "agent", "theme")
NONE = "(none)"


def stats(requested: int | None, scores: Iterable[int]) -> dict[str, Any]:
    """Counts per category, NPS = %promoters - %detractors, response rate and margin.

    Margin of error (95%): 1.96 x 100 x sqrt((p_pro + p_det - (p_pro - p_det)^2) / n),
    the standard error of a difference of two proportions of the same sample.
    """
    counts = {c.value: 0 for c in NpsCategory}
    for score in scores:
        counts[NpsCategory.of(score).value] += 1
    n = sum(counts.values())
    answer: dict[str, Any] = {
        "requested": requested,
        "responded": n,
        "response_rate": round(n / requested, 4) if requested else None,
        "promoters": counts["promoter"],
        "passives": counts["passive"],
        "detractors": counts["detractor"],
        "nps": None,
        "margin_of_error": None,
    }
    if n:
        pro, det = counts["promoter"] / n, counts["detractor"] / n
        answer["nps"] = round((pro - det) * 100, 2)
        variance = max(pro + det - (pro - det) ** 2, 0.0)
        answer["margin_of_error"] = round(1.96 * 100 * math.sqrt(variance / n), 2)
    return answer


def _keys(survey: Survey, group_by: str) -> list[str]:
    if group_by == "theme":
        return survey.theme_list or [NONE]
    if group_by == "agent":
        agent = survey.agent_data
        return [str(agent["id"]) if agent else NONE]
    if group_by == "channel":
        return [survey.answer_channel or survey.channel or NONE]
    return [survey.resolved_by or NONE]


def summarise(surveys: list[Survey], group_by: str | None) -> dict[str, Any]:
    """``surveys`` are those requested in the period; answered ones carry their score."""
    answered = [s for s in surveys if s.status == "responded" and s.score is not None]
    summary: dict[str, Any] = {
        "overall": stats(len(surveys), (s.score for s in answered if s.score is not None))
    }
    if group_by is None:
        return summary
    asked: dict[str, int] = {}
    scores: dict[str, list[int]] = {}
    for survey in answered if group_by == "theme" else surveys:
        for key in _keys(survey, group_by):
            asked[key] = asked.get(key, 0) + 1
            if survey.status == "responded" and survey.score is not None:
                scores.setdefault(key, []).append(survey.score)
    # A theme comes with the answer: asked-per-theme (and its response rate) does not exist.
    summary["groups"] = {
        key: stats(None if group_by == "theme" else asked[key], scores.get(key, []))
        for key in sorted(asked)
    }
    summary["group_by"] = group_by
    return summary
