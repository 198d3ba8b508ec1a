#!/bin/bash
# test_faults_load.sh: the whole stack under s6, as svc/make-run lays it
# (the fd holder when svc/ has one, http-filed, xmpp-routerd, boshd and
# pollgw, on free loopback ports, ready by s6-svwait -U), under steady
# load from three parley-load processes chatting in pairs with
# --reconnect: users on TCP, on BOSH and on XEP-0025 polling (sizes
# below; smaller under AddressSanitizer). Each daemon is restarted in turn
# (s6-svc -r), then killed in turn (s6-svc -k, SIGKILL); after each event
# the test waits until the daemon is ready again and the load tools' live
# counters (--stats-file) are still for 2 seconds with every user online,
# and takes the counters' deltas around the event. At the end the load
# tools stop (their grace time lets messages in flight arrive) and report
# which messages never arrived, by the second they were sent: each lost
# message is put in the row of the event whose window (from one second
# before it to one second before the next) holds its send time. The table
# is printed and saved to $BUILD_DIR/tests/faults-table.txt.
# Asserted: no connection refused at any event; no session lost at a
# planned restart of http-filed, boshd or pollgw (a planned restart of
# xmpp-routerd ends every session, since TCP connections cannot move
# between processes: reported, not asserted); no message duplicated; no
# message lost with no fault, at the planned restarts of http-filed,
# boshd and pollgw or at http-filed's SIGKILL (a client sends the same
# request again); every user online at the end. Reported, not asserted:
# messages lost at the router's planned restart (every session ends; what
# a client sends between the router's last read and its learning that the
# stream is over -- a polling client's next poll, a BOSH request already on
# its way -- has no session to go to) and at the SIGKILL of boshd, pollgw
# or xmpp-routerd (in flight in the killed process's memory: queued for a
# client's next request, or in a request the crash cut off). No
# acknowledgement between the router, the gateways and the clients
# (XEP-0198) covers them yet. Also
# counted: the lost messages that were still in the client's queue when
# its session ended (unsent: the server never saw them). And, separately,
# what the router acknowledged as stored is not lost to its SIGKILL: just
# before that kill a client sends messages to a user who is offline and
# waits for the answer to a ping behind them (the router stores a message
# before it reads the next stanza); after the restart the user logs in
# and must get every one, once.
# The scandir is stopped (s6-svscanctl -t) at the end, even on failure,
# and no process may be left in it; the service and load logs are scanned.
. "$(dirname "$0")/../lib.sh"
for _v in ${!BOSHD_@} ${!POLLGW_@} PARLEY_FDHOLDER; do unset "$_v"; done
TOP=$(cd "$(dirname "$0")/../.." && pwd)
. "$TOP/tests/svc/scandir.sh"
BOSHD=$BUILD_DIR/boshd/boshd
POLLGW=$BUILD_DIR/pollgw/pollgw
LOAD=$BUILD_DIR/bin/parley-load
need_binaries "$XMPPD" "$BOSHD" "$POLLGW" "$PARLEYCTL" "$LOAD" "$XMPP_CLIENT"
need_s6
command -v perl >/dev/null || skip_file "perl is needed to read parley-load's JSON report"

# ---- sizes: users and messages per second of each load tool --------------------
ASAN=
case $BUILD_DIR in *asan*) ASAN=1 ;; esac
[ -n "${ASAN_OPTIONS:-}" ] && ASAN=1
if [ -n "$ASAN" ]; then # the daemons and the load tools run 2-3 times slower
	N_TCP=100 N_BOSH=100 N_POLL=50 R_TCP=50 R_BOSH=30 R_POLL=15
else
	N_TCP=200 N_BOSH=200 N_POLL=100 R_TCP=100 R_BOSH=60 R_POLL=30
fi
LOADS="tcp bosh poll"
GRACE=5         # seconds the load tools wait for messages in flight at the end
SETTLE_MAX=30   # seconds an event may take to settle
STILL=2         # seconds the counters must stay still to call it settled
N_STORED=50     # messages stored offline before the router's SIGKILL
TABLE=$BUILD_DIR/tests/faults-table.txt

DB=$STATE/xmpp-routerd.db
SVCS="http-filed xmpp-routerd boshd pollgw"
STASH_SENT=
declare -A LOAD_PID=() LOAD_STATUS=()

