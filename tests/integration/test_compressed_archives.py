# -*- coding: utf-8 -*-
"""image_archive and ``strata load`` take an image archive compressed as a whole, as docker and
podman load do (issue 20, item 8): gzip, zstd and xz, found by their magic bytes; a truncated one
is refused with a clear error and leaves nothing in the store; check mode writes nothing. One
playbook run for all of it."""

from __future__ import annotations

import gzip
import json
import lzma
import os
import subprocess
import sys

import zstandard
from ansible_runner import run_module, run_playbook

from test_cli import STRATA

COMPRESSORS = {"gzip": gzip.compress, "xz": lzma.compress, "zstd": zstandard.ZstdCompressor().compress}


def _ok(result):
    assert not result["failed"], result
    return result


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: check mode on a store that does not exist yet
      strata.containers.image_archive: {root: "{{ fresh }}", action: load, path: "{{ work }}/bb.tar.gzip"}
      check_mode: true
      register: checked
    - name: a truncated archive of each kind
      strata.containers.image_archive: {root: "{{ root }}", action: load, path: "{{ work }}/cut.{{ item }}"}
      loop: "{{ kinds }}"
      register: cut
      ignore_errors: true
    - name: what the truncated loads left
      ansible.builtin.find: {paths: "{{ root }}", file_type: any, recurse: true}
      register: after_cut
    - name: each kind into its own new store
      strata.containers.image_archive: {root: "{{ roots[item] }}", action: load, path: "{{ work }}/bb.tar.{{ item }}"}
      loop: "{{ kinds }}"
      register: loaded
    - strata.containers.image_info: {root: "{{ roots[item] }}", name: ["{{ ref }}"]}
      loop: "{{ kinds }}"
      register: info
    - ansible.builtin.find: {paths: "{{ roots[item] }}/tmp", file_type: any}
      loop: "{{ kinds }}"
      register: leftovers
    - ansible.builtin.copy:
        dest: "{{ work }}/out.json"
        content: "{{ {'checked': checked, 'cut': cut, 'after_cut': after_cut, 'loaded': loaded, 'info': info,
                     'leftovers': leftovers} | to_json }}"
"""


def _listing(root):
    return sorted(os.path.join(top, name) for top, dirs, files in os.walk(root) for name in dirs + files)


def test_gzip_zstd_and_xz_archives_load_and_truncated_ones_do_not(registry, container_root, another_root, tmp_path):
    ref = registry.images["busybox"]
    _ok(run_module("image", {"name": ref, "root": container_root}))
    plain = str(tmp_path / "bb.tar")
    image_id = _ok(run_module("image_archive", {"root": container_root, "action": "save", "names": [ref],
                                                "path": plain}))["images"][0]
    _ok(run_module("image", {"name": ref, "root": container_root, "state": "absent"}))
    with open(plain, "rb") as f:
        data = f.read()
    for kind, compress in COMPRESSORS.items():
        packed = compress(data)
        with open(str(tmp_path / ("bb.tar." + kind)), "wb") as f:  # the name says nothing: the magic bytes decide
            f.write(packed)
        with open(str(tmp_path / ("cut." + kind)), "wb") as f:
            f.write(packed[:len(packed) * 2 // 3])
    before = _listing(container_root)
    book = tmp_path / "load.yml"
    book.write_text(PLAYBOOK)
    fresh = another_root()
    os.rmdir(fresh)
    kinds = list(COMPRESSORS)
    roots = {kind: another_root() for kind in kinds}
    run = run_playbook(str(book), {"root": container_root, "fresh": fresh, "work": str(tmp_path), "ref": ref,
                                   "kinds": kinds, "roots": roots})
    assert run.failed == 0 and (tmp_path / "out.json").exists(), run.output
    seen = json.loads((tmp_path / "out.json").read_text())
    assert seen["checked"]["changed"] and seen["checked"]["images"] == [image_id], seen["checked"]
    assert not os.path.exists(fresh)  # check mode wrote nothing, not even the store
    for kind, result in zip(kinds, seen["cut"]["results"]):
        assert result["failed"] and "its %s data is damaged or cut short" % kind in result["msg"], result
        assert str(tmp_path / ("cut." + kind)) in result["msg"]
    assert sorted(f["path"] for f in seen["after_cut"]["files"]) == before  # nothing left in the store
    for kind, result, info, left in zip(kinds, seen["loaded"]["results"], seen["info"]["results"],
                                        seen["leftovers"]["results"]):
        assert result["changed"] and result["images"] == [image_id] and result["format"] == "docker-archive", kind
        assert [image["id"] for image in info["images"]] == [image_id], kind  # the same image, by digest
        assert left["files"] == [], kind  # the decompressed copy is gone
    # strata load from stdin: the store that refused the cut archives takes a whole one
    loaded = subprocess.run([sys.executable, STRATA, "--root", container_root, "load"], input=lzma.compress(data),
                            capture_output=True, timeout=300, check=False)
    assert (loaded.returncode, loaded.stdout.decode()) == (0, "Loaded image: %s\n" % ref), loaded
