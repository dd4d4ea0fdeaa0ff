# -*- coding: utf-8 -*-
"""The Compose Specification's own example files (compose-spec-examples/, issue 22), through
``strata compose`` as installed. Each example the engine supports is deployed in turn into one
fresh store root: its containers run under Compose's names and labels, what the example is about
shows from inside them, and ``down -v`` leaves nothing of the project (an external volume stays).
Each example it does not support (compose-spec-examples/refused/) is refused with an error
naming the key, and nothing is made. docs/stack.md has the table."""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import time

import pytest

from ansible_collections.strata.containers.plugins.module_utils.engine import Engine

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "compose-spec-examples")
STRATA = os.path.join(os.path.dirname(os.path.dirname(HERE)), "bin", "strata")
PROJECT_LABEL = "com.docker.compose.project"


class Cli:
    """``strata --root ROOT ...`` with BUSYBOX (and the example's variables) in the environment."""

    def __init__(self, root, busybox):
        self.root = root
        self.env = dict(os.environ, BUSYBOX=busybox, CONFIG_KEY="from the shell")

    def run(self, *args, ok=True):
        proc = subprocess.run([sys.executable, STRATA, "--root", self.root] + list(args), env=self.env,
                              capture_output=True, text=True, timeout=300, check=False)
        if ok:
            assert proc.returncode == 0, "strata %s: %s" % (" ".join(args), proc.stderr)
        return proc

    def compose(self, project, example, *args, ok=True):
        return self.run("compose", "-p", project, "-f", os.path.join(EXAMPLES, example), *args, ok=ok)

    def exec(self, container, *command):
        return self.run("exec", container, *command).stdout


def _until(what, probe, timeout=60):
    """``probe()``'s first true value (a fresh name may take aardvark-dns a moment)."""
    deadline, last = time.time() + timeout, None
    while time.time() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError("%s: never true (last %r)" % (what, last))


def _resolves(cli, container, name):
    return lambda: cli.run("exec", container, "ping", "-c", "1", "-W", "2", name, ok=False).returncode == 0


def _env(info):
    return dict(item.partition("=")[::2] for item in info["config"]["env"])


# ---------------------------------------------------------------- what each example shows
def _project_name(cli, project, views):
    exited = _until("foo exited", lambda: [v for v in views() if v["state"]["status"] == "exited"])[0]
    assert exited["state"]["exit_code"] == 0 and _env(exited)["COMPOSE_PROJECT_NAME"] == project
    logs = cli.compose(project, "name-compose-project-name.yaml", "logs").stdout
    assert logs.split("| ", 1)[1] == "I'm running %s\n" % project, logs


def _depends_on(cli, project, views):
    started = {v["config"]["labels"]["com.docker.compose.service"]: v["state"]["started_at"] for v in views()}
    assert started["web"] >= max(started["db"], started["redis"]), started  # dependencies first
    assert cli.exec(project + "-web-1", "cat", "/built") == "built\n"  # web's image is built from "."
    labels = [v for v in views() if v["name"] == project + "-web-1"][0]["config"]["labels"]
    assert sorted(labels["com.docker.compose.depends_on"].split(",")) == [
        "db:service_started:false", "redis:service_started:false"]


def _group_add(cli, project, views):  # pylint: disable=unused-argument
    assert "(nogroup)" in cli.exec(project + "-myservice-1", "id").split("groups=")[1]


def _init(cli, project, views):  # pylint: disable=unused-argument
    assert cli.exec(project + "-web-1", "cat", "/proc/1/comm").strip() != "sleep"  # an init is PID 1


def _aliases(cli, project, views):  # pylint: disable=unused-argument
    _until("frontend reaches backend as database (back-tier)", _resolves(cli, project + "-frontend-1", "database"))
    _until("monitoring reaches backend as mysql (admin)", _resolves(cli, project + "-monitoring-1", "mysql"))


def _secret(cli, project, views):  # pylint: disable=unused-argument
    with open(os.path.join(EXAMPLES, "server.cert")) as f:
        assert cli.exec(project + "-frontend-1", "cat", "/run/secrets/server-certificate") == f.read()


