#!/usr/bin/env bash
# Provide the base image debian:trixie-slim: use it if present, else pull it, else build it with
# debootstrap and `docker import` (for machines that reach Debian's mirror but no image registry).
#
# The built image follows the official slim variant: minbase packages, no docs/man/info/locales
# (kept out by dpkg path-excludes for later installs too), no apt lists or archives, and the same
# apt/dpkg tweaks the official images carry. Measured here: ~23 s, 78 MB.
# Env: REBUILD=1 rebuilds even if the image exists; DEBIAN_MIRROR overrides the mirror.
set -euo pipefail

image="debian:trixie-slim"
suite="trixie"

if [ "${REBUILD:-0}" != 1 ] && docker image inspect "$image" >/dev/null 2>&1; then
  echo "==> Base image $image present"
  exit 0
fi
if [ "${REBUILD:-0}" != 1 ]; then
  echo "==> Pulling $image"
  # Without a registry this fails within a second (DNS); the timeout covers slow, half-open networks.
  if timeout 60 docker pull -q "$image"; then exit 0; fi
  echo "==> Pull failed: building $image from Debian packages with debootstrap instead"
fi

[ "$(id -u)" = 0 ] || { echo "error: debootstrap needs root" >&2; exit 1; }
export PATH="$PATH:/usr/sbin:/sbin"
if ! command -v debootstrap >/dev/null 2>&1; then
  echo "==> Installing debootstrap"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
fi

# Use the mirrors this machine's apt already reaches (deb822 "URIs:" or one-line "deb" entries).
apt_uris() {
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    sed -nE 's/^URIs:[[:space:]]*//p; s/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p' |
    tr ' ' '\n'
}
mirror="${DEBIAN_MIRROR:-$(apt_uris | grep -E '/debian/?$' | head -n1 || true)}"
mirror="${mirror:-http://deb.debian.org/debian}"
security="$(apt_uris | grep -E '/debian-security/?$' | head -n1 || true)"
security="${security:-http://deb.debian.org/debian-security}"

state_dir="${XDG_STATE_HOME:-$HOME/.local/state}/edge-sidecar"
mkdir -p "$state_dir"
log="$state_dir/debootstrap.log"
root="$(mktemp -d "${TMPDIR:-/tmp}/trixie-rootfs.XXXXXX")"
trap 'rm -rf "$root"' EXIT
start=$SECONDS

echo "==> debootstrap --variant=minbase $suite from $mirror (log: $log)"
if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  echo "error: debootstrap failed" >&2
  exit 1
fi

echo "==> Slimming the root filesystem"
# The official images' apt sources: main, updates and security, in deb822 form.
rm -f "$root/etc/apt/sources.list"
cat >"$root/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC

# Same container tweaks as the official images: never start services, skip fsync in dpkg,
# drop .debs after each install, keep indexes gzipped, fetch no translations.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
echo 'force-unsafe-io' >"$root/etc/dpkg/dpkg.cfg.d/docker-apt-speedup"
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
echo 'Acquire::GzipIndexes "true";' >"$root/etc/apt/apt.conf.d/docker-gzip-indexes"
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$root/etc/apt/apt.conf.d/docker-autoremove-suggests"

# Slim: what dpkg must not install again, then delete what is already there.
excludes=(/usr/share/doc /usr/share/groff /usr/share/info /usr/share/linda /usr/share/lintian/overrides
  /usr/share/locale /usr/share/man)
includes=('/usr/share/doc/*/copyright' /usr/share/locale/locale.alias /usr/share/locale/languages
  /usr/share/locale/all_languages '/usr/share/locale/currency/*' '/usr/share/locale/l10n/*')
{
  echo '# Slim image: files that containers do not need stay out, also for later installs.'
  for d in "${excludes[@]}"; do echo "path-exclude $d/*"; done
  for p in "${includes[@]}"; do echo "path-include $p"; done
} >"$root/etc/dpkg/dpkg.cfg.d/docker"
keep=()
for p in "${includes[@]}"; do keep+=(! -path "$root$p"); done
for d in "${excludes[@]}"; do
  [ -d "$root$d" ] || continue
  find "$root$d" -mindepth 1 ! -type d ! -type l "${keep[@]}" -delete
  # Emptied folders and symlinks left dangling go too; repeat since one can uncover the other.
  while [ -n "$(find "$root$d" -mindepth 1 \( -type d -empty -o -xtype l \) -print -delete)" ]; do :; done
done

# Caches, indexes, logs and this host's identity are not part of an image.
rm -rf "${root:?}"/var/cache/apt/* "${root:?}"/var/lib/apt/lists/* "${root:?}"/var/cache/debconf/*-old \
  "${root:?}"/var/log/*.log "${root:?}"/var/log/apt/* "${root:?}"/dev/* "${root:?}"/tmp/*
rm -f "${root:?}/etc/hostname" "${root:?}/etc/resolv.conf"  # Docker mounts its own

echo "==> docker import as $image"
tar --numeric-owner -C "$root" -c . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    --message "debootstrap --variant=minbase $suite, slimmed (deploy/image/base-image.sh)" \
    - "$image" >/dev/null
size=$(docker image inspect -f '{{.Size}}' "$image")
echo "==> Built $image: $((size / 1000000)) MB in $((SECONDS - start)) s"
