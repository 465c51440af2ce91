"""Fixtures of the webhooks plugin's tests."""

from webhooks_support import receiver_factory

__all__ = ["receiver_factory"]
