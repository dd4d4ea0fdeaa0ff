# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Media types and typed, validated views of manifests, indexes and image configs.

Everything fetched from a registry or read from an archive is parsed here, with limits,
before anything touches the disk.
"""

from __future__ import annotations

import platform as _platform
from dataclasses import dataclass
from typing import Optional, Tuple

from . import digest as _digest
from .._errors import InvalidSpec
from . import jsondoc

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"

MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)
LAYER_TYPES = (
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "application/vnd.docker.image.rootfs.diff.tar.zstd",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
)

# Bounded reads: containerd and distribution use 4 MiB for manifests; configs can be larger.
MAX_MANIFEST_BYTES = 4 << 20
MAX_CONFIG_BYTES = 8 << 20
MAX_LAYERS = 256  # overlayfs mounts up to ~500 lowers; docker limits images to 127/128 layers in practice
MAX_INDEX_ENTRIES = 1024


@dataclass(frozen=True)
class Platform:
    os: str = "linux"
    architecture: str = "amd64"
    variant: str = ""

    def __str__(self):
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    platform: Optional[Platform] = None
    annotations: Tuple[Tuple[str, str], ...] = ()

    def to_json(self):
        out = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.platform:
            out["platform"] = {"os": self.platform.os, "architecture": self.platform.architecture}
            if self.platform.variant:
                out["platform"]["variant"] = self.platform.variant
        if self.annotations:
            out["annotations"] = dict(self.annotations)
        return out


@dataclass(frozen=True)
class Manifest:
    media_type: str
    config: Descriptor
    layers: Tuple[Descriptor, ...]


@dataclass(frozen=True)
class Index:
    media_type: str
    manifests: Tuple[Descriptor, ...]


_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "armv6l": "arm", "i686": "386",
         "i386": "386", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}
_VARIANT = {"armv7l": "v7", "armv6l": "v6", "aarch64": "v8"}


def host_platform():
    machine = _platform.machine()
    return Platform("linux", _ARCH.get(machine, machine), _VARIANT.get(machine, ""))


def parse_platform(text):
    """``os/arch[/variant]`` or ``arch`` -> Platform."""
    parts = [p for p in (text or "").strip().lower().split("/") if p]
    if len(parts) == 1:
        parts = ["linux"] + parts
    if not 2 <= len(parts) <= 3:
        raise InvalidSpec("invalid platform %r: expected os/architecture[/variant], e.g. linux/arm64" % text)
    arch = _ARCH.get(parts[1], parts[1])
    return Platform(parts[0], arch, parts[2] if len(parts) == 3 else "")


def load_json(data, what, limit):
    doc = jsondoc.loads(data, what, limit)
    if not isinstance(doc, dict):
        raise InvalidSpec("%s is not a JSON object" % what)
    return doc


def _descriptor(obj, what):
    if not isinstance(obj, dict):
        raise InvalidSpec("%s: descriptor is not an object" % what)
    size = obj.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise InvalidSpec("%s: descriptor has an invalid size %r" % (what, size))
    plat = obj.get("platform")
    platform = None
    if isinstance(plat, dict):
        platform = Platform(str(plat.get("os", "")), str(plat.get("architecture", "")), str(plat.get("variant", "")))
    ann = obj.get("annotations") or {}
    return Descriptor(str(obj.get("mediaType", "")), _digest.validate(obj.get("digest")), size, platform,
                      tuple(sorted((str(k), str(v)) for k, v in ann.items())) if isinstance(ann, dict) else ())


def media_type_of(doc, header_type=""):
    """A manifest's own mediaType wins; older Docker manifests only have the HTTP header."""
    mt = _bare(doc.get("mediaType")) or _bare(header_type)
    if not mt and "manifests" in doc:
        mt = OCI_INDEX
    elif not mt and "layers" in doc:
        mt = OCI_MANIFEST
    return mt


def _bare(media_type):
    return media_type.split(";")[0].strip() if isinstance(media_type, str) else ""


