# -*- coding: utf-8 -*-
"""Compose files read and checked before anything starts: interpolation (every form, and the
variable a missing ``${VAR:?}`` names), the schema's errors with their paths, profiles, .env,
dependency cycles named, and the container options each Compose key becomes."""

from __future__ import annotations

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.stack import load, model, naming, order
from ansible_collections.strata.containers.plugins.module_utils.stack.interpolate import interpolate


@pytest.mark.parametrize("text, expected", [
    ("${A}", "a"), ("$A", "a"), ("${UNSET}", ""), ("$$A", "$A"), ("cost $ 5", "cost $ 5"),
    ("${EMPTY:-d}", "d"), ("${EMPTY-d}", ""), ("${UNSET-d}", "d"), ("${UNSET:-${A}x}", "ax"),
    ("${A:+yes}", "yes"), ("${EMPTY:+yes}", ""), ("${EMPTY+yes}", "yes"), ("${A:?never}", "a"),
    ("pre-${A}-$A-post", "pre-a-a-post"),
])
def test_interpolation_forms(text, expected):
    assert interpolate({"k": [text]}, {"A": "a", "EMPTY": ""})[0] == {"k": [expected]}


def test_interpolation_leaves_keys_and_non_strings_and_lists_unset_names():
    data, missing = interpolate({"${A}": 3, "b": True, "c": "${NOPE}${A}"}, {"A": "a"})
    assert data == {"${A}": 3, "b": True, "c": "a"} and missing == ["NOPE"]


@pytest.mark.parametrize("text, words", [
    ("${DB_PASSWORD:?set the database password}", ["DB_PASSWORD", "set the database password", "services.db.x"]),
    ("${DB_PASSWORD?}", ["DB_PASSWORD", "is not set"]),
    ("${EMPTY:?}", ["EMPTY", "is empty"]),
])
def test_required_variable_names_itself_and_where(text, words):
    with pytest.raises(InvalidSpec) as caught:
        interpolate({"services": {"db": {"x": text}}}, {"EMPTY": ""})
    assert all(w in str(caught.value) for w in words), str(caught.value)


@pytest.mark.parametrize("text", ["${A", "${1A}", "x ${A b"])
def test_bad_variable_syntax_refused(text):
    with pytest.raises(InvalidSpec, match="bad variable syntax"):
        interpolate({"k": text}, {"A": "a"})


@pytest.mark.parametrize("service, path", [
    ({"image": "x", "ports": [{"bad": 1}]}, "services.web.ports[0]"),
    ({"image": "x", "ports": [["80"]]}, "services.web.ports[0]"),
    ({"image": "x", "depends_on": {"db": {"condition": "later"}}}, "services.web.depends_on.db.condition"),
    ({"image": "x", "healthcheck": {"retries": "many"}}, "services.web.healthcheck.retries"),
    ({"imag": "x"}, "services.web: unknown key 'imag'"),
])
def test_schema_errors_name_the_path(service, path):
    with pytest.raises(InvalidSpec) as caught:
        load.load("demo", definition={"services": {"web": service}})
    assert path in str(caught.value), str(caught.value)
    assert caught.value.details["path"] == path.split(":")[0]


def test_env_file_and_task_env(tmp_path):
    (tmp_path / "compose.yaml").write_text("services:\n  web:\n    image: busybox:${TAG}\n"
                                           "    environment: [\"A=${A}\", 'Q=${Q}']\n")
    (tmp_path / ".env").write_text("# comment\nTAG=1.36\nexport A='from .env'\nQ=\"quoted\" \n")
    project = load.load("demo", project_src=str(tmp_path), env={"A": "from the task"})
    web = project.services["web"]
    assert web["image"] == "busybox:1.36" and web["environment"] == ["A=from the task", "Q=quoted"]
    with pytest.raises(InvalidSpec, match="no Compose file"):
        load.load("demo", project_src=str(tmp_path / ".."))  # no compose file in tmp's parent


@pytest.mark.parametrize("name", ["Demo", "-x", "a b", "", None])
def test_project_names(name):
    with pytest.raises(InvalidSpec, match="project name"):
        load.load(name, definition={"services": {"web": {"image": "x"}}})


def test_profiles():
    services = {"web": {"image": "x"}, "debug": {"image": "x", "profiles": ["debug"]},
                "tool": {"image": "x", "profiles": ["tools"], "depends_on": ["debug"]}}
    assert sorted(load.load("p", definition={"services": services}).services) == ["web"]
    assert sorted(load.load("p", definition={"services": services}, profiles=["debug"]).services) == ["debug", "web"]
    with pytest.raises(InvalidSpec, match="tool depends on debug, which is not in the active profiles"):
        load.load("p", definition={"services": services}, profiles=["tools"])


