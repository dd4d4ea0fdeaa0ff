# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker login`` and ``docker logout``: credentials checked against the registry, then kept
where Docker keeps them (the config's credential helper for that host, else ``auths`` in the
file, authfile.py), so that later pulls and pushes find them.

Same credentials already kept: nothing is written (``changed`` false) and, unless
``reauthorize``, the registry is not asked. The password is never in a result or a message."""

from __future__ import annotations

from .._errors import AuthenticationError, InvalidSpec, RegistryError
from . import authfile, credhelper, hosts
from .auth import Authenticator
from .transport import Transport

HUB_API_HOST = "registry-1.docker.io"


class LoginService:
    def __init__(self, *, check_mode=False, insecure_registries=(), ca_cert=None, certs_dir=None,
                 bundle_dir=None, auth_config=None, **unused):
        self.check_mode = check_mode
        self.insecure_registries = tuple(insecure_registries or ())
        self.ca_cert = ca_cert
        self.certs_dir = certs_dir
        self.bundle_dir = bundle_dir
        self.default_path = auth_config

    def login(self, registry, username, password, *, config_path=None, reauthorize=False):
        if not username or password is None or password == "":
            raise InvalidSpec("login to %s needs a username and a password" % registry)
        path = config_path or self.default_path or authfile.default_path()
        key = authfile.server_key(registry)
        config = authfile.load(path)
        helper = authfile.helper_for(config, key)
        kept = credhelper.get(helper, key) if helper else authfile.inline(config, key)
        same = kept == (username, password)
        result = {"changed": False, "actions": [], "registry": key, "username": username, "config_path": path,
                  "credential_helper": helper}
        if same and not reauthorize:
            return result
        self.verify(key, username, password)
        result["actions"].append("verified the credentials with %s" % key)
        if same:
            return result
        result.update(changed=True)
        result["actions"].append("stored the credentials of %s in %s" % (
            key, credhelper.program(helper) if helper else path))
        if self.check_mode:
            return result
        if helper:
            credhelper.store(helper, key, username, password)
            if not authfile.has_entry(config, key):
                authfile.save(path, authfile.set_placeholder(config, key))
        else:
            authfile.save(path, authfile.set_inline(config, key, username, password))
        return result

    def logout(self, registry, *, config_path=None):
        path = config_path or self.default_path or authfile.default_path()
        key = authfile.server_key(registry)
        config = authfile.load(path)
        helper = authfile.helper_for(config, key)
        in_helper = bool(helper) and credhelper.get(helper, key)[0] is not None
        in_file = authfile.has_entry(config, key)
        result = {"changed": in_helper or in_file, "actions": [], "registry": key, "config_path": path,
                  "credential_helper": helper}
        if in_helper:
            result["actions"].append("erased the credentials of %s from %s" % (key, credhelper.program(helper)))
        if in_file:
            result["actions"].append("removed %s from %s" % (key, path))
        if self.check_mode:
            return result
        if in_helper:
            credhelper.erase(helper, key)
        if in_file:
            authfile.save(path, authfile.remove(config, key))
        return result

    def verify(self, key, username, password):
        """Log in as docker does: GET /v2/, answer its challenge (a token or basic auth) with the
        credentials, and GET /v2/ again. A registry that asks for no credentials accepts any."""
        host = HUB_API_HOST if key == authfile.HUB_KEY else key
        found_ca, client_cert = hosts.certificates(host, self.certs_dir, self.bundle_dir)
        transport = Transport(host, self.insecure_registries, ca_cert=self.ca_cert or found_ca,
                              client_cert=client_cert)
        resp = transport.request("GET", "/v2/")
        resp.close()
        if resp.status_code == 200:
            return
        challenge = resp.headers.get("WWW-Authenticate")
        if resp.status_code != 401 or not challenge:
            raise RegistryError("%s does not look like a registry (GET /v2/ answered HTTP %d)"
                                % (host, resp.status_code), status=resp.status_code)
        header = Authenticator(transport, username, password).answer(challenge, "")
        resp = transport.request("GET", "/v2/", headers={"Authorization": header})
        resp.close()
        if resp.status_code in (401, 403):
            raise AuthenticationError("login to %s as %s failed (HTTP %d): check the username and password"
                                      % (host, username, resp.status_code), host=host)
        if resp.status_code != 200:
            raise RegistryError("login to %s: the registry answered HTTP %d" % (host, resp.status_code),
                                status=resp.status_code)
