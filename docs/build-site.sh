#!/usr/bin/env bash
# Renders the collection's documentation (modules, the roles' argument specs, the connection
# plugin) into a static HTML site with antsibull-docs and Sphinx, offline, and fails on any
# warning. Usage: bash docs/build-site.sh [OUT]  (default docs/build; the site is OUT/html).
# Needs antsibull-docs, sphinx and sphinx-ansible-theme (requirements-controller.txt) on PATH.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(mkdir -p "${1:-$here/docs/build}" && cd "${1:-$here/docs/build}" && pwd)
work=$(mktemp -d /tmp/strata-docs.XXXXXX)
trap 'rm -rf "$work"' EXIT

# antsibull-docs finds the collection on a collections path, as ansible_collections/strata/containers;
# only this one, so an installed copy of another version cannot be documented instead.
mkdir -p "$work/collections/ansible_collections/strata"
ln -s "$here" "$work/collections/ansible_collections/strata/containers"
export ANSIBLE_COLLECTIONS_PATH="$work/collections"

# antsibull-docs wants its output directory writable by its owner only.
mkdir -m 700 "$work/rst"
cp "$here/docs/site/index.rst" "$work/rst/"
antsibull-docs --config-file "$here/docs/site/antsibull-docs.cfg" collection --use-current \
  --fail-on-error --dest-dir "$work/rst" strata.containers

rm -rf "$out/html" "$out/doctrees"
sphinx-build -b html -q -W --keep-going -c "$here/docs/site" -d "$out/doctrees" "$work/rst" "$out/html"
echo "docs: $out/html/index.html" >&2
