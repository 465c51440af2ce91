"""``order.*``: orders from social commerce and stores (TikTok Shop, a POS, a web store)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator

from .common import Amount, CurrencyCode, Identifier, Slug, Title, Uri
from .envelope import Contract, NonEmpty


class OrderStatus(StrEnum):
    """The canonical life of an order; ``platform_status`` keeps the platform's own word."""

    PENDING_PAYMENT = "pending_payment"
    PLACED = "placed"
    ON_HOLD = "on_hold"
    AWAITING_SHIPMENT = "awaiting_shipment"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    RETURNED = "returned"
    REFUNDED = "refunded"


class OrderItem(Contract):
    sku: NonEmpty | None = None
    product_id: NonEmpty | None = None
    name: Title
    quantity: Annotated[int, Field(strict=True, ge=1)]
    unit_price: Amount | None = None


class OrderTotals(Contract):
    """Amounts in the order's ``currency``; ``discount`` is subtracted, so it is positive."""

    total: Amount
    subtotal: Amount | None = None
    shipping: Amount | None = None
    discount: Amount | None = None
    tax: Amount | None = None


class Shipment(Contract):
    carrier: Title | None = None
    tracking_number: NonEmpty | None = None
    tracking_url: Uri | None = None


class OrderFacts(Contract):
    order_id: NonEmpty = Field(description="The platform's order id.")
    platform: Slug = Field(description="tiktok_shop, store, shopify …")
    status: OrderStatus
    platform_status: NonEmpty | None = Field(default=None, description="E.g. 'IN_TRANSIT'.")
    identifiers: list[Identifier] = Field(
        default_factory=list, description="The buyer as the platform knows them."
    )
    items: list[OrderItem] = Field(default_factory=list)
    totals: OrderTotals | None = None
    currency: CurrencyCode | None = Field(
        default=None, validate_default=True, description="Required when there are amounts."
    )
    shipment: Shipment | None = None
    store_id: NonEmpty | None = Field(default=None, description="Shop or point of sale.")

    @field_validator("currency")
    @classmethod
    def _required_with_amounts(cls, currency: str | None, info: ValidationInfo) -> str | None:
        items: list[OrderItem] = info.data.get("items", [])
        priced = info.data.get("totals") is not None or any(i.unit_price is not None for i in items)
        if currency is None and priced:
            raise ValueError("required when items or totals carry amounts")
        return currency


class OrderPlaced(OrderFacts):
    """A customer placed an order."""

    status: OrderStatus = OrderStatus.PLACED
    placed_at: AwareDatetime | None = None


class OrderUpdated(OrderFacts):
    """An order changed, e.g. its status reached ``delivered`` (a survey trigger)."""

    previous_status: OrderStatus | None = None
