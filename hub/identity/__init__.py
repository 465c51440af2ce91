"""Identity resolution: one customer id across channels, and the 360° profile."""

from .merges import MergeConflict
from .policy import IdentifierPolicy, JunkIdentifier, Key
from .service import Found, IdentityService

__all__ = [
    "Found",
    "IdentifierPolicy",
    "IdentityService",
    "JunkIdentifier",
    "Key",
    "MergeConflict",
]
