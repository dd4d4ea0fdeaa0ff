# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  root:
    description:
      - The store's root directory on the target host, where images, layers and containers live.
      - Several store roots can coexist on one host; each is independent.
    type: path
    default: /var/lib/strata
requirements:
  - Python 3.9 or newer on the target host.
  - Linux with overlayfs, run as root.
'''

    REGISTRY = r'''
options:
  insecure_registries:
    description:
      - Registries (C(host) or C(host:port)) that may be reached over plain HTTP or with an
        unverified TLS certificate, as Docker's C(insecure-registries).
      - Loopback registries (C(localhost), C(127.0.0.0/8), C(::1)) are always allowed over HTTP.
    type: list
    elements: str
    default: []
  username:
    description:
      - User name for the registry. When omitted, the credentials for the registry in I(auth_config)
        are used, else anonymous access.
      - Sent only to the registry's own scheme, host and port, never to its mirrors (a mirror gets
        the credentials I(auth_config) has for the mirror's host) nor to another host it points to.
    type: str
  password:
    description:
      - Password or token for the registry. Sent only over TLS or to a loopback registry, and to a
        bearer token service only over HTTPS (or plain HTTP on the insecure registry itself).
    type: str
  ca_cert:
    description:
      - A PEM file of CA certificates to verify the registry's TLS certificate with, instead of
        the system trust store.
    type: path
  auth_config:
    description:
      - Docker's C(config.json) whose C(auths) hold registry credentials (as C(docker login) and
        M(strata.containers.login) write them). Default C($DOCKER_CONFIG/config.json), else
        C(~/.docker/config.json).
      - Its C(credHelpers) (per registry) and C(credsStore) name C(docker-credential-<name>) helper
        programs on the PATH, asked (C(get)) for the credentials of the host contacted only.
    type: path
  certs_dir:
    description:
      - Per-registry certificates, as Docker's C(certs.d) - C(<certs_dir>/<host:port>/*.crt) are CA
        certificates, C(client.cert) and C(client.key) a client certificate.
    type: path
    default: /etc/docker/certs.d
  registry_mirrors:
    description:
      - Mirrors to pull through, tried in order before the registry itself; a failing mirror falls
        back to the next. A dict maps a registry to a list of its mirrors, as Podman's
        C(registries.conf) does; a list applies to C(docker.io), as Docker's C(registry-mirrors).
      - When omitted, C(registries.json) in I(root) is read, a JSON object that maps a registry to an
        object whose C(mirrors) is the list of its mirrors.
      - Digests are verified whichever endpoint serves the bytes.
    type: raw
requirements:
  - The Python library C(requests) on the target host.
  - The Python library C(zstandard) on the target host, for images with zstd-compressed layers.
'''
