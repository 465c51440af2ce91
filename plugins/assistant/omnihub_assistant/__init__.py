"""Omnihub assistant."""
