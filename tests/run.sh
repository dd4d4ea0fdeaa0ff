#!/usr/bin/env bash
# Runs every test: ansible-test sanity on a copy of the collection, then pytest
# (unit tests, the test rig's self-test, integration tests against a real registry).
# Expects tests/setup.sh to have run. With no arguments pytest runs all of tests/; arguments
# replace that (paths, -k, ...). SKIP_SANITY=1 skips sanity, SANITY_ONLY=1 runs only sanity.
# pytest runs test files on TEST_WORKERS processes (pytest-xdist; default 2, one per core of the
# CI machine; 0 runs them in this process). The tests never assume they are alone on the host.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${STRATA_VENV:-$here/.venv}
export PATH="$venv/bin:$PATH"
work=$(mktemp -d /tmp/strata-tests.XXXXXX)
trap 'rm -rf "$work"' EXIT
coll="$work/ansible_collections/strata/containers"
mkdir -p "$coll"
tar -C "$here" --exclude=./.git --exclude=./.venv --exclude=./tests/output --exclude='__pycache__' \
    --exclude='.pytest_cache' --exclude=./docs/build -cf - . | tar -C "$coll" -xf -

# The test images (rig, VM) build meanwhile, when not cached: sanity leaves a core free.
prebuild=()
if [ -z "${SANITY_ONLY:-}" ]; then
  for script in tests/rig/build_images.sh tests/rig/vm/make_image.sh; do
    bash "$here/$script" >"$work/$(basename "$script").log" 2>&1 &
    prebuild+=("$!:$script")
  done
fi

if [ -z "${SKIP_SANITY:-}" ]; then
  echo "== ansible-test sanity" >&2
  py=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  # ansible-test fetches get-pip.py from a host we cannot reach; give it a local stand-in.
  pipver=$(python - <<'PY'
import re, ansible_test, os
src = open(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")).read()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
PY
)
  mkdir -p ~/.ansible/test/cache
  cp "$here/tests/get_pip_standin.py" ~/.ansible/test/cache/get_pip_${pipver//./_}.py
  if ! (cd "$coll" && ansible-test sanity --venv --python "$py" >"$work/sanity.log" 2>&1); then
    tail -80 "$work/sanity.log"; echo "ansible-test sanity failed" >&2; exit 1
  fi
  grep -E '^(Running|ERROR|WARNING)' "$work/sanity.log" | tail -5 >&2 || true
fi
[ -z "${SANITY_ONLY:-}" ] || exit 0

for job in "${prebuild[@]}"; do
  if ! wait "${job%%:*}"; then
    tail -40 "$work/$(basename "${job#*:}").log"; echo "${job#*:} failed" >&2; exit 1
  fi
done

echo "== pytest" >&2
# Tests import the collection as ansible_collections.strata.containers and run playbooks with it.
export ANSIBLE_COLLECTIONS_PATH="$work"
export PYTHONPATH="$work${PYTHONPATH:+:$PYTHONPATH}"
cd "$coll"
[ $# -gt 0 ] || set -- tests
workers=${TEST_WORKERS:-2}
parallel=()
[ "$workers" = 0 ] || parallel=(-n "$workers" --dist loadfile --no-loadscope-reorder)  # in tests/conftest.py's order
python -m pytest -p no:cacheprovider "${parallel[@]}" --durations=30 "$@"
