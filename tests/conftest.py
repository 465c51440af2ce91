"""Suite-wide set-up lives in the root conftest.py (it covers plugins/*/tests too)."""

from hub.testing import AMQP_URL, IN_CI, POSTGRES_URL

__all__ = ["AMQP_URL", "IN_CI", "POSTGRES_URL"]
