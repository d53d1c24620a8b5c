"""Compiled loops work where numba finds no folder to cache them in (a read-only install)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_the_compiled_loops_import_and_run_without_a_cache_folder():
    # numba finds no folder: the import succeeded before only because one was writable.
    script = textwrap.dedent(
        """
        import numba.core.caching as caching
        for impl in (caching.CacheImpl, *caching.CacheImpl.__subclasses__()):
            impl._locator_classes = []
        import numpy as np
        from triage.evaluation._integer_sums import count_draws
        from triage.models import tree_shap
        assert count_draws(np.array([[0, 2, 2]]), 3).tolist() == [[1, 0, 2]]
        print("ran", tree_shap._tree_shap._cache.__class__.__name__)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ran NullCache")
