#!/usr/bin/env bash
# Installs what the test suite needs from Debian's packages when it is missing, so that the README's
# test command works on a fresh machine:
# - redis-server: the @jwt-guard/redis tests start, kill and restart their own servers on free ports
#   of 127.0.0.1, so only the binary is needed;
# - chromium: the browser tests drive Debian's Chromium headless through playwright-core
#   (executablePath /usr/bin/chromium); playwright's own browser download cannot work here.
set -euo pipefail
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi
echo "jwt-guard tests: installing ${missing[*]} (apt-get)" >&2
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
command -v redis-server >/dev/null
[ -x /usr/bin/chromium ]
