#!/usr/bin/env bash
# The README's main job: start Debian's docker-registry on 127.0.0.1 with a busybox image
# (built from busybox-static, pushed with skopeo), run playbooks/demo.yml against it, stop
# the registry. Expects tests/setup.sh to have run. Env: STRATA_ROOT (default /var/lib/strata).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${STRATA_VENV:-$here/.venv}
export PATH="$venv/bin:$PATH"
exec python "$here/playbooks/run_demo.py" "$@"
