#!/bin/bash
# test_bosh_handover.sh: a planned restart of boshd loses no session
# (PROTOCOL.md 8.7, 9.7; common/HANDOVER.md). alice is logged in over BOSH
# (curl) with a request held; bob over TCP (libstrophe). boshd gets
# SIGTERM: the held request is answered with an empty body (not a
# terminate), the router keeps alice's stream, boshd writes its sessions to
# --state-dir and exits; a new boshd on the same socket and state dir takes
# the same instance tag and the session over. alice goes on with her next
# rid and her sid: messages bob sent before, during and after the restart
# all arrive, once each, and alice is never seen offline by bob. Then the
# bad cases: without --state-dir the session ends (system-shutdown); a
# malformed or truncated hand-over file is ignored with a log line; a
# successor that comes after the router's --handover-grace finds the
# stream gone and ends the session cleanly (terminate), and the messages
# the router held for it are stored offline, not lost.
. "$(dirname "$0")/../lib.sh"
for _v in ${!BOSHD_@}; do unset "$_v"; done
BOSHD=$BUILD_DIR/boshd/boshd
need_binaries "$XMPPD" "$PARLEYCTL" "$BOSHD" "$XMPP_CLIENT"

NS_BIND=http://jabber.org/protocol/httpbind
GW_SOCK=$T/router.sock
B_SOCK=$T/boshd.sock
STATE=$T/state
mkdir -p "$STATE"

# start_boshd [options]: boshd on $B_SOCK, ready by FIFO; BOSHD_PID, BOSHD_LOG.
start_boshd() {
	local fifo=$T/ready.b log=$T/boshd.${#DAEMON_PIDS[@]}.log
	rm -f "$fifo"
	mkfifo "$fifo"
	"$BOSHD" -d 3 --socket "$B_SOCK" --router "$GW_SOCK" --max-wait 10 \
		--control-socket "$T/boshd.ctl" \
		"$@" </dev/null >>"$log" 2>&1 3>"$fifo" &
	BOSHD_PID=$!
	DAEMON_PIDS+=("$BOSHD_PID")
	DAEMON_LOGS+=("$log")
	BOSHD_LOG=$log
	if ! wait_ready "$fifo" "$BOSHD_PID" 10; then
		fail "boshd starts" "$(tail -n 5 "$log")"
		finish
	fi
	rm -f "$fifo"
}
bosh_list() { "$PARLEYCTL" --bosh-control-socket "$T/boshd.ctl" bosh list 2>&1; }
# alice_session: her line in the router's session list (jid transport peer since ...)
alice_session() { "$PARLEYCTL" --control-socket "$T/x.ctl" session list 2>&1 | grep "^alice@localhost/web " | awk '{print $1, $2, $4}'; }
# held_one: alice's session has one request held (the list's 4th column)
held_one() { bosh_list | awk -v s="$SID" '$1 == s && $4 == 1 {f=1} END {exit !f}'; }
tag_of() { grep -o 'instance [0-9a-z]*' "$1" | tail -n 1 | cut -d' ' -f2; }
wait_until() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05 # polling another process's log
	done
}
# bosh BODY [OUT]: one POST; BS the status, the body in $T/OUT (bb).
bosh() {
	local out=$T/${2:-bb}
	BS=$(curl -sS --max-time 20 -o "$out" -w '%{http_code}' \
		-H 'Content-Type: text/xml; charset=utf-8' --data-binary "$1" \
		"$(url /http-bind/)" 2>"$T/curl.err")
	BB=$(cat "$out")
}
sid_of() {
	printf '%s' "$1" | grep -o "<body [^>]*" | grep -oE " sid=['\"][^'\"]*" |
		head -n 1 | cut -c7-
}
PLAIN=$(printf '\0alice\0alice-pw' | base64)
RID=1000
next() { RID=$((RID + 1)); }
# login: alice's BOSH session up to initial presence; sets SID.
login() {
	RID=$1
	bosh "<body rid='$RID' to='localhost' wait='10' hold='1' ver='1.6' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh' xmlns='$NS_BIND'/>"
	SID=$(sid_of "$BB")
	next
	bosh "<body rid='$RID' sid='$SID' xmlns='$NS_BIND'><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>$PLAIN</auth></body>"
	next
	bosh "<body rid='$RID' sid='$SID' xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh' xmlns='$NS_BIND'/>"
	next
	bosh "<body rid='$RID' sid='$SID' xmlns='$NS_BIND'><iq type='set' id='b1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource></bind></iq></body>"
	next
	bosh "<body rid='$RID' sid='$SID' xmlns='$NS_BIND'><presence xmlns='jabber:client'/></body>"
	printf '%s\n' "$BB" >>"$T/alice.all"
}
# collect: requests with the next rids until the body holds nothing new
# (an empty answer after wait); every answer appended to $T/alice.all.
collect() {
	local i
	for i in 1 2 3 4 5 6; do
		next
		bosh "<body rid='$RID' sid='$SID' xmlns='$NS_BIND'/>"
		printf '%s\n' "$BB" >>"$T/alice.all"
		[ "$BS" = 200 ] || return 1
		[[ $BB == *terminate* ]] && return 1
		[[ $BB == *"<message"* ]] || return 0
	done
}
count_of() { grep -o "$1" "$T/alice.all" | wc -l; }