def check_unambiguous(doc, *claimed):
    """Refuse a document that reads as both an index and a manifest, or whose mediaType is not
    what its Content-Type or descriptor (``claimed``) says (CVE-2021-41190; as containerd's
    validateMediaType and distribution's manifest handlers refuse them): the same digest must
    never mean different content to different readers."""
    own = _bare(doc.get("mediaType"))
    for other in (_bare(c) for c in claimed):
        if own and other and other != own and other in MANIFEST_TYPES + INDEX_TYPES:
            raise InvalidSpec("ambiguous manifest: it says mediaType %s but was served as %s" % (own, other))
    if "manifests" in doc and ("layers" in doc or "config" in doc):
        raise InvalidSpec("ambiguous manifest: it has both 'manifests' and 'layers' or 'config': it could be"
                          " read as an index or as an image manifest")
    mt = own or next((_bare(c) for c in claimed if _bare(c)), "")
    if mt in INDEX_TYPES and ("layers" in doc or "config" in doc):
        raise InvalidSpec("ambiguous manifest: typed %s (an image index) but it has 'layers' or 'config'" % mt)
    if mt in MANIFEST_TYPES and "manifests" in doc:
        raise InvalidSpec("ambiguous manifest: typed %s (an image manifest) but it has 'manifests'" % mt)


def parse_manifest(data, header_type="", descriptor_type=""):
    """Bytes of an image manifest or index -> Manifest or Index. ``header_type``: the response's
    Content-Type; ``descriptor_type``: the mediaType of the descriptor that led here."""
    doc = load_json(data, "manifest", MAX_MANIFEST_BYTES)
    check_unambiguous(doc, header_type, descriptor_type)
    mt = media_type_of(doc, header_type or descriptor_type)
    if doc.get("schemaVersion") != 2:
        raise InvalidSpec("unsupported manifest schemaVersion %r (Docker schema 1 is not supported)"
                          % doc.get("schemaVersion"))
    if mt in INDEX_TYPES:
        entries = doc.get("manifests")
        if not isinstance(entries, list) or len(entries) > MAX_INDEX_ENTRIES:
            raise InvalidSpec("index has no valid 'manifests' list")
        return Index(mt, tuple(_descriptor(e, "index entry") for e in entries))
    if mt in MANIFEST_TYPES:
        layers = doc.get("layers")
        if not isinstance(layers, list):
            raise InvalidSpec("manifest has no 'layers' list")
        if len(layers) > MAX_LAYERS:
            raise InvalidSpec("manifest has %d layers, over the limit of %d" % (len(layers), MAX_LAYERS))
        parsed = tuple(_descriptor(layer, "layer") for layer in layers)
        for layer in parsed:
            if layer.media_type not in LAYER_TYPES:
                raise InvalidSpec("unsupported layer media type %r" % layer.media_type)
        return Manifest(mt, _descriptor(doc.get("config"), "config"), parsed)
    raise InvalidSpec("unsupported manifest media type %r" % mt)


def select_platform(index, wanted):
    """Pick the index entry for ``wanted`` (a Platform), as containerd's platform matcher does."""
    candidates = [d for d in index.manifests if d.media_type in MANIFEST_TYPES + INDEX_TYPES and d.platform]
    exact = [d for d in candidates if d.platform.os == wanted.os and d.platform.architecture == wanted.architecture]
    if wanted.variant:
        same_variant = [d for d in exact if d.platform.variant in (wanted.variant, "")]
        exact = sorted(same_variant, key=lambda d: d.platform.variant != wanted.variant)
    if not exact:
        have = ", ".join(sorted({str(d.platform) for d in candidates})) or "none"
        raise InvalidSpec("no image for platform %s in the index (it has: %s)" % (wanted, have),
                          platform=str(wanted))
    return exact[0]


def parse_config(data):
    """Image config bytes -> dict, checked for what the store relies on."""
    doc = load_json(data, "image config", MAX_CONFIG_BYTES)
    rootfs = doc.get("rootfs")
    if not isinstance(rootfs, dict) or rootfs.get("type") != "layers" or not isinstance(rootfs.get("diff_ids"), list):
        raise InvalidSpec("image config has no valid rootfs.diff_ids")
    for diff_id in rootfs["diff_ids"]:
        _digest.validate(diff_id)
    return doc


def config_platform(config):
    return Platform(config.get("os", "linux"), config.get("architecture", ""), config.get("variant", ""))
