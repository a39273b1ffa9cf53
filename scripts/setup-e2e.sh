#!/usr/bin/env bash
# Debian's Chromium for the Playwright tests and the browser benchmark (never
# `playwright install`: no browser download is possible here). Idempotent.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  echo "setup: apt-get install chromium"
  sudo_cmd=""
  [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
