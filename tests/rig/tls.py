# -*- coding: utf-8 -*-
"""A throw-away certificate authority for the rig, made with the ``openssl`` CLI.

    ca_cert, server_cert, server_key = make_ca("/tmp/x/tls")   # a server cert for 127.0.0.1 and localhost
    client_cert, client_key = make_client_cert("/tmp/x/tls", (ca_cert, ca_key_path("/tmp/x/tls")))

Everything is written into ``directory`` (created if needed) and made only once: a second call
with the same directory returns the files already there. The certificates are valid for
DAYS days from the moment they are made.

File names (a ``--cert-dir`` for skopeo/containers wants ``ca.crt``, hence that name):

    ca.crt ca.key            the CA (CN=strata-test CA, basicConstraints CA:TRUE)
    server.crt server.key    CN=127.0.0.1, subjectAltName IP:127.0.0.1, DNS:localhost
    client.crt client.key    CN=strata-test client, extendedKeyUsage clientAuth (make_client_cert)
    certs.d/ca.crt           a copy of ca.crt alone (cert_dir()): skopeo's --cert-dir/--dest-cert-dir
                             refuses a directory with a *.key that has no *.cert beside it
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess

DAYS = 30
CA_CERT, CA_KEY = "ca.crt", "ca.key"
SERVER_CERT, SERVER_KEY = "server.crt", "server.key"
CLIENT_CERT, CLIENT_KEY = "client.crt", "client.key"
CERT_DIR = "certs.d"

CAFiles = collections.namedtuple("CAFiles", "ca_cert server_cert server_key")


def _openssl(*args, cwd=None):
    proc = subprocess.run(["openssl"] + list(args), capture_output=True, text=True, cwd=cwd, check=False, timeout=120)
    if proc.returncode:
        raise RuntimeError("openssl %s: %s" % (" ".join(args), proc.stderr.strip()))
    return proc.stdout


def _write(path, text):
    with open(path, "w") as f:
        f.write(text)


def _all_exist(directory, *names):
    return all(os.path.isfile(os.path.join(directory, name)) and os.path.getsize(os.path.join(directory, name))
               for name in names)


def _signed(directory, name, subject, extensions, ca_cert, ca_key):
    """Key ``name``.key and certificate ``name``.crt signed by the CA, with ``extensions`` (an
    openssl extension section, one "key = value" per line)."""
    key, csr, crt, ext = (os.path.join(directory, name + suffix) for suffix in (".key", ".csr", ".crt", ".ext"))
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
    os.chmod(key, 0o600)
    _openssl("req", "-new", "-key", key, "-subj", subject, "-out", csr)
    _write(ext, "[ext]\n" + extensions)
    serial = os.path.join(directory, name + ".srl")
    try:
        _openssl("x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key, "-CAserial", serial, "-CAcreateserial",
                 "-days", str(DAYS), "-sha256", "-extfile", ext, "-extensions", "ext", "-out", crt + ".tmp")
        os.replace(crt + ".tmp", crt)
    finally:
        for path in (csr, ext, serial, crt + ".tmp"):
            if os.path.exists(path):
                os.remove(path)
    return crt, key


def make_ca(directory):
    """The CA and a server certificate for 127.0.0.1/localhost in ``directory``; returns
    CAFiles(ca_cert, server_cert, server_key), absolute paths (a named tuple: unpack it or use
    the names). Idempotent per directory."""
    directory = os.path.abspath(directory)
    os.makedirs(directory, exist_ok=True)
    ca_cert, ca_key = os.path.join(directory, CA_CERT), os.path.join(directory, CA_KEY)
    server_cert, server_key = os.path.join(directory, SERVER_CERT), os.path.join(directory, SERVER_KEY)
    if not _all_exist(directory, CA_CERT, CA_KEY):
        _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", ca_key)
        os.chmod(ca_key, 0o600)
        _openssl("req", "-x509", "-new", "-key", ca_key, "-sha256", "-days", str(DAYS), "-subj", "/CN=strata-test CA",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 "-addext", "subjectKeyIdentifier=hash",
                 "-out", ca_cert + ".tmp")
        os.replace(ca_cert + ".tmp", ca_cert)
        for stale in (SERVER_CERT, SERVER_KEY, CLIENT_CERT, CLIENT_KEY):  # signed by an older CA
            if os.path.exists(os.path.join(directory, stale)):
                os.remove(os.path.join(directory, stale))
        shutil.rmtree(os.path.join(directory, CERT_DIR), ignore_errors=True)
    if not _all_exist(directory, SERVER_CERT, SERVER_KEY):
        _signed(directory, "server", "/CN=127.0.0.1",
                "basicConstraints = critical,CA:FALSE\n"
                "keyUsage = critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage = serverAuth\n"
                "subjectAltName = IP:127.0.0.1,DNS:localhost\n"
                "authorityKeyIdentifier = keyid\n",
                ca_cert, ca_key)
    cert_dir(ca_cert)
    return CAFiles(ca_cert, server_cert, server_key)


def cert_dir(ca_cert):
    """A directory holding only a copy of ``ca_cert`` as ca.crt (certs.d beside ca_cert), for
    skopeo's --cert-dir / --src-cert-dir / --dest-cert-dir and containers' certs.d."""
    directory = os.path.join(os.path.dirname(os.path.abspath(ca_cert)), CERT_DIR)
    target = os.path.join(directory, CA_CERT)
    if not os.path.isfile(target):
        os.makedirs(directory, exist_ok=True)
        shutil.copyfile(ca_cert, target + ".tmp")
        os.replace(target + ".tmp", target)
    return directory


def ca_key_path(directory):
    """The CA's key in a directory make_ca() filled."""
    return os.path.join(os.path.abspath(directory), CA_KEY)


def make_client_cert(directory, ca):
    """A client certificate (clientAuth) signed by ``ca`` = (ca_cert, ca_key), written into
    ``directory`` as client.crt/client.key; returns (client_cert, client_key). Idempotent.
    ``ca`` may also be the (ca_cert, server_cert, server_key) triple make_ca() returns: the CA
    key is then the ca.key beside ca_cert."""
    directory = os.path.abspath(directory)
    os.makedirs(directory, exist_ok=True)
    ca_cert = ca[0]
    ca_key = ca[1] if len(ca) == 2 else os.path.join(os.path.dirname(ca_cert), CA_KEY)
    if _all_exist(directory, CLIENT_CERT, CLIENT_KEY):
        return os.path.join(directory, CLIENT_CERT), os.path.join(directory, CLIENT_KEY)
    return _signed(directory, "client", "/CN=strata-test client",
                   "basicConstraints = critical,CA:FALSE\n"
                   "keyUsage = critical,digitalSignature\n"
                   "extendedKeyUsage = clientAuth\n"
                   "authorityKeyIdentifier = keyid\n",
                   ca_cert, ca_key)
