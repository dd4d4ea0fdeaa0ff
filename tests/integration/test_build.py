# -*- coding: utf-8 -*-
"""docker build through the image module: the seed's FROM scratch + ADD a static binary, a
multi-stage build, the build cache (a rebuild reuses every step, an edit rebuilds from that
step on), history, and what umoci sees of our layers."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import time

import treecompare
from ansible_runner import run_module
from rig import oci_writer

from ansible_collections.strata.containers.plugins.module_utils.engine import Engine
from ansible_collections.strata.containers.plugins.module_utils.layer import tarsplit
from ansible_collections.strata.containers.plugins.module_utils.runtime import oci


def _ok(result):
    assert not result["failed"], result
    return result


def _build(root, context, name, **args):
    return run_module("image", dict({"name": name, "source": "build", "path": str(context), "root": root}, **args))


def _run(root, name, image, **args):
    result = _ok(run_module("container", dict({"name": name, "image": image, "root": root, "network_mode": "none",
                                               "pull": "never"}, **args)))
    return result["container"]


def _logs(root, name):
    info = _ok(run_module("container_info", {"name": name, "root": root, "logs": True}))
    return "".join(entry["log"] for entry in info["logs"])


def _wait_exit(root, name):
    for dummy in range(100):
        info = _ok(run_module("container_info", {"name": name, "root": root}))["container"]
        if info["state"]["status"] == "exited":
            return info
        time.sleep(0.1)
    raise AssertionError("container %s did not exit" % name)


def test_from_scratch_add_a_static_binary_and_run_it(container_root, tmp_path):
    context = tmp_path / "hello"
    context.mkdir()
    shutil.copy("/bin/busybox", context / "busybox")
    (context / "Dockerfile").write_text("FROM scratch\nADD busybox /\nCMD [\"/busybox\", \"echo\", \"hello from scratch\"]\n")
    built = _ok(_build(container_root, context, "hello:1"))
    assert built["changed"] is True
    image = built["image"]
    assert image["repo_tags"] == ["hello:1"] and len(image["layers"]) == 1
    history = image["history"]  # newest first, as docker history lists it
    assert [h["empty_layer"] for h in history] == [True, False]
    assert history[1]["created_by"].startswith("ADD busybox /") and history[1]["size"] > 1000000
    _run(container_root, "hello", "hello:1")
    _wait_exit(container_root, "hello")
    assert _logs(container_root, "hello") == "hello from scratch\n"


MULTI = """\
# a build stage that makes files, and a final stage that takes only what it needs
ARG BASE
FROM ${BASE} AS build
ARG GREETING=hello
WORKDIR /src
COPY app/ ./
RUN mkdir /out && cat part1 part2 > /out/message && echo "$GREETING" > /out/greeting \\
    && rm part2
