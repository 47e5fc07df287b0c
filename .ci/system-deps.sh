#!/usr/bin/env bash
# System libraries that VTK needs for off-screen rendering on a headless
# Debian machine. Installed only when missing; harmless when present.
set -euo pipefail
need=()
for pkg in libgl1 libxrender1 libosmesa6 xvfb; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
