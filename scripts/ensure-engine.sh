#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine and the tools the tests and the lint use are
# here: installs Debian's docker.io, busybox-static, dash, git and shellcheck when missing, and
# starts dockerd when none answers. Idempotent.
set -euo pipefail

log() { printf '[ensure-engine] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
[ -x /bin/busybox ] || command -v busybox >/dev/null 2>&1 || need_pkgs+=(busybox-static)
# git: the workspace tests build their git image from it, and export's fallback runs it here.
command -v git >/dev/null 2>&1 || need_pkgs+=(git)
# dash: the unit tests run every in-container shell program under dash and busybox sh.
command -v dash >/dev/null 2>&1 || need_pkgs+=(dash)
# `npm run lint` checks every .sh in the repository with shellcheck.
command -v shellcheck >/dev/null 2>&1 || need_pkgs+=(shellcheck)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

if docker version >/dev/null 2>&1; then
  log "engine answers"
  exit 0
fi

log "starting dockerd"
# No bridge and no iptables: this machine has no network for containers, and tests use
# NetworkMode none.
as_root sh -c 'nohup dockerd --iptables=false --bridge=none >/var/log/dockerd.log 2>&1 &'
for _ in $(seq 1 60); do
  if docker version >/dev/null 2>&1; then log "engine answers"; exit 0; fi
  sleep 0.5
done
log "dockerd did not answer within 30 s; see /var/log/dockerd.log"
tail -20 /var/log/dockerd.log >&2 || true
exit 1
