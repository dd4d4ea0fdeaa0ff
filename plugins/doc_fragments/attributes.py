# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """The attributes every module declares, worded as community.docker and ansible.builtin do;
    a module sets each one's C(support) (and C(details)) in its own DOCUMENTATION."""

    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation
        indicates no change.
      - This assumes that the system controlled or queried by the module has not changed in a relevant way.
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: linux
  action_group:
    description: Use C(group/strata.containers.strata) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - strata.containers.strata
'''

    INFO_MODULE = r'''
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This module changes nothing, so it runs the same in check mode.
  diff_mode:
    support: N/A
    details:
      - This module changes nothing.
  idempotent:
    support: full
'''
