"""Omnihub's public plugin API. Plugins import from here, ``hub.hookspecs`` and ``hub.testing``."""

from omnihub_contracts import CloudEvent, EventType, Identifier, InvalidEvent

# First, so structlog is configured (with redaction) before any module gets a logger.
from . import logging as _logging  # noqa: F401  # isort: skip

from .broker import BrokerUnavailable, PermanentFailure
from .config import ConfigError
from .hookspecs import hookimpl
from .outbound import (
    ServiceRefused,
    ServiceUnavailable,
    parse_retry_after,
    retrying,
    wait_retry_after,
)
from .plugin_api import (
    ConfigModel,
    Consumer,
    ConversationControl,
    CustomerDirectory,
    ErasureReceipt,
    ErasureRequest,
    Health,
    PluginContext,
    PluginRouter,
    RetryPolicy,
)
from .privacy.forget import json_strings
from .store.database import PluginDatabase, Tx, placeholders

__version__ = "0.1.0"

__all__ = [
    "BrokerUnavailable",
    "CloudEvent",
    "ConfigError",
    "ConfigModel",
    "Consumer",
    "ConversationControl",
    "CustomerDirectory",
    "ErasureReceipt",
    "ErasureRequest",
    "EventType",
    "Health",
    "Identifier",
    "InvalidEvent",
    "PermanentFailure",
    "PluginContext",
    "PluginDatabase",
    "PluginRouter",
    "RetryPolicy",
    "ServiceRefused",
    "ServiceUnavailable",
    "Tx",
    "hookimpl",
    "json_strings",
    "parse_retry_after",
    "placeholders",
    "retrying",
    "wait_retry_after",
]
