#!/bin/bash
# test_poll_handover.sh: a planned restart of pollgw loses no polling
# session. A polling user (curl) logs in through http-filed; pollgw gets
# SIGTERM and a new pollgw starts with the same --state-dir and socket,
# as s6-svc -r does, while the user keeps polling: every answer carries
# its same identifier (no 0:0, no key sequence error), the router's
# session stays the same, messages from a TCP user sent before, during
# and after the restart arrive exactly once, and those the user sends
# while pollgw restarts reach the TCP user exactly once. Without
# --state-dir a restart still ends the session (0:0). A hand-over file
# that is garbage or truncated is logged and ignored: pollgw runs; a
# session whose stream the router no longer has ends at its next poll.
. "$(dirname "$0")/../lib.sh"
for _v in ${!POLLGW_@} ${!PARLEYCTL_@}; do unset "$_v"; done
POLLGW=$BUILD_DIR/pollgw/pollgw
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL" "$POLLGW"
command -v openssl >/dev/null || skip_file "openssl is needed for the keys"

GW_SOCK=$T/router.sock
CTL_SOCK=$T/control.sock
HO_SOCK=$T/pollgw.sock # /http-poll: the pollgw that restarts with hand-over
HO_CTL=$T/pollgw.ctl
HO_STATE=$T/state
PLAIN_SOCK=$T/plain.sock # /plain-poll: a pollgw without --state-dir
BAD_SOCK=$T/bad.sock     # /bad-poll: a pollgw given broken hand-over files
BAD_STATE=$T/bad-state
NS_STREAMS=http://etherx.jabber.org/streams
HEADER="<stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='$NS_STREAMS' version='1.0'>"
mkdir -p "$HO_STATE" "$BAD_STATE" "$T/www"

