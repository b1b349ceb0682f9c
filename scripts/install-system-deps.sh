#!/usr/bin/env bash
# Installs the Debian packages the integration tier runs for real (docs/architecture.md §6).
# Idempotent and quiet: apt-get runs only when a binary is missing, so a warm
# machine pays nothing and a fresh one needs nothing done by hand.
set -euo pipefail

# binary:package pairs; add a pair when another real part arrives.
REQUIRED=(
  "/usr/bin/prometheus:prometheus"
  "/usr/sbin/nginx:nginx-light"
  "/usr/bin/chromium:chromium"
)

missing=()
for pair in "${REQUIRED[@]}"; do
  binary="${pair%%:*}"
  package="${pair#*:}"
  [ -x "$binary" ] || missing+=("$package")
done

[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: need root to install: ${missing[*]}" >&2
  exit 1
fi

echo "install-system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# --no-install-recommends: the binary is all we need, not the exporters and the web console extras.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

for pair in "${REQUIRED[@]}"; do
  binary="${pair%%:*}"
  if [ ! -x "$binary" ]; then
    echo "install-system-deps: $binary still missing after apt-get install" >&2
    exit 1
  fi
done