def test_dependency_order_and_cycles():
    assert order.start_order({"web": {"api"}, "api": {"db"}, "db": set(), "cache": set()}) == \
        ["db", "api", "cache", "web"]
    with pytest.raises(InvalidSpec, match="dependency cycle between services: a -> b -> c -> a") as caught:
        order.start_order({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()})
    assert caught.value.details["cycle"] == ["a", "b", "c", "a"]
    assert order.dependants({"web": {"api"}, "api": {"db"}, "db": set()}, "db") == {"api", "web"}


def _model(services, **top):
    return model.build_model(load.load("demo", definition=dict(top, services=services), project_src="/srv"))


def test_cycle_in_a_file_is_refused_naming_it():
    with pytest.raises(InvalidSpec, match="api -> web -> api"):
        _model({"web": {"image": "x", "depends_on": ["api"]}, "api": {"image": "x", "depends_on": ["web"]}})


def test_naming_and_labels():
    assert naming.container_name("demo", "web", 2) == "demo-web-2"
    assert naming.object_name("demo", "data") == "demo_data"
    web = _model({"web": {"image": "x", "deploy": {"replicas": 3}}}).services["web"]
    labels = web.params("demo", 2)["labels"]
    assert labels[naming.PROJECT] == "demo" and labels[naming.SERVICE] == "web" and labels[naming.NUMBER] == "2"
    assert labels[naming.CONFIG_HASH] == web.config_hash and web.replicas == 3
    assert web.container("demo", 2) == "demo-web-2"
    api = _model({"api": {"image": "x", "depends_on": {"db": {"condition": "service_healthy"}}}, "db": {"image": "x"}})
    assert api.services["api"].params("demo", 1)["labels"]["com.docker.compose.depends_on"] == "db:service_healthy:false"
    other = _model({"web": {"image": "x", "deploy": {"replicas": 3}, "environment": {"A": 1}}}).services["web"]
    assert other.config_hash != web.config_hash


def test_services_become_container_options():
    stack = _model({
        "web": {"image": "busybox", "ports": ["127.0.0.1:8080:80", {"target": 81, "published": 8081}],
                "networks": {"front": {"aliases": ["www"]}}, "depends_on": {"db": {"condition": "service_healthy"}},
                "command": "httpd -f", "cap_drop": ["ALL"], "user": "1000", "extra_hosts": ["h:10.0.0.1"],
                "ulimits": {"nofile": {"soft": 100, "hard": 200}, "nproc": 50}, "restart": "always",
                "logging": {"driver": "json-file", "options": {"max-size": "1m"}}, "init": True},
        "db": {"image": "busybox", "volumes": ["data:/data", "./conf:/conf:ro", {"type": "tmpfs", "target": "/t"}],
               "secrets": ["pw"], "configs": [{"source": "cfg", "target": "/etc/cfg"}],
               "healthcheck": {"test": ["CMD", "true"], "interval": "1s"}, "stop_grace_period": "3s",
               "deploy": {"resources": {"limits": {"cpus": "0.5", "memory": "64m"}}}},
    }, networks={"front": {}}, volumes={"data": {}}, secrets={"pw": {"file": "./pw"}}, configs={"cfg": {"file": "/c"}})
    web, db = stack.services["web"].options, stack.services["db"].options
    assert stack.order == ["db", "web"] and stack.services["web"].depends == {"db": "service_healthy"}
    assert [(p["host_ip"], p["host_port"], p["container_port"]) for p in web["published_ports"]] == \
        [("127.0.0.1", 8080, 80), ("", 8081, 81)]
    assert web["networks"] == [{"name": "demo_front", "aliases": ["web", "www"], "ipv4_address": None,
                                "ipv6_address": None}]
    assert web["command"] == ["httpd", "-f"] and web["cap_drop"] == ["ALL"] and web["init"] is True
    assert web["etc_hosts"] == {"h": "10.0.0.1"} and web["restart_policy"] == "always"
    assert web["ulimits"] == ["nofile:100:200", "nproc:50:50"] and web["log_options"] == {"max-size": "1m"}
    assert db["networks"][0]["name"] == "demo_default"
    assert db["mounts"] == [
        {"type": "volume", "source": "demo_data", "target": "/data", "read_only": False},
        {"type": "bind", "source": "/srv/conf", "target": "/conf", "read_only": True},
        {"type": "bind", "source": "/srv/pw", "target": "/run/secrets/pw", "read_only": True},
        {"type": "bind", "source": "/c", "target": "/etc/cfg", "read_only": True}]
    assert db["tmpfs"] == ["/t"] and db["stop_timeout"] == 3
    assert (db["cpus"], db["memory"]) == (0.5, 64 * 1024 * 1024)
    assert sorted(stack.networks) == ["demo_default", "demo_front"] and list(stack.volumes) == ["demo_data"]