# ---- daemons (as in test_poll.sh) ------------------------------------------------
# start_pollgw [options...]: pollgw with readiness on a FIFO (-d 3); sets
# POLLGW_PID and POLLGW_LOG.
start_pollgw() {
	local fifo=$T/ready.pollgw.${#DAEMON_PIDS[@]}
	POLLGW_LOG=$T/pollgw.${#DAEMON_PIDS[@]}.log
	rm -f "$fifo"
	mkfifo "$fifo"
	"$POLLGW" -l debug -d 3 "$@" </dev/null >>"$POLLGW_LOG" 2>&1 3>"$fifo" &
	POLLGW_PID=$!
	DAEMON_PIDS+=("$POLLGW_PID")
	DAEMON_LOGS+=("$POLLGW_LOG")
	if wait_ready "$fifo" "$POLLGW_PID" 10; then
		rm -f "$fifo"
		return 0
	fi
	rm -f "$fifo"
	kill -KILL "$POLLGW_PID" 2>/dev/null
	fail "start_pollgw" "pollgw $* did not become ready; log:
$(tail -n 20 "$POLLGW_LOG")"
	POLLGW_PID=
	return 1
}
# term_pollgw NAME PID: SIGTERM, and the exit status must be 0 within 15 s.
term_pollgw() {
	kill -TERM "$2" 2>/dev/null
	if wait_exit "$2" 15; then
		assert_eq "$1 exits 0 on SIGTERM" 0 "$WAIT_STATUS"
	else
		kill -KILL "$2" 2>/dev/null
		fail "$1 stops on SIGTERM" "still running 15 s after SIGTERM"
	fi
}
ctl() { "$PARLEYCTL" --control-socket "$CTL_SOCK" "$@"; }
pctl() { "$PARLEYCTL" --poll-control-socket "$HO_CTL" "$@"; }
# wait_until SECONDS COMMAND...: polls COMMAND (every 50 ms) until it succeeds.
wait_until() {
	local deadline=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05 # polling another process's state
	done
}
has_session() { ctl --tsv session list 2>/dev/null | grep -q "$1"; }
no_session() { ! has_session "$1"; }
# field TSV KEY-COLUMN KEY NAME: column NAME of the row whose KEY-COLUMN is KEY.
field() {
	awk -F'\t' -v kc="$2" -v key="$3" -v name="$4" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$col[kc] == key { print $col[name] }' <<<"$1"
}
router_field() { field "$(ctl --tsv session list)" jid "$1" "$2"; }
# instance_of LOG: the instance tag pollgw announced in its first line.
instance_of() { sed -n 's/.*instance \([a-z0-9]*\)$/\1/p' "$1" | head -n 1; }

# ---- the key sequence and polling requests (as in test_poll.sh) -------------------
key_hash() { printf '%s' "$1" | openssl sha1 -binary | base64 -w0; }
# keys_make NAME N: a new sequence K(0) .. K(N), K(N) first, in $T/NAME.keys.
keys_make() {
	local k i list=()
	k=seed$RANDOM$RANDOM
	list+=("$k")
	for i in $(seq "$2"); do
		k=$(key_hash "$k")
		list+=("$k")
	done
	for ((i = ${#list[@]} - 1; i >= 0; i--)); do echo "${list[$i]}"; done \
		>"$T/$1.keys"
}
keys_left() { wc -l <"$T/$1.keys"; }
key_take() {
	head -n 1 "$T/$1.keys"
	sed -i 1d "$T/$1.keys"
}
# post PATH BODY-FILE: one POST; PS the status, PB the body, PID the
# X-Poll-ID header. Files, not variables, so that it works in a subshell.
post() {
	local h=$T/ph.$BASHPID b=$T/pb.$BASHPID
	: >"$h"
	: >"$b"
	PS=$(curl -sS --max-time 20 -o "$b" -D "$h" -w '%{http_code}' \
		-H 'Content-Type: application/x-www-form-urlencoded' \
		--data-binary @"$2" "$(url "$1")" 2>>"$T/curl.err")
	PB=$(cat "$b")
	PID=$(hdr X-Poll-ID "$h")
}
# pnew NAME PATH [XML]: identifier 0 opens a session.
pnew() {
	local name=$1
	echo "$2" >"$T/$name.path"
	: >"$T/$name.stream"
	: >"$T/$name.answers"
	echo 0 >"$T/$name.seen"
	keys_make "$name" 8
	printf '0;%s,%s' "$(key_take "$name")" "${3:-}" >"$T/$name.in"
	post "$2" "$T/$name.in"
	printf '%s' "$PB" >>"$T/$name.stream"
	echo "$PID" >"$T/$name.id"
	[ "$PS" = 200 ] && [ "${PID%:0}" = "$PID" ]
}
pid_of() { cat "$T/$1.id"; }
# preq NAME XML: the next request of the session (a new key sequence
# through newkey when one key is left); its status and identifier go to
# $T/NAME.answers.
preq() {
	local name=$1 key newkey=
	key=$(key_take "$name")
	if [ "$(keys_left "$name")" -le 1 ]; then
		key_take "$name" >/dev/null # K(0): never sent
		keys_make "$name" 8
		newkey=";$(key_take "$name")"
	fi
	printf '%s;%s%s,%s' "$(pid_of "$name")" "$key" "$newkey" "$2" \
		>"$T/$name.in"
	post "$(cat "$T/$name.path")" "$T/$name.in"
	printf '%s' "$PB" >>"$T/$name.stream"
	echo "$PS $PID" >>"$T/$name.answers"
}
# pexpect NAME REGEX [MS]: polls until the stream received after what
# earlier pexpects matched matches REGEX; prints the match.
pexpect() {
	local name=$1 re=$2 ms=${3:-8000} seen hit deadline
	deadline=$(($(now_ms) + ms))
	while :; do
		seen=$(cat "$T/$name.seen")
		hit=$(tail -c +"$((seen + 1))" "$T/$name.stream" |
			grep -zboE -- "$re" | head -z -n 1 | tr -d '\0')
		if [ -n "$hit" ]; then
			local m=${hit#*:}
			echo $((seen + ${hit%%:*} + ${#m})) >"$T/$name.seen"
			printf '%s\n' "$m"
			return 0
		fi
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		preq "$name" ""
		[ "$PID" = "$(pid_of "$name")" ] || return 1
		sleep 0.05 # the client's polling interval
	done
}
# plogin NAME PATH USER PASSWORD RESOURCE: a whole login; 0 if bound.
plogin() {
	local name=$1 u=$3 pw=$4 res=$5 b64
	pnew "$name" "$2" "$HEADER" || return 1
	pexpect "$name" "<mechanism>PLAIN</mechanism>" >/dev/null || return 1
	b64=$(printf '\0%s\0%s' "$u" "$pw" | base64 -w0)
	preq "$name" "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>$b64</auth>"
	pexpect "$name" "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" >/dev/null || return 1
	preq "$name" "$HEADER"
	pexpect "$name" "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>" >/dev/null || return 1
	preq "$name" "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>$res</resource></bind></iq>"
	pexpect "$name" "<jid>$u@localhost/$res</jid>" >/dev/null || return 1
	preq "$name" "<presence/>"
}
# count_in FILE TEXT: how many times TEXT occurs in FILE.
count_in() { grep -oF -- "$2" "$1" | wc -l; }
# bob_says BODY...: bob sends each message to alice.
bob_says() {
	local m
	for m in "$@"; do
		client_cmd bob "message alice@localhost/poll $m"
	done
}

# ---- start: router, two pollgw, http-filed ----------------------------------------------
start_xmppd --gateway-socket "$GW_SOCK" --control-socket "$CTL_SOCK" || finish
add_user alice apw && add_user bob bpw && add_user carol cpw ||
	fail "parleyctl creates users" "$(cat "$T/parleyctl.log")"
HO_ARGS=(--socket "$HO_SOCK" --router "$GW_SOCK" --control-socket "$HO_CTL"
	--min-interval 300 --state-dir "$HO_STATE")
start_pollgw "${HO_ARGS[@]}" || finish
OLD_PID=$POLLGW_PID OLD_LOG=$POLLGW_LOG
start_pollgw --socket "$PLAIN_SOCK" --router "$GW_SOCK" --min-interval 0 ||
	finish
PLAIN_PID=$POLLGW_PID
start_httpd --route "/http-poll=$HO_SOCK" --route "/plain-poll=$PLAIN_SOCK" \
	--route "/bad-poll=$BAD_SOCK" || finish

if [ -n "$(ls "$HO_STATE" | grep -v '^pollgw.lock$')" ]; then
	fail "nothing but the lock in the state directory before a stop" "$(ls "$HO_STATE")"
fi

# ---- before: alice polls, bob over TCP -------------------------------------------------
client_start bob bob@localhost/phone bpw || {
	fail "bob logs in over TCP" "$(cat "$T/bob.out")"
	finish
}
client_cmd bob presence
client_sync bob
if plogin a /http-poll alice apw poll; then ok "alice logs in by polling"; else
	fail "alice logs in by polling" "$PS $PID $(tail -c 300 "$T/a.stream")"
	finish
fi
A=$(pid_of a)
wait_until 5 has_session alice@localhost/poll ||
	fail "the router lists alice/poll" "$(ctl session list 2>&1)"
SINCE=$(router_field alice@localhost/poll since)
bob_says before-1 before-2 before-3
pexpect a "<body>before-3</body>" >/dev/null &&
	ok "before the restart: bob's messages arrive" ||
	fail "before the restart: bob's messages arrive" "$(tail -c 300 "$T/a.stream")"
preq a "<message to='bob@localhost/phone' type='chat'><body>alice-before</body></message>"
client_wait bob 'alice-before' >/dev/null &&
	ok "... and alice's reach bob" || fail "... and alice's reach bob" "$(tail -n 3 "$T/bob.out")"

# ---- the restart: alice keeps polling (and talking) meanwhile -------------------------------------
# poller: polls alice's session every 100 ms, each request carrying a
# numbered message for bob, until $T/stop-poller exists; the number of
# requests goes to $T/poller.count.
poller() {
	local i=0
	while [ ! -e "$T/stop-poller" ]; do
		i=$((i + 1))
		preq a "<message to='bob@localhost/phone' type='chat'><body>poll-during-$i</body></message>"
		echo "$i" >"$T/poller.count"
		sleep 0.1 # the client's polling interval
	done
}
: >"$T/a.answers"
poller &
POLLER=$!
polls() {
	local n
	n=$(cat "$T/poller.count" 2>/dev/null)
	echo "${n:-0}" # 0 also while the poller rewrites the file
}
polls_past() { [ "$(polls)" -ge "$1" ]; }
wait_until 10 polls_past 2 # a few polls through the old pollgw
t0=$(now_ms)
kill -TERM "$OLD_PID"
bob_says during-1 during-2 during-3
if wait_exit "$OLD_PID" 15; then
	assert_eq "the old pollgw exits 0 on SIGTERM" 0 "$WAIT_STATUS"
	el=$(($(now_ms) - t0))
	if [ "$el" -lt 8000 ]; then ok "... within the bounded stop ($el ms)"; else
		fail "... within the bounded stop" "$el ms"; fi
else
	kill -KILL "$OLD_PID" 2>/dev/null
	fail "the old pollgw stops on SIGTERM" "still running after 15 s"
fi
grep -q "handed 1 sessions over in $HO_STATE/pollgw.handover" "$OLD_LOG" &&
	ok "the old pollgw hands alice's session over" ||
	fail "the old pollgw hands alice's session over" "$(tail -n 8 "$OLD_LOG")"
[ -f "$HO_STATE/pollgw.handover" ] && ok "... in <state-dir>/pollgw.handover" ||
	fail "... in <state-dir>/pollgw.handover" "$(ls -l "$HO_STATE")"
assert_eq "... mode 0600" 600 "$(stat -c %a "$HO_STATE/pollgw.handover" 2>/dev/null)"
bob_says during-4 during-5 during-6 # no pollgw at all now
client_sync bob
sleep 0.5 # so that one of alice's polls waits in http-filed meanwhile
start_pollgw "${HO_ARGS[@]}" || finish
NEW_PID=$POLLGW_PID NEW_LOG=$POLLGW_LOG
grep -q "took 1 sessions over as instance $(instance_of "$OLD_LOG")" "$NEW_LOG" &&
	ok "the new pollgw takes the session and the old instance tag over" ||
	fail "the new pollgw takes the session and the old instance tag over" \
		"$(instance_of "$OLD_LOG"): $(head -n 5 "$NEW_LOG")"
[ ! -e "$HO_STATE/pollgw.handover" ] && ok "... and removes the file (used once)" ||
	fail "... and removes the file" "$(ls -l "$HO_STATE")"
wait_until 10 polls_past $(($(polls) + 2)) # a few through the new one
bob_says after-1 after-2 after-3
touch "$T/stop-poller"
wait "$POLLER"
N=$(cat "$T/poller.count")
pexpect a "<body>after-3</body>" >/dev/null &&
	ok "alice goes on polling through the new pollgw" ||
	fail "alice goes on polling through the new pollgw" "$(tail -c 300 "$T/a.stream")"
grep -qE "no request waits for a backend any more: [1-9][0-9]* forwarded" \
	"$HTTPD_LOG" && ok "a poll waited in http-filed for the new pollgw" ||
	fail "a poll waited in http-filed for the new pollgw" "$(grep -i wait "$HTTPD_LOG")"
bad=$(grep -v "^200 $A\$" "$T/a.answers")
assert_eq "each of alice's $(wc -l <"$T/a.answers") polls was answered 200 with her identifier (no 0:0, no -3:0)" \
	"" "$bad"
for m in before-1 before-2 before-3 during-1 during-2 during-3 during-4 \
	during-5 during-6 after-1 after-2 after-3; do
	c=$(count_in "$T/a.stream" "<body>$m</body>")
	[ "$c" = 1 ] || fail "bob's $m reaches alice exactly once" "$c times"
done
ok "bob's 12 messages before, during and after the restart reach alice exactly once each"
all_from_alice() {
	local i
	for i in $(seq "$N"); do
		grep -q ">poll-during-$i<" "$T/bob.out" || return 1
	done
}
wait_until 5 all_from_alice || true
dups=
for i in $(seq "$N"); do
	c=$(count_in "$T/bob.out" ">poll-during-$i<")
	[ "$c" = 1 ] || dups+=" $i:$c"
done
assert_eq "the $N messages alice sent while polling through the restart reach bob exactly once each" \
	"" "$dups"
preq a "<message to='bob@localhost/phone' type='chat'><body>alice-after</body></message>"
client_wait bob 'alice-after' >/dev/null &&
	ok "after the restart alice's messages reach bob" ||
	fail "after the restart alice's messages reach bob" "$(tail -n 3 "$T/bob.out")"
assert_eq "the router's session is the same one (same since)" "$SINCE" \
	"$(router_field alice@localhost/poll since)"
assert_eq "... still available" 1 "$(router_field alice@localhost/poll available)"
list=$(pctl --tsv poll list)
assert_eq "the new pollgw lists alice's session with her JID" \
	alice@localhost/poll "$(field "$list" id "$A" jid)"
grep -qE "ended|cannot be adopted" "$NEW_LOG" &&
	fail "no session ended in the new pollgw" "$(grep -E 'ended|cannot' "$NEW_LOG")" ||
	ok "no session ended in the new pollgw"
# the new pollgw's own key sequence and identifier go on as before
post_bad() {
	printf '%s;wrongkey,' "$A" >"$T/bad.in"
	post /http-poll "$T/bad.in"
}
post_bad
assert_eq "a wrong key after the restart: -3:0" "-3:0" "$PID"

# ---- without --state-dir: the session ends as before ---------------------------------------
if plogin c /plain-poll carol cpw web; then
	ok "carol logs in on the pollgw without --state-dir"
	wait_until 5 has_session carol@localhost/web ||
		fail "the router lists carol/web" "$(ctl session list 2>&1)"
	term_pollgw "pollgw without --state-dir" "$PLAIN_PID"
	wait_until 5 no_session carol@localhost/web &&
		ok "... its SIGTERM ends carol's router session" ||
		fail "... its SIGTERM ends carol's router session" "$(ctl session list 2>&1)"
	start_pollgw --socket "$PLAIN_SOCK" --router "$GW_SOCK" --min-interval 0 ||
		finish
	PLAIN_PID=$POLLGW_PID
	preq c ""
	assert_eq "... and her next poll, to the new pollgw: 0:0" "0:0" "$PID"
else
	fail "carol logs in on /plain-poll" "$PS $PID $(tail -c 300 "$T/c.stream")"
fi

# ---- broken hand-over files are ignored --------------------------------------------------
# bad_start NAME: starts the /bad-poll pollgw on $BAD_STATE's file; it
# must come up, log why the file is not used, and remove it.
bad_start() {
	if start_pollgw --socket "$BAD_SOCK" --router "$GW_SOCK" \
		--min-interval 0 --state-dir "$BAD_STATE"; then
		ok "$1: pollgw starts"
	else
		return 1
	fi
	BAD_PID=$POLLGW_PID BAD_LOG=$POLLGW_LOG
	[ ! -e "$BAD_STATE/pollgw.handover" ] && ok "... the file is removed" ||
		fail "... the file is removed" "$(ls -l "$BAD_STATE")"
}
printf 'not a hand-over file\n' >"$BAD_STATE/pollgw.handover"
if bad_start "a garbage hand-over file"; then
	grep -q "pollgw.handover: Invalid argument: not used" "$BAD_LOG" &&
		ok "... logged as not used" || fail "... logged as not used" "$(head -n 5 "$BAD_LOG")"
	term_pollgw "pollgw after a garbage file" "$BAD_PID"
fi
# a hand-over of one session cut in the middle of a field
{
	printf 'parley-handover 1 pollgw\n'
	printf 'instance 4\nbad1\ntoken 32\n0123456789abcdef0123456789abcdef\n'
	printf 'session 1\n7\npeer 15\n127.0.0.1:4000\ncreated 10\n1700000000\n'
	printf 'id 44\nbad1-0123456789abcdef0123456789abcdef\nkey 28\nAAAA'
} >"$BAD_STATE/pollgw.handover"
if bad_start "a truncated hand-over file"; then
	grep -q "pollgw.handover: malformed after 0 sessions" "$BAD_LOG" &&
		ok "... logged as malformed" || fail "... logged as malformed" "$(head -n 5 "$BAD_LOG")"
	if pnew x /bad-poll "$HEADER"; then
		ok "... new sessions work"
		assert_match "... under the instance tag it took over" '^bad1-' "$(pid_of x)"
		pexpect x "<mechanism>PLAIN</mechanism>" >/dev/null &&
			ok "... and reach the router" || fail "... and reach the router" "$(cat "$T/x.stream")"
	else fail "... new sessions work" "$PS $PID"; fi
	term_pollgw "pollgw after a truncated file" "$BAD_PID"
fi
# a length past the end of the file, and a well-formed record that makes
# no sense (a state that does not exist)
{
	printf 'parley-handover 1 pollgw\n'
	printf 'session 1\n1\nstate 5\nbogus\nend 0\n\n'
	printf 'session 2\n1\nqueue 99999999999\nx\n'
} >"$BAD_STATE/pollgw.handover"
if bad_start "a hand-over file with a bad record"; then
	# the bad record is refused and skipped; the next is cut short
	grep -q "pollgw.handover: 1 sessions refused" "$BAD_LOG" &&
		ok "... the bad record is refused" || fail "... the bad record is refused" "$(head -n 5 "$BAD_LOG")"
	grep -q "pollgw.handover: malformed after 1 sessions" "$BAD_LOG" &&
		ok "... logged as malformed" || fail "... logged as malformed" "$(head -n 5 "$BAD_LOG")"
	term_pollgw "pollgw after a bad record" "$BAD_PID"
fi
printf 'parley-handover 1 pollgw\nsession 2\n1\nqueue 99999999999\nx\n' \
	>"$BAD_STATE/pollgw.handover"
if bad_start "a hand-over file with a length past its end"; then
	grep -q "pollgw.handover: malformed after 0 sessions" "$BAD_LOG" &&
		ok "... logged as malformed" || fail "... logged as malformed" "$(head -n 5 "$BAD_LOG")"
	term_pollgw "pollgw after a length past the end" "$BAD_PID"
fi
# a well-formed session whose stream the router does not keep (an
# unknown token): the router refuses the adoption, and the client's next
# poll gets the end of its stream, then 0:0
hfield() { printf '%s %s\n%s\n' "$1" "${#2}" "$2"; }
Y=bad2-0123456789abcdef0123456789abcdef
keys_make y 8
echo /bad-poll >"$T/y.path"
echo "$Y" >"$T/y.id"
: >"$T/y.stream"
now=$(($(date +%s) * 1000))
{
	printf 'parley-handover 1 pollgw\n'
	hfield instance bad2
	hfield token ffffffffffffffffffffffffffffffff
	hfield session 9
	hfield peer 127.0.0.1:4000
	hfield created "$(date +%s)"
	hfield closing_logged 0
	hfield client_header "$HEADER"
	hfield router_header "<stream:stream xmlns='jabber:client' xmlns:stream='$NS_STREAMS' from='localhost' id='x' version='1.0'>"
	hfield id "$Y"
	hfield key "$(key_take y)"
	hfield state active
	hfield queue "<message from='bob@localhost/phone' to='alice@localhost/gone'><body>kept-in-file</body></message>"
	hfield unsent ""
	hfield fwd ""
	for f in secure opened router_open hdr_given; do hfield "$f" 1; done
	for f in router_ended hdr_queued; do hfield "$f" 0; done
	hfield last_request "$now"
	hfield answered_at "$now"
	hfield end ""
} >"$BAD_STATE/pollgw.handover"
if bad_start "a session whose stream the router no longer has"; then
	grep -q "took 1 sessions over as instance bad2" "$BAD_LOG" &&
		ok "... it is read" || fail "... it is read" "$(head -n 5 "$BAD_LOG")"
	preq y ""
	assert_eq "... its next poll is answered with its identifier" "$Y" "$PID"
	assert_match "... with its queue and the end of its stream" \
		"kept-in-file.*<stream:error><remote-connection-failed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>\$" "$PB"
	preq y ""
	assert_eq "... then 0:0" "0:0" "$PID"
	term_pollgw "pollgw after a session the router no longer has" "$BAD_PID"
fi
# --state-dir that cannot be written: a configuration error
"$POLLGW" --socket "$T/x.sock" --router "$GW_SOCK" --state-dir "$T/nonexistent" \
	-n >/dev/null 2>"$T/nostate.err"
assert_eq "--state-dir that does not exist: exit 100" 100 $?

# ---- the end -------------------------------------------------------------------------------
client_stop bob
term_pollgw "the new pollgw" "$NEW_PID"
term_pollgw "pollgw without --state-dir" "$PLAIN_PID"
finish
