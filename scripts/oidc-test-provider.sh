#!/bin/sh
# The OpenID test provider of tests/oidc_provider (panva's oidc-provider on Node), for the login
# tests marked @pytest.mark.needs("nodejs").
#
#   scripts/oidc-test-provider.sh install   npm ci from package-lock.json when node_modules is
#       missing or older than the lock; prints nothing when all is well. Without node or npm it
#       does nothing and exits 0: the tests that need them are then skipped (scripts/system-packages).
set -eu
cd "$(dirname "$0")/../tests/oidc_provider"

case ${1:-} in
install)
    command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || exit 0
    stamp=node_modules/.package-lock.json
    if [ -f "$stamp" ] && [ ! package-lock.json -nt "$stamp" ] && [ ! package.json -nt "$stamp" ]; then
        exit 0
    fi
    log=$(mktemp)
    if ! npm ci --no-audit --no-fund --loglevel=error >"$log" 2>&1; then
        echo "scripts/oidc-test-provider.sh: npm ci i tests/oidc_provider misslyckades:" >&2
        cat "$log" >&2
        rm -f "$log"
        exit 1
    fi
    rm -f "$log"
    ;;
*)
    echo "Användning: sh scripts/oidc-test-provider.sh install" >&2
    exit 2
    ;;
esac
