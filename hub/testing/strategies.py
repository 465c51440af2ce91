"""Hypothesis strategies for property tests of plugins (import from tests only: it needs
``hypothesis``, which the hub itself does not)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# A webhook property test builds its hub with the function-scoped ``hub_factory`` fixture
# once and posts every example to it: that reuse is intended.
WEBHOOK_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def json_values(
    *, text_size: int = 20, key_size: int = 10, max_leaves: int = 25
) -> st.SearchStrategy[Any]:
    """Any JSON value (floats finite, as JSON has no NaN or Infinity), nested."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=text_size)
    )
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.text(max_size=key_size), inner, max_size=4)
        ),
        max_leaves=max_leaves,
    )
