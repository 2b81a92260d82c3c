#!/usr/bin/env bash
# Install what vfbench needs on a Debian/Ubuntu machine, then its npm dependencies, then build.
# Idempotent, and fast when everything is already there (no apt or npm call at all).
# System packages need root; as another user it says what is missing and stops.
# --test: also what the tests need beyond vfbench itself (Debian's Chromium for the report test,
# poppler-utils for the figures' PDF fonts, PostgreSQL's server binaries for the history tests, the
# Prometheus pushgateway, node_exporter and python3-prometheus-client for the export tests).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'setup: %s\n' "$*" >&2; }

# command -> Debian package that provides it
declare -A NEED=(
  [sockperf]=sockperf
  [netperf]=netperf
  [netserver]=netperf
  [iperf3]=iperf3
  [sshd]=openssh-server
  [ssh]=openssh-client
  [ssh-keygen]=openssh-client
  [ip]=iproute2
  [tc]=iproute2
  [ss]=iproute2
  [nft]=nftables
  [ethtool]=ethtool
  [setsid]=util-linux
  [timeout]=coreutils
  [ping]=iputils-ping
  [ps]=procps
  [rsvg-convert]=librsvg2-bin
  # npm ci builds better-sqlite3 (the history's SQLite) from source where its prebuilt binary cannot be
  # downloaded (no access to GitHub): node-gyp needs a C/C++ compiler, make and python3.
  [g++]=g++
  [make]=make
  [python3]=python3
)
if [ "${1:-}" = --test ]; then
  NEED[chromium]=chromium
  NEED[pdffonts]=poppler-utils  # the figure tests read a PDF's font list with it
  # vfbench export's OpenMetrics text, read by the real consumers: a pushgateway, node_exporter's textfile
  # collector, and prometheus_client's strict OpenMetrics parser (Debian's python3, not a pyenv one).
  NEED[prometheus-pushgateway]=prometheus-pushgateway
  NEED[prometheus-node-exporter]=prometheus-node-exporter
fi
missing=()
for cmd in "${!NEED[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${NEED[$cmd]}")
done
# Fonts for PNG figures (resvg reads the system's fonts).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
# The history tests start a throwaway cluster with initdb/pg_ctl (not on PATH: /usr/lib/postgresql/N/bin).
if [ "${1:-}" = --test ] && ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  missing+=(postgresql)
fi
if [ "${1:-}" = --test ] && [ ! -d /usr/lib/python3/dist-packages/prometheus_client ]; then
  missing+=(python3-prometheus-client)
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | sed '/^$/d')

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing packages: ${missing[*]}"
    log "run this script as root (sudo bash scripts/setup.sh), or: sudo apt-get install ${missing[*]}"
    exit 1
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || log "warning: apt-get update reported errors; trying anyway"
  if printf '%s\n' "${missing[@]}" | grep -qx netperf; then
    . scripts/enable-netperf-repo.sh
  fi
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  # vfbench needs only the sshd binary (the lab starts its own, one per namespace). A machine that had
  # no SSH server must not end up with one listening on port 22 because of us.
  if printf '%s\n' "${missing[@]}" | grep -qx openssh-server && [ -d /run/systemd/system ]; then
    log "disabling the ssh service that openssh-server enabled (the lab runs its own sshd)"
    systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
  fi
  # Likewise the system cluster postgresql starts on port 5432 and the Prometheus daemons their services:
  # the tests start their own, on loopback ports of their own.
  for svc in postgresql prometheus-pushgateway prometheus-node-exporter; do
    printf '%s\n' "${missing[@]}" | grep -qx "$svc" || continue
    log "stopping the $svc service the package started (the tests start their own)"
    if [ -d /run/systemd/system ]; then
      systemctl disable --now "$svc.service" >/dev/null 2>&1 || true
    elif [ -x "/etc/init.d/$svc" ]; then
      "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
  done
fi

# npm dependencies: only when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Build: only when a source file is newer than the build.
if [ ! -f dist/cli/main.js ] || [ -n "$(find src tsconfig.json package.json -newer dist/cli/main.js -print -quit)" ]; then
  log "building (tsc)"
  npm run --silent build
  touch dist/cli/main.js
fi
