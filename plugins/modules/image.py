#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: image
short_description: Pull, tag and remove container images in a daemonless store
version_added: 0.1.0
description:
  - Pulls an image from a registry into the host's content-addressed layer store, the way
    C(docker pull) does; each layer is downloaded, verified and extracted once and shared by
    every image that uses it.
  - Builds an image from a Dockerfile (C(docker build -t name path)), reusing the cached
    result of every step whose parent, instruction and inputs are unchanged.
  - Adds a name to an image (C(docker tag)) and removes images (C(docker rmi)).
  - Re-pulling a tag that moved to a new image leaves the old image dangling, as Docker does.
author:
  - strata.containers developers (@strata)
extends_documentation_fragment:
  - strata.containers.attributes
  - strata.containers.common
  - strata.containers.common.registry
options:
  name:
    description:
      - The image, as C(name[:tag][@digest]), for example C(busybox), C(docker.io/library/ubuntu:24.04)
        or C(registry.example.com/team/app@sha256:...). The default registry is C(docker.io) and
        the default tag C(latest).
      - With I(state=absent) (and with I(source=local)) also a full image ID, a unique short ID
        prefix, or C(name@digest).
    type: str
    required: true
  tag:
    description:
      - Tag to use when I(name) has neither a tag nor a digest.
    type: str
  state:
    description:
      - C(present) makes sure the image is in the store; C(absent) removes the name, and the
        image once no name is left.
    type: str
    choices: [present, absent]
    default: present
  source:
    description:
      - Where a present image comes from. C(pull) fetches it from its registry;
        C(local) only uses what the store already has and fails if the image is not there;
        C(build) builds it from the Dockerfile in I(path); C(commit) makes it from a container's
        writable layer, as C(docker commit) does.
    type: str
    choices: [pull, local, build, commit]
    default: pull
  path:
    description:
      - With I(source=build), the build context directory. Files that its C(.dockerignore) excludes
        are not sent to C(COPY) and C(ADD).
    type: path
  dockerfile:
    description:
      - With I(source=build), the Dockerfile, relative to I(path) or absolute. Default C(Dockerfile),
        else C(Containerfile).
    type: str
  build_args:
    description:
      - With I(source=build), values for the Dockerfile's C(ARG)s, as C(docker build --build-arg).
    type: dict
  target:
    description:
      - With I(source=build), the stage to build (by name); later stages are not built.
    type: str
  labels:
    description:
      - With I(source=build), labels added to the image's config.
    type: dict
  container:
    description:
      - With I(source=commit), the container (name or ID), running or stopped.
    type: str
  author:
    description:
      - With I(source=commit), the image's author.
    type: str
  commit_message:
    description:
      - With I(source=commit), the comment of the new history entry (C(docker commit -m)). Ansible
        reserves the option name C(message).
    type: str
  changes:
    description:
      - With I(source=commit), Dockerfile instructions applied to the new image's config, as
        C(docker commit --change) takes them, for example C(CMD ["/app"]) or C(ENV MODE=prod).
        Allowed are CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR,
        STOPSIGNAL, HEALTHCHECK and SHELL.
    type: list
    elements: str
  pause:
    description:
      - With I(source=commit), freeze a running container while its files are read.
    type: bool
    default: true
  nocache:
    description:
      - With I(source=build), run every step again instead of reusing cached results.
    type: bool
    default: false
  network:
    description:
      - With I(source=build), the network of C(RUN) steps, as C(docker build --network).
      - C(default) and C(none) give each C(RUN) a network namespace of its own with only a loopback
        interface (there is no outbound NAT yet), so it cannot reach the build host's services, not even
        those listening on the host's 127.0.0.1.
      - C(host) shares the build host's network, loopback included; only for Dockerfiles you trust.
    type: str
    choices: [default, host, none]
    default: default
    version_added: 0.2.0
  pull:
    description:
      - With I(source=pull), when to contact the registry; with I(source=build), the same for the
        base images of C(FROM) and C(COPY --from).
      - C(missing) pulls only when the store has no image of that name.
      - C(always) asks the registry every time and pulls when the name points to a new image.
      - C(never) fails when the image is not in the store.
    type: str
    choices: [missing, always, never]
    default: missing
  platform:
    description:
      - The platform to pull from a multi-platform image, as C(os/arch[/variant]), for example
        C(linux/arm64). Defaults to the target host's platform.
    type: str
  repository:
    description:
      - Another name to give the image, C(name[:tag]), as C(docker tag IMAGE REPOSITORY) does.
    type: str
  push:
    description:
      - After the image is present, push it to its registry (C(docker push)), or to I(repository)
        when given. Blobs the registry has are not sent again, blobs another repository of the same
        registry has are mounted, and pushing an image whose manifest the registry already has under
        that tag reports C(changed=false).
    type: bool
    default: false
  compression:
    description:
      - With I(push), compress layers this way. By default each layer keeps the compression it was
        pulled with, and layers made here are gzip-compressed.
    type: str
    choices: [gzip, zstd]
  all_tags:
    description:
      - With I(source=pull), pull every tag of the repository named by I(name) (C(docker pull -a)).
    type: bool
    default: false
  force:
    description:
      - With I(state=absent), remove an image referenced in several repositories when it is named
        by its ID.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details:
      - A pull resolves the image's digest on the registry, without downloading its layers. A build
        walks its Dockerfile without running a C(RUN) step, so it predicts a change when a step is not
        in the build cache.
  diff_mode:
    support: full
  idempotent:
    support: partial
    details:
      - Not with I(pull=always) when the registry's image changes between runs, nor with I(nocache=true)
        for a build, which builds every time.
