"""``omnihub_contracts`` stands alone: a CRM team installs it without the hub."""

from __future__ import annotations

import subprocess
import sys
import textwrap

BLOCK_HUB_AND_IMPORT_ALL = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    class BlockHub:
        def find_spec(self, name, path=None, target=None):
            if name == "hub" or name.startswith("hub."):
                raise ImportError(f"omnihub_contracts must not import {name}")
            return None

    sys.meta_path.insert(0, BlockHub())
    import omnihub_contracts
    for module in pkgutil.walk_packages(omnihub_contracts.__path__, "omnihub_contracts."):
        importlib.import_module(module.name)
    omnihub_contracts.core_registry()
    allowed = ("omnihub_contracts", "pydantic", "pydantic_core", "typing_extensions",
               "annotated_types", "typing_inspection")
    # Private top-level names are the interpreter's and pip's (editable-install finders).
    top_level = {m.split(".")[0] for m in sys.modules if not m.startswith("_")}
    foreign = sorted(top_level - set(sys.stdlib_module_names) - set(allowed))
    assert not foreign, foreign
    """
)


def test_contracts_import_nothing_but_pydantic() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_HUB_AND_IMPORT_ALL], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
