"""Fixtures of the HubSpot plugin's tests."""

from hubspot_support import fake_hubspot

__all__ = ["fake_hubspot"]
