#!/bin/bash
# The built umbra-relay and umbra-broker carry the hardening that configure
# turns on by default (m4/umbra_hardening.m4), read from the ELF files with
# readelf (binutils):
#   stack protector  __stack_chk_fail is imported
#   FORTIFY          some __*_chk function of glibc is imported
#   full RELRO       a GNU_RELRO segment, and BIND_NOW (the BIND_NOW tag,
#                    FLAGS BIND_NOW or FLAGS_1 NOW) in the dynamic section
#   PIE              ELF type DYN with FLAGS_1 PIE
# A build configured with --disable-hardening fails here, by design.
# In a sanitizer build configure leaves FORTIFY off (see configure.ac), so
# FORTIFY is reported as not checked there and only there; contrib/test.sh
# runs this test in the plain build as well, where it is checked.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir/build}
command -v readelf > /dev/null || { echo "FAIL: readelf not found (Debian package binutils)"; exit 1; }
bad=0
fail() {
    echo "FAIL: $*"
    bad=1
}

# sanitized FILE: built with AddressSanitizer (gcc links libasan, clang
# links its runtime in statically).
sanitized() {
    readelf -dW "$1" | grep -q 'NEEDED.*\[libasan\.so' || readelf -sW "$1" | grep -q ' __asan_init$'
}

# check FILE: each property of one program, one line each.
check() {
    local f=$1 name dyn imports chk
    name=$(basename "$f")
    [ -f "$f" ] || { fail "$name: $f is not built"; return; }
    dyn=$(readelf -dW "$f") || { fail "$name: readelf -d failed"; return; }
    imports=$(readelf --dyn-syms -W "$f" | awk '$7 == "UND" { sub(/@.*/, "", $8); print $8 }')

    if grep -qx '__stack_chk_fail' <<< "$imports"; then
        echo "ok   $name: stack protector (imports __stack_chk_fail)"
    else
        fail "$name: no stack protector (__stack_chk_fail not imported; -fstack-protector-strong)"
    fi

    chk=$(grep -E '^__[a-z0-9_]+_chk$' <<< "$imports" | grep -vx '__stack_chk_fail' | tr '\n' ' ' | sed 's/ $//')
    if [ -n "$chk" ]; then
        echo "ok   $name: FORTIFY (imports $(wc -w <<< "$chk") checked functions: $chk)"
    elif sanitized "$f"; then
        echo "skip $name: FORTIFY not checked: a sanitizer build leaves it off (configure.ac)"
    else
        fail "$name: no FORTIFY (no __*_chk function imported; -D_FORTIFY_SOURCE with -O1 or more)"
    fi

    if readelf -lW "$f" | grep -q '^ *GNU_RELRO ' &&
        grep -Eq '\(BIND_NOW\)|\(FLAGS\) .*BIND_NOW|\(FLAGS_1\) .*Flags:.* NOW( |$)' <<< "$dyn"; then
        echo "ok   $name: full RELRO (GNU_RELRO segment, BIND_NOW)"
    else
        fail "$name: no full RELRO (GNU_RELRO segment and BIND_NOW; -Wl,-z,relro -Wl,-z,now)"
    fi

    if readelf -hW "$f" | grep -Eq '^ *Type: +DYN ' &&
        grep -Eq '\(FLAGS_1\) .*Flags:.* PIE( |$)' <<< "$dyn"; then
        echo "ok   $name: PIE (type DYN, FLAGS_1 PIE)"
    else
        fail "$name: not PIE (ELF type DYN with FLAGS_1 PIE; -fPIE -pie)"
    fi
}

check "$top_builddir/relay/umbra-relay"
check "$top_builddir/broker/umbra-broker"
exit $bad