# ---- the scandir, laid as svc/make-run lays it ----------------------------------
if [ -d "$TOP/svc/fdholder" ]; then
	for p in s6-fdholder-daemon s6-fdholder-store s6-fdholder-retrieve; do
		command -v "$p" >/dev/null || skip_file "$p is not installed (Debian package s6)"
	done
	[ -x "$BUILD_DIR/bin/parley-socket" ] || skip_file "parley-socket is not built"
	HOLDER=$STATE/fdholder.sock
	SVCS="fdholder $SVCS"
else
	echo "$TEST_FILE: svc/ has no fd holder: listening sockets close while a daemon restarts"
fi
HTTPD_PORT=$(pick_port)
XMPPD_PORT=$(pick_port)
mkdir -p "$T/www"
echo hello >"$T/www/hello.txt"
[ -z "$HOLDER" ] || lay_holder
lay_service http-filed
setenv http-filed HTTP_FILED_ADDRESS "$LOOPBACK"
setenv http-filed HTTP_FILED_PORT "$HTTPD_PORT"
setenv http-filed HTTP_FILED_ROOT "$T/www"
setenv http-filed HTTP_FILED_ROUTES "/http-bind=$STATE/boshd.sock /http-poll=$STATE/pollgw.sock"
lay_service xmpp-routerd
setenv xmpp-routerd XMPP_ROUTERD_DOMAIN localhost
setenv xmpp-routerd XMPP_ROUTERD_ADDRESS "$LOOPBACK"
setenv xmpp-routerd XMPP_ROUTERD_PORT "$XMPPD_PORT"
setenv xmpp-routerd XMPP_ROUTERD_DB "$DB"
setenv xmpp-routerd XMPP_ROUTERD_GATEWAY_SOCKET "$STATE/router.sock"
setenv xmpp-routerd XMPP_ROUTERD_CONTROL_SOCKET "$STATE/xmpp-routerd.ctl"
lay_service boshd
setenv boshd BOSHD_SOCKET "$STATE/boshd.sock"
setenv boshd BOSHD_ROUTER "$STATE/router.sock"
setenv boshd BOSHD_DOMAIN localhost
setenv boshd BOSHD_STATE_DIR "$STATE/boshd"
lay_service pollgw
setenv pollgw POLLGW_SOCKET "$STATE/pollgw.sock"
setenv pollgw POLLGW_ROUTER "$STATE/router.sock"
setenv pollgw POLLGW_DOMAIN localhost
setenv pollgw POLLGW_STATE_DIR "$STATE/pollgw"
setenv pollgw POLLGW_MIN_INTERVAL 200 # parley-load is told (--poll-min-interval)
mkdir -p "$STATE/boshd" "$STATE/pollgw"

# users user1..userN (TCP first, then BOSH, then polling), and for the
# stored-message check a sender and an offline recipient
N_ALL=$((N_TCP + N_BOSH + N_POLL))
{
	seq 1 "$N_ALL" | sed 's/.*/user& secret/'
	echo "stasher secret"
	echo "stash secret"
} | "$PARLEYCTL" --db "$DB" user import >>"$T/parleyctl.log" 2>&1 ||
	{ fail "parleyctl user import" "$(cat "$T/parleyctl.log")"; finish; }

# ---- s6 ------------------------------------------------------------------------
# loads_kill: any load tool still running is stopped (after a failure).
loads_kill() {
	local k
	for k in "${!LOAD_PID[@]}"; do
		proc_has_exited "${LOAD_PID[$k]}" || kill -KILL "${LOAD_PID[$k]}" 2>/dev/null
		wait "${LOAD_PID[$k]}" 2>/dev/null
	done
	LOAD_PID=()
}
# teardown: the load tools and clients, then the whole tree down
# (s6-svscanctl -t); nothing may be left running in the run directory.
# Does nothing the second time.
teardown() {
	[ -n "$SVSCAN_PID" ] || return 0
	local p
	loads_kill
	[ -z "${CLIENT_PID_stasher:-}" ] || { client_stop stasher; CLIENT_PID_stasher=; }
	[ -z "${CLIENT_PID_stash:-}" ] || { client_stop stash; CLIENT_PID_stash=; }
	scandir_stop
	for p in $LOADS; do
		[ -f "$T/load-$p.err" ] && cp "$T/load-$p.err" "$T/parley-load-$p.log" &&
			DAEMON_LOGS+=("$T/parley-load-$p.log")
	done
}

T0=$(now_ms)
scandir_start
# shellcheck disable=SC2086 # the list of services
scandir_ready 20 $SVCS || end
ok "s6: $SVCS up and ready ($(($(now_ms) - T0)) ms)"

