#!/usr/bin/env bash
# Make sure a Docker engine answers `docker info`: install Debian's docker.io and start dockerd if needed.
#
# Findings on the project machine (Debian 12 VM, root, no systemd, no image registry):
# - The machine ships a docker 28.x client only (in /usr/local/bin). apt's docker.io (20.10.24)
#   adds dockerd and its own 20.10 client in /usr/bin; /usr/local/bin comes first in PATH, so the
#   28.x client stays in use and negotiates the engine's API 1.41 by itself. Bookworm has no
#   buildx plugin, so `docker build` uses the legacy builder (prints a deprecation notice).
# - Plain `dockerd` works, no flags needed: overlay2 on ext4, cgroup v1 (hybrid, cgroupfs
#   driver), iptables-nft (a docker.io dependency) for the bridge's NAT; dockerd turns on
#   ip_forward itself. Bridge containers and builds reach the Debian mirror and PyPI, and
#   `-p 127.0.0.1:P:P` publishing works (through docker-proxy); ready in ~2 s.
# - With --iptables=false, published ports still answer (docker-proxy), but bridge containers and
#   builds lose outbound access (apt hangs); only `--network host` builds work. So iptables stays
#   on; DOCKER_EXTRA_FLAGS adds flags for a machine that needs them.
# - Recommends are skipped: apparmor and needrestart do nothing without systemd or an LSM. apt
#   never starts the service here (policy-rc.d, no systemd), which is why this script does.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  echo "==> Docker engine already running"
  exit 0
fi

state_dir="${XDG_STATE_HOME:-$HOME/.local/state}/edge-sidecar"
log="$state_dir/dockerd.log"
mkdir -p "$state_dir"

# dockerd lives in /usr/sbin, which a non-login PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
if ! command -v dockerd >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { echo "error: dockerd missing; run as root to install docker.io" >&2; exit 1; }
  echo "==> Installing Debian docker.io (engine)"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io
fi

# A dockerd that is still starting (or stuck) holds the pid file: wait for it instead of racing it.
if [ -s /var/run/docker.pid ] && kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  echo "==> dockerd already started (pid $(cat /var/run/docker.pid)); waiting for it"
else
  echo "==> Starting dockerd (log: $log)"
  # setsid: own session, so the engine outlives this script and a Ctrl-C in make.
  # shellcheck disable=SC2086  # DOCKER_EXTRA_FLAGS is a flag list on purpose
  setsid dockerd ${DOCKER_EXTRA_FLAGS:-} </dev/null >"$log" 2>&1 &
  pid=$!
fi

for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    echo "==> Docker engine ready: $(docker version --format 'server {{.Server.Version}}, client {{.Client.Version}}')"
    exit 0
  fi
  # A dockerd that exits (bad flag, missing kernel feature) will never answer: say so now.
  if [ -n "${pid:-}" ] && ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 1
done
echo "error: Docker engine did not answer (waited up to 60 s); last lines of $log:" >&2
tail -n 20 "$log" >&2 || true
exit 1