make_docroot
start_xmppd --gateway-socket "$GW_SOCK" --handover-grace 5 --control-socket "$T/x.ctl" || finish
add_user alice alice-pw || fail "add alice"
add_user bob bob-pw || fail "add bob"
start_boshd --state-dir "$STATE"
TAG1=$(tag_of "$BOSHD_LOG")
# a second boshd on the same state directory is refused: exit 100
timeout 10 "$BOSHD" --socket "$T/other.sock" --router "$GW_SOCK" --state-dir "$STATE" \
	</dev/null >"$T/second.log" 2>&1
assert_eq "a second boshd on the same --state-dir exits 100" 100 "$?"
assert_match "... saying the directory is in use" "in use by another boshd" "$(cat "$T/second.log")"
start_httpd --route "/http-bind=$B_SOCK" || finish
client_start bob bob@localhost/tcp bob-pw || fail "bob logs in" "$(cat "$T/bob.err")"
client_cmd bob presence

login 1000
assert_match "alice's session starts with the tag of boshd 1" "^$TAG1-" "$SID"
[[ $BB == *terminate* ]] && fail "alice logs in over BOSH" "$BB"
client_cmd bob "send <message to='alice@localhost/web' type='chat'><body>before-1</body></message>"
client_sync bob
collect
assert_eq "a message before the restart arrives" 1 "$(count_of before-1)"
SESSION1=$(alice_session)
assert_match "the router lists alice's session over bosh" "^alice@localhost/web bosh " "$SESSION1"

# ---- the planned restart, with a request held ----------------------------------
next
HELD_RID=$RID
curl -sS --max-time 20 -o "$T/held" -w '%{http_code}' \
	-H 'Content-Type: text/xml; charset=utf-8' \
	--data-binary "<body rid='$RID' sid='$SID' xmlns='$NS_BIND'/>" \
	"$(url /http-bind/)" >"$T/held.status" 2>"$T/held.err" &
HELD=$!
wait_until 5 held_one || fail "the request is held" "$(bosh_list)"
OLD_PID=$BOSHD_PID
kill -TERM "$OLD_PID"
wait_exit "$OLD_PID" 10 && assert_eq "boshd 1 exits 0 on SIGTERM" 0 "$WAIT_STATUS" ||
	fail "boshd 1 exits on SIGTERM" "$(tail -n 5 "$BOSHD_LOG")"
wait "$HELD"
assert_eq "the held request is answered 200" 200 "$(cat "$T/held.status")"
assert_no_match "... and not with a terminate" "terminate" "$(cat "$T/held")"
assert_match "boshd 1 logs the hand-over" "handed 1 sessions over" "$(cat "$BOSHD_LOG")"
assert_match "the router keeps the stream" "hands its 1 streams over" "$(cat "$XMPPD_LOG")"
[ -s "$STATE/boshd.handover" ] && ok "the hand-over file is there" ||
	fail "the hand-over file is there" "$(ls -l "$STATE")"
# while no boshd runs, bob writes again: the router holds it
client_cmd bob "send <message to='alice@localhost/web' type='chat'><body>during-2</body></message>"
client_sync bob

start_boshd --state-dir "$STATE"
assert_eq "boshd 2 takes boshd 1's instance tag" "$TAG1" "$(tag_of "$BOSHD_LOG")"
assert_match "boshd 2 takes the session over" "took 1 sessions over" "$(cat "$BOSHD_LOG")"
[ -e "$STATE/boshd.handover" ] && fail "the hand-over file is used once" ||
	ok "the hand-over file is used once (removed)"
wait_until 10 bash -c "grep -c 'instance $TAG1\$' '$HTTPD_LOG' | grep -q 2" ||
	fail "http-filed hears boshd 2's tag" "$(grep instance "$HTTPD_LOG")"
client_cmd bob "send <message to='alice@localhost/web' type='chat'><body>after-3</body></message>"
client_sync bob
collect && ok "alice goes on with her sid and next rid" ||
	fail "alice goes on with her sid and next rid" "$BS $BB"
collect
assert_eq "the message sent during the restart arrives once" 1 "$(count_of during-2)"
assert_eq "the message sent after the restart arrives once" 1 "$(count_of after-3)"
assert_eq "the message sent before arrived once only" 1 "$(count_of before-1)"
assert_eq "the router's session is the same one (same since): alice never went offline" \
	"$SESSION1" "$(alice_session)"
