# -*- coding: utf-8 -*-
"""What the Compose Specification's own examples (tests/integration/compose-spec-examples/)
showed: extension fields in a service are ignored, a network declared with no value is defined,
the project's name is the variable COMPOSE_PROJECT_NAME, a key the engine cannot honour is named
before what it leaves out, and networks, volumes and external ones are checked before anything
is made."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils.networks import definitions as network_definitions
from ansible_collections.strata.containers.plugins.module_utils.stack import load, model
from ansible_collections.strata.containers.plugins.module_utils.stack.service import StackService


def _model(services, **top):
    return model.build_model(load.load("demo", definition=dict(top, services=services), project_src="/srv"))


def test_extension_fields_are_ignored_in_a_service_too():
    stack = _model({"webapp": {"image": "x", "x-foo": "bar", "networks": {"default": {"x-note": 1}}}},
                   **{"x-custom": {"foo": ["bar", "zot"]}})
    assert "x-foo" not in str(stack.services["webapp"].options)


def test_a_network_declared_with_no_value_is_defined():
    stack = _model({"frontend": {"image": "x", "networks": ["front-tier", "back-tier"]},
                    "app": {"image": "x", "networks": {"app_net_1": None, "app_net_2": {"priority": 100}}}},
                   networks={"front-tier": None, "back-tier": None, "app_net_1": None, "app_net_2": None})
    assert sorted(stack.networks) == ["demo_app_net_1", "demo_app_net_2", "demo_back-tier", "demo_front-tier"]
    with pytest.raises(InvalidSpec, match="network admin is not defined"):
        _model({"web": {"image": "x", "networks": ["admin"]}}, networks={"front-tier": None})


def test_the_project_name_is_the_variable_compose_project_name(tmp_path):
    (tmp_path / ".env").write_text("FROM_DOT_ENV=dot\n")
    (tmp_path / "compose.yaml").write_text(
        'services:\n  foo:\n    image: x\n    environment: [COMPOSE_PROJECT_NAME, FROM_DOT_ENV, UNSET]\n'
        '    command: echo "I\'m running ${COMPOSE_PROJECT_NAME}"\n')
    stack, missing = StackService(SimpleNamespace(check_mode=False)).load("shop", project_src=str(tmp_path))
    options = stack.services["foo"].options
    assert options["command"] == ["echo", "I'm running shop"] and missing == []
    assert options["env"] == {"COMPOSE_PROJECT_NAME": "shop", "FROM_DOT_ENV": "dot"}  # a bare name takes .env's value too


@pytest.mark.parametrize("entry, message", [
    ({"link_local_ips": ["57.123.22.11"]}, "services.app.networks.app_net: link_local_ips not supported"),
    # the vendored schema's oneOf (a list or a mapping) names the key it does not know
    ({"mac_address": "02:42:ac:11:00:02"}, "services.app.networks.app_net: unknown key 'mac_address'"),
    ({"gw_priority": 1}, "services.app.networks.app_net: unknown key 'gw_priority'"),
])
def test_a_service_network_key_it_cannot_honour_is_refused(entry, message):
    with pytest.raises(InvalidSpec) as caught:
        _model({"app": {"image": "x", "networks": {"app_net": entry}}}, networks={"app_net": {"driver": "bridge"}})
    assert message in str(caught.value)


@pytest.mark.parametrize("services", [
    {"common": {"image": "x"}, "cli": {"extends": {"service": "common"}}},  # cli has no image of its own
    {"common": {"image": "x", "volumes": ["common-volume:/data"]}, "cli": {"extends": {"service": "common"}}},
])
def test_an_unsupported_key_is_named_before_what_it_leaves_out(services):
    with pytest.raises(InvalidSpec, match=r"services\.cli: extends not supported"):
        _model(services)


@pytest.mark.parametrize("top, message", [
    ({"networks": {"back": None, "front": {"driver": "custom-driver-1"}}}, "networks.front: driver custom-driver-1"),
    ({"networks": {"front": {"ipam": {"config": [{"subnet": "172.16.238.0/24"}, {"subnet": "2001:3984:3989::/64"}]}}}},
     "networks.front: ipv6_subnet and ipv6_gateway need enable_ipv6: true"),
    ({"volumes": {"data": {"driver": "flocker", "driver_opts": {"size": "10GiB"}}}},
     "volumes.data: volume driver 'flocker' is not supported"),
])
def test_networks_and_volumes_are_checked_with_the_file(top, message):
    services = {"web": {"image": "x", "networks": sorted(top.get("networks", {"default": None})),
                        "volumes": ["%s:/data" % v for v in top.get("volumes", {})]}}
    with pytest.raises(InvalidSpec) as caught:
        _model(services, **top)  # not at up, when another network may have been made already
    assert message in str(caught.value)


def test_a_network_that_exists_is_left_to_the_network_service(monkeypatch):
    """Its bridge's route to its subnet is no collision: the network service compares it at up."""
    monkeypatch.setattr(network_definitions, "load", lambda name: {"name": name})
    monkeypatch.setattr(network_definitions, "build", _Untouchable())
    stack = _model({"web": {"image": "x", "networks": ["front"]}},
                   networks={"front": {"ipam": {"config": [{"subnet": "10.221.1.0/24"}]}}})
    assert list(stack.networks) == ["demo_front"]


class _Untouchable:
    def __getattr__(self, name):
        raise AssertionError("the engine was asked for %s" % name)

    def __call__(self, *args, **kwargs):
        raise AssertionError("called with %r %r" % (args, kwargs))


@pytest.mark.parametrize("services, top, message", [
    ({"proxy": {"image": "x", "networks": ["outside", "default"]}, "app": {"image": "x"}},
     {"networks": {"outside": {"external": True}}}, "network outside is external (external: true) but does not exist"),
    ({"backend": {"image": "x", "volumes": ["db-data:/etc/data"]}},
     {"volumes": {"db-data": {"external": True}}}, "volume db-data is external (external: true) but does not exist"),
])
def test_a_missing_external_network_or_volume_is_refused_before_anything_is_made(monkeypatch, services, top, message):
    monkeypatch.setattr(network_definitions, "load", lambda name: None)
    engine = SimpleNamespace(check_mode=False, store=SimpleNamespace(exists=True), networks=_Untouchable(),
                             volumes=SimpleNamespace(records=SimpleNamespace(load=lambda name: None)),
                             images=_Untouchable(), containers=_Untouchable(), builds=_Untouchable())
    stack = _model(services, **top)
    with pytest.raises(InvalidSpec) as caught:
        StackService(engine).up(stack)
    assert message in str(caught.value)