def _two_networks(cli, project, views):  # pylint: disable=unused-argument
    networks = {n["name"]: n for n in Engine(cli.root).networks.info() if n["labels"].get(PROJECT_LABEL) == project}
    assert sorted(networks) == [project + "_back-tier", project + "_front-tier"]
    assert networks[project + "_back-tier"]["labels"]["com.docker.compose.network"] == "back-tier"


def _shared_volume(cli, project, views):  # pylint: disable=unused-argument
    cli.exec(project + "-backend-1", "sh", "-c", "echo kept > /etc/data/file")
    assert cli.exec(project + "-backup-1", "cat", "/var/lib/backup/data/file") == "kept\n"


def _external_volume(cli, project, views):  # pylint: disable=unused-argument
    cli.exec(project + "-backend-1", "sh", "-c", "echo mine > /etc/data/file")
    mounts = views()[0]["mounts"]
    assert [(m["type"], m["source"]) for m in mounts] == [("volume", "db-data")]  # not <project>_db-data


def _environment(expected):
    def check(cli, project, views):  # pylint: disable=unused-argument
        for view in views():
            env = _env(view)
            assert {k: env.get(k) for k in expected} == expected, env
    return check


EXAMPLE_ENV = {"CONFIG_KEY": "from the shell", "EXAMPLE_KEY": None}  # unset: left out of the container
DEPLOYS = [  # (file, compose options before up, the services' containers, what to check)
    ("name-compose-project-name.yaml", [], {"foo-1"}, _project_name),
    ("services-depends-on.yaml", [], {"web-1", "redis-1", "db-1"}, _depends_on),
    ("services-group-add.yaml", [], {"myservice-1"}, _group_add),
    ("services-init.yaml", [], {"web-1"}, _init),
    ("services-networks-aliases.yaml", [], {"frontend-1", "monitoring-1", "backend-1"}, _aliases),
    ("services-networks-priority.yaml", [], {"app-1"}, None),
    ("services-profiles.yaml", ["--profile", "frontend"], {"frontend-1"}, None),  # phpmyadmin: debug only
    ("services-secrets.yaml", [], {"frontend-1"}, _secret),
    ("networks-basic.yaml", [], {"frontend-1"}, _two_networks),
    ("volumes-shared.yaml", [], {"backend-1", "backup-1"}, _shared_volume),
    ("volumes-external.yaml", [], {"backend-1"}, _external_volume),
    ("fragments-anchor.yaml", [], {"first-1", "second-1"}, _environment(EXAMPLE_ENV)),
    ("fragments-merge.yaml", [], {"first-1", "second-1"}, None),
    ("extension-field.yaml", [], {"webapp-1"}, None),
    ("extension-merge.yaml", [], {"first-1", "second-1"}, _environment(EXAMPLE_ENV)),
    ("extension-merge-several.yaml", [], {"frontend-1"},
     _environment({"FOO": "BAR", "ZOT": "QUIX", "KEY": "VALUE", "YET_ANOTHER": "VARIABLE"})),
    ("profiles.yaml", ["--profile", "test"], {"foo-1", "bar-1", "baz-1"}, None),  # not zot (debug)
]


def _project_of(example):
    return "sx-" + example[:-len(".yaml")]


def _leftovers(root, project):
    engine = Engine(root)
    return ([c["name"] for c in engine.containers.info() if c["config"]["labels"].get(PROJECT_LABEL) == project],
            [n["name"] for n in engine.networks.info() if n["labels"].get(PROJECT_LABEL) == project],
            [v["Name"] for v in engine.volumes.info() if (v.get("Labels") or {}).get(PROJECT_LABEL) == project])


@pytest.fixture
def cli(registry, container_root):
    made = Cli(container_root, registry.images["busybox"])
    try:
        yield made
    finally:  # networks are the host's: none of ours is left behind, whatever failed
        engine = Engine(container_root)
        for network in engine.networks.info():
            if network["labels"].get(PROJECT_LABEL, "").startswith("sx-"):
                engine.stacks.down(network["labels"][PROJECT_LABEL])


