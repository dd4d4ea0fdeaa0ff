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
      - User name for the registry. Anonymous access is used when omitted.
    type: str
  password:
    description:
      - Password or token for the registry. Sent only over TLS or to a loopback registry.
    type: str
  ca_cert:
    description:
      - A PEM file of CA certificates to verify the registry's TLS certificate with, instead of
        the system trust store.
    type: path
requirements:
  - The Python library C(requests) on the target host.
  - The Python library C(zstandard) on the target host, for images with zstd-compressed layers.
'''