next
bosh "<body rid='$RID' sid='$SID' xmlns='$NS_BIND'><message to='bob@localhost' type='chat' xmlns='jabber:client'><body>from-alice-4</body></message></body>"
client_wait bob 'from-alice-4' >/dev/null && ok "alice's messages reach bob after the restart" ||
	fail "alice's messages reach bob after the restart" "$(tail -n 5 "$T/bob.out")"

# ---- the successor starts while the router does not answer -------------------
# boshd must not take a request before it has asked the router for the
# streams it took over (STREAM_ADOPT): a message sent then would reach the
# router on a stream it does not know yet. The request waits instead.
kill -TERM "$BOSHD_PID"
wait_exit "$BOSHD_PID" 10
kill -STOP "$XMPPD_PID"
start_boshd --state-dir "$STATE"
next
W0=$(grep -c 'requests wait for a backend' "$HTTPD_LOG")
# arrived: the request waits in http-filed, or boshd has taken it
arrived() { [ "$(grep -c 'requests wait for a backend' "$HTTPD_LOG")" -gt "$W0" ] || held_one; }
curl -sS --max-time 30 -o "$T/paused" -w '%{http_code}' \
	-H 'Content-Type: text/xml; charset=utf-8' \
	--data-binary "<body rid='$RID' sid='$SID' xmlns='$NS_BIND'><message to='bob@localhost' type='chat' xmlns='jabber:client'><body>router-paused-5</body></message></body>" \
	"$(url /http-bind/)" >"$T/paused.status" 2>"$T/paused.err" &
PAUSED=$!
wait_until 10 arrived || fail "the request reaches http-filed" "$(tail -n 3 "$HTTPD_LOG")"
kill -CONT "$XMPPD_PID"
wait "$PAUSED"
assert_eq "a request sent while the router did not answer is served (200)" 200 "$(cat "$T/paused.status")"
client_wait bob 'router-paused-5' >/dev/null &&
	ok "... and its message reaches bob" ||
	fail "... and its message reaches bob" "$(tail -n 3 "$T/bob.out")"
assert_eq "... once" 1 "$(grep -c 'router-paused-5' "$T/bob.out")"

# ---- the successor comes too late: the router's grace is over ------------------
kill -TERM "$BOSHD_PID"
wait_exit "$BOSHD_PID" 10
client_cmd bob "send <message to='alice@localhost' type='chat'><body>late-5</body></message>"
client_sync bob
wait_until 15 grep -q "not adopted within 5 s" "$XMPPD_LOG" &&
	ok "after --handover-grace the router ends the streams" ||
	fail "after --handover-grace the router ends the streams" "$(tail -n 5 "$XMPPD_LOG")"
start_boshd --state-dir "$STATE"
next
bosh "<body rid='$RID' sid='$SID' xmlns='$NS_BIND'/>"
assert_match "the late successor's session ends cleanly (terminate)" "terminate" "$BB"
assert_eq "the router then has no session for alice" "" "$(alice_session)"
: >"$T/alice.all"
login 5000
collect
assert_eq "the message held for the late successor was stored offline and arrives" 1 "$(count_of late-5)"

# ---- bad hand-over files --------------------------------------------------------
kill -TERM "$BOSHD_PID"
wait_exit "$BOSHD_PID" 10
printf 'parley-handover 1 boshd\ninstance 8\nabc\nsession 99999999\n' >"$STATE/boshd.handover"
start_boshd --state-dir "$STATE"
assert_alive "boshd survives a truncated hand-over file" "$BOSHD_PID"
assert_match "... and says so" "malformed" "$(cat "$BOSHD_LOG")"
kill -TERM "$BOSHD_PID"
wait_exit "$BOSHD_PID" 10
printf 'something else entirely\n' >"$STATE/boshd.handover"
start_boshd --state-dir "$STATE"
assert_alive "boshd survives a foreign file" "$BOSHD_PID"
assert_match "... and says it is not used" "not used" "$(cat "$BOSHD_LOG")"

# ---- without --state-dir: the old behaviour ------------------------------------
kill -TERM "$BOSHD_PID"
wait_exit "$BOSHD_PID" 10
start_boshd
: >"$T/alice.all"
login 9000
next
curl -sS --max-time 20 -o "$T/held2" \
	-H 'Content-Type: text/xml; charset=utf-8' \
	--data-binary "<body rid='$RID' sid='$SID' xmlns='$NS_BIND'/>" \
	"$(url /http-bind/)" 2>/dev/null &
HELD=$!
wait_until 5 held_one || fail "the request is held (no state dir)" "$(bosh_list)"
kill -TERM "$BOSHD_PID"
wait_exit "$BOSHD_PID" 10
wait "$HELD"
assert_match "without --state-dir a held request gets terminate system-shutdown" \
	"system-shutdown" "$(cat "$T/held2")"

client_stop bob
finish