# ---- the load ------------------------------------------------------------------
# live_read LOAD: that load tool's live counters (one flat JSON line,
# rewritten whole) into LIVE_LOAD_FIELD variables, without a fork (the
# test reads them several times a second on two busy cores).
live_read() {
	local line part key val
	read -r line <"$T/load-$1.live" 2>/dev/null || return 0
	line=${line#\{}
	line=${line%\}}
	IFS=, read -ra parts <<<"$line"
	for part in "${parts[@]}"; do
		key=${part%%:*} val=${part#*:}
		key=${key//\"/} val=${val//\"/}
		printf -v "LIVE_$1_$key" %s "$val"
	done
}
# live LOAD FIELD: one of them, read afresh; 0 if absent.
live() {
	local v
	live_read "$1"
	v=LIVE_$1_$2
	echo "${!v:-0}"
}
# json LOAD FIELD: a field of that load tool's final report (a.b for
# nested ones), "missing" if absent; jnum: the same, 0 if absent.
json() {
	perl -MJSON::PP -e 'local $/; my $j = eval { decode_json(<STDIN>) } || {};
		my $v = $j; $v = ref $v ? $v->{$_} : undef for split /\./, $ARGV[0];
		print defined $v ? $v : "missing"' "$2" <"$T/load-$1.json"
}
jnum() {
	local v
	v=$(json "$1" "$2")
	case $v in [0-9]*) echo "$v" ;; *) echo 0 ;; esac
}
# load_start LOAD USERS FIRST RATE OPTIONS...: one parley-load in pairs
# with --reconnect, running until SIGTERM.
load_start() {
	local name=$1 n=$2 first=$3 rate=$4
	shift 4
	"$LOAD" -H "$LOOPBACK" -p "$XMPPD_PORT" -D localhost --sasl plain \
		-P secret --json --scenario pairs --reconnect -n "$n" --first "$first" \
		--rate "$rate" --ramp 200 --max-pending 100 --timeout 20 \
		--duration 100000 --grace "$GRACE" --stats-file "$T/load-$name.live" \
		"$@" >"$T/load-$name.json" 2>"$T/load-$name.err" &
	LOAD_PID[$name]=$!
	eval "N_$name=$n"
}
users_of() { eval "echo \$N_$1"; }
BOSH_URL=$(url /http-bind/)
POLL_URL=$(url /http-poll/)
load_start tcp "$N_TCP" 1 "$R_TCP"
load_start bosh "$N_BOSH" $((N_TCP + 1)) "$R_BOSH" --transport bosh \
	--bosh-url "$BOSH_URL" --wait 20
load_start poll "$N_POLL" $((N_TCP + N_BOSH + 1)) "$R_POLL" --transport poll \
	--poll-url "$POLL_URL" --poll-interval 1 --poll-min-interval 0.2
in_run() { [ "$(live "$1" phase)" = run ] || [ "$(live "$1" phase)" = grace ]; }
for k in $LOADS; do
	if until_ok 60 in_run "$k"; then
		assert_eq "load $k: all $(users_of "$k") users online after the ramp" \
			"$(users_of "$k")" "$(live "$k" online)"
	else
		fail "load $k: the ramp ends" "$(cat "$T/load-$k.live" 2>&1); $(tail -n 5 "$T/load-$k.err")"
		end
	fi
done
echo "$TEST_FILE: load under way at $(($(now_ms) - T0)) ms: $N_TCP TCP users ($R_TCP msg/s), $N_BOSH BOSH ($R_BOSH msg/s), $N_POLL polling ($R_POLL msg/s)"

