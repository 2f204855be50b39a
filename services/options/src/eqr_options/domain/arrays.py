"""Array aliases and the block-wise, two-thread evaluation every vectorised kernel shares.

Whole-array numpy expressions stream each temporary through main memory; evaluating a kernel
over blocks of a few thousand rows keeps its temporaries in the core's cache, and numpy's
ufuncs release the GIL, so two threads work two blocks at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

BLOCK_ROWS = 8192
"""64 KiB per float column: a kernel's dozen temporaries stay in L2, below malloc's mmap threshold."""
WORKERS = 2
_THREAD_PREFIX = "eqr-options-kernel"


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix=_THREAD_PREFIX)


def run_in_blocks(kernel: Callable[[slice], None], rows: int, block_rows: int = BLOCK_ROWS) -> None:
    """Call ``kernel`` on consecutive row slices covering ``range(rows)``; the kernel writes its
    results into preallocated outputs, so the slices are independent and may run in parallel."""
    slices = [slice(start, min(start + block_rows, rows)) for start in range(0, rows, block_rows)]
    # A kernel already on a worker (a tree's European last step) runs its inner blocks in
    # place: waiting on the same pool from inside it would deadlock.
    if len(slices) <= 1 or threading.current_thread().name.startswith(_THREAD_PREFIX):
        for block in slices:
            kernel(block)
        return
    # Consume the iterator so a kernel's exception surfaces here.
    list(_pool().map(kernel, slices))
