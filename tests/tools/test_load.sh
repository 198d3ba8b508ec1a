#!/bin/bash
# test_load.sh: parley-load, the load generator, against the real stack
# (xmpp-routerd, boshd, http-filed): pairs chatting over TCP (SCRAM) and
# over BOSH (PLAIN) deliver every message (sent = received, none lost, the
# JSON report parses and says so), idle BOSH sessions stay online with a
# request held (boshd's control socket shows them), and the failures it
# must count are counted: a wrong password (auth), a closed port (connect),
# a wrong BOSH path (http); bad options exit 100.
. "$(dirname "$0")/../lib.sh"
for _v in ${!BOSHD_@}; do unset "$_v"; done
BOSHD=$BUILD_DIR/boshd/boshd
LOAD=$BUILD_DIR/bin/parley-load
need_binaries "$XMPPD" "$PARLEYCTL" "$BOSHD" "$LOAD"
command -v perl >/dev/null || skip_file "perl is needed to read the JSON report"

make_docroot
seq 1 40 | sed 's/.*/load& secret/' |
	"$PARLEYCTL" --db "$T/xmpp.db" user import 2>>"$T/parleyctl.log" ||
	fail "parleyctl user import" "$(cat "$T/parleyctl.log")"
XMPPD_DB=$T/xmpp.db
start_xmppd --gateway-socket "$T/router.sock" || finish
fifo=$T/ready.boshd
mkfifo "$fifo"
"$BOSHD" -d 3 --socket "$T/boshd.sock" --router "$T/router.sock" \
	--control-socket "$T/boshd.ctl" </dev/null >>"$T/boshd.log" 2>&1 3>"$fifo" &
BOSHD_PID=$!
DAEMON_PIDS+=("$BOSHD_PID")
DAEMON_LOGS+=("$T/boshd.log")
wait_ready "$fifo" "$BOSHD_PID" 10 || { fail "boshd starts" "$(cat "$T/boshd.log")"; finish; }
start_httpd --route "/http-bind=$T/boshd.sock" || finish
BOSH_URL=$(url /http-bind/)

# json FIELD: the number FIELD of the JSON report in $T/load.json.
json() {
	perl -MJSON::PP -e 'local $/; my $j = decode_json(<STDIN>);
		my $v = $j; $v = $v->{$_} for split /\./, $ARGV[0];
		print defined $v ? $v : "missing"' "$1" <"$T/load.json"
}
load() { "$LOAD" -H "$LOOPBACK" -p "$XMPPD_PORT" -D localhost --json \
	--user-pattern 'load%d' -P secret --timeout 10 "$@" >"$T/load.json" 2>>"$T/load.err"; }

load --transport tcp --sasl scram-sha-1 -n 20 --ramp 200 --scenario pairs \
	--rate 100 --duration 2 --grace 1
assert_eq "TCP pairs: exit 0" 0 "$?"
perl -MJSON::PP -e 'local $/; decode_json(<STDIN>)' <"$T/load.json" 2>/dev/null &&
	ok "... the report is one JSON object" || fail "... the report is JSON" "$(cat "$T/load.json")"
assert_eq "... 20 sessions connected" 20 "$(json connected)"
sent=$(json sent)
[ "$sent" != missing ] && [ "$sent" -ge 100 ] && ok "... about 200 messages sent ($sent)" ||
	fail "... messages sent" "$sent"
assert_eq "... every one received" "$sent" "$(json received)"
assert_eq "... none lost" 0 "$(json lost)"

load --transport bosh --bosh-url "$BOSH_URL" --sasl plain -n 20 --ramp 200 \
	--scenario pairs --rate 100 --duration 2 --grace 1
assert_eq "BOSH pairs: exit 0" 0 "$?"
assert_eq "... 20 sessions connected" 20 "$(json connected)"
sent=$(json sent)
[ "$sent" != missing ] && [ "$sent" -ge 100 ] && ok "... about 200 messages sent ($sent)" ||
	fail "... messages sent" "$sent"
assert_eq "... every message received" "$sent" "$(json received)"
assert_eq "... none lost" 0 "$(json lost)"

# idle BOSH: each session keeps a request held; boshd lists them meanwhile
load --transport bosh --bosh-url "$BOSH_URL" --sasl plain -n 10 --first 21 \
	--ramp 100 --scenario idle --duration 4 --wait 2 &
LOAD_PID=$!
listed=0
for _ in $(seq 1 60); do
	listed=$("$PARLEYCTL" --bosh-control-socket "$T/boshd.ctl" --tsv bosh list 2>/dev/null |
		awk -F'\t' 'NR > 1 && $4 >= 1' | wc -l)
	[ "$listed" -ge 10 ] && break
	sleep 0.1 # polling boshd's session list
done
assert_eq "idle BOSH: boshd holds a request for each of the 10 sessions" 10 "$listed"
wait "$LOAD_PID"
assert_eq "... exit 0 after its duration (wait 2 s: re-polled twice)" 0 "$?"
assert_eq "... 10 connected" 10 "$(json connected)"

load --transport tcp -n 3 --password wrong --ramp 100 --duration 0
assert_eq "a wrong password: exit 1" 1 "$?"
assert_eq "... counted as auth failures" 3 "$(json failures.auth)"
closed=$(pick_port)
"$LOAD" -H "$LOOPBACK" -p "$closed" -P secret -n 2 --json --duration 0 \
	>"$T/load.json" 2>>"$T/load.err"
assert_eq "a closed port: exit 1" 1 "$?"
assert_eq "... counted as connect failures" 2 "$(json failures.connect)"
load --transport bosh --bosh-url "$(url /no-such-path/)" -n 2 --duration 0
assert_eq "a wrong BOSH URL: exit 1" 1 "$?"
assert_eq "... counted as http failures" 2 "$(json failures.http)"
"$LOAD" --users -5 -P x >/dev/null 2>&1
assert_eq "a bad option value: exit 100" 100 "$?"
"$LOAD" -n 2 >/dev/null 2>&1
assert_eq "no password: exit 100" 100 "$?"
finish
