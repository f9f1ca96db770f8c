#!/usr/bin/env bash
# Build the container image (IMAGE, default edge-sidecar:local) from deploy/Dockerfile: make sure an
# engine runs and the base image exists (built with debootstrap when it cannot be pulled), then build.
# Env: IMAGE (tag); NO_CACHE=1 builds every layer again (cold-build timing, tools/bench/image.ts);
# BUILD_CONTEXT builds another copy of the repository (its deploy/Dockerfile), e.g. a temporary
# copy with a code change, without touching the working tree.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
image="${IMAGE:-edge-sidecar:local}"
context="$(cd "${BUILD_CONTEXT:-$repo}" && pwd)"
no_cache=()
[ "${NO_CACHE:-0}" = 1 ] && no_cache=(--no-cache)

"$here/docker-engine.sh"
"$here/base-image.sh"

# CA certificates this host added to its trust store (Debian keeps them here). On a network that
# intercepts TLS (a company proxy, this project's sandbox) pip in the build needs them to reach PyPI;
# the Dockerfile uses them in its build stage only, so the image never carries them.
extra_ca="$(find /usr/local/share/ca-certificates -name '*.crt' -exec cat {} + 2>/dev/null || true)"

state_dir="${XDG_STATE_HOME:-$HOME/.local/state}/edge-sidecar"
mkdir -p "$state_dir"
log="$state_dir/docker-build.log"
start=$SECONDS
echo "==> docker build -f deploy/Dockerfile -t $image${no_cache:+ ${no_cache[*]}} (full log: $log)"
# Show only the step lines (legacy builder "Step n/m", BuildKit "#n [stage i/j]"); all goes to the log.
if ! BUILDKIT_PROGRESS=plain docker build -f "$context/deploy/Dockerfile" -t "$image" "${no_cache[@]}" \
    --build-arg EXTRA_CA_CERT="$extra_ca" "$context" 2>&1 |
    tee "$log" | { grep --line-buffered -E '^(Step [0-9]+/[0-9]+ :|#[0-9]+ \[)' || true; } | cut -c1-120; then
  tail -n 30 "$log" >&2
  echo "error: docker build failed (log: $log)" >&2
  exit 1
fi
size=$(docker image inspect -f '{{.Size}}' "$image")
echo "==> Built $image: $((size / 1000000)) MB in $((SECONDS - start)) s"
