#!/usr/bin/env bash
# Installs every Debian 12 package PXRD-Diff Workbench needs. Idempotent: packages
# already present are skipped by apt-get.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config git xz-utils
  qt6-base-dev libqt6opengl6-dev qt6-tools-dev libqcustomplot-dev
  libvtk9-dev libtorch-dev libopenblas0-openmp
  libeigen3-dev libsymspg-dev gemmi-dev tao-pegtl-dev libstb-dev libxy-dev
  xvfb xauth mesa-utils libgl1-mesa-dri fonts-dejavu-core
  desktop-file-utils appstream
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
echo "setup-debian: all packages present"
