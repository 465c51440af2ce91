"""Deciding, in memory, what an event's identifiers do: pure, so it is property-tested.

Anchors are the profiles the event already points at (its stated customer first, then
each known identifier by priority). The first anchor survives and absorbs the others,
and unseen identifiers attach to it, unless that breaks a per-kind limit or joins two
profiles that were unmerged on purpose: then the lowest-priority identifier that takes
part is set aside and the plan is made again without it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .policy import IdentifierPolicy, Key


@dataclass(frozen=True)
class Graph:
    """What the store knows about the event's identifiers and the profiles involved."""

    linked: Mapping[Key, str]  # identifier -> surviving customer id
    kinds: Mapping[str, Counter[str]]  # customer id -> identifier kind -> count
    blocked: frozenset[frozenset[str]] = frozenset()  # pairs that must stay apart
    adopted: str | None = None  # a stated customer id the store has not seen yet
    stated: str | None = None  # the stated customer id, followed to its surviving profile


@dataclass
class Plan:
    survivor: str | None
    absorb: list[tuple[str, Key]] = field(default_factory=list)  # (profile, identifier)
    attach: list[Key] = field(default_factory=list)
    set_aside: list[tuple[Key, str]] = field(default_factory=list)  # (identifier, reason)


def by_priority(policy: IdentifierPolicy, keys: Sequence[Key]) -> list[Key]:
    return sorted(set(keys), key=lambda k: (-policy.rule(k.kind).priority, k.kind, k.value))


def make_plan(
    policy: IdentifierPolicy, keys: Sequence[Key], stated: str | None, graph: Graph
) -> Plan:
    active = by_priority(policy, keys)
    set_aside: list[tuple[Key, str]] = []
    while True:
        plan, groups, reason = _attempt(policy, active, stated, graph)
        if not groups:
            plan.set_aside = set_aside
            return plan

        # Set aside the weakest part: a lone identifier, or every identifier tying the
        # event to one profile (dropping only some of them would change nothing). On a
        # tie, an existing link beats a new value, and the survivor's link the others.
        def strength(group: tuple[list[Key], int]) -> tuple[int, int, int]:
            members, weight = group
            best = max(policy.rule(k.kind).priority for k in members)
            return best, weight, -max(active.index(k) for k in members)

        dropped, _ = min(groups, key=strength)
        for key in dropped:
            active.remove(key)
            set_aside.append((key, reason))


def _attempt(
    policy: IdentifierPolicy, active: list[Key], stated: str | None, graph: Graph
) -> tuple[Plan, list[tuple[list[Key], int]], str]:
    """One plan for ``active``, and the groups of identifiers that break a rule."""
    anchors: list[tuple[str, Key | None]] = [(stated, None)] if stated else []
    anchors += [(graph.linked[k], k) for k in active if k in graph.linked]
    survivor = anchors[0][0] if anchors else None
    absorb: dict[str, Key] = {}
    for profile, via in anchors[1:]:
        if via is not None and profile != survivor and profile not in absorb:
            absorb[profile] = via
    plan = Plan(survivor, list(absorb.items()), [k for k in active if k not in graph.linked])

    def tying(profile: str) -> list[Key]:
        return [k for k in active if graph.linked.get(k) == profile]

    members = [survivor, *absorb]
    blocked = [
        (tying(profile), 1)
        for profile in absorb
        if any(
            frozenset((profile, other)) in graph.blocked for other in members if other != profile
        )
    ]
    if blocked:
        return plan, blocked, "unmerged_before"
    empty: Counter[str] = Counter()
    own = graph.kinds.get(survivor, empty) if survivor else empty
    total = Counter(own)
    for profile in absorb:
        total.update(graph.kinds.get(profile, empty))
    total.update(k.kind for k in plan.attach)
    # A limit the survivor already exceeds (a limit lowered since) only stops additions.
    over = {kind for kind, n in total.items() if n > max(policy.rule(kind).limit, own[kind])}
    if not over:
        return plan, [], "limit"
    groups = [([k], 0) for k in plan.attach if k.kind in over]
    groups += [(tying(p), 1) for p in absorb if over & set(graph.kinds.get(p, empty))]
    if survivor and survivor != stated and over & set(own):
        groups.append((tying(survivor), 2))
    return plan, groups, "limit"
