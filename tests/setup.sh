#!/usr/bin/env bash
# Installs everything the tests and the demo need on a Debian 12 machine, as root.
# Idempotent: a second run only checks. Env: STRATA_VENV (default: <repo>/.venv).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${STRATA_VENV:-$here/.venv}
export DEBIAN_FRONTEND=noninteractive

pkgs="python3 python3-venv python3-pip git ca-certificates curl docker-registry skopeo umoci podman
runc crun busybox-static debootstrap zstd attr iproute2 hyperfine uidmap conmon
containernetworking-plugins netavark aardvark-dns iptables apache2-utils openssh-server tini
qemu-system-x86 qemu-utils"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "[setup] apt-get install$missing" >&2
  # The tests start their own registries and sshds: keep the packages' services from starting
  # (docker-registry on :5000, sshd on :22) on a host whose init would start them.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "[setup] creating $venv" >&2
  python3 -m venv "$venv"
fi
stamp="$venv/.requirements.sha256"
want=$(cat "$here"/requirements-*.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup] pip install -r requirements-controller.txt" >&2
  "$venv/bin/pip" install -q --upgrade pip >/dev/null
  (cd "$here" && "$venv/bin/pip" install -q -r requirements-controller.txt)
  echo "$want" > "$stamp"
fi
echo "[setup] ready: $venv" >&2