@pytest.mark.parametrize("service, message", [
    ({"image": "x", "links": ["db"]}, "services.web: links not supported"),
    ({"image": "x", "volumes": ["nope:/data"]}, "volume nope is not defined"),
    ({"image": "x", "volumes": ["/data"]}, "anonymous volumes are not supported"),
    ({"image": "x", "networks": ["nope"]}, "network nope is not defined"),
    ({"image": "x", "ports": ["99999:80"]}, "services.web"),
    ({"image": "x", "secrets": ["nope"]}, "secret nope is not defined"),
    ({"build": {"dockerfile": "D"}, "container_name": "w", "deploy": {"replicas": 2}}, "container_name allows one"),
])
def test_unsupported_or_undefined_is_refused(service, message):
    with pytest.raises(InvalidSpec, match=message.replace("[", r"\[")):
        _model({"web": service})


def test_relative_paths_need_project_src():
    project = load.load("demo", definition={"services": {"web": {"image": "x", "volumes": ["./a:/a"]}}})
    with pytest.raises(InvalidSpec, match="needs project_src"):
        model.build_model(project)


# The Compose Specification's own example (its README), with what this engine has in place of
# what it lacks: a local volume for the flocker one, configs and secrets from files for the
# external ones (external configs and secrets are swarm's).
SPEC_EXAMPLE = """
services:
  frontend:
    image: example/webapp
    ports:
      - "443:8043"
    networks:
      - front-tier
      - back-tier
    configs:
      - httpd-config
    secrets:
      - server-certificate

  backend:
    image: example/database
    volumes:
      - db-data:/etc/data
    networks:
      - back-tier

volumes:
  db-data:
    driver: local

configs:
  httpd-config:
    file: ./httpd.conf

secrets:
  server-certificate:
    file: ./server.cert

networks:
  # The presence of these objects is sufficient to define them
  front-tier: {}
  back-tier: {}
"""


def test_the_specifications_example(tmp_path):
    (tmp_path / "compose.yaml").write_text(SPEC_EXAMPLE)
    stack = model.build_model(load.load("example", project_src=str(tmp_path)))
    front = stack.services["frontend"].options
    assert [n["name"] for n in front["networks"]] == ["example_back-tier", "example_front-tier"]
    assert [(m["source"], m["target"]) for m in front["mounts"]] == [
        (str(tmp_path / "server.cert"), "/run/secrets/server-certificate"), (str(tmp_path / "httpd.conf"), "/httpd-config")]
    assert front["published_ports"][0]["host_port"] == 443
    assert stack.services["backend"].options["mounts"][0]["source"] == "example_db-data"
    assert sorted(stack.networks) == ["example_back-tier", "example_front-tier"]
    # as the specification has it: swarm's external secrets are refused by name
    (tmp_path / "compose.yaml").write_text(SPEC_EXAMPLE.replace("file: ./server.cert", "external: true"))
    with pytest.raises(InvalidSpec, match="only secrets with a file are supported"):
        model.build_model(load.load("example", project_src=str(tmp_path)))


def test_network_mode_of_a_service_orders_it_first():
    stack = _model({"app": {"image": "x", "network_mode": "service:vpn"}, "vpn": {"image": "x"}})
    assert stack.order == ["vpn", "app"] and stack.services["app"].options["network_mode"] == "container:demo-vpn-1"


def test_billion_laughs_and_deep_nesting_refused(tmp_path):
    lines = ["x-a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 9):
        lines.append("x-a%d: &a%d [%s]" % (level, level, ", ".join(["*a%d" % (level - 1)] * 10)))
    (tmp_path / "compose.yaml").write_text("\n".join(lines) + "\nservices: {web: {image: x}}\n")
    with pytest.raises(InvalidSpec, match="more than 200000 values"):
        load.load("demo", project_src=str(tmp_path))
    nested = {"services": {"web": {"image": "x", "labels": {"a": "b"}}}}
    deep = nested["services"]["web"]
    for dummy in range(100):
        deep["x-n"] = {}
        deep = deep["x-n"]
    with pytest.raises(InvalidSpec, match="nested more than 64 deep"):
        load.load("demo", definition=nested)
