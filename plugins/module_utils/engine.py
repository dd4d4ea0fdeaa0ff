# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The composition root: one store, the options of this run, and the services over them.

Modules, the CLI and scripts make one ``Engine`` and call its services::

    engine = Engine("/var/lib/strata", check_mode=False, insecure_registries=["reg:5000"])
    engine.images.pull("reg:5000/app:1")          # images/service.py
    engine.builds.build("app:2", "/srv/app")      # build/service.py
    engine.containers.ensure("web", image="app:2")  # containers/service.py
    engine.archives.save(["app:2"], "/tmp/a.tar")  # archive/service.py
    engine.networks.ensure("app", subnet="10.90.5.0/24")  # networks/service.py
    engine.volumes.ensure("data", labels={"app": "web"})  # volumes/service.py
    engine.pruner.prune(all_images=True)           # system/prune.py
    engine.logins.login("reg:5000", "me", "secret")  # registry/login.py
    engine.stacks.up(engine.stacks.load("app", project_src="/srv/app")[0])  # stack/service.py

Every service call is idempotent and returns what it did (``changed``, ``actions``, facts);
with ``check_mode`` it computes the same answer and writes nothing. Services are made on first
use, so a command imports only what it needs.
"""

from __future__ import annotations

import functools
import os

from .layer import limits as _limits
from .store.store import DEFAULT_ROOT, Store

REGISTRY_KEYWORDS = ("insecure_registries", "username", "password", "ca_cert", "auth_config", "certs_dir")


class Engine:
    def __init__(self, root=DEFAULT_ROOT, *, check_mode=False, read_only=False, runtime=None,
                 cgroup_parent="/strata", cgroup_manager=None, registry_mirrors=None, min_free_space=None,
                 max_inflation_ratio=_limits.MAX_INFLATION_RATIO, inflation_check_after=_limits.INFLATION_CHECK_AFTER,
                 **registry_options):
        """``min_free_space``: bytes a layer extraction must leave free on the store's filesystem
        (default: 1 GiB or 5 %, whichever is larger); ``max_inflation_ratio``: how many times its
        compressed size a layer may inflate to once past ``inflation_check_after`` bytes (0: no limit);
        ``registry_options``: REGISTRY_KEYWORDS, as images/pull.client_for takes them."""
        unknown = set(registry_options) - set(REGISTRY_KEYWORDS)
        if unknown:
            raise TypeError("Engine() got unexpected keywords: %s" % ", ".join(sorted(unknown)))
        self.check_mode = check_mode
        limits = _limits.Limits(min_free_space, max_inflation_ratio, inflation_check_after)
        self.store = Store(root, create=not (check_mode or read_only), limits=limits)
        self.runtime = runtime
        self.cgroup_parent = cgroup_parent
        self.cgroup_manager = cgroup_manager  # systemd|cgroupfs; None: systemd where it is PID 1
        registry_options["insecure_registries"] = tuple(registry_options.get("insecure_registries") or ())
        # several certs.d CAs are merged into one bundle: in the store, or a private temp dir
        registry_options["bundle_dir"] = None if check_mode or read_only else os.path.join(root, "ca-bundles")
        self.registry_options = registry_options
        self.registry_mirrors = registry_mirrors

    @functools.cached_property
    def images(self):
        from .images.service import ImageService  # pylint: disable=import-outside-toplevel
        return ImageService(self.store, check_mode=self.check_mode, registry_options=self.registry_options,
                            registry_mirrors=self.registry_mirrors)

    @functools.cached_property
    def builds(self):
        from .build.service import BuildService  # pylint: disable=import-outside-toplevel
        return BuildService(self.images)

    @functools.cached_property
    def containers(self):
        from .containers.service import ContainerService  # pylint: disable=import-outside-toplevel
        return ContainerService(self.images, runtime=self.runtime, cgroup_parent=self.cgroup_parent,
                                cgroup_manager=self.cgroup_manager)

    @functools.cached_property
    def networks(self):
        """The host's networks (not this store's: every root shares them, networks/host.py)."""
        from .networks.service import NetworkService  # pylint: disable=import-outside-toplevel
        return NetworkService(check_mode=self.check_mode)

    @functools.cached_property
    def volumes(self):
        """This store's volumes (``<root>/volumes``)."""
        from .volumes.service import VolumeService  # pylint: disable=import-outside-toplevel
        return VolumeService(self.store, check_mode=self.check_mode)

    @functools.cached_property
    def stacks(self):
        """Compose projects over the services above (stack/service.py)."""
        from .stack.service import StackService  # pylint: disable=import-outside-toplevel
        return StackService(self)

    @functools.cached_property
    def logins(self):
        """docker login/logout: the Docker config.json and its credential helpers (no store)."""
        from .registry.login import LoginService  # pylint: disable=import-outside-toplevel
        return LoginService(check_mode=self.check_mode, **self.registry_options)

    @functools.cached_property
    def archives(self):
        from .archive.service import ArchiveService  # pylint: disable=import-outside-toplevel
        return ArchiveService(self.images)

    @functools.cached_property
    def pruner(self):
        from .system.prune import Pruner  # pylint: disable=import-outside-toplevel
        return Pruner(self.images)

    def disk_usage(self):
        """``docker system df -v`` for images (an empty report when there is no store yet)."""
        from .system import disk_usage  # pylint: disable=import-outside-toplevel
        if not self.store.exists:
            return {"images": [], "total_size": 0, "layers": 0, "reclaimable": 0}
        return disk_usage.report(self.store)
