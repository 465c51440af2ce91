"""The handoff context packet as a private note an agent reads at a glance (markdown)."""

from __future__ import annotations

from omnihub_contracts.conversation import ConversationHandoff, HandoffContext, TranscriptEntry

NO_TEXT = "(no text)"


def _line(entry: TranscriptEntry) -> str:
    when = entry.at.strftime("%Y-%m-%d %H:%M")
    channel = entry.channel or "?"
    kind = f" [{entry.kind}]" if entry.kind and str(entry.kind) != "text" else ""
    text = (entry.text or NO_TEXT).replace("\n", " ")
    return f"- {when} · {channel} · **{entry.author}**{kind}: {text}"


def _customer(context: HandoffContext) -> list[str]:
    profile = context.profile
    facts = [profile.display_name or "(no name)"]
    if profile.language:
        facts.append(f"language {profile.language}")
    if profile.customer_since:
        facts.append(f"customer since {profile.customer_since:%Y-%m-%d}")
    lines = [f"**Customer:** {' · '.join(facts)}"]
    lines += [f"- {key}: {value}" for key, value in sorted(profile.traits.items())]
    return lines


def _bot(context: HandoffContext) -> list[str]:
    bot = context.bot_understanding
    if bot is None:
        return []
    understood = [bot.intent or "(no intent)"]
    if bot.confidence is not None:
        understood.append(f"confidence {bot.confidence:.0%}")
    if bot.sentiment is not None:
        understood.append(f"sentiment {bot.sentiment:+.1f}")
    lines = [f"**What the bot understood:** {' · '.join(understood)}"]
    if bot.summary:
        lines.append(bot.summary)
    lines += [f"- tried: {attempt}" for attempt in bot.attempted]
    return lines


def _orders(context: HandoffContext) -> list[str]:
    if not context.orders:
        return []
    lines = ["**Recent orders:**"]
    for order in context.orders:
        total = f" · {order.total} {order.currency or ''}".rstrip() if order.total else ""
        placed = f" · {order.placed_at:%Y-%m-%d}" if order.placed_at else ""
        lines.append(f"- {order.order_id} · {order.status}{total}{placed}")
    return lines


def _nps(context: HandoffContext) -> list[str]:
    nps = context.last_nps
    if nps is None:
        return []
    comment = f' — "{nps.comment}"' if nps.comment else ""
    when = f" ({nps.responded_at:%Y-%m-%d})" if nps.responded_at else ""
    return [f"**Last NPS:** {nps.score} ({nps.category}){when}{comment}"]


def render(handoff: ConversationHandoff) -> str:
    """The note: why, who, what the bot understood, orders, NPS, then the transcript."""
    context = handoff.context or HandoffContext()
    why = context.escalation_reason or str(handoff.reason)
    mode = "offered to you" if str(handoff.action) == "offer" else "handed to you"
    sections = [
        [f"**Omnihub handoff** ({mode}) · reason: {why}"],
        _customer(context),
        _bot(context),
        _orders(context),
        _nps(context),
        ["**Transcript** (all channels, oldest first):", *map(_line, context.transcript)]
        if context.transcript
        else ["**Transcript:** (empty)"],
    ]
    return "\n\n".join("\n".join(section) for section in sections if section)