# ---- snapshots of the live counters ------------------------------------------------
FIELDS="refused resets http_5xx sessions_lost relogins relogin_attempts resent failed duplicated unsent sent"
# snap PREFIX: the live counters of every load tool, fresh (SIGUSR1 makes
# each write them at once), into PREFIX_LOAD_FIELD variables.
snap() {
	local k f v
	for k in $LOADS; do kill -USR1 "${LOAD_PID[$k]}" 2>/dev/null; done
	sleep 0.2 # each writes its file as the signal comes
	for k in $LOADS; do
		live_read "$k"
		for f in $FIELDS online; do
			v=LIVE_${k}_$f
			printf -v "$1_${k}_$f" %s "${!v:-0}"
		done
	done
}
# delta FIELD [LOAD]: after - before, summed over the loads (or one).
delta() {
	local k n=0 a b
	for k in ${2:-$LOADS}; do
		a=A_${k}_$1 b=B_${k}_$1
		n=$((n + ${!a} - ${!b}))
	done
	echo "$n"
}
# signature: reads the live counters; SIG is what changes while the
# users are still coming back, ALL_ONLINE 1 if every user of every load
# is online.
signature() {
	local k f v n
	SIG= ALL_ONLINE=1
	for k in $LOADS; do
		live_read "$k"
		for f in sessions_lost relogins relogin_attempts resent failed refused resets http_5xx; do
			v=LIVE_${k}_$f
			SIG+="${!v} "
		done
		v=LIVE_${k}_online n=N_$k
		[ "${!v}" = "${!n}" ] || ALL_ONLINE=
	done
}
# settle: waits until every user is online and the counters stay still for
# STILL seconds (SETTLE_MAX at most); SETTLED_MS is when that began,
# relative to EV_T0 (0 if it never did).
settle() {
	local last= since now deadline=$(($(now_ms) + SETTLE_MAX * 1000)) k
	SETTLED_MS=0
	while now=$(now_ms) && [ "$now" -lt "$deadline" ]; do
		for k in $LOADS; do kill -USR1 "${LOAD_PID[$k]}" 2>/dev/null; done
		sleep 0.25 # the counters as they are now, then compared
		signature
		if [ "$SIG" != "$last" ] || [ -z "$ALL_ONLINE" ]; then
			last=$SIG
			since=$now
		elif [ $((now - since)) -ge $((STILL * 1000)) ]; then
			SETTLED_MS=$((since - EV_T0))
			return 0
		fi
	done
	return 1
}

# ---- the stored-message check around the router's SIGKILL ------------------------------
# stash_send: the sender sends N_STORED messages to stash@localhost, who
# has never logged in, then a ping: its answer comes after the router has
# stored them all.
stash_send() {
	local i
	client_start stasher stasher@localhost/s secret ||
		{ fail "the stored-message sender logs in" "$(cat "$T/stasher.out" "$T/stasher.err")"; return 1; }
	STASH_SENT=1
	for i in $(seq 1 "$N_STORED"); do
		client_cmd stasher "send <message to='stash@localhost' type='chat' id='s$i'><body>stored-$i.</body></message>"
	done
	if client_sync stasher; then
		ok "router -k: $N_STORED messages to an offline user acknowledged (a ping answered behind them)"
	else
		fail "router -k: messages to an offline user acknowledged" "$(tail -n 3 "$T/stasher.out")"
	fi
}
# stash_count: stash logs in after the restart; every stored message must
# arrive, once.
stash_count() {
	local got uniq
	[ -n "$STASH_SENT" ] || return 0
	client_stop stasher
	CLIENT_PID_stasher=
	client_start stash stash@localhost/r secret ||
		{ fail "router -k: the offline user logs in after the restart" "$(cat "$T/stash.out")"; return; }
	client_cmd stash presence
	client_wait stash "stored-$N_STORED\\." 10000 >/dev/null
	sleep 0.5 # duplicates, if any, come right behind
	got=$(grep -o 'stored-[0-9]*\.' "$T/stash.out" | wc -l)
	uniq=$(grep -o 'stored-[0-9]*\.' "$T/stash.out" | sort -u | wc -l)
	STORED_RESULT="$uniq of $N_STORED delivered, $((got - uniq)) duplicated"
	assert_eq "router -k: every message stored offline before the kill is delivered after it, once" \
		"$N_STORED $N_STORED" "$uniq $got"
	client_stop stash
	CLIENT_PID_stash=
}

