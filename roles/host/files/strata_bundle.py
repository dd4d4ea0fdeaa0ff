# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Packs the collection's engine (plugins/module_utils) into one zip file that Python imports
from as the package ``strata_engine``: ``sys.path.insert(0, "strata-engine.zip")``.

Run on the controller by the host role: ``strata_bundle.py MODULE_UTILS_DIR DEST.zip``. Only
``.py`` files go in, in a fixed order with fixed dates and modes, stored uncompressed, so the
same engine always gives the same bytes (the role's copy then reports no change).
"""

from __future__ import annotations

import os
import sys
import zipfile

PACKAGE = "strata_engine"


def sources(directory):
    """(path, name in the zip) of every .py file under ``directory``, sorted; no __pycache__."""
    found = []
    for top, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(top, name)
                found.append((path, "/".join([PACKAGE] + os.path.relpath(path, directory).split(os.sep))))
    return sorted(found, key=lambda item: item[1])


def bundle(directory, dest):
    """Write the zip to ``dest`` (atomically: a partial file is never left under that name)."""
    if not os.path.isfile(os.path.join(directory, "__init__.py")):
        raise SystemExit("%s is not the engine's package (no __init__.py)" % directory)
    partial = dest + ".part"
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as archive:
        for path, name in sources(directory):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o100644 << 16
            with open(path, "rb") as handle:
                archive.writestr(info, handle.read())
    os.replace(partial, dest)


def main(argv):
    if len(argv) != 3:
        raise SystemExit("usage: strata_bundle.py MODULE_UTILS_DIR DEST.zip")
    bundle(os.path.abspath(argv[1]), os.path.abspath(argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
