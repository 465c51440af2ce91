"""Relay processes of the baselines, started by the driver: ``python -m bench.relays.<name>``."""