# ---- the events ---------------------------------------------------------------------
EVENTS=()
ROWS=()
declare -A EV_UNIX=() EV_SESS=() EV_DUP=() EV_REF=()
sleep 2 # a stretch with no fault: the "before" row
for sig in r k; do
	for s in http-filed boshd pollgw xmpp-routerd; do
		ev="$s -$sig"
		EVENTS+=("$ev")
		[ "$ev" = "xmpp-routerd -k" ] && stash_send
		snap B
		EV_T0=$(now_ms)
		EV_UNIX[$ev]=$(date +%s.%N)
		pid=$(svc_pid "$s")
		s6-svc "-$sig" "$SCAN/$s"
		if svc_up_again "$s" "$pid"; then
			up_ms=$(($(now_ms) - EV_T0))
		else
			up_ms=never
			fail "$ev: s6 starts a new $s, ready" "$(s6-svstat "$SCAN/$s"); $(svc_log "$s" | tail -n 5)"
		fi
		if settle; then settled=$SETTLED_MS; else settled=no; fi
		[ "$settled" = no ] &&
			fail "$ev: every user back online and the counters still within $SETTLE_MAX s" \
				"$(for k in $LOADS; do echo "$k: $(cat "$T/load-$k.live")"; done)"
		snap A
		[ "$ev" = "xmpp-routerd -k" ] && stash_count
		EV_REF[$ev]=$(delta refused)
		EV_SESS[$ev]=$(delta sessions_lost)
		EV_DUP[$ev]=$(delta duplicated)
		ROWS+=("$ev|$(delta refused)|$(delta resets)|$(delta http_5xx)|$(delta sessions_lost)|$(delta sessions_lost tcp)/$(delta sessions_lost bosh)/$(delta sessions_lost poll)|$(delta resent)|$(delta unsent)|$(delta duplicated)|$up_ms|$settled")
		echo "$TEST_FILE: $ev at $(date -d "@${EV_UNIX[$ev]}" +%T.%N | cut -c1-12) (done in $(($(now_ms) - EV_T0)) ms): up in $up_ms ms, settled at $settled ms: refused $(delta refused), resets $(delta resets), HTTP 5xx $(delta http_5xx), sessions lost $(delta sessions_lost), resent $(delta resent)"
	done
done
sleep 1 # messages after the last event
END_UNIX=$(date +%s.%N)

# ---- the end of the load: the grace time, then the reports ----------------------------
for k in $LOADS; do kill -TERM "${LOAD_PID[$k]}" 2>/dev/null; done
for k in $LOADS; do
	if wait_exit "${LOAD_PID[$k]}" $((GRACE + 20)); then
		LOAD_STATUS[$k]=$WAIT_STATUS
	else
		LOAD_STATUS[$k]=hung
		kill -KILL "${LOAD_PID[$k]}" 2>/dev/null
	fi
	unset "LOAD_PID[$k]"
done
for k in $LOADS; do
	if perl -MJSON::PP -e 'local $/; decode_json(<STDIN>)' <"$T/load-$k.json" 2>/dev/null; then
		assert_eq "load $k: all $(users_of "$k") users online at the end" \
			"$(users_of "$k")" "$(json "$k" online_at_end)"
	else
		fail "load $k: a JSON report" "exit ${LOAD_STATUS[$k]}: $(head -c 300 "$T/load-$k.json"); $(tail -n 5 "$T/load-$k.err")"
	fi
done

# lost messages by event: each second listed in lost_by_second goes to the
# event whose window holds it (one second before the event up to one
# second before the next; before the first event: "no fault")
declare -A LOST=()
lost_lines() { # LOAD: "SECOND COUNT" lines of its report
	perl -MJSON::PP -e 'local $/; my $j = eval { decode_json(<STDIN>) } || {};
		my $l = $j->{lost_by_second} || {};
		print "$_ $l->{$_}\n" for sort keys %$l' <"$T/load-$1.json"
}
window_of() { # SECOND: the event it falls in
	local ev w=none
	for ev in "${EVENTS[@]}"; do
		[ "$1" -ge $((${EV_UNIX[$ev]%.*} - 1)) ] && w=$ev
	done
	echo "$w"
}
LOST_TOTAL=0 SENT_TOTAL=0 RECEIVED_TOTAL=0 DUP_TOTAL=0 LOST_OTHER=0
for k in $LOADS; do
	SENT_TOTAL=$((SENT_TOTAL + $(jnum "$k" messages.sent)))
	RECEIVED_TOTAL=$((RECEIVED_TOTAL + $(jnum "$k" messages.received)))
	DUP_TOTAL=$((DUP_TOTAL + $(jnum "$k" messages.duplicated)))
	LOST_TOTAL=$((LOST_TOTAL + $(jnum "$k" messages.lost)))
	while read -r sec n; do
		[ -n "$sec" ] || continue
		if [ "$sec" = other ]; then LOST_OTHER=$((LOST_OTHER + n)); continue; fi
		w=$(window_of "$sec")
		LOST[$w]=$((${LOST[$w]:-0} + n))
	done < <(lost_lines "$k")
done

