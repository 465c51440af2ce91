"""Conversations across channels, and who controls each one (bot, human or none)."""
