# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The names that carry meaning in layer tars and overlay directories, shared by the
extractor (tar -> directory) and the differ (directory -> tar)."""

WHITEOUT = ".wh."                          # ".wh.name" in a tar: "name" was deleted
OPAQUE = ".wh..wh..opq"                    # in a tar: the directory hides what lower layers had
OPAQUE_XATTR = "trusted.overlay.opaque"    # overlayfs' mark of that same opaque directory
OVERLAY_XATTRS = "trusted.overlay."        # overlayfs' own xattrs: never content of a layer
XATTR_PREFIX = "SCHILY.xattr."             # PAX record name of an extended attribute