FROM ${BASE}
LABEL org.example.stage=final
ENV APP_HOME=/app
COPY --from=build /out/ $APP_HOME/
RUN cat $APP_HOME/greeting $APP_HOME/message > $APP_HOME/all
USER nobody
EXPOSE 8080
CMD ["cat", "/app/all"]
"""


def _multi_context(tmp_path):
    context = tmp_path / "multi"
    (context / "app").mkdir(parents=True)
    (context / "app" / "part1").write_text("one\n")
    (context / "app" / "part2").write_text("two\n")
    (context / "app" / "secret.key").write_text("never copied\n")
    (context / ".dockerignore").write_text("# keys stay out\n**/*.key\n")
    (context / "Dockerfile").write_text(MULTI)
    return context


def test_multi_stage_build_runs_and_the_cache_reuses_steps(registry, container_root, tmp_path):
    context = _multi_context(tmp_path)
    args = {"build_args": {"BASE": registry.images["busybox"]}}
    first = _ok(_build(container_root, context, "app:1", **args))
    image = first["image"]
    config = image["config"]["config"]
    assert config["Env"][-1] == "APP_HOME=/app" and config["User"] == "nobody"
    assert config["ExposedPorts"] == {"8080/tcp": {}}
    assert image["labels"]["org.example.stage"] == "final"
    _run(container_root, "app", "app:1")
    _wait_exit(container_root, "app")
    assert _logs(container_root, "app") == "hello\none\ntwo\n"
    # the build stage's files that were not copied are not in the final image
    listing = _ok(run_module("container", {"name": "look", "image": "app:1", "root": container_root,
                                           "network_mode": "none", "command": ["sleep", "100"]}))
    assert listing["changed"]
    seen = _ok(run_module("container_exec", {"container": "look", "root": container_root,
                                             "command": "sh -c 'ls /src /app; ls -a /'"}))
    assert "secret.key" not in seen["stdout"] and "part1" not in seen["stdout"]

    again = _ok(_build(container_root, context, "app:1", **args))
    assert again["changed"] is False and again["image"]["id"] == image["id"]
    assert again["steps"]["made"] == 0 and again["steps"]["reused"] == 3 + 7

    (context / "app" / "part1").write_text("ONE\n")
    edited = _ok(_build(container_root, context, "app:1", **args))
    assert edited["changed"] is True and edited["image"]["id"] != image["id"]
    # build stage: COPY app/ and RUN; final stage: COPY --from and the 4 steps after it.
    # WORKDIR, LABEL and ENV come before the change and are reused.
    assert edited["steps"] == {"made": 2 + 5, "reused": again["steps"]["reused"] - 7}
    assert edited["image"]["layers"][:-2] == image["layers"][:-2]  # the base layer is shared

    other_greeting = _ok(_build(container_root, context, "app:2",
                                build_args={"BASE": registry.images["busybox"], "GREETING": "hi"}))
    assert other_greeting["image"]["id"] != edited["image"]["id"]

    rows = _ok(run_module("image_info", {"name": ["app:1"], "root": container_root}))["images"][0]["history"]
    assert rows[0]["created_by"] == 'CMD ["cat", "/app/all"]' and rows[0]["size"] == 0
    assert any(r["created_by"].startswith("RUN /bin/sh -c cat $APP_HOME") and r["size"] > 0 for r in rows)


def test_umoci_unpack_of_a_built_image_equals_our_merged_view(registry, container_root, tmp_path):
    """Our layers as another tool reads them: the built image written as an OCI layout (the
    layer tars rebuilt from tar-split), unpacked by umoci, equals our overlay view."""
    context = _multi_context(tmp_path)
    built = _ok(_build(container_root, context, "app:1", build_args={"BASE": registry.images["busybox"]}))
    engine = Engine(container_root)
    record = engine.store.images.get(built["image"]["id"])
    tars = [_layer_tar(engine, layer["chain_id"]) for layer in record["layers"]]
    config = json.loads(engine.store.blobs.get(record["id"]))
    layout = str(tmp_path / "layout")
    oci_writer.write_image(layout, "built", tars, config=config["config"],
                           image_config={"history": config["history"], "created": config["created"]})
    bundle = str(tmp_path / "bundle")
    subprocess.run(["umoci", "unpack", "--image", layout + ":built", bundle], check=True, capture_output=True)
    ours = _ok(run_module("container", {"name": "view", "image": "app:1", "root": container_root,
                                        "state": "created", "network_mode": "none"}))["container"]["rootfs"]
    theirs_tree, ours_tree = treecompare.describe(os.path.join(bundle, "rootfs")), treecompare.describe(ours)
    assert treecompare.differences(ours_tree, theirs_tree) == []
    assert "app/all" in ours_tree[0]


def _layer_tar(engine, chain_id):
    """The layer's tar as the store rebuilds it from its tar-split record."""
    out = io.BytesIO()
    tarsplit.reassemble(engine.store.layers.split_path(chain_id), engine.store.layers.diff_path(chain_id), out)
    return out.getvalue()


