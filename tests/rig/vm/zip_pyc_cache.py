# -*- coding: utf-8 -*-
"""Installed in the test VM only (make_image.sh): code imported from zip archives is compiled
once, then taken from a cache keyed by its source.

Every Ansible task runs its module from a fresh zip (AnsiballZ), and Python never caches
bytecode for a zip: in the emulated guest compiling ansible's module_utils and the engine took
more time than running them (importing ansible.module_utils.basic: 14 s from the zip, 6 s from
bytecode). The same source always gives the same code, so what the guest runs is unchanged:
only the compile step is skipped. Anything unexpected falls back to compiling as usual."""

import marshal
import os
import sys
import zipimport

CACHE = "/var/cache/strata-vm-pyc"
_compile_source = zipimport._compile_source  # pylint: disable=protected-access


def _with_filename(code, filename):
    """``code`` and the functions it defines, claiming to come from ``filename``."""
    consts = tuple(_with_filename(c, filename) if isinstance(c, type(code)) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def _cached_compile(pathname, source):
    try:
        import hashlib  # pylint: disable=import-outside-toplevel
        key = hashlib.sha256(sys.version.encode() + b"\0" + source).hexdigest()
        path = os.path.join(CACHE, key)
        try:
            with open(path, "rb") as handle:
                return _with_filename(marshal.load(handle), pathname)
        except (OSError, EOFError, ValueError, TypeError):
            pass
        code = _compile_source(pathname, source)
        os.makedirs(CACHE, mode=0o700, exist_ok=True)
        temporary = "%s.%d" % (path, os.getpid())
        with open(temporary, "wb") as handle:
            marshal.dump(code, handle)
        os.replace(temporary, path)
        return code
    except Exception:  # pylint: disable=broad-except
        return _compile_source(pathname, source)


if os.geteuid() == 0:  # the tests log in as root; nobody else shares the cache
    zipimport._compile_source = _cached_compile  # pylint: disable=protected-access
