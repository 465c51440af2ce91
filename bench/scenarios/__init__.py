"""One module per measured scenario; each returns :class:`bench.lib.stats.Result` rows."""
