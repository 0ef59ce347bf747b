#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard's browser tests (driven by playwright-core with
# executablePath /usr/bin/chromium; playwright's own browser downloads are never used).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium present: $(/usr/bin/chromium --version 2>/dev/null | head -1)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "installed $(/usr/bin/chromium --version 2>/dev/null | head -1)"
