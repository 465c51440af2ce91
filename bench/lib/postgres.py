"""A PostgreSQL database of the benchmark's own (``--hub-store postgresql``), dropped after.

Each hub setup gets a fresh schema in it (asyncpg passes ``search_path`` from the URL's
query to the server), as the test suite does.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import urlsplit, urlunsplit

_schemas = itertools.count(1)


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def private_database(url: str, tag: str) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Yields ``new_store()``: the URL of a fresh schema in ``omnihub_bench_<tag>``."""
    name = f"omnihub_bench_{tag}"
    await _admin(url, f'CREATE DATABASE "{name}"')
    database = urlunsplit(urlsplit(url)._replace(path="/" + name, query=""))

    async def new_store() -> str:
        schema = f"s{next(_schemas)}"
        await _admin(database, f"CREATE SCHEMA {schema}")
        return f"{database}?search_path={schema}"

    try:
        yield new_store
    finally:
        await _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
