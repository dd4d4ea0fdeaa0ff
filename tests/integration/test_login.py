# -*- coding: utf-8 -*-
"""login, as a user runs it against the rig's TLS registry with htpasswd auth: check mode
writes nothing, a wrong password is a clear error and writes nothing, a login writes the auth
file 0600 (a second run: unchanged), a push then reads it, a logout removes the entry. With a
credential helper named in the file (a small docker-credential-test script storing in a temp
file): login stores through it, a pull gets its credentials from it, and it is asked about the
registry's host only, never another's."""

from __future__ import annotations

import base64
import json
import os
import stat
import textwrap

from ansible_runner import run_module

HELPER = textwrap.dedent("""\
    #!/bin/sh
    # docker-credential-test: keeps credentials in $DIR/store.json; logs each request's verb and server
    DIR="$(dirname "$0")"
    input="$(cat)"
    case "$1" in
      get|erase) server="$input" ;;
      store) server="$(printf '%s' "$input" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ServerURL"])')" ;;
      *) exit 2 ;;
    esac
    echo "$1 $server" >> "$DIR/requests.log"
    exec python3 - "$1" "$DIR/store.json" "$input" <<'EOF'
    import json, os, sys
    verb, path, data = sys.argv[1:]
    store = json.load(open(path)) if os.path.exists(path) else {}
    if verb == "store":
        entry = json.loads(data)
        store[entry["ServerURL"]] = entry
    elif data not in store:
        print("credentials not found in native keychain")
        sys.exit(1)
    elif verb == "get":
        print(json.dumps(store[data]))
    else:
        del store[data]
    json.dump(store, open(path, "w"))
    EOF
    """)


def _ok(result):
    assert not result["failed"], result
    return result


def _no_password(result, password):
    assert password not in json.dumps(result)


def test_login_checks_writes_0600_is_idempotent_and_logout_removes(registry, secure_registry, container_root, tmp_path):
    secure = secure_registry
    config = tmp_path / "docker" / "config.json"
    args = {"registry_url": "https://%s" % secure.addr, "username": secure.user, "password": secure.password,
            "ca_cert": secure.ca_cert, "config_path": str(config)}

    wrong = run_module("login", dict(args, password="not-the-password"))
    assert wrong["failed"] and wrong["error"] == "AuthenticationError"
    assert "check the username and password" in wrong["msg"]
    assert not config.exists()
    _no_password(wrong, "not-the-password")

    checked = _ok(run_module("login", args, check=True))
    assert checked["changed"] is True and not config.exists()

    logged_in = _ok(run_module("login", args))
    assert logged_in["changed"] is True and logged_in["registry"] == secure.addr
    _no_password(logged_in, secure.password)
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    entry = json.loads(config.read_text())["auths"][secure.addr]
    assert base64.b64decode(entry["auth"]).decode() == "%s:%s" % (secure.user, secure.password)
    assert _ok(run_module("login", args))["changed"] is False
    assert _ok(run_module("login", dict(args, reauthorize=True)))["changed"] is False
    assert _ok(run_module("login", args, check=True))["changed"] is False

    # a push finds the credentials where login put them
    _ok(run_module("image", {"name": registry.images["busybox"], "root": container_root}))
    pushed = _ok(run_module("image", {"name": registry.images["busybox"], "source": "local", "push": True,
                                      "repository": "%s/login/busybox:1" % secure.addr, "ca_cert": secure.ca_cert,
                                      "auth_config": str(config), "root": container_root}))
    assert pushed["changed"] is True

    logout = {"registry_url": secure.addr, "state": "absent", "config_path": str(config)}
    assert _ok(run_module("login", logout, check=True))["changed"] is True
    assert secure.addr in json.loads(config.read_text())["auths"]
    assert _ok(run_module("login", logout))["changed"] is True
    assert secure.addr not in json.loads(config.read_text())["auths"]
    assert _ok(run_module("login", logout))["changed"] is False


def test_a_credential_helper_stores_serves_pulls_and_is_asked_about_its_host_only(
        secure_registry, registry, another_root, tmp_path, monkeypatch):
    secure = secure_registry
    helpers = tmp_path / "bin"
    helpers.mkdir()
    script = helpers / "docker-credential-test"
    script.write_text(HELPER)
    script.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (helpers, os.environ["PATH"]))  # the module's PATH (local connection)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"credHelpers": {secure.addr: "test"}, "auths": {}, "detachKeys": "ctrl-q"}))
    args = {"registry_url": secure.addr, "username": secure.user, "password": secure.password,
            "ca_cert": secure.ca_cert, "config_path": str(config)}

    assert _ok(run_module("login", args, check=True))["changed"] is True
    assert not (helpers / "store.json").exists()
    stored = _ok(run_module("login", args))
    assert stored["changed"] is True and stored["credential_helper"] == "test"
    kept = json.loads((helpers / "store.json").read_text())[secure.addr]
    assert (kept["Username"], kept["Secret"]) == (secure.user, secure.password)
    written = json.loads(config.read_text())
    assert written["auths"] == {secure.addr: {}} and written["detachKeys"] == "ctrl-q"  # the secret is not in it
    assert _ok(run_module("login", args))["changed"] is False

    # a push and a pull get the password from the helper; a pull from another registry does not ask it
    root = another_root()
    _ok(run_module("image", {"name": registry.images["busybox"], "auth_config": str(config), "root": root}))
    _ok(run_module("image", {"name": registry.images["busybox"], "source": "local", "push": True,
                             "repository": "%s/helper/busybox:1" % secure.addr, "ca_cert": secure.ca_cert,
                             "auth_config": str(config), "root": root}))
    pulled = _ok(run_module("image", {"name": "%s/helper/busybox:1" % secure.addr, "ca_cert": secure.ca_cert,
                                      "auth_config": str(config), "root": another_root()}))
    assert pulled["changed"] is True
    asked = {line.split(" ", 1)[1] for line in (helpers / "requests.log").read_text().splitlines()}
    assert asked == {secure.addr}

    assert _ok(run_module("login", {"registry_url": secure.addr, "state": "absent",
                                    "config_path": str(config)}))["changed"] is True
    assert json.loads((helpers / "store.json").read_text()) == {}
    assert json.loads(config.read_text())["auths"] == {}
    denied = run_module("image", {"name": "%s/helper/busybox:1" % secure.addr, "ca_cert": secure.ca_cert,
                                  "auth_config": str(config), "root": another_root()})
    assert denied["failed"] and denied["error"] == "AuthenticationError"
