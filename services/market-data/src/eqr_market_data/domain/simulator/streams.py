"""Counter-based random streams: every draw is addressed by (seed, stream, counter, name).

A day's randomness comes from ``Philox(key=seed, counter=...)`` with the day index in the
counter, so any day can be generated on its own and in any order. The day index and the
stream sit in the two HIGH words of Philox's 256-bit counter: a generator advances the low
word as it draws, and putting the day there would make day k's draws run into day k + 1's.
A name (a symbol) goes into the high word of the 128-bit key, giving each one its own streams.
"""

from __future__ import annotations

import hashlib
from datetime import date
from enum import IntEnum

import numpy as np

EPOCH = date(2010, 1, 4)
"""Day index 0: the first trading day of 2010."""

_WORD = 1 << 64


class Stream(IntEnum):
    RETURNS = 1
    BAR_SHAPES = 2
    INTRADAY = 3
    TICK = 4
    NEWS = 5
    FUNDAMENTALS = 6
    BOND = 7
    """The bond fund's daily shock and bar shape: its own stream, so adding it left every
    other name's draws as they were."""
    BOND_TICK = 8
    """The bond fund's live steps."""
    SPLITS = 9
    """Each name's split plan (drawn per name, so it is the same whatever the universe holds)."""


def day_index(day: date) -> int:
    """Calendar days since the epoch: a trading day's counter, whatever calendar chose it."""
    index = (day - EPOCH).days
    if index < 0:
        raise ValueError(f"{day} is before the simulator's epoch {EPOCH}")
    return index


def name_hash(name: str) -> int:
    """A stable 64-bit hash (Python's ``hash`` is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def generator(seed: int, stream: Stream, counter: int, name: str = "") -> np.random.Generator:
    if not 0 <= seed < _WORD:
        raise ValueError("the seed must be in [0, 2**64)")
    if not 0 <= counter < _WORD:
        raise ValueError("the counter must be in [0, 2**64)")
    key = seed + (name_hash(name) << 64 if name else 0)
    words = np.array([0, 0, int(stream), counter], dtype=np.uint64)
    return np.random.Generator(np.random.Philox(key=key, counter=words))
