"""Fixtures of the Chatwoot plugin's tests."""

from chatwoot_support import fake_chatwoot

__all__ = ["fake_chatwoot"]
