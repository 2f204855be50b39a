"""Row-by-row kernels compiled to machine code with numba, for the hot loops numpy cannot fuse.

A compiled kernel computes every output of a row in registers (no temporaries) and releases
the GIL (``nogil``), so ``arrays.run_in_blocks`` runs it on the package's two kernel threads,
like the numpy kernels. numba's own ``parallel=True`` is not used: its default threading layer
(workqueue) aborts the process when two Python threads call a parallel kernel at once, which a
gRPC server and the American pricer's worker threads both do.

Machine code is cached on disk (``cache=True``): numba writes it beside the source in
``__pycache__``, or else under ``NUMBA_CACHE_DIR`` or the user's cache directory. With none of
them writable (a read-only image run by a user without a home) the kernels compile in memory
on first use instead (about a second per kernel), rather than failing at import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., Any])


def compiled(kernel: F) -> F:
    """``kernel`` compiled without the GIL, with numpy's floating-point semantics (x/0 is inf or
    NaN, never an exception), cached on disk where a cache location is writable."""
    try:
        return cast(F, numba.njit(kernel, cache=True, nogil=True, error_model="numpy"))
    except RuntimeError:  # numba found no writable cache location
        return cast(F, numba.njit(kernel, nogil=True, error_model="numpy"))
