#!/usr/bin/env bash
# System packages for CI on a headless Debian machine, installed only when
# missing: the EGL/Mesa libraries VTK renders off-screen with (present on a
# fresh machine of this kind already), and Chromium, which the report test
# uses to open report.html headless (that test skips where it is absent).
set -euo pipefail
need=()
for pkg in libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 chromium; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null; }; then
  echo "warning: could not install ${need[*]}; tests that need them will skip or fail" >&2
fi
