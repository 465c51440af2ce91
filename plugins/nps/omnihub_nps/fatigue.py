"""Fatigue rules: when a survey must not be asked (a reason) or must wait (quiet hours)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .config import NpsConfig
from .records import CustomerState
from .store import NpsTables

DAY = 86_400.0
WHATSAPP_WINDOW = timedelta(hours=24)


def zone_of(customer: CustomerState, config: NpsConfig) -> ZoneInfo:
    for name in (customer.timezone, config.default_timezone):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


async def refusal(
    tables: NpsTables, customer: CustomerState, config: NpsConfig, now: datetime
) -> str | None:
    """Why this customer must not be surveyed now, or None (checked on schedule and send,
    in a transaction holding the customer's lock)."""
    if not customer.surveys_allowed:
        return "no_consent"
    if customer.open_conversation is not None:
        return "open_conversation"
    last = await tables.last_asked(customer.customer_id)
    if last is not None and now.timestamp() - last < config.min_days_between * DAY:
        return "min_days_between"
    return None


async def over_daily_cap(tables: NpsTables, config: NpsConfig, now: datetime) -> bool:
    """The hub-wide cap, counted per day in the default time zone (under the cap's lock)."""
    local = now.astimezone(ZoneInfo(config.default_timezone))
    start = datetime.combine(local.date(), time(0), local.tzinfo)
    end = start + timedelta(days=1)
    asked = await tables.asked_between(start.timestamp(), end.timestamp())
    return asked >= config.daily_cap


def quiet_until(now: datetime, zone: ZoneInfo, start: time, end: time) -> datetime | None:
    """The end of the quiet hours ``now`` falls in (in ``zone``), or None outside them."""
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start == end:
        return None
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, zone)


def outside_whatsapp_window(last_inbound: datetime | None, now: datetime) -> bool:
    """Free-form WhatsApp messages need the customer to have written in the last 24 hours."""
    return last_inbound is None or now - last_inbound > WHATSAPP_WINDOW
