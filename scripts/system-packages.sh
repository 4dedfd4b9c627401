#!/bin/sh
# The Debian packages of scripts/system-packages, by when they are needed (venv, portal, test,
# ci, bench; none given: all).
#
#   scripts/system-packages.sh missing [WHEN...]   prints the missing packages, one a line
#   scripts/system-packages.sh install WHEN...     installs the missing ones with apt-get when run
#       as root (quietly), then fails, with one line a package saying how to install it, if any
#       still missing one is needed: every one but the tests', which then are skipped and named
#       at the end of the test run, unless CI=true, where every missing package is a failure.
set -eu
cd "$(dirname "$0")/.."
LIST=scripts/system-packages

ldconfig_list=""
libraries() {
    if [ -z "$ldconfig_list" ]; then
        for ldconfig in ldconfig /sbin/ldconfig /usr/sbin/ldconfig; do
            ldconfig_list=$("$ldconfig" -p 2>/dev/null) && break
        done
    fi
    printf '%s\n' "$ldconfig_list"
}

present() {
    case $1 in
    cmd:*) command -v "${1#cmd:}" >/dev/null 2>&1 ;;
    # grep without -q reads all of its input, so the writer never gets a SIGPIPE.
    lib:*) libraries | grep -F -- "${1#lib:}" >/dev/null ;;
    font:*) fc-list 2>/dev/null | grep -i -F -- "${1#font:}" >/dev/null ;;
    py:*) "${PYTHON:-python3}" -c "import ${1#py:}" >/dev/null 2>&1 ;;
    *)
        echo "$LIST: okänt sätt att hitta ett paket: $1" >&2
        exit 2
        ;;
    esac
}

# The lines (package, when, found by, what for) of the missing packages needed at $@.
missing_lines() {
    grep -v -e '^#' -e '^[[:space:]]*$' "$LIST" | while read -r package when check what; do
        if [ $# -gt 0 ]; then
            case " $* " in *" $when "*) ;; *) continue ;; esac
        fi
        present "$check" || printf '%s\t%s\t%s\n' "$package" "$when" "$what"
    done
}

is_ci() {
    case $(printf '%s' "${CI:-}" | tr '[:upper:]' '[:lower:]') in
    1 | true | yes) return 0 ;;
    *) return 1 ;;
    esac
}

action=${1:-}
[ $# -gt 0 ] && shift
case $action in
missing)
    missing_lines "$@" | cut -f 1
    ;;
install)
    missing=$(missing_lines "$@" | cut -f 1 | tr '\n' ' ')
    if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installerar systempaket med apt-get: $missing"
        log=$(mktemp)
        # shellcheck disable=SC2086 # one word a package
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } >"$log" 2>&1; then
            tail -n 5 "$log" >&2
        fi
        rm -f "$log"
    fi
    tab=$(printf '\t')
    missing_lines "$@" | {
        status=0
        while IFS="$tab" read -r package when what; do
            if [ "$when" = test ] && ! is_ci; then
                continue # tests/system_packages.py names the tests it skipped, at the end
            fi
            echo "Saknar paketet $package ($what): sudo apt-get install $package" >&2
            status=1
        done
        if [ $status != 0 ] && is_ci; then
            echo "CI=true: ett saknat systempaket är ett fel." >&2
        fi
        exit $status
    }
    ;;
*)
    echo "Användning: $0 missing|install [venv|portal|test|ci|bench ...]" >&2
    exit 2
    ;;
esac
