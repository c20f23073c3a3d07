#!/usr/bin/env bash
# Installs what the test suite needs from Debian's packages when it is missing, so that the README's
# test command works on a fresh machine:
# - redis-server: the @jwt-guard/redis tests start, kill and restart their own servers on free ports
#   of 127.0.0.1, so only the binary is needed;
# - chromium: the browser tests drive Debian's Chromium headless through playwright-core
#   (executablePath /usr/bin/chromium); playwright's own browser download cannot work here;
# - promtool (Debian's prometheus package): the @jwt-guard/metrics tests check and unit-test the
#   shipped alert rules with it. The package's postinst tries to start a service, which fails where
#   there is no init system; if the install fails for that or any reason, the package is unpacked
#   instead (apt-get download + dpkg -x) into $PROMTOOL_CACHE (default node_modules/.cache/prometheus),
#   where the test finds usr/bin/promtool (or set PROMTOOL to a promtool binary).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PROMTOOL_CACHE="${PROMTOOL_CACHE:-node_modules/.cache/prometheus}"
have_promtool() {
  { [ -n "${PROMTOOL:-}" ] && [ -x "$PROMTOOL" ]; } || command -v promtool >/dev/null 2>&1 || [ -x "$PROMTOOL_CACHE/usr/bin/promtool" ]
}
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)
have_promtool || missing+=(prometheus)
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi
echo "jwt-guard tests: installing ${missing[*]} (apt-get)" >&2
SUDO=()
if [ "$(id -u)" -ne 0 ]; then SUDO=(sudo); fi
"${SUDO[@]}" apt-get update -qq
others=()
for package in "${missing[@]}"; do [ "$package" = prometheus ] || others+=("$package"); done
if [ "${#others[@]}" -gt 0 ]; then
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${others[@]}" >/dev/null
fi
if ! have_promtool; then
  if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null 2>&1 || ! have_promtool; then
    echo "jwt-guard tests: installing prometheus failed; unpacking it into $PROMTOOL_CACHE instead" >&2
    mkdir -p "$PROMTOOL_CACHE"
    (cd "$PROMTOOL_CACHE" && rm -f prometheus_*.deb && apt-get download -qq prometheus >/dev/null && dpkg -x prometheus_*.deb . && rm -f prometheus_*.deb)
  fi
fi
command -v redis-server >/dev/null
[ -x /usr/bin/chromium ]
have_promtool
