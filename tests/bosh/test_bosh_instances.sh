#!/bin/bash
# test_bosh_instances.sh: two boshd behind one http-filed (two workers) on
# one xmpp-routerd (common/PROTOCOL.md 8.6). Each boshd announces its
# instance tag and begins its sids with it; new sessions spread over both;
# every later request of a session reaches the instance that holds it
# (proved by SASL succeeding inside that session); when one instance dies,
# its sessions get item-not-found from the other while the other's sessions
# go on, and new sessions all go to the survivor; a restarted instance has
# a new tag and takes new sessions again; alice and bob, logged in on
# different instances, chat with each other both ways.
. "$(dirname "$0")/../lib.sh"
for _v in ${!BOSHD_@}; do unset "$_v"; done
BOSHD=$BUILD_DIR/boshd/boshd
need_binaries "$XMPPD" "$PARLEYCTL" "$BOSHD"

NS_BIND=http://jabber.org/protocol/httpbind
GW_SOCK=$T/router.sock
A_SOCK=$T/a.sock
B_SOCK=$T/b.sock

# start_boshd NAME SOCKET: boshd with readiness on a FIFO; sets
# <NAME>_PID, <NAME>_LOG and <NAME>_TAG (its instance tag, from its log).
start_boshd() {
	local fifo=$T/ready.$1 log=$T/boshd.$1.${#DAEMON_PIDS[@]}.log pid
	rm -f "$fifo"
	mkfifo "$fifo"
	"$BOSHD" -d 3 --socket "$2" --router "$GW_SOCK" --max-wait 5 \
		</dev/null >>"$log" 2>&1 3>"$fifo" &
	pid=$!
	DAEMON_PIDS+=("$pid")
	DAEMON_LOGS+=("$log")
	if ! wait_ready "$fifo" "$pid" 10; then
		fail "boshd $1 starts" "$(tail -n 5 "$log")"
		finish
	fi
	rm -f "$fifo"
	printf -v "$1_PID" %s "$pid"
	printf -v "$1_LOG" %s "$log"
	printf -v "$1_TAG" %s "$(grep -o 'instance [0-9a-z]*' "$log" |
		tail -n 1 | cut -d' ' -f2)"
}
# wait_until SECONDS COMMAND...: polls COMMAND every 50 ms until it succeeds.
wait_until() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05 # polling another process's log
	done
}
# announced TAG: both http-filed workers have heard instance TAG.
announced() { [ "$(grep -c "instance $1\$" "$HTTPD_LOG")" -ge 2 ]; }

# bosh BODY: one POST on a new connection; BS the status, BB the body.
bosh() {
	BS=$(curl -sS --max-time 20 -o "$T/bb" -w '%{http_code}' \
		-H 'Content-Type: text/xml; charset=utf-8' --data-binary "$1" \
		"$(url /http-bind/)" 2>"$T/curl.err")
	BB=$(cat "$T/bb")
}
sid_of() {
	printf '%s' "$1" | grep -o "<body [^>]*" | grep -oE " sid=['\"][^'\"]*" |
		head -n 1 | cut -c7-
}
create() { # RID: a new session; prints its sid
	bosh "<body rid='$1' to='localhost' wait='5' hold='1' ver='1.6' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh' xmlns='$NS_BIND'/>"
	sid_of "$BB"
}
PLAIN=$(printf '\0alice\0alice-pw' | base64)
auth() { # SID RID: SASL PLAIN inside the session
	bosh "<body rid='$2' sid='$1' xmlns='$NS_BIND'><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>$PLAIN</auth></body>"
}

make_docroot
start_xmppd --gateway-socket "$GW_SOCK" || finish
add_user alice alice-pw || fail "add alice"
start_boshd A "$A_SOCK"
start_boshd B "$B_SOCK"
assert_match "boshd A logs an instance tag" '^[0-9a-f]{8}$' "$A_TAG"
assert_match "boshd B logs an instance tag" '^[0-9a-f]{8}$' "$B_TAG"
[ "$A_TAG" != "$B_TAG" ] && ok "the two tags differ" ||
	fail "the two tags differ" "$A_TAG"
start_httpd -w 2 --route "/http-bind=$A_SOCK" --route "/http-bind=$B_SOCK" ||
	finish
wait_until 10 announced "$A_TAG" && wait_until 10 announced "$B_TAG" &&
	ok "both workers of http-filed learn both tags" ||
	fail "both workers of http-filed learn both tags" \
		"$(grep instance "$HTTPD_LOG")"

# ---- new sessions spread; each request reaches its owner ------------------------
SIDS=()
for i in 1 2 3 4 5 6 7 8; do
	SIDS+=("$(create $((1000 * i)))")
done
na=0 nb=0 other=0
for s in "${SIDS[@]}"; do
	case $s in
	"$A_TAG"-*) na=$((na + 1)) ;;
	"$B_TAG"-*) nb=$((nb + 1)) ;;
	*) other=$((other + 1)) ;;
	esac
done
[ $na -gt 0 ] && [ $nb -gt 0 ] && [ $other = 0 ] &&
	ok "8 new sessions spread over both instances ($na on A, $nb on B)" ||
	fail "8 new sessions spread over both instances" "A $na B $nb other $other: ${SIDS[*]}"
good=0
for i in 1 2 3 4 5 6 7 8; do
	auth "${SIDS[i - 1]}" $((1000 * i + 1))
	[ "$BS" = 200 ] && [[ $BB == *"<success"* ]] && good=$((good + 1))
done
assert_eq "every session's next request reaches its owner (SASL succeeds in all 8)" 8 "$good"

