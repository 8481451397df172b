"""The compiled kernel, ``cleaner/_kernel.c``, where it was built.

The kernel is optional (see pyproject.toml): without a C compiler cleaner installs anyway,
and each stage runs the Python reference of the same computation, which the tests compare
with the kernel on real text.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def compiled(name: str) -> Callable[..., Any] | None:
    """The kernel's function ``name``, or None when the kernel was not built."""
    try:
        kernel = importlib.import_module("cleaner._kernel")
    except ImportError:
        return None
    function: Callable[..., Any] = getattr(kernel, name)
    return function
