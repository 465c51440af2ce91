"""Running the hub as a service (``omnihub run``) and checking it (``omnihub doctor``)."""

from __future__ import annotations

import asyncio
import gc
import signal
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from aiohttp import web

from .cli_api import CliContext
from .config import ConfigError, HubConfig
from .logging import configure_logging

log = structlog.get_logger("hub.serve")


def run_loop(main: Coroutine[Any, Any, None], choice: str = "auto") -> None:
    """Run ``main`` on uvloop (``[hub] event_loop``) or on asyncio's own loop."""
    if choice != "asyncio":
        try:
            import uvloop
        except ImportError:
            if choice == "uvloop":
                main.close()
                raise ConfigError(
                    "hub.event_loop = 'uvloop' but uvloop is not installed "
                    "(pip install uvloop, or set event_loop = 'auto')"
                ) from None
        else:
            uvloop.run(main)
            return
    asyncio.run(main)


YOUNG_GC_THRESHOLD = 10_000  # allocations between young collections (Python's default: 700)


def tune_collector() -> None:
    """The garbage collector of a process that serves a started hub.

    What start-up built (modules, plugins, pydantic schemas, phone metadata …) lives as
    long as the process: frozen out of the collector's sight, a full collection takes
    microseconds instead of the ~50 ms every event in flight waited for under load. And a
    young collection every 700 allocations mostly finds events still in flight and
    promotes them, to be scanned again; every 10,000 most of them have died by then.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GC_THRESHOLD, *gc.get_threshold()[1:])


async def serve(
    config: HubConfig,
    *,
    strict: bool = False,
    sock: socket.socket | None = None,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Start the hub and its HTTP server; on SIGTERM/SIGINT stop taking requests, drain, exit.

    ``sock``: a listening socket to accept on instead of binding ``[http]`` (a worker of
    ``hub.workers``); ``on_ready`` is called once requests are being served.
    """
    from .http import build_app
    from .runtime import Hub

    configure_logging(json=config.logging.json_output, level=config.logging.level)
    hub = Hub(config, strict=strict)
    await hub.start()
    runner = web.AppRunner(
        build_app(hub),
        access_log=None,
        handle_signals=False,
        shutdown_timeout=config.broker.drain_timeout,
    )
    await runner.setup()
    site: web.BaseSite = (
        web.SockSite(runner, sock)
        if sock is not None
        else web.TCPSite(runner, config.http.host, config.http.port)
    )
    try:
        await site.start()
    except OSError:
        await runner.cleanup()
        await hub.stop()
        raise
    log.info("http_listening", host=config.http.host, port=config.http.port)
    tune_collector()
    if on_ready is not None:
        on_ready()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    try:
        await stopping.wait()
    finally:
        log.info("draining")
        # In-flight requests finish first (their publishes get confirmed), then consumers
        # drain their in-flight events, then the broker closes.
        await runner.cleanup()
        await hub.stop()


async def doctor_checks(ctx: CliContext) -> list[tuple[str, bool, str]]:
    """(check, ok, detail) for config, plugins, store and broker."""
    from .runtime import Hub

    results: list[tuple[str, bool, str]] = []
    try:
        config = ctx.load_config()
        hub = Hub(config)
    except ConfigError as exc:
        return [("config", False, str(exc))]
    results.append(("config", True, str(ctx.config_path)))
    for info in sorted(hub.plugins.plugins.values(), key=lambda p: p.name):
        state = "enabled" if info.enabled else "disabled"
        detail = f"{state}: {info.error}" if info.error else state
        # A broken plugin that is switched off cannot hurt the hub: reported, not failed.
        results.append((f"plugin {info.name}", info.error is None or not info.enabled, detail))
    try:
        await hub.store.open()
        await hub.store.ping()
        results.append(("store", True, config.store.url.split("://")[0]))
    except Exception as exc:
        results.append(("store", False, f"{type(exc).__name__}: {exc}"))
    finally:
        await hub.store.close()
    try:
        await asyncio.wait_for(hub.broker.connect(), config.broker.publish_timeout)
        await hub.broker.ping()
        results.append(("broker", True, config.broker.url.split("://")[0]))
    except Exception as exc:
        results.append(("broker", False, f"{type(exc).__name__}: {exc}"))
    finally:
        await hub.broker.close(0)
    return results
