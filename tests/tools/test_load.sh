#!/bin/bash
# test_load.sh: parley-load, the load generator, against the real stack
# (xmpp-routerd, boshd, pollgw, http-filed): pairs chatting over TCP
# (SCRAM), over BOSH (PLAIN) and over XEP-0025 polling (SCRAM) deliver
# every message (sent = received, none lost, the JSON report parses and
# says so, polling also reports its polls), idle BOSH sessions stay online
# with a request held (boshd's control socket shows them), and the
# failures it must count are counted: a wrong password (auth), a closed
# port (connect), a wrong BOSH or polling path (http); bad options exit
# 100. The polling cases are skipped while pollgw is not built.
. "$(dirname "$0")/../lib.sh"
for _v in ${!BOSHD_@} ${!POLLGW_@}; do unset "$_v"; done
BOSHD=$BUILD_DIR/boshd/boshd
POLLGW=$BUILD_DIR/pollgw/pollgw
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
routes=(--route "/http-bind=$T/boshd.sock")
if [ -x "$POLLGW" ]; then
	# answers to one session at least 200 ms apart (parley-load is told)
	fifo=$T/ready.pollgw
	mkfifo "$fifo"
	"$POLLGW" -d 3 --socket "$T/pollgw.sock" --router "$T/router.sock" \
		--min-interval 200 </dev/null >>"$T/pollgw.log" 2>&1 3>"$fifo" &
	POLLGW_PID=$!
	DAEMON_PIDS+=("$POLLGW_PID")
	DAEMON_LOGS+=("$T/pollgw.log")
	wait_ready "$fifo" "$POLLGW_PID" 10 ||
		{ fail "pollgw starts" "$(cat "$T/pollgw.log")"; finish; }
	routes+=(--route "/http-poll=$T/pollgw.sock")
fi
start_httpd "${routes[@]}" || finish
BOSH_URL=$(url /http-bind/)
POLL_URL=$(url /http-poll/)

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

# pairs over XEP-0025 polling: stanzas go with the next request, answers
# bring what is queued; every message arrives by the end of the grace time;
# more than 32 requests per user: the key sequence is renewed (K(1) with
# the next sequence's first key) and pollgw takes it
if [ -x "$POLLGW" ]; then
	load --transport poll --poll-url "$POLL_URL" --poll-interval 0.5 \
		--poll-min-interval 0.2 -n 20 --ramp 200 --scenario pairs \
		--rate 50 --duration 6 --grace 3
	assert_eq "polling pairs: exit 0" 0 "$?"
	assert_eq "... the report names the transport" poll "$(json transport)"
	assert_eq "... 20 sessions connected" 20 "$(json connected)"
	assert_eq "... 20 online at the end" 20 "$(json online_at_end)"
	sent=$(json sent)
	[ "$sent" != missing ] && [ "$sent" -ge 150 ] &&
		ok "... about 300 messages sent ($sent)" || fail "... messages sent" "$sent"
	assert_eq "... every message received" "$sent" "$(json received)"
	assert_eq "... none lost" 0 "$(json lost)"
	assert_eq "... no failure" 0 "$(json failed)"
	polls=$(json polls) run=$(json polls_run) rate=$(json polls_per_s)
	# 20 users polling every 0.5 s for 6 s make 240 regular polls, and
	# requests with data and quick polls after data come on top; the login's
	# are not in the run's
	[ "$run" != missing ] && [ "$run" -ge 240 ] && [ "$polls" -gt "$run" ] &&
		ok "... polls counted ($polls, $run in the run)" ||
		fail "... polls counted" "polls $polls, in the run $run"
	[ "$polls" != missing ] && [ "$polls" -gt $((20 * 32)) ] &&
		ok "... over 32 requests per user on average: key sequences renewed" ||
		fail "... more than 32 requests per user" "$polls in all"
	assert_match "... polls per second reported" '^[1-9][0-9]*(\.[0-9]+)?$' "$rate"
	assert_match "... late answers reported" '^[0-9]+$' "$(json polls_late)"
	load --transport poll --poll-url "$(url /no-such-path/)" -n 2 --duration 0
	assert_eq "a wrong polling URL: exit 1" 1 "$?"
	assert_eq "... counted as http failures" 2 "$(json failures.http)"
	"$LOAD" -P x -t poll --poll-interval 0 >/dev/null 2>&1
	assert_eq "a polling interval of 0: exit 100" 100 "$?"
else
	skip "polling pairs" "pollgw is not built ($POLLGW)"
fi

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