notes:
  - C(RUN) steps run with Docker's default confinement, in a network namespace of their own unless
    I(network=host).
  - Digests are checked for every blob (compressed digest and size) and every layer's content
    (diff ID) before anything is recorded; a mismatch fails the task and leaves the store unchanged.
seealso:
  - module: strata.containers.image_info
'''

EXAMPLES = r'''
- name: Pull busybox from Docker Hub
  strata.containers.image:
    name: busybox
    tag: "1.36"

- name: Pull an image pinned by digest from a private registry over HTTP
  strata.containers.image:
    name: registry.internal:5000/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    insecure_registries:
      - registry.internal:5000

- name: Pull the arm64 image of a multi-platform index
  strata.containers.image:
    name: alpine:3.20
    platform: linux/arm64

- name: Check the registry for a newer image under the same tag
  strata.containers.image:
    name: nginx:stable
    pull: always

- name: Give an image another name
  strata.containers.image:
    name: busybox:latest
    repository: myorg/tools:busybox

- name: Build an image from a Dockerfile, as docker build -t myapp:1.0 --build-arg VERSION=1.0 /srv/myapp
  strata.containers.image:
    name: myapp:1.0
    source: build
    path: /srv/myapp
    build_args:
      VERSION: "1.0"

- name: Save a container's changes as a new image, as docker commit -c 'CMD ["httpd"]' web web:patched
  strata.containers.image:
    name: web:patched
    source: commit
    container: web
    commit_message: patched the configuration
    changes:
      - CMD ["httpd", "-f"]

- name: Tag a built image for a private registry and push it, as docker push
  strata.containers.image:
    name: myapp:1.0
    source: local
    repository: registry.internal:5000/team/myapp:1.0
    push: true
    ca_cert: /etc/ssl/internal-ca.pem

- name: Pull every tag of a repository (docker pull -a)
  strata.containers.image:
    name: registry.internal:5000/team/myapp
    all_tags: true

- name: Remove an image by name
  strata.containers.image:
    name: busybox:1.36
    state: absent
'''

RETURN = r'''
image:
  description:
    - The image as M(strata.containers.image_info) shows it.
    - In check mode, when the run would pull, tag or build it, only its C(id) (as the registry or the
      build cache names it), since the store does not hold it yet.
  returned: when state is present, except in check mode when a build would run a step
  type: dict
  sample:
    id: sha256:4b6d3c5a...
    repo_tags: [busybox:latest]
    repo_digests: [busybox@sha256:9ae9...]
    layers: [sha256:ec56...]
actions:
  description: What was done, one line per step, in Docker's words.
  returned: always
  type: list
  elements: str
  sample: ["Pulled image docker.io/library/busybox:latest"]
untagged:
  description: Names removed.
  returned: when state is absent
  type: list
  elements: str
deleted:
  description: Image IDs and layer chain IDs deleted from the store.
  returned: when state is absent
  type: list
  elements: str
extracted:
  description: With a pull, the chain IDs of the layers this pull extracted; layers the store had, or
    that a concurrent pull extracted, are not listed.
  returned: when a pull changed the store; never in check mode, which extracts nothing
  type: list
  elements: str
pushed:
  description: With I(push), the C(repository) pushed to, the C(manifest_digest), and the blob digests
    C(uploaded), C(mounted) from another repository, or C(existing) there already.
  returned: when push is true, except in check mode when the image is not in the store yet
  type: dict
pulled:
  description: With I(all_tags), the tags pulled.
  returned: when all_tags is true
  type: list
  elements: str
steps:
  description: With I(source=build), how many steps were C(reused) from the build cache and how many were C(made).
  returned: when source is build
  type: dict
  sample: {reused: 7, made: 2}
diff:
  description: The image's ID and names before and after.
  returned: when diff mode is on
  type: dict
