#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: login
short_description: Log in to a registry and out of it, as docker login and docker logout do
version_added: 0.3.0
description:
  - Checks the credentials with the registry (its token service or basic auth, as C(docker login)
    does), then keeps them in Docker's C(config.json), where pulls and pushes of this collection
    (and docker, podman, skopeo) find them.
  - When the file's C(credHelpers) names a helper for the registry, or its C(credsStore) one for
    all, the credentials go to that C(docker-credential-<name>) program (C(store)) and the file
    lists the registry with an empty entry, as docker does; C(state=absent) asks it to C(erase) them.
  - Credentials already kept are not sent to the registry again (and nothing changes) unless
    I(reauthorize).
  - The password is never part of the result or of a log.
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.common
author:
  - strata.containers developers (@strata)
options:
  registry_url:
    description:
      - The registry, C(host[:port]) or a URL such as C(https://host:port). Its entry is filed under
        C(host[:port]); Docker Hub's under C(https://index.docker.io/v1/).
    type: str
    default: https://index.docker.io/v1/
    aliases: [registry, url]
  username:
    description:
      - The user name. Required with C(state=present).
    type: str
  password:
    description:
      - The password or access token. Required with C(state=present).
    type: str
  config_path:
    description:
      - Docker's C(config.json) to write. Default C($DOCKER_CONFIG/config.json), else
        C(~/.docker/config.json) of the user the module runs as (what pulls and pushes read).
      - Written atomically, mode C(0600); a file that exists keeps its owner and every other key.
    type: path
    aliases: [dockercfg_path, auth_config]
  state:
    description:
      - C(present) logs in; C(absent) logs out (removes the registry's credentials).
    type: str
    choices: [present, absent]
    default: present
  reauthorize:
    description:
      - Check the credentials with the registry even when they are those already kept.
    type: bool
    default: false
    aliases: [reauthorization]
  insecure_registries:
    description:
      - Registries that may be reached over plain HTTP or with an unverified TLS certificate;
        loopback registries always may.
    type: list
    elements: str
    default: []
  ca_cert:
    description:
      - A PEM file of CA certificates to verify the registry's TLS certificate with.
    type: path
  certs_dir:
    description:
      - Per-registry certificates, as Docker's C(certs.d).
    type: path
    default: /etc/docker/certs.d
notes:
  - I(root) is accepted (for C(module_defaults)) and not used.
attributes:
  check_mode:
    support: full
    details:
      - The credentials are still checked with the registry; nothing is written.
  diff_mode:
    support: none
  idempotent:
    support: full
seealso:
  - module: strata.containers.image
'''

EXAMPLES = r'''
- name: docker login registry.example:5000
  strata.containers.login:
    registry_url: registry.example:5000
    username: deploy
    password: "{{ vault_registry_password }}"

- name: Log in for another user's pulls
  strata.containers.login:
    registry_url: registry.example:5000
    username: deploy
    password: "{{ vault_registry_password }}"
    config_path: /home/app/.docker/config.json

- name: docker logout registry.example:5000
  strata.containers.login:
    registry_url: registry.example:5000
    state: absent
'''

RETURN = r'''
registry:
  description: The key the registry's credentials are kept under (C(host[:port]) or Docker Hub's URL).
  returned: always
  type: str
  sample: registry.example:5000
username:
  description: The user logged in.
  returned: when state is present
  type: str
config_path:
  description: The Docker config file used.
  returned: always
  type: str
credential_helper:
  description: The credential helper that keeps the registry's credentials (C(pass) for
    C(docker-credential-pass)), or null when the file keeps them.
  returned: always
  type: str
actions:
  description: What was done (or, in check mode, would be done).
  returned: always
  type: list
  elements: str
'''

from ansible_collections.strata.containers.plugins.module_utils._module import engine_for, make_module, run


def main():
    module = make_module({
        "registry_url": {"type": "str", "default": "https://index.docker.io/v1/", "aliases": ["registry", "url"]},
        "username": {"type": "str"},
        "password": {"type": "str", "no_log": True},
        "config_path": {"type": "path", "aliases": ["dockercfg_path", "auth_config"]},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "reauthorize": {"type": "bool", "default": False, "aliases": ["reauthorization"]},
        "insecure_registries": {"type": "list", "elements": "str", "default": []},
        "ca_cert": {"type": "path"},
        "certs_dir": {"type": "path", "default": "/etc/docker/certs.d"},
    }, required_if=[("state", "present", ("username", "password"))])

    def action():
        params = module.params
        engine = engine_for(module, read_only=True, registry_options={
            k: params[k] for k in ("insecure_registries", "ca_cert", "certs_dir")})
        if params["state"] == "absent":
            return engine.logins.logout(params["registry_url"], config_path=params["config_path"])
        return engine.logins.login(params["registry_url"], params["username"], params["password"],
                                   config_path=params["config_path"], reauthorize=params["reauthorize"])

    run(module, action)


if __name__ == "__main__":
    main()
