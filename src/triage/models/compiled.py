"""Loops compiled by numba, without the GIL, their machine code cached on disk where it can be.

numba looks for a folder to cache in when a function is decorated (beside the
source, then the user's cache folder, or ``NUMBA_CACHE_DIR``), and fails the
import when it finds none: a read-only install run without a writable home. The
loops are then compiled in each process instead (about 2 s, once).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numba

F = TypeVar("F", bound=Callable[..., Any])


def compiled(**options: Any) -> Callable[[F], F]:
    """``numba.njit(nogil=True, cache=True, **options)``, or uncached where nothing can be."""

    def decorate(fn: F) -> F:
        try:
            return numba.njit(nogil=True, cache=True, **options)(fn)
        except RuntimeError:  # "cannot cache function ...: no locator available"
            return numba.njit(nogil=True, **options)(fn)

    return decorate
