"""The malloc tuning takes on glibc (this machine's C library): a batch's outputs reuse the
pages the previous batch freed instead of faulting in fresh ones."""

from __future__ import annotations

import platform
import resource

import numpy as np
import pytest

from eqr_options.heap import keep_freed_arrays_in_heap

ROWS = 1_000_000
PAGES = ROWS * 8 // 4096


def _faults_of_one_batch() -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    outputs = np.empty(ROWS)
    outputs.fill(1.0)  # first touch of every page
    del outputs
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt")
def test_a_freed_batch_leaves_its_pages_for_the_next_one() -> None:
    assert keep_freed_arrays_in_heap()
    _faults_of_one_batch()  # the heap grows once
    assert _faults_of_one_batch() < PAGES // 10
