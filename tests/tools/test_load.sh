#!/bin/bash
# test_load.sh: parley-load, the load generator, against the real stack
# (xmpp-routerd, boshd, pollgw, http-filed): pairs chatting over TCP
# (SCRAM), over BOSH (PLAIN) and over XEP-0025 polling (SCRAM) deliver
# every message (sent = received, none lost, the JSON report parses and
# says so, polling also reports its polls), idle BOSH sessions stay online
# with a request held (boshd's control socket shows them), and the
# failures it must count are counted: a wrong password (auth), a closed
# port (connect), a wrong BOSH or polling path (http); bad options exit
# 100. With --reconnect, users whose session the administrator ends
# (parleyctl session kick, on the router's control socket) log in again
# over TCP, BOSH and polling, each loss counted once, and no message is
# lost or duplicated; --stats-file shows the counters during the run. The
# polling cases are skipped while pollgw is not built.
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
start_xmppd --gateway-socket "$T/router.sock" --control-socket "$T/router.ctl" || finish
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
DAEMON_LOGS+=("$T/load.err") # parley-load's own sanitizer reports, if any
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
assert_eq "... none duplicated, and the messages object agrees" "0 $sent $sent 0" \
	"$(json messages.duplicated) $(json messages.sent) $(json messages.received) $(json messages.lost)"
assert_eq "... no session lost, nothing refused, reset, resent" "0 0 0 0 0" \
	"$(json sessions_lost) $(json refused) $(json resets) $(json resent) $(json http_5xx)"

load --transport bosh --bosh-url "$BOSH_URL" --sasl plain -n 20 --ramp 200 \
	--scenario pairs --rate 100 --duration 2 --grace 1
assert_eq "BOSH pairs: exit 0" 0 "$?"
assert_eq "... 20 sessions connected" 20 "$(json connected)"
sent=$(json sent)
[ "$sent" != missing ] && [ "$sent" -ge 100 ] && ok "... about 200 messages sent ($sent)" ||
	fail "... messages sent" "$sent"
assert_eq "... every message received" "$sent" "$(json received)"
assert_eq "... none lost" 0 "$(json lost)"
assert_eq "... none duplicated" 0 "$(json duplicated)"

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

# ---- --reconnect and --stats-file ------------------------------------------
# live FIELD: a field of the live counters in $T/live.json (a number, or a
# string without its quotes); empty if there is none yet.
live() {
	sed -n -e "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" "$T/live.json" 2>/dev/null
}
# until_live FIELD VALUE SECONDS: polls the live counters until FIELD is at
# least VALUE (a number) or equals it (a string).
until_live() {
	local v deadline=$((SECONDS + $3))
	while [ $SECONDS -lt "$deadline" ]; do
		v=$(live "$1")
		case $v in
		"$2") return 0 ;;
		[0-9]*) case $2 in [0-9]*) [ "${v%.*}" -ge "$2" ] && return 0 ;; esac ;;
		esac
		sleep 0.1 # polling a file parley-load rewrites
	done
	return 1
}
kick() { "$PARLEYCTL" --control-socket "$T/router.ctl" session kick "$1@localhost" >>"$T/parleyctl.log" 2>&1; }
# reconnect_case NAME USERS KICKED... -- LOAD-OPTIONS: a pairs run with
# --reconnect in which the administrator ends the sessions of the users
# KICKED (load names) once the run is under way; each is lost once, logs
# in again, and every message arrives exactly once.
reconnect_case() {
	local name=$1 n=$2 u kicked=()
	shift 2
	while [ "$1" != -- ]; do kicked+=("$1"); shift; done
	shift
	rm -f "$T/live.json"
	load --scenario pairs --reconnect --stats-file "$T/live.json" -n "$n" \
		--ramp 200 --duration 5 --grace 2 "$@" &
	LOAD_PID=$!
	if until_live phase run 15; then
		ok "$name: --stats-file shows the run phase"
	else
		fail "$name: --stats-file shows the run phase" "$(cat "$T/live.json" 2>&1)"
	fi
	assert_eq "... $n online in the live counters" "$n" "$(live online)"
	sleep 1 # messages flowing
	for u in "${kicked[@]}"; do kick "$u" || fail "parleyctl session kick $u" "$(tail -n 2 "$T/parleyctl.log")"; done
	until_live relogins "${#kicked[@]}" 10 &&
		ok "... the ${#kicked[@]} kicked users are back online during the run" ||
		fail "... the kicked users are back online" "$(cat "$T/live.json")"
	wait "$LOAD_PID"
	assert_eq "... exit 0 (everyone online at the end, nothing lost)" 0 "$?"
	assert_eq "... sessions lost: one per kick" "${#kicked[@]}" "$(json sessions_lost)"
	assert_eq "... logged in again: as many" "${#kicked[@]}" "$(json relogins)"
	assert_eq "... $n online at the end" "$n" "$(json online_at_end)"
	local sent
	sent=$(json messages.sent)
	[ "$sent" != missing ] && [ "$sent" -ge 100 ] && ok "... messages sent ($sent)" ||
		fail "... messages sent" "$sent"
	# a kicked user's messages in flight when its session ended are
	# unsent: the client knows they did not get through
	assert_eq "... every one received, but those known unsent" "$sent" \
		"$(($(json messages.received) + $(json messages.unsent)))"
	assert_eq "... none lost" 0 "$(json messages.lost)"
	assert_eq "... none duplicated" 0 "$(json messages.duplicated)"
	assert_eq "... nothing refused" 0 "$(json refused)"
	assert_eq "... the last live counters agree with the report" "$(json sessions_lost)" "$(live sessions_lost)"
}
reconnect_case "TCP --reconnect" 20 load1 load2 -- --transport tcp --rate 50
reconnect_case "BOSH --reconnect" 20 load3 -- --transport bosh \
	--bosh-url "$BOSH_URL" --sasl plain --rate 50
if [ -x "$POLLGW" ]; then
	reconnect_case "polling --reconnect" 20 load6 -- --transport poll \
		--poll-url "$POLL_URL" --poll-interval 0.5 --poll-min-interval 0.2 --rate 30
else
	skip "polling --reconnect" "pollgw is not built ($POLLGW)"
fi

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
