"""The merge rules, in memory: priority by kind, per-kind limits, unmerged pairs."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from hub.identity import IdentifierPolicy, Key
from hub.identity.plan import Graph, make_plan

POLICY = IdentifierPolicy()
EMAIL, PHONE = Key("email", "ana@mail.com"), Key("phone", "+5511999999999")
INSTA, STORE_1 = Key("instagram", "178"), Key("store", "loyalty-1")


def test_unseen_identifiers_start_a_profile() -> None:
    plan = make_plan(POLICY, [PHONE, EMAIL], None, Graph({}, {}))
    assert plan.survivor is None
    assert plan.attach == [EMAIL, PHONE]  # by priority


def test_the_highest_priority_profile_survives_and_absorbs_the_other() -> None:
    graph = Graph({EMAIL: "a", INSTA: "b"}, {"a": Counter(email=1), "b": Counter(instagram=1)})
    plan = make_plan(POLICY, [INSTA, EMAIL, PHONE], None, graph)
    assert (plan.survivor, plan.absorb, plan.attach) == ("a", [("b", INSTA)], [PHONE])


def test_a_stated_customer_comes_first() -> None:
    graph = Graph({EMAIL: "a"}, {"a": Counter(email=1), "s": Counter()})
    plan = make_plan(POLICY, [EMAIL], "s", graph)
    assert (plan.survivor, plan.absorb) == ("s", [("a", EMAIL)])


def test_a_shared_store_phone_does_not_join_two_loyalty_members() -> None:
    """The store's own phone, typed on every order, already belongs to member 1."""
    graph = Graph({PHONE: "member-1"}, {"member-1": Counter(store=1, phone=1)})
    plan = make_plan(POLICY, [Key("store", "loyalty-2"), PHONE], None, graph)
    assert plan.survivor is None  # a new profile for member 2 …
    assert plan.attach == [Key("store", "loyalty-2")]
    assert plan.set_aside == [(PHONE, "limit")]  # … and the phone links nobody


def test_two_crm_ids_never_share_a_profile() -> None:
    one, two = Key("crm:hubspot", "1"), Key("crm:hubspot", "2")
    graph = Graph({one: "a", two: "b"}, {"a": Counter({"crm:hubspot": 1}), "b": Counter()})
    graph.kinds["b"]["crm:hubspot"] = 1
    plan = make_plan(POLICY, [one, two, EMAIL], None, graph)
    assert (plan.survivor, plan.absorb, plan.attach) == ("a", [], [EMAIL])
    assert plan.set_aside == [(two, "limit")]


def test_an_unmerged_pair_stays_apart() -> None:
    graph = Graph(
        {EMAIL: "a", INSTA: "b"},
        {"a": Counter(email=1), "b": Counter(instagram=1)},
        frozenset({frozenset(("a", "b"))}),
    )
    plan = make_plan(POLICY, [EMAIL, INSTA], None, graph)
    assert (plan.survivor, plan.absorb, plan.set_aside) == ("a", [], [(INSTA, "unmerged_before")])


def test_a_limit_already_exceeded_only_stops_additions() -> None:
    graph = Graph({PHONE: "a"}, {"a": Counter(phone=5)})  # the limit was lowered since
    plan = make_plan(POLICY, [PHONE], None, graph)
    assert (plan.survivor, plan.set_aside) == ("a", [])


kinds = st.sampled_from(["crm:hubspot", "store", "email", "phone", "instagram", "web"])
keys = st.builds(Key, kinds, st.sampled_from(["1", "2", "3"]))
profiles = st.sampled_from(["p1", "p2", "p3"])


@st.composite
def graphs(draw: st.DrawFn) -> tuple[list[Key], Graph]:
    event = draw(st.lists(keys, min_size=1, max_size=6, unique=True))
    linked = draw(st.dictionaries(st.sampled_from(event), profiles))
    extra = draw(st.lists(st.tuples(profiles, keys), max_size=6))
    counts: dict[str, Counter[str]] = {p: Counter() for p in ("p1", "p2", "p3")}
    for key, profile in linked.items():
        counts[profile][key.kind] += 1
    for profile, key in extra:  # identifiers the profiles hold beyond this event's
        if key not in linked:
            counts[profile][key.kind] += 1
    pairs = draw(st.lists(st.frozensets(profiles, min_size=2, max_size=2), max_size=2))
    return event, Graph(linked, counts, frozenset(pairs))


@given(graphs(), st.randoms())
def test_plans_keep_every_rule_whatever_the_input(case: tuple[list[Key], Graph], rnd) -> None:  # type: ignore[no-untyped-def]
    event, graph = case
    plan = make_plan(POLICY, event, None, graph)
    shuffled = list(event)
    rnd.shuffle(shuffled)
    assert make_plan(POLICY, shuffled, None, graph) == plan  # order of input is irrelevant
    members = [plan.survivor, *(p for p, _ in plan.absorb)]
    used = set(plan.attach) | {k for k in event if k in graph.linked and graph.linked[k] in members}
    set_aside = {k for k, _ in plan.set_aside}
    assert used | set_aside == set(event)
    assert not used & set_aside
    assert not any(frozenset(pair) in graph.blocked for pair in _pairs(members))
    total = Counter(graph.kinds.get(plan.survivor, Counter())) if plan.survivor else Counter()
    own = Counter(total)
    for profile, _ in plan.absorb:
        total.update(graph.kinds[profile])
    total.update(k.kind for k in plan.attach)
    for kind, count in total.items():
        assert count <= max(POLICY.rule(kind).limit, own[kind])


def _pairs(items: list[str | None]) -> list[tuple[str | None, str | None]]:
    return [(a, b) for i, a in enumerate(items) for b in items[i + 1 :]]
