# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Limits on what one layer may cost while it is extracted: disk space, inflation, header size.

A layer blob comes from a registry or an archive: 10 MiB of gzip can inflate to 10 GiB of
zeros, and one tar header can claim gigabytes. Each limit is checked as the stream goes, by
counting, so an extraction is refused before it fills the disk or the memory.
"""

from __future__ import annotations

import os
from collections import namedtuple

from .._errors import InvalidSpec, LayerError

GIB = 1 << 30
RESERVE_FLOOR = GIB            # the default reserve: 1 GiB or 5 % of the filesystem, whichever is larger
RESERVE_PERCENT = 5
MAX_INFLATION_RATIO = 100      # uncompressed / compressed, checked once past INFLATION_CHECK_AFTER
INFLATION_CHECK_AFTER = GIB
MAX_HEADER_BYTES = 1 << 20     # a PAX record or GNU long name; real ones are a few hundred bytes
SPACE_CHECK_BYTES = 64 << 20   # free space is measured again after this much is written


_LIMIT_FIELDS = ("min_free_space", "max_inflation_ratio", "inflation_check_after", "max_header_bytes")


class Limits(namedtuple("Limits", _LIMIT_FIELDS,
                        defaults=(None, MAX_INFLATION_RATIO, INFLATION_CHECK_AFTER, MAX_HEADER_BYTES))):
    """``min_free_space``: bytes the store's filesystem must keep free (None: the default reserve);
    ``max_inflation_ratio``: 0 turns the ratio check off. (A named tuple, not a dataclass: every
    command makes one, and dataclasses with inspect and typing is slow to import.)"""

    __slots__ = ()

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls, *args, **kwargs)
        for name in _LIMIT_FIELDS:
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise InvalidSpec("%s must be a number of bytes (0 or more), not %r" % (name, value))
        return self

    def reserve(self, st):
        """The free space to keep on the filesystem whose ``os.statvfs`` is ``st``."""
        if self.min_free_space is not None:
            return self.min_free_space
        return max(RESERVE_FLOOR, st.f_blocks * st.f_frsize * RESERVE_PERCENT // 100)


DEFAULT = Limits()


class SpaceGuard:
    """Counts what an extraction writes under ``path`` and measures the filesystem's free space
    at the start and again every SPACE_CHECK_BYTES (or sooner when the last measure said the
    reserve is near): a layer that would leave less than the reserve is a LayerError."""

    def __init__(self, path, limits):
        self.path = path
        self.limits = limits
        self.budget = 0
        self.check(0)

    def charge(self, size):
        self.budget -= size
        if self.budget < 0:
            self.check(size)

    def check(self, size):
        st = os.statvfs(self.path)
        free, reserve = st.f_bavail * st.f_frsize, self.limits.reserve(st)
        if free - size < reserve:
            raise LayerError("refusing to extract the layer: the store's filesystem (%s) would have %d bytes free,"
                             " under the reserve of %d bytes (option min_free_space)"
                             % (self.path, max(free - size, 0), reserve), path=self.path, free=free, reserve=reserve)
        self.budget = min(free - size - reserve, SPACE_CHECK_BYTES)


def check_inflation(limits, packed, unpacked):
    """LayerError when ``unpacked`` bytes came out of ``packed`` compressed ones at too high a ratio."""
    ratio = limits.max_inflation_ratio
    if ratio and unpacked > limits.inflation_check_after and unpacked > ratio * max(packed, 1):
        raise LayerError("refusing to extract the layer: %d compressed bytes inflated to over %d bytes, more than"
                         " %d times their size (option max_inflation_ratio): a decompression bomb?"
                         % (packed, unpacked, ratio), compressed=packed, inflated=unpacked)
