#!/usr/bin/env bash
# Installs what the tests need from Debian when it is missing (as root: CI, a fresh machine):
# Chromium (end-to-end tests), PyTorch with OpenBLAS (training smoke tests), redis-server (the
# sweep queue tests: BullMQ on a real Redis), flake8 and black (npm run lint checks the Python in training/
# and eval/). Without root it names what is missing and stops.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -f /usr/lib/python3/dist-packages/torch/__init__.py ] || need+=(python3-torch)
[ -f /usr/lib/python3/dist-packages/numpy/__init__.py ] || need+=(python3-numpy)
[ -e /usr/lib/x86_64-linux-gnu/libopenblas.so.0 ] || [ -e /usr/lib/aarch64-linux-gnu/libopenblas.so.0 ] || need+=(libopenblas0-pthread)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/bin/flake8 ] || need+=(flake8)
[ -x /usr/bin/black ] || need+=(black)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing for the tests: ${need[*]} (install them: apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "installing for the tests: ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
