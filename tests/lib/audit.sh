# tests/lib/audit.sh: for shell tests that start umbra's programs
# themselves (the Python tests get the same from umbra_harness.py).
# Source it, then:
#
#   umbra_audit_init NAME         once; NAME names the test in the audit
#   umbra_log_level LEVEL         prints "debug" while the log audit runs
#                                 (UMBRA_LOG_AUDIT_DIR set), else LEVEL
#   umbra_run PROG ARGS...        runs PROG, behind UMBRA_WRAP when set
#   umbra_spawn PROG ARGS...      the same in the background; $! is its pid
#   umbra_check_sanitizers FILE   fails (status 1, report on stdout) on a
#                                 sanitizer report in FILE
#   umbra_check_log NAME KIND FILE [debug]
#                                 umbra_check_sanitizers, then hands FILE
#                                 to the log audit as NAME.log of KIND
#                                 (relay, broker, load, policy); "debug"
#                                 when it is a daemon's log at log-level
#                                 debug, which must then hold debug lines
#   umbra_audit_secret VALUE...   values no log may hold (the ledger)
#
# See tests/lib/log_audit.py for the audit directory's layout.

UMBRA_SANITIZER_RE='ERROR: AddressSanitizer|LeakSanitizer|runtime error:|ThreadSanitizer|==[0-9]+==ERROR'
umbra_audit_dir=""

umbra_audit_init() {
    if [ -n "${UMBRA_LOG_AUDIT_DIR:-}" ]; then
        umbra_audit_dir=$UMBRA_LOG_AUDIT_DIR/$1
        rm -rf "$umbra_audit_dir"
        mkdir -p "$umbra_audit_dir"
    fi
}

umbra_log_level() {
    if [ -n "$umbra_audit_dir" ]; then echo debug; else echo "$1"; fi
}

umbra_run() {
    if [ -n "${UMBRA_WRAP:-}" ]; then
        # shellcheck disable=SC2086  # UMBRA_WRAP is a word list on purpose
        $UMBRA_WRAP "$@"
    else
        "$@"
    fi
}

umbra_spawn() {
    if [ -n "${UMBRA_WRAP:-}" ]; then
        # shellcheck disable=SC2086
        $UMBRA_WRAP "$@" &
    else
        "$@" &
    fi
}

umbra_check_sanitizers() { # FILE
    if [ -f "$1" ] && grep -Eq "$UMBRA_SANITIZER_RE" "$1"; then
        echo "FAIL: sanitizer report in $1:"
        grep -E -B2 -A30 "$UMBRA_SANITIZER_RE" "$1" | head -60
        return 1
    fi
    return 0
}

umbra_check_log() { # NAME KIND FILE [debug]
    [ -f "$3" ] || return 0
    umbra_check_sanitizers "$3" || return 1
    if [ -n "$umbra_audit_dir" ]; then
        cat "$3" >> "$umbra_audit_dir/$1.log"
        grep -qx "$1.log	.*" "$umbra_audit_dir/manifest.tsv" 2>/dev/null ||
            printf '%s.log\t%s\t%s\n' "$1" "$2" "${4:-}" >> "$umbra_audit_dir/manifest.tsv"
    fi
    return 0
}

umbra_audit_secret() {
    [ -n "$umbra_audit_dir" ] || return 0
    printf '%s\n' "$@" >> "$umbra_audit_dir/ledger.txt"
}
