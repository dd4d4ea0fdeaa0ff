# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container's /etc/hosts, /etc/resolv.conf and /etc/hostname, as Docker writes them.

They are files of the container's own directory, bind-mounted over the image's (the image
is never edited), rewritten at every start once the addresses are known.
"""

from __future__ import annotations

import ipaddress
import re

HOST_RESOLV = "/etc/resolv.conf"
HOST_HOSTS = "/etc/hosts"
FALLBACK_DNS = ("8.8.8.8", "8.8.4.4")  # Docker's, when the host has only local resolvers
_LOCAL_V4 = ipaddress.ip_network("127.0.0.0/8")
_HOSTNAME = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,62})?)*$")

BASE_HOSTS = ("127.0.0.1\tlocalhost\n"
              "::1\tlocalhost ip6-localhost ip6-loopback\n"
              "fe00::0\tip6-localnet\n"
              "ff00::0\tip6-mcastprefix\n"
              "ff02::1\tip6-allnodes\n"
              "ff02::2\tip6-allrouters\n")


def valid_hostname(text):
    return isinstance(text, str) and len(text) <= 253 and bool(_HOSTNAME.match(text))


def hosts(hostname, domainname, addresses, extra, host_file=None):
    """``addresses`` of the container (first first); ``extra``: {name: address} (--add-host).

    ``host_file``: the host's /etc/hosts text, for a container on the host's network."""
    text = host_file if host_file is not None else BASE_HOSTS
    if text and not text.endswith("\n"):
        text += "\n"
    for name, address in sorted((extra or {}).items()):
        text += "%s\t%s\n" % (address, name)
    names = ("%s.%s %s" % (hostname, domainname, hostname)) if domainname else hostname
    for address in addresses:
        text += "%s\t%s\n" % (address, names)
    return text


def parse_resolv(text):
    """(nameservers, search domains, options) of a resolv.conf."""
    servers, search, options = [], [], []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split(";", 1)[0].split()
        if not words:
            continue
        if words[0] == "nameserver" and len(words) > 1:
            servers.append(words[1])
        elif words[0] in ("search", "domain"):
            search = words[1:]
        elif words[0] == "options":
            options += words[1:]
    return servers, search, options


def _host_resolv():
    try:
        with open(HOST_RESOLV, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return ""


def resolv(network_dns, dns, dns_search, dns_options, host_network=False):
    """``network_dns``: (servers, search domains) of the container's DNS-enabled networks
    (aardvark-dns on their gateways), else empty. The user's ``dns`` servers follow them;
    without either, the host's servers (less local ones a container cannot reach)."""
    host_servers, host_search, host_options = parse_resolv(_host_resolv())
    servers = list(network_dns[0]) + list(dns or [])
    if not servers:
        servers = host_servers if host_network else [s for s in host_servers if not _local(s)]
        if not servers:
            servers = list(FALLBACK_DNS)
    search = list(network_dns[1]) + list(dns_search if dns_search is not None else host_search)
    options = list(dns_options if dns_options is not None else host_options)
    text = "".join("nameserver %s\n" % s for s in servers)
    if search:
        text += "search %s\n" % " ".join(search)
    if options:
        text += "options %s\n" % " ".join(options)
    return text


def _local(server):
    try:
        address = ipaddress.ip_address(server.split("%")[0])
    except ValueError:
        return False
    return address in _LOCAL_V4 or address == ipaddress.ip_address("::1")


def hostname_file(hostname):
    return hostname + "\n"


def host_hosts():
    try:
        with open(HOST_HOSTS, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return BASE_HOSTS
