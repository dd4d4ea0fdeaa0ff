# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The only file that touches AnsibleModule: common options, and engine errors -> fail_json."""

from __future__ import annotations

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
    spec = dict(ROOT_OPTION)
    if registry:
        spec.update(REGISTRY_OPTIONS)
    spec.update(argument_spec)
    kwargs.setdefault("supports_check_mode", True)
    return AnsibleModule(argument_spec=spec, **kwargs)


def engine_for(module, registry=False, read_only=False):
    """The engine on the module's store; ``read_only`` for info modules, which create nothing."""
    from .engine import Engine
    params = module.params
    extra = {}
    if registry:
        extra = {k: params.get(k) for k in ("insecure_registries", "username", "password", "ca_cert", "auth_config",
                                            "certs_dir", "registry_mirrors")}
    return Engine(params["root"], check_mode=module.check_mode, read_only=read_only, **extra)


def run(module, action):
    """Call ``action()`` and exit with its result; an engine error becomes a readable failure."""
    try:
        result = action()
    except MissingDependency as exc:
        module.fail_json(msg=missing_required_lib(exc.library), exception=exc.exception)
    except EngineError as exc:
        _warn(module)
        details = {k: v for k, v in exc.details.items() if v is not None}
        module.fail_json(msg=str(exc), error=type(exc).__name__, **details)
    _warn(module)
    module.exit_json(**result)


def _warn(module):
    """What the engine found worth telling (an OCI runtime older than its security fix)."""
    for warning in oci.take_warnings():
        module.warn(warning)