def test_the_specifications_examples_deploy_and_go(cli):
    listed = {os.path.basename(p) for p in glob.glob(os.path.join(EXAMPLES, "*.yaml"))}
    assert listed == {d[0] for d in DEPLOYS}  # a new example file is tested, or it is not an example
    cli.run("volume", "create", "db-data")  # volumes-external.yaml's
    for example, options, replicas, check in DEPLOYS:
        project = _project_of(example)
        up = cli.compose(project, example, *options, "up", "-d")
        assert "WARN" not in up.stderr, (example, up.stderr)

        def views(project=project):
            return [v for v in Engine(cli.root).containers.info() if v["config"]["labels"].get(PROJECT_LABEL) == project]
        found = {v["name"]: v for v in views()}
        assert set(found) == {"%s-%s" % (project, r) for r in replicas}, (example, sorted(found))
        for name, view in found.items():
            labels = view["config"]["labels"]
            assert labels["com.docker.compose.service"] == name[len(project) + 1:].rsplit("-", 1)[0], labels
            assert labels["com.docker.compose.container-number"] == "1" and labels["com.docker.compose.config-hash"]
            assert view["state"]["running"] or example.startswith("name-"), (name, view["state"])
        if check:
            check(cli, project, views)
        cli.compose(project, example, *options, "down", "-v")
        assert _leftovers(cli.root, project) == ([], [], []), example
    assert [v["Name"] for v in Engine(cli.root).volumes.info()] == ["db-data"]  # external: down -v keeps it
    cli.run("volume", "rm", "db-data")


REFUSALS = {  # refused/<file>: what the error names
    "model-illustrative.yaml": "services.frontend.secrets[0]: only secrets with a file are supported (server-certificate)",
    "services-blkio-config.yaml": "services.foo: blkio_config not supported",
    "services-configs-short.yaml": "only configs with a file are supported (my_other_config)",
    "services-configs-long.yaml": "only configs with a file are supported (my_config)",
    "services-credential-spec.yaml": "services.myservice: credential_spec not supported",
    "services-depends-on-long.yaml": "services.web.depends_on.db: unknown key 'restart'",
    "services-extends-mapping.yaml": "services.cli: extends not supported",
    "services-extends-volumes.yaml": "services.cli: extends not supported",
    "services-extends-chain.yaml": "services.common: extends not supported",
    "services-extends-sequences.yaml": "services.cli: extends not supported",
    "services-networks-link-local-ips.yaml": "services.app.networks.app_net: link_local_ips not supported",
    "services-networks-static-ip.yaml": "networks.front-tier: ipv6_subnet and ipv6_gateway need enable_ipv6: true",
    "services-networks-gw-priority.yaml": "services.app.networks.app_net_2: unknown key 'gw_priority'",
    "services-secrets-long.yaml": "only secrets with a file are supported (server-certificate)",
    "services-volumes-long.yaml": "services.backend.volumes[0].volume: unknown key 'subpath'",
    "networks-advanced.yaml": "networks.frontend: driver custom-driver-1 is not supported",
    "networks-external.yaml": "network outside is external (external: true) but does not exist",
    "fragments-volumes.yaml": "services.backend.volumes[0]: anonymous volumes are not supported",
    "extension-function.yaml": "service nodeinfo depends on gateway, which is not defined",
    "include.yaml": "(top level): unknown key 'include'",
}


def test_the_specifications_unsupported_examples_are_refused(cli):
    listed = {os.path.basename(p) for p in glob.glob(os.path.join(EXAMPLES, "refused", "*.yaml"))}
    assert listed == set(REFUSALS)
    for example, words in sorted(REFUSALS.items()):
        project = _project_of(example)
        refused = cli.compose(project, os.path.join("refused", example), "up", "-d", ok=False)
        assert refused.returncode != 0 and words in refused.stderr, (example, refused.stderr)
        assert _leftovers(cli.root, project) == ([], [], []), example
    engine = Engine(cli.root)
    assert engine.containers.info() == [] and engine.images.list_images() == [] and engine.volumes.info() == []
