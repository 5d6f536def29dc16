#!/usr/bin/env bash
# Build the platform images from Debian's packages (no registry is needed) and skip those that exist.
# usage: images.sh [suite ...]   default: bookworm trixie
set -euo pipefail

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(bookworm trixie)
packages=systemd,systemd-sysv,python3,ca-certificates,iproute2,sudo,procps
# The Debian mirror and HTTP proxy this machine's apt uses, so that a machine behind a local mirror or a proxy builds
# the images, and their apt runs, the same way; WSGI_STACK_DEBIAN_MIRROR overrides the mirror.
host_mirror() {
  # The lists apt downloaded say which repository is Debian's own (a docker.list or a PPA is not).
  apt-get indextargets --format '$(REPO_URI)' 'Label: Debian' 2>/dev/null | grep -m 1 -E '^https?://' \
    || echo http://deb.debian.org/debian
}
mirror=${WSGI_STACK_DEBIAN_MIRROR:-$(host_mirror)}
proxy=$(apt-config dump --format '%v%n' Acquire::http::Proxy 2>/dev/null | head -n 1)
local_ca_dir=/usr/local/share/ca-certificates

command -v debootstrap >/dev/null 2>&1 || {
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

for suite in "${suites[@]}"; do
  image=local/debian:$suite
  built_with=$(docker image inspect -f '{{ index .Config.Labels "wsgi-stack.packages" }}' "$image" 2>/dev/null || true)
  if [ "$built_with" = "$packages" ]; then
    echo "images: $image exists"
    continue
  fi
  rootfs=$(mktemp -d "/var/tmp/wsgi-stack-rootfs-$suite.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  echo "images: debootstrap $suite from $mirror${proxy:+ through $proxy}"
  http_proxy=$proxy debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
    || { tail -n 20 "$rootfs.log" >&2; exit 1; }
  if [ -n "$proxy" ]; then
    printf 'Acquire::http::Proxy "%s";\n' "$proxy" >"$rootfs/etc/apt/apt.conf.d/01proxy"
  fi
  # Trust the same extra CAs as this machine, so pip and apt inside the container verify TLS like the host.
  mkdir -p "$rootfs$local_ca_dir"
  find "$local_ca_dir" -maxdepth 1 -name '*.crt' -exec cp {} "$rootfs$local_ca_dir/" \; 2>/dev/null || true
  chroot "$rootfs" update-ca-certificates >/dev/null
  # A container has no console to log in on: keep the units that wait for one from starting.
  chroot "$rootfs" systemctl mask getty.target console-getty.service systemd-firstboot.service >/dev/null 2>&1 || true
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import -c 'CMD ["/lib/systemd/systemd"]' -c "LABEL wsgi-stack.packages=$packages" - "$image" >/dev/null
  rm -rf "$rootfs" "$rootfs.log"
  trap - EXIT
  echo "images: built $image"
done
