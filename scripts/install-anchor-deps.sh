#!/usr/bin/env bash
# Installs what ../shared/anchors needs to measure the baselines seqpar is compared against
# (PyTorch CPU + OpenBLAS for the kernel anchor; Open MPI, mpi4py and gloo for the collectives
# anchors), from Debian's packages. Idempotent; needs root (or sudo).
set -euo pipefail
pkgs=(python3-numpy python3-torch libopenblas0-openmp openmpi-bin libopenmpi-dev python3-mpi4py)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "anchor dependencies already installed"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# apt may be busy with another installer: wait for its lock rather than failing.
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