def test_bad_dockerfiles_name_the_line_and_leave_nothing(registry, container_root, tmp_path):
    context = tmp_path / "bad"
    context.mkdir()
    dockerfile = str(context / "Dockerfile")
    cases = [("FROM scratch\nRNU true\n", dockerfile + " line 2: unknown instruction: RNU"),
             ("FROM scratch\nCOPY missing /\n", "line 2: COPY failed: file not found"),
             ("FROM scratch\nCOPY ../outside /\n", "line 2: COPY ../outside: forbidden path outside the build context"),
             ("ENV A=b\nFROM scratch\n", dockerfile + " line 1:"),
             ("FROM scratch\nENV A=${B\n", dockerfile + " line 2:")]
    for text, expect in cases:
        (context / "Dockerfile").write_text(text)
        result = _build(container_root, context, "bad:1")
        assert result["failed"] and expect in result["msg"], result
    (context / "Dockerfile").write_text("FROM %s\nRUN echo started; echo to stderr >&2; exit 3\n"
                                        % registry.images["busybox"])
    failed = _build(container_root, context, "bad:1")
    assert failed["failed"] and "returned a non-zero code: 3" in failed["msg"], failed
    assert "started" in failed["msg"] and "to stderr" in failed["msg"] and failed["exit_code"] == 3
    listed = _ok(run_module("image_info", {"root": container_root}))["images"]
    assert not [i for i in listed if "bad:1" in str(i["repo_tags"])]
    assert not os.listdir(os.path.join(container_root, "tmp"))
    with open("/proc/self/mountinfo") as handle:
        assert container_root not in handle.read()
    runtime_state = oci.state_dir(container_root)
    assert not os.path.isdir(runtime_state) or not os.listdir(runtime_state)  # no container left in runc


def test_commit_keeps_exactly_the_containers_changes(registry, container_root):
    image = registry.images["busybox"]
    changes = ("echo new > /new.txt && echo extra >> /etc/group && rm /bin/true && "
               "rm -rf /usr/sbin && mkdir /usr/sbin && echo only > /usr/sbin/only && sleep 1000")
    _ok(run_module("container", {"name": "work", "image": image, "root": container_root, "network_mode": "none",
                                 "command": ["sh", "-c", changes], "stop_timeout": 0}))
    for dummy in range(100):
        if _exec_ok(container_root, "work", "test -f /usr/sbin/only"):
            break
        time.sleep(0.1)
    args = {"name": "work:committed", "source": "commit", "container": "work", "root": container_root,
            "author": "ops <ops@example.com>", "commit_message": "by hand", "changes": ['CMD ["sleep", "1000"]', "ENV MODE=prod"]}
    checked = _ok(run_module("image", args, check=True))
    assert checked["changed"] is True
    assert not _ok(run_module("image_info", {"root": container_root, "name": ["work:committed"]}))["images"]
    committed = _ok(run_module("image", args))
    assert committed["changed"] is True
    new = committed["image"]
    base = _ok(run_module("image_info", {"root": container_root, "name": [image]}))["images"][0]
    assert new["diff_ids"][:-1] == base["diff_ids"] and len(new["diff_ids"]) == len(base["diff_ids"]) + 1
    assert new["config"]["config"]["Cmd"] == ["sleep", "1000"] and "MODE=prod" in new["config"]["config"]["Env"]
    assert new["config"]["author"] == "ops <ops@example.com>" and new["history"][0]["comment"] == "by hand"
    assert _ok(run_module("image", args))["changed"] is False  # the same changes again: nothing new

    _ok(run_module("container", {"name": "work", "root": container_root, "state": "stopped"}))
    fresh = _run(container_root, "fresh", "work:committed")
    old = _ok(run_module("container_info", {"name": "work", "root": container_root}))["container"]
    assert treecompare.differences(treecompare.describe(fresh["rootfs"]), treecompare.describe(old["rootfs"])) == []
    assert _ok(run_module("container_exec", {"container": "fresh", "root": container_root,
                                             "command": "sh -c 'cat /new.txt; tail -1 /etc/group; ls /usr/sbin; "
                                                        "test -e /bin/true || echo no-true; echo $MODE'"}))["stdout"] \
        == "new\nextra\nonly\nno-true\nprod\n"


def _exec_ok(root, name, command):
    return run_module("container_exec", {"container": name, "root": root, "command": command})["rc"] == 0
