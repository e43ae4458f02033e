#!/bin/bash
# umbra-policy as a user runs it: check exits 0 on the examples and 1 with
# FILE:LINE on every broken fixture; explain prints text and JSON that agree
# with the use case; bad usage exits 2.
set -u
bin="$top_builddir/policy/umbra-policy"
pol="$top_srcdir/contrib/policies"
fix="$top_srcdir/tests/policy"
fails=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
# shellcheck source=../lib/audit.sh
. "$top_srcdir/tests/lib/audit.sh"
umbra_audit_init policy_cli

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# expect STATUS CMD...: runs CMD (behind UMBRA_WRAP), output in $out and
# $err; a sanitizer report in either fails, whatever the exit status.
expect() {
    local want=$1
    shift
    umbra_run "$@" >"$out" 2>"$err"
    local got=$?
    [ "$got" -eq "$want" ] || fail "exit $got, want $want: $* ($(head -c 300 "$err"))"
    umbra_check_log policy policy "$out" || fail "sanitizer report: $*"
    umbra_check_log policy policy "$err" || fail "sanitizer report: $*"
}

expect 0 "$bin" --version
grep -q "^umbra-policy [0-9]" "$out" || fail "--version printed: $(cat "$out")"

for f in "$pol"/*.json; do
    expect 0 "$bin" check "$f"
    grep -q "^$f: ok, rules: [1-9]" "$out" || fail "check $f printed: $(cat "$out")"
done
[ "$(ls "$pol"/7.*.json | wc -l)" -eq 7 ] || fail "want one example per use case 7.1-7.7"

# file and line of each broken fixture, read off the fixtures
while read -r name line phrase; do
    expect 1 "$bin" check "$fix/$name"
    grep -qF "$fix/$name:$line: " "$err" || fail "$name: want line $line, got: $(cat "$err")"
    grep -qF "$phrase" "$err" || fail "$name: want \"$phrase\", got: $(cat "$err")"
    [ ! -s "$out" ] || fail "$name: printed a result for a broken file: $(cat "$out")"
done <<'LIST'
bad-syntax.json 5 syntax error
bad-unknown-key.json 7 unknown key "relay_ony"
bad-wrong-type.json 7 must be true or false
bad-unknown-enum.json 7 unknown anonymity "anonymous"
bad-conflict.json 8 conflicts with the mandatory rule
LIST

# each file of a conflicting pair is fine alone, not together
expect 1 "$bin" check "$fix/conflict-a.json" "$fix/conflict-b.json"
grep -qF "$fix/conflict-b.json:7: mandatory rule conflicts with the mandatory rule at $fix/conflict-a.json:5" "$err" ||
    fail "conflict across files: $(cat "$err")"
grep -q "conflict-a.json: ok" "$out" || fail "conflict-a.json alone should be ok"

# explain, use case 7.6 (expected values read off the policy file)
f76="$pol/7.6-employee-untrusted-service.json"
ctx=(--service contact-list --call-model single-cs --destination trusted
    --caller-state identified --caller-org corp.example)
expect 0 "$bin" explain --policy "$f76" "${ctx[@]}"
grep -Eq '^relay_only +true' "$out" || fail "text: relay_only"
grep -Eq '^ice_delay_until_answer +false' "$out" || fail "text: ice_delay_until_answer"
grep -q "mandatory organisation rule $f76:[0-9]* (corp-idp)" "$out" || fail "text: corp-idp"
grep -q '^refused requests: 3' "$out" || fail "text: refused count: $(cat "$out")"
grep -q 'relay_only=false from callee rule' "$out" || fail "text: refused relay_only"

expect 0 "$bin" explain --policy "$f76" "${ctx[@]}" --json
idp_line=$(grep -n '"id": "corp-idp"' "$f76" | cut -d: -f1)
python3 - "$out" "$idp_line" <<'PY' || fail "json explanation"
import json, sys
j = json.load(open(sys.argv[1]))
d = j["decision"]
want = {"anonymity": "pseudonymous", "unlinkability": "granted", "relay_only": True,
        "ice_delay_until_answer": False, "fresh_dtls_per_call": True,
        "cname": "per-call-random", "origin_disclosure": "status-only",
        "org_domain_disclosure": False, "identity_assertion": "require",
        "log_retention_seconds": 0, "split_relays": False, "admit": True}
assert d == want, d
by = j["explanation"]["identity_assertion"]["set_by"]
assert by["source"] == "organisation" and by["mandatory"] is True, by
assert by["line"] == int(sys.argv[2]), by
assert [r["field"] for r in j["refused"]] == ["relay_only", "fresh_dtls_per_call", "cname"]
assert j["refused"][0]["by"]["source"] == "callee"
PY

# preferences sent with a call request take part, and bad ones are refused
prefs=$(mktemp)
echo '{"id": "no-origin", "set": {"origin_disclosure": "none"}}' >"$prefs"
expect 0 "$bin" explain --policy "$f76" "${ctx[@]}" --caller-prefs "$prefs" --json
python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); e=j["explanation"]["origin_disclosure"]; assert e["value"]=="none" and e["set_by"]["file"]=="<caller request>", e' "$out" ||
    fail "caller prefs"
echo '{"set": {"origin_disclosure": "hidden"}}' >"$prefs"
expect 1 "$bin" explain --policy "$f76" "${ctx[@]}" --callee-prefs "$prefs"
grep -qF '<callee request>: rule 1: unknown origin_disclosure "hidden"' "$err" || fail "bad prefs: $(cat "$err")"
rm -f "$prefs"

# a broken policy decides nothing
expect 1 "$bin" explain --policy "$f76" --policy "$fix/bad-wrong-type.json" "${ctx[@]}"
[ ! -s "$out" ] || fail "explain printed a decision with a broken policy"

# usage errors
expect 2 "$bin"
expect 2 "$bin" check
expect 2 "$bin" explain --policy "$f76" --service contact-list
expect 2 "$bin" explain --policy "$f76" "${ctx[@]}" --destination friends
grep -q 'unknown value "friends"' "$err" || fail "unknown destination message"

[ "$fails" -eq 0 ] || exit 1
echo "umbra-policy CLI: all checks passed"