# ---- instance A dies ------------------------------------------------------------
kill -KILL "$A_PID"
wait_exit "$A_PID" 5
A_SID="" B_SID="" A_I=0 B_I=0
for i in 1 2 3 4 5 6 7 8; do
	case ${SIDS[i - 1]} in
	"$A_TAG"-*) A_SID=${SIDS[i - 1]} A_I=$i ;;
	"$B_TAG"-*) B_SID=${SIDS[i - 1]} B_I=$i ;;
	esac
done
# http-filed notices at once (the socket closes); the next requests of A's
# session go to B, which does not know it.
bosh "<body rid='$((1000 * A_I + 2))' sid='$A_SID' xmlns='$NS_BIND'/>"
assert_eq "a dead instance's session: HTTP 200 (the client sent ver)" 200 "$BS"
assert_match "a dead instance's session: terminate item-not-found from the other" \
	"type=['\"]terminate['\"].*condition=['\"]item-not-found['\"]|condition=['\"]item-not-found['\"].*type=['\"]terminate['\"]" "$BB"
bosh "<body rid='$((1000 * B_I + 2))' sid='$B_SID' xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh' xmlns='$NS_BIND'/>"
assert_match "the live instance's session goes on (restart gives bind features)" "urn:ietf:params:xml:ns:xmpp-bind" "$BB"
all_b=1
for i in 1 2 3 4; do
	s=$(create $((50000 + i)))
	[[ $s == "$B_TAG"-* ]] || all_b=0
done
assert_eq "with A down, every new session goes to B" 1 "$all_b"

# ---- A comes back with a new tag -------------------------------------------------
OLD_A=$A_TAG
start_boshd A "$A_SOCK"
[ "$A_TAG" != "$OLD_A" ] && ok "a restarted instance has a new tag" ||
	fail "a restarted instance has a new tag" "$A_TAG"
wait_until 10 announced "$A_TAG" &&
	ok "http-filed reconnects to the restarted instance and learns its tag" ||
	fail "http-filed learns the restarted instance's tag" "$(grep instance "$HTTPD_LOG")"
na=0
for i in 1 2 3 4 5 6 7 8; do
	s=$(create $((60000 + i)))
	[[ $s == "$A_TAG"-* ]] && na=$((na + 1))
done
[ $na -gt 0 ] && ok "new sessions go to the restarted instance again ($na of 8)" ||
	fail "new sessions go to the restarted instance again" "0 of 8"
bosh "<body rid='$((1000 * A_I + 3))' sid='$A_SID' xmlns='$NS_BIND'/>"
assert_match "the lost session still gets item-not-found" "item-not-found" "$BB"

# ---- users on the two instances chat with each other ----------------------------
add_user bob bob-pw || fail "add bob"
# login NAME PW RID: a whole BOSH login (SASL, restart, bind, presence) in a
# session of its own; sets L_SID; L_RID is the last rid used.
login() {
	local plain rid=$3
	plain=$(printf '\0%s\0%s' "$1" "$2" | base64)
	L_SID=$(create "$rid")
	bosh "<body rid='$((rid + 1))' sid='$L_SID' xmlns='$NS_BIND'><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>$plain</auth></body>"
	bosh "<body rid='$((rid + 2))' sid='$L_SID' xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh' xmlns='$NS_BIND'/>"
	bosh "<body rid='$((rid + 3))' sid='$L_SID' xmlns='$NS_BIND'><iq type='set' id='b' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq></body>"
	bosh "<body rid='$((rid + 4))' sid='$L_SID' xmlns='$NS_BIND'><presence xmlns='jabber:client'/></body>"
	L_RID=$((rid + 4))
}
login alice alice-pw 70000
AL_SID=$L_SID AL_RID=$L_RID
BO_SID="" BO_RID=0
for i in 1 2 3 4 5 6; do
	login bob bob-pw $((71000 + 100 * i))
	[ "${L_SID%%-*}" != "${AL_SID%%-*}" ] && { BO_SID=$L_SID BO_RID=$L_RID; break; }
done
[ -n "$BO_SID" ] && ok "alice and bob are on different instances (${AL_SID%%-*}, ${BO_SID%%-*})" ||
	fail "alice and bob are on different instances" "$AL_SID"
bosh "<body rid='$((AL_RID + 1))' sid='$AL_SID' xmlns='$NS_BIND'><message to='bob@localhost' type='chat' xmlns='jabber:client'><body>hello across</body></message></body>"
got=""
for i in 1 2 3; do # bob's long polls (wait 5) until the message comes
	BO_RID=$((BO_RID + 1))
	bosh "<body rid='$BO_RID' sid='$BO_SID' xmlns='$NS_BIND'/>"
	[[ $BB == *"hello across"* ]] && { got=1; break; }
done
[ -n "$got" ] && ok "a message from alice's instance reaches bob on the other" ||
	fail "a message from alice's instance reaches bob on the other" "$BB"
BO_RID=$((BO_RID + 1))
bosh "<body rid='$BO_RID' sid='$BO_SID' xmlns='$NS_BIND'><message to='alice@localhost' type='chat' xmlns='jabber:client'><body>and back</body></message></body>"
got=""
AL_RID=$((AL_RID + 1))
for i in 1 2 3; do
	AL_RID=$((AL_RID + 1))
	bosh "<body rid='$AL_RID' sid='$AL_SID' xmlns='$NS_BIND'/>"
	[[ $BB == *"and back"* ]] && { got=1; break; }
done
[ -n "$got" ] && ok "bob's answer reaches alice on the first instance" ||
	fail "bob's answer reaches alice on the first instance" "$BB"
assert_alive "http-filed" "$HTTPD_PID"
assert_alive "boshd B" "$B_PID"
finish
