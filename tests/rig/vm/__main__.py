# -*- coding: utf-8 -*-
"""``python3 -m rig.vm boot|stop WORKDIR`` (from tests/)."""

import sys

from rig.vm import main

sys.exit(main(sys.argv))