'''

from ansible_collections.strata.containers.plugins.module_utils._errors import InvalidSpec
from ansible_collections.strata.containers.plugins.module_utils._module import engine_for, make_module, run


def _full_name(name, tag):
    if tag and "@" not in name and ":" not in name.rsplit("/", 1)[-1]:
        return "%s:%s" % (name, tag)
    return name


def _snapshot(engine, name):
    try:
        image = engine.images.inspect_image(name)
    except Exception:  # not there (or not a valid name yet): nothing before
        return {"exists": False}
    return {"exists": True, "id": image["id"], "repo_tags": image["repo_tags"]}


def _present(module, engine, name):
    params = module.params
    result = _obtain(module, engine, name)
    if params["repository"]:
        result = _tag(module, engine, name, result)
    if params["push"]:
        image_id = (result.get("image") or {}).get("id")
        target = params["repository"] or name
        if not image_id or not engine.images.has_image(image_id):
            result["actions"].append("Pushed %s" % target)  # check mode: the image is not made yet
            result["changed"] = True
            return result
        pushed = engine.images.push(image_id, target, params["compression"])
        result["changed"] = result["changed"] or pushed["changed"]
        result["actions"] += pushed["actions"]
        result["pushed"] = pushed["pushed"]
    return result


def _obtain(module, engine, name):
    params = module.params
    if params["source"] == "build":
        if not params["path"]:
            raise InvalidSpec("source=build needs path, the build context directory")
        return engine.builds.build(name, params["path"], dockerfile=params["dockerfile"],
                                   build_args=params["build_args"], target=params["target"], labels=params["labels"],
                                   nocache=params["nocache"], pull=params["pull"],
                                   network=params["network"])
    if params["source"] == "commit":
        if not params["container"]:
            raise InvalidSpec("source=commit needs container, the container to commit")
        return engine.containers.commit(params["container"], name, author=params["author"],
                                        message=params["commit_message"], changes=params["changes"],
                                        pause=params["pause"])
    if params["source"] == "local":
        return engine.images.local_image(name)
    if params["all_tags"]:
        return engine.images.pull_all_tags(name, policy=params["pull"], platform=params["platform"])
    return engine.images.pull(name, policy=params["pull"], platform=params["platform"])


def _tag(module, engine, name, result):
    image_id = (result.get("image") or {}).get("id")
    if module.check_mode and not (image_id and engine.images.has_image(image_id)):
        # Check mode pulled nothing, so the new name would be new too.
        result["actions"].append("Tagged %s as %s" % (name, module.params["repository"]))
        return result
    tagged = engine.images.tag(image_id, module.params["repository"])
    result["changed"] = result["changed"] or tagged["changed"]
    result["actions"] += tagged["actions"]
    if not module.check_mode:
        result["image"] = tagged["image"]
    return result


def main():
    module = make_module(
        {
            "name": {"type": "str", "required": True},
            "tag": {"type": "str"},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
            "source": {"type": "str", "choices": ["pull", "local", "build", "commit"], "default": "pull"},
            "container": {"type": "str"},
            "author": {"type": "str"},
            "commit_message": {"type": "str"},
            "changes": {"type": "list", "elements": "str"},
            "pause": {"type": "bool", "default": True},
            "path": {"type": "path"},
            "dockerfile": {"type": "str"},
            "build_args": {"type": "dict"},
            "target": {"type": "str"},
            "labels": {"type": "dict"},
            "nocache": {"type": "bool", "default": False},
            "network": {"type": "str", "choices": ["default", "host", "none"], "default": "default"},
            "pull": {"type": "str", "choices": ["missing", "always", "never"], "default": "missing"},
            "platform": {"type": "str"},
            "repository": {"type": "str"},
            "force": {"type": "bool", "default": False},
            "push": {"type": "bool", "default": False},
            "compression": {"type": "str", "choices": ["gzip", "zstd"]},
            "all_tags": {"type": "bool", "default": False},
        },
        registry=True,
    )

    def action():
        engine = engine_for(module, registry=True)
        name = _full_name(module.params["name"], module.params["tag"])
        before = _snapshot(engine, name)
        if module.params["state"] == "absent":
            result = engine.images.remove(name, force=module.params["force"])
        else:
            result = _present(module, engine, name)
        if module._diff:
            after = _snapshot(engine, name) if not module.check_mode else _predicted(before, result)
            result["diff"] = {"before": before, "after": after}
        return result

    run(module, action)


def _predicted(before, result):
    if not result["changed"]:
        return before
    if "deleted" in result:
        return {"exists": False} if result["deleted"] else dict(before, repo_tags=[])
    return {"exists": True, "id": result.get("image", {}).get("id")}


if __name__ == "__main__":
    main()
