# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine's one exception tree.

    EngineError                   every engine failure; .details go to fail_json
    ├── InvalidReference          (also ValueError) a bad image name
    ├── InvalidSpec               (also ValueError) a bad manifest, config, index or option
    ├── MissingDependency         a Python library or host tool is not installed
    ├── RegistryError             talking to a registry; .temporary decides retries
    │   ├── AuthenticationError
    │   ├── NotFound
    │   └── RateLimited
    ├── StoreError                the local store
    │   ├── DigestMismatch
    │   ├── SizeMismatch
    │   ├── Conflict              e.g. a name that points elsewhere, a tag on two images
    │   ├── InUse                 something still needs what is to be removed
    │   ├── ImageNotFound
    │   ├── VolumeNotFound
    │   └── Corrupt
    ├── LayerError                a layer tar that cannot be applied safely
    │   ├── UnsafePath
    │   └── UnsupportedEntry
    ├── MountError
    ├── ContainerError
    │   ├── ContainerNotFound
    │   └── InvalidState
    └── BuildError
        ├── DockerfileSyntaxError (with line)
        └── StepFailed            (with exit code)

Foreign exceptions are translated once, at the edge of each subsystem, with
``raise X(...) from exc``.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base of every engine error. ``details`` are extra facts for the caller."""

    temporary = False

    def __init__(self, message, **details):
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self):
        return self.message

    def __reduce__(self):
        # Errors cross process boundaries (parallel layer extraction): keep class and details.
        return (_rebuild, (type(self), self.message, self.details, self.temporary))


def _rebuild(cls, message, details, temporary):
    exc = cls.__new__(cls)
    EngineError.__init__(exc, message, **details)
    exc.__dict__.update(details)
    exc.temporary = temporary
    return exc


class InvalidReference(EngineError, ValueError):
    pass


class InvalidSpec(EngineError, ValueError):
    pass


class MissingDependency(EngineError):
    def __init__(self, library, reason=None, exception=None):
        super().__init__("the Python library %s is required%s" % (library, ": %s" % reason if reason else ""),
                         library=library)
        self.library = library
        self.exception = exception


class RegistryError(EngineError):
    def __init__(self, message, temporary=False, **details):
        super().__init__(message, **details)
        self.temporary = temporary


class AuthenticationError(RegistryError):
    pass


class NotFound(RegistryError):
    pass


class RateLimited(RegistryError):
    def __init__(self, message, **details):
        super().__init__(message, temporary=True, **details)


class StoreError(EngineError):
    pass


class DigestMismatch(StoreError):
    pass


class SizeMismatch(StoreError):
    pass


class Conflict(StoreError):
    pass


class InUse(StoreError):
    pass


class ImageNotFound(StoreError):
    pass


class VolumeNotFound(StoreError):
    pass


class Corrupt(StoreError):
    pass


class LayerError(EngineError):
    pass


class UnsafePath(LayerError):
    pass


class UnsupportedEntry(LayerError):
    pass


class MountError(EngineError):
    pass


class ContainerError(EngineError):
    pass


class ContainerNotFound(ContainerError):
    pass


class InvalidState(ContainerError):
    pass


class BuildError(EngineError):
    pass


class DockerfileSyntaxError(BuildError, ValueError):
    def __init__(self, message, line=None, **details):
        super().__init__(message if line is None else "line %d: %s" % (line, message), line=line, **details)
        self.line = line


class StepFailed(BuildError):
    def __init__(self, message, exit_code=None, **details):
        super().__init__(message, exit_code=exit_code, **details)
        self.exit_code = exit_code
