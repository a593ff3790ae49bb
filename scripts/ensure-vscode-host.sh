#!/usr/bin/env bash
# Installs what the real-VS-Code tests and the demo need: Debian's Chromium and ripgrep, and
# code-server 4.100.3 (VS Code 1.100.3, the newest that runs on Node 20) in a tool folder
# outside the extension's own dependencies. Idempotent; prints the code-server folder.
set -euo pipefail

log() { printf '[ensure-vscode-host] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

CODE_SERVER_VERSION=4.100.3
TOOLS_DIR="${BERTH_TOOLS_DIR:-$HOME/.cache/berth-tools}"
HOST_DIR="$TOOLS_DIR/code-server-$CODE_SERVER_VERSION"

need_pkgs=()
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
command -v rg >/dev/null 2>&1 || need_pkgs+=(ripgrep)
# Headers for code-server's native modules (kerberos, native-keymap, keytar), built from source.
for header_pkg in libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config; do
  dpkg -s "$header_pkg" >/dev/null 2>&1 || need_pkgs+=("$header_pkg")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

if [ -f "$HOST_DIR/.installed" ]; then
  echo "$HOST_DIR/node_modules/code-server"
  exit 0
fi

log "installing code-server@$CODE_SERVER_VERSION into $HOST_DIR (about 2 minutes)"
rm -rf "$HOST_DIR"
mkdir -p "$HOST_DIR"
# @vscode/ripgrep's postinstall downloads rg; seed its cache with Debian's rg instead.
tmp_base="${TMPDIR:-/tmp}"
seed_dir="$tmp_base/vscode-ripgrep-cache-1.15.11"
mkdir -p "$seed_dir"
seed_src="$(mktemp -d)"
cp "$(command -v rg)" "$seed_src/rg"
tar -C "$seed_src" -czf "$seed_dir/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" rg
rm -rf "$seed_src"
(
  cd "$HOST_DIR"
  printf '{"name":"berth-vscode-host","private":true}\n' > package.json
  npm_config_unsafe_perm=true npm_config_yes=true \
    npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >&2
)
touch "$HOST_DIR/.installed"
echo "$HOST_DIR/node_modules/code-server"
