# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The only file that touches AnsibleModule: common options, and any failure -> fail_json."""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ._errors import EngineError, MissingDependency
from .runtime import oci

ROOT_OPTION = {"root": {"type": "path", "default": "/var/lib/strata"}}
REGISTRY_OPTIONS = {
    "insecure_registries": {"type": "list", "elements": "str", "default": []},
    "username": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "ca_cert": {"type": "path"},
    "auth_config": {"type": "path"},
    "certs_dir": {"type": "path", "default": "/etc/docker/certs.d"},
    "registry_mirrors": {"type": "raw"},
}


def make_module(argument_spec, registry=False, **kwargs):
    # Every module takes root, also those of host-wide objects (networks) that do not use it,
    # so that module_defaults for group/strata.containers.strata can set it once.
    spec = dict(ROOT_OPTION)
    if registry:
        spec.update(REGISTRY_OPTIONS)
    spec.update(argument_spec)
    kwargs.setdefault("supports_check_mode", True)
    return AnsibleModule(argument_spec=spec, **kwargs)


def engine_for(module, *, registry=False, read_only=False, runtime=None, registry_options=None,
               cgroup_manager=None):
    """The engine on the module's store; ``read_only`` for info modules, which create nothing;
    ``registry_options`` for a module with registry options of its own (login)."""
    from .engine import Engine
    params = module.params
    extra = {}
    if registry:
        extra = {k: params.get(k) for k in REGISTRY_OPTIONS}
    extra.update(registry_options or {})
    return Engine(params["root"], check_mode=module.check_mode, read_only=read_only, runtime=runtime,
                  cgroup_manager=cgroup_manager, **extra)


def run(module, action):
    """Call ``action()`` and exit with its result. Every failure becomes ``fail_json`` with a
    message a person can act on (never Ansible's MODULE FAILURE); the traceback goes in
    ``exception``, which Ansible shows with -vvv."""
    try:
        result = action()
    except MissingDependency as exc:
        module.fail_json(msg=missing_required_lib(exc.library), exception=exc.exception)
    except EngineError as exc:
        _warn(module)
        details = {k: v for k, v in exc.details.items() if v is not None}
        module.fail_json(msg=str(exc), error=type(exc).__name__, **details)
    except OSError as exc:
        _warn(module)
        module.fail_json(msg=os_error_message(exc), error=type(exc).__name__, path=exc.filename,
                         exception=traceback.format_exc())
    except Exception as exc:  # pylint: disable=broad-except
        # a bug of ours: still say what broke, in words
        _warn(module)
        module.fail_json(msg="unexpected error %s: %s" % (type(exc).__name__, exc), error=type(exc).__name__,
                         exception=traceback.format_exc())
    _warn(module)
    if not module._diff:
        result.pop("diff", None)  # every module documents ``diff`` as returned in diff mode only
    module.exit_json(**result)


def os_error_message(exc):
    """``[Errno 20] Not a directory: '/x/blobs'`` -> ``cannot use /x/blobs: Not a directory (NotADirectoryError)``."""
    paths = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p is not None)
    reason = exc.strerror or str(exc)
    if not paths:
        return "%s (%s)" % (reason, type(exc).__name__)
    return "cannot use %s: %s (%s)" % (paths, reason, type(exc).__name__)


def _warn(module):
    """What the engine found worth telling (an OCI runtime older than its security fix)."""
    for warning in oci.take_warnings():
        module.warn(warning)