# ---- the table ---------------------------------------------------------------------
{
	echo "Parley under load: $N_TCP TCP users ($R_TCP msg/s), $N_BOSH BOSH ($R_BOSH msg/s), $N_POLL polling ($R_POLL msg/s), pairs, parley-load --reconnect${ASAN:+ (AddressSanitizer build)}; fd holder: $([ -n "$HOLDER" ] && echo yes || echo no)"
	fmt='%-16s %7s %6s %8s %8s %13s %7s %9s %7s %10s %6s %8s\n'
	# shellcheck disable=SC2059
	{
		printf "$fmt" event refused resets "HTTP 5xx" sessions "" resent messages "" \
			duplicated up settled
		printf "$fmt" "" "" "" "" lost "tcp/bosh/poll" "" lost unsent "" ms ms
		printf "$fmt" "(no fault)" - - - - - - "${LOST[none]:-0}" - - - -
		for r in "${ROWS[@]}"; do
			IFS='|' read -r ev ref rst h5 sl slk rs us dup up st <<<"$r"
			printf "$fmt" "$ev" "$ref" "$rst" "$h5" "$sl" "$slk" "$rs" \
				"${LOST[$ev]:-0}" "$us" "$dup" "$up" "$st"
		done
	}
	other=
	[ "$LOST_OTHER" = 0 ] || other=" ($LOST_OTHER not placed in time)"
	echo "messages: $SENT_TOTAL sent, $RECEIVED_TOTAL received, $LOST_TOTAL lost$other, $DUP_TOTAL duplicated"
	echo "messages lost are counted at the end (after a ${GRACE} s grace time) and placed by the second they were sent:"
	echo "  an event's row holds those sent from 1 s before it to 1 s before the next event; unsent (not lost):"
	echo "  messages the client knows did not get through: still in its queue when its session ended, or in the"
	echo "  poll whose answer ended the session (the gateway had no stream left to give them to)."
	echo "stored offline before the router's SIGKILL: ${STORED_RESULT:-not measured}"
	echo "refused: connects refused (ECONNREFUSED); resets: ECONNRESET; HTTP 5xx: answers to BOSH and polling requests;"
	echo "  resent: BOSH and polling requests sent again (same rid / same key) after a network error or a 5xx;"
	echo "  sessions lost: sessions that ended after login (the user then logs in again); up: the daemon ready again;"
	echo "  settled: every user online and the counters still for ${STILL} s after that."
} >"$T/table"
mkdir -p "$(dirname "$TABLE")"
cp "$T/table" "$TABLE"
cat "$T/table"

# ---- the targets ---------------------------------------------------------------------
for ev in "${EVENTS[@]}"; do
	assert_eq "$ev: no connection refused" 0 "${EV_REF[$ev]}"
	case $ev in
	"http-filed -r" | "boshd -r" | "pollgw -r")
		assert_eq "$ev: no session lost" 0 "${EV_SESS[$ev]}" ;;
	esac
done
assert_eq "no message duplicated (in all)" 0 "$DUP_TOTAL"
# lost: none with no fault, at a planned restart or when http-filed is
# killed (clients send the same request again); none at a gateway's
# SIGKILL either (the target, though what is in flight through the killed
# gateway is at stake); the router's SIGKILL is only reported.
planned=$((${LOST[none]:-0} + LOST_OTHER))
for ev in "http-filed -r" "boshd -r" "pollgw -r" "http-filed -k"; do
	planned=$((planned + ${LOST[$ev]:-0}))
done
assert_eq "no message lost with no fault, at the planned restarts of http-filed, boshd and pollgw, or when http-filed is killed" 0 "$planned"
echo "$TEST_FILE: lost at the router's planned restart (every session ends; not asserted): ${LOST[xmpp-routerd -r]:-0}"
echo "$TEST_FILE: lost at the gateways' SIGKILL (in flight in the killed process, not asserted): boshd ${LOST[boshd -k]:-0}, pollgw ${LOST[pollgw -k]:-0}"
lost_elsewhere=$planned
echo "$TEST_FILE: lost in all: $LOST_TOTAL, of which at the router's SIGKILL (not asserted): ${LOST[xmpp-routerd -k]:-0}"
[ "$lost_elsewhere" = 0 ] || for k in $LOADS; do
	echo "$TEST_FILE: load $k lost_by_second: $(lost_lines "$k" | tr '\n' ' ')"
	grep -m 5 'failure' "$T/load-$k.err"
done
for s in $SVCS; do
	grep -Eqi 'fatal|assert' "$SCAN/$s/log/main/current" &&
		fail "no fatal errors in $s's log" "$(grep -Ei -m 5 'fatal|assert' "$SCAN/$s/log/main/current")"
done
echo "$TEST_FILE: $(($(now_ms) - T0)) ms; the table is in $TABLE"
end
