# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's version, as galaxy.yml says (tests/unit/test_meta.py checks they agree):
the engine reports it (host_info, strata info) where no galaxy.yml is at hand."""

from __future__ import annotations

VERSION = "0.3.0"
