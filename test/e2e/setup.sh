#!/usr/bin/env bash
# Installs what the real-editor suite needs: Debian packages, then code-server + playwright-core into
# test/e2e/node_modules (never the root install, which must stay light and portable).
# Idempotent: every step checks first and does nothing when it is already done.
# Needs: Debian/Ubuntu with apt (run as root, or with sudo available), Node 20, the npm registry.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CODE_SERVER_VERSION="4.100.3"
# code-server 4.100.3 pins @vscode/ripgrep 1.15.11, whose postinstall downloads rg v13.0.0-10 from GitHub.
RIPGREP_PKG_VERSION="1.15.11"
RIPGREP_TAG="v13.0.0-10"
APT_PACKAGES=(chromium ripgrep build-essential python3 pkg-config libkrb5-dev)

log() { printf '[e2e setup] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_apt_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "apt packages present: ${APT_PACKAGES[*]}"
    return
  fi
  log "installing apt packages: ${missing[*]}"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

# @vscode/ripgrep looks in its download cache before it tries GitHub, so a tarball holding Debian's rg
# lets code-server's postinstall succeed without internet access beyond the npm registry.
prime_ripgrep_cache() {
  local cache archive tmp
  cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-${RIPGREP_PKG_VERSION}"
  archive="${cache}/ripgrep-${RIPGREP_TAG}-x86_64-unknown-linux-musl.tar.gz"
  if [ -s "$archive" ]; then
    log "ripgrep cache already primed: $archive"
    return
  fi
  tmp="$(mktemp -d)"
  mkdir -p "$cache"
  cp "$(command -v rg)" "$tmp/rg"
  tar czf "$archive" -C "$tmp" rg
  rm -rf "$tmp"
  log "primed ripgrep cache: $archive"
}

lock_fingerprint() {
  sha256sum "$HERE/package-lock.json" | cut -d' ' -f1
}

install_node_modules() {
  local stamp="$HERE/node_modules/.aide-e2e-installed"
  if [ -x "$HERE/node_modules/.bin/code-server" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(lock_fingerprint)" ]; then
    log "test/e2e/node_modules matches package-lock.json"
    return
  fi
  log "npm ci in test/e2e (code-server ${CODE_SERVER_VERSION} compiles native modules; about a minute)"
  # unsafe_perm: code-server's postinstall refuses to run as root without it.
  # yes: node-pty's postinstall runs `npx node-gyp` without a TTY, which would otherwise cancel.
  (cd "$HERE" && npm_config_unsafe_perm=true npm_config_yes=true npm ci --no-audit --no-fund)
  lock_fingerprint > "$stamp"
  # --config: without it code-server writes ~/.config/code-server/config.yaml on first run.
  local cfg
  cfg="$(mktemp -d)"
  log "installed: $("$HERE/node_modules/.bin/code-server" --config "$cfg/config.yaml" --version | tail -n 1)"
  rm -rf "$cfg"
}

install_apt_packages
prime_ripgrep_cache
install_node_modules
log "ready: run the suite with 'npm run test:e2e' from the repository root"
