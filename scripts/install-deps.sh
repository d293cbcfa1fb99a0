#!/usr/bin/env bash
# Installs the Debian packages the tests use: prosody (XMPP server), python3-slixmpp
# (third-party test peer, for /usr/bin/python3), tmux (terminal UI tests), gnupg, openssl,
# zsh and fish (the generated shell completions are syntax-checked by the shells themselves), and
# prosody-modules (mod_muc_moderation for the XEP-0425 room test; skipped without it).
# Idempotent and quiet when everything is present. Needs root or sudo to install.
set -euo pipefail

packages=(prosody python3-slixmpp tmux gnupg openssl zsh fish prosody-modules)

is_installed() {
  # dpkg status first; fall back to the command for packages that may come from elsewhere.
  if dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; then
    return 0
  fi
  case "$1" in
    prosody) command -v prosody >/dev/null 2>&1 && command -v prosodyctl >/dev/null 2>&1 ;;
    python3-slixmpp) [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import slixmpp' >/dev/null 2>&1 ;;
    tmux) command -v tmux >/dev/null 2>&1 ;;
    gnupg) command -v gpg >/dev/null 2>&1 ;;
    openssl) command -v openssl >/dev/null 2>&1 ;;
    zsh) command -v zsh >/dev/null 2>&1 ;;
    fish) command -v fish >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

missing=()
for p in "${packages[@]}"; do
  is_installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: run as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Don't let package scripts start services (prosody) while installing, where policy-rc.d is honoured.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  made_policy=1
fi
cleanup_policy() {
  if [ "$made_policy" -eq 1 ]; then "${as_root[@]}" rm -f "$policy"; fi
}
trap cleanup_policy EXIT

log=$(mktemp)
if ! { "${as_root[@]}" apt-get update -qq &&
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "install-deps: apt-get failed for: ${missing[*]}" >&2
  exit 1
fi
rm -f "$log"

for p in "${missing[@]}"; do
  if ! is_installed "$p"; then
    echo "install-deps: $p still missing after apt-get install" >&2
    exit 1
  fi
done

# The tests run their own Prosody on their own ports: don't leave the system one running
# (as a root daemon on 5222/5269/5280) or enabled.
if [[ " ${missing[*]} " == *" prosody "* ]]; then
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    "${as_root[@]}" systemctl disable --now prosody >/dev/null 2>&1 || true
  fi
  if command -v service >/dev/null 2>&1; then
    "${as_root[@]}" service prosody stop >/dev/null 2>&1 || true
  fi
  if command -v update-rc.d >/dev/null 2>&1; then
    "${as_root[@]}" update-rc.d prosody disable >/dev/null 2>&1 || true
  fi
  if [ -f /var/run/prosody/prosody.pid ] || [ -f /run/prosody/prosody.pid ]; then
    "${as_root[@]}" prosodyctl stop >/dev/null 2>&1 || true
  fi
fi

echo "install-deps: done"
