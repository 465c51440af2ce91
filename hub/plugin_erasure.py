"""Asking every enabled plugin to erase a customer, with the request completed first."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import structlog

from .plugin_api import ErasureReceipt, ErasureRequest
from .plugins import await_maybe

if TYPE_CHECKING:
    from .runtime import Hub

log = structlog.get_logger("hub.erasure")


async def erase_in_plugins(
    hub: Hub, request: ErasureRequest, skip: Collection[str] = ()
) -> dict[str, ErasureReceipt]:
    """Call every enabled plugin's erase hook (but those in ``skip``, which answered
    before); a raising plugin gets a failed receipt. The whole flow, with the hub's own
    data and suppression, is ``hub.erasures`` (hub/privacy/erasure.py).

    The request is completed from the profile store first: the surviving id, the ids
    merged into it and every identifier it holds all name the customer.
    """
    known = await hub.identity.person(request.customer_id)
    if known is not None:
        live, merged, identifiers = known
        aliases = {*merged, request.customer_id} - {live}
        request = ErasureRequest(
            request.request_id,
            live,
            tuple({(i.kind, i.value): i for i in (*request.identifiers, *identifiers)}.values()),
            tuple(sorted({*request.merged_ids, *aliases})),
        )
    receipts: dict[str, ErasureReceipt] = {}
    for info in hub.plugins.enabled:
        if info.name in skip:
            continue
        try:
            receipt = await await_maybe(
                hub.plugins.call(
                    "hub_erase_customer",
                    info,
                    request=request,
                    context=hub.contexts[info.name],
                )
            )
        except Exception as exc:
            receipt = ErasureReceipt("failed", f"{type(exc).__name__}")
            log.exception("erasure_failed", plugin=info.name)
        if receipt is not None:
            receipts[info.name] = receipt
    return receipts
