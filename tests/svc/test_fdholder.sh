#!/bin/bash
# test_fdholder.sh: the stack under s6 with the fd holder (svc/fdholder),
# laid from the real service directories as svc/make-run lays them, on
# free loopback ports: every listening socket (http-filed's port, the
# router's client port and gateway socket, boshd's and pollgw's sockets)
# lives in s6-fdholder-daemon, and the run scripts store and retrieve them.
#  1. start order does not matter: every daemon is started before the
#     holder, in reverse order (boshd before the router it talks to,
#     http-filed last); they wait, and once the holder is up the stack is
#     ready and serves a BOSH login (curl) within a bounded time;
#  2. while two client loops connect again and again, to http-filed's port
#     (curl) and to the router's client port (a stream header from bash's
#     /dev/tcp), http-filed and xmpp-routerd are each restarted three times
#     (s6-svc -r): not one connection is refused and every one is answered;
#     a connection made while a daemon is down waits in the held socket and
#     is answered by the new process; boshd restarted: http-filed never
#     finds its socket refusing (its log) and BOSH works again;
#  3. two http-filed services on one port, both accepting on the held
#     socket: both serve; one stopped, the other serves every connection;
#  4. a second boshd added as the README says (a copy of svc/boshd on its
#     own socket, s6-svscanctl -a, http-filed's routes doubled and
#     http-filed restarted without a connection refused): new BOSH
#     sessions go to both.
# The scandir is stopped (s6-svscanctl -t) at the end, even on failure,
# and no process may be left in it; the service logs are scanned.
. "$(dirname "$0")/../lib.sh"
for _v in ${!BOSHD_@} ${!POLLGW_@} PARLEY_FDHOLDER; do unset "$_v"; done
TOP=$(cd "$(dirname "$0")/../.." && pwd)
HOLDER=$T/run/state/fdholder.sock
. "$TOP/tests/svc/scandir.sh"
BOSHD=$BUILD_DIR/boshd/boshd
POLLGW=$BUILD_DIR/pollgw/pollgw
SOCKETBIN=$BUILD_DIR/bin/parley-socket
need_binaries "$XMPPD" "$BOSHD" "$POLLGW" "$PARLEYCTL" "$SOCKETBIN"
need_s6 s6-fdholder-daemon s6-fdholder-store s6-fdholder-retrieve \
	s6-fdholder-list

NS_BIND=http://jabber.org/protocol/httpbind
DB=$STATE/xmpp-routerd.db
SVCS="fdholder http-filed xmpp-routerd boshd pollgw"
LOOP_PIDS=()

# ---- the scandir, laid as svc/make-run lays it -------------------------------
HTTPD_PORT=$(pick_port)
XMPPD_PORT=$(pick_port)
mkdir -p "$T/www"
echo hello >"$T/www/hello.txt"
# lay_down NAME [FROM]: lay_service, down until this test starts it.
lay_down() {
	lay_service "$@"
	touch "$SCAN/$1/down"
}
lay_holder
touch "$SCAN/fdholder/down"
lay_http_filed() {
	lay_down "$1" http-filed
	setenv "$1" HTTP_FILED_ADDRESS "$LOOPBACK"
	setenv "$1" HTTP_FILED_PORT "$HTTPD_PORT"
	setenv "$1" HTTP_FILED_ROOT "$T/www"
	setenv "$1" HTTP_FILED_WORKERS 1
	setenv "$1" HTTP_FILED_ACCESS_LOG stderr
	setenv "$1" HTTP_FILED_ROUTES "/http-bind=$STATE/boshd.sock /http-poll=$STATE/pollgw.sock"
}
lay_http_filed http-filed
lay_http_filed http-filed-b # for part 3
lay_down xmpp-routerd
setenv xmpp-routerd XMPP_ROUTERD_DOMAIN localhost
setenv xmpp-routerd XMPP_ROUTERD_ADDRESS "$LOOPBACK"
setenv xmpp-routerd XMPP_ROUTERD_PORT "$XMPPD_PORT"
setenv xmpp-routerd XMPP_ROUTERD_DB "$DB"
setenv xmpp-routerd XMPP_ROUTERD_GATEWAY_SOCKET "$STATE/router.sock"
setenv xmpp-routerd XMPP_ROUTERD_CONTROL_SOCKET "$STATE/xmpp-routerd.ctl"
lay_down boshd
setenv boshd BOSHD_SOCKET "$STATE/boshd.sock"
setenv boshd BOSHD_ROUTER "$STATE/router.sock"
setenv boshd BOSHD_DOMAIN localhost
lay_down pollgw
setenv pollgw POLLGW_SOCKET "$STATE/pollgw.sock"
setenv pollgw POLLGW_ROUTER "$STATE/router.sock"
setenv pollgw POLLGW_DOMAIN localhost

"$PARLEYCTL" --db "$DB" user add alice alice-pw >>"$T/parleyctl.log" 2>&1 ||
	{ fail "parleyctl creates alice" "$(cat "$T/parleyctl.log")"; finish; }

# ---- s6 ------------------------------------------------------------------------
loops_stop() {
	local p
	touch "$T/stop"
	for p in "${LOOP_PIDS[@]}"; do
		wait_exit "$p" 15 || kill -KILL "$p" 2>/dev/null
	done
	LOOP_PIDS=()
	rm -f "$T/stop"
}
# teardown: the loops, then the whole tree down (s6-svscanctl -t); nothing
# may be left running in the run directory. Does nothing the second time.
teardown() {
	[ -n "$SVSCAN_PID" ] || return 0
	loops_stop
	SVCS="$SVCS http-filed-b boshd-b" scandir_stop
}

# ---- clients -------------------------------------------------------------------
# bosh BODY: one POST to /http-bind/; BS the status, BB the body.
bosh() {
	BS=$(curl -sS --max-time 30 -o "$T/bb" -w '%{http_code}' \
		-H 'Content-Type: text/xml; charset=utf-8' --data-binary "$1" \
		"$(url /http-bind/)" 2>"$T/curl.err")
	BB=$(cat "$T/bb" 2>/dev/null)
}
battr() { # NAME: an attribute of the <body> in $BB
	printf '%s' "$BB" | grep -o '<body [^>]*' | head -n 1 |
		grep -oE "(^| )$1=['\"][^'\"]*['\"]" | head -n 1 |
		sed -E "s/^ ?$1=['\"]//; s/['\"]\$//"
}
# bosh_login RESOURCE: alice over BOSH: creation, SASL PLAIN, restart,
# bind; 0 if bound (BOSH_WHY says where it stopped otherwise).
bosh_login() {
	local rid=$((RANDOM * 1000 + 1000)) sid b64
	BOSH_WHY=creation
	bosh "<body rid='$rid' to='localhost' xml:lang='en' wait='10' hold='1' content='text/xml; charset=utf-8' ver='1.6' xmpp:version='1.0' xmlns:xmpp='urn:xmpp:xbosh' xmlns='$NS_BIND'/>"
	sid=$(battr sid)
	printf '%s\n' "$sid" >"$T/bb.sid"
	[ "$BS" = 200 ] && [ -n "$sid" ] || return 1
	BOSH_WHY=auth
	b64=$(printf '\0alice\0alice-pw' | base64 -w0)
	bosh "<body rid='$((rid + 1))' sid='$sid' xmlns='$NS_BIND'><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>$b64</auth></body>"
	case $BB in *"<success"*) ;; *) return 1 ;; esac
	BOSH_WHY=restart
	bosh "<body rid='$((rid + 2))' sid='$sid' xmpp:restart='true' xmlns:xmpp='urn:xmpp:xbosh' xmlns='$NS_BIND'/>"
	case $BB in *"urn:ietf:params:xml:ns:xmpp-bind"*) ;; *) return 1 ;; esac
	BOSH_WHY=bind
	bosh "<body rid='$((rid + 3))' sid='$sid' xmlns='$NS_BIND'><iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>$1</resource></bind></iq></body>"
	case $BB in *"<jid>alice@localhost/$1</jid>"*) ;; *) return 1 ;; esac
	bosh "<body rid='$((rid + 4))' sid='$sid' type='terminate' xmlns='$NS_BIND'/>"
}
# http_once: one new connection to http-filed, one GET; prints ok,
# refused (curl could not connect) or "fail RC STATUS".
http_once() {
	local st rc
	st=$(curl -s --max-time 15 -o /dev/null -w '%{http_code}' "$(url /hello.txt)")
	rc=$?
	if [ $rc = 0 ] && [ "$st" = 200 ]; then echo ok
	elif [ $rc = 7 ]; then echo refused
	else echo "fail $rc $st"; fi
}
XMPP_HEADER="<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
# xmpp_once: one new connection to the router's client port, a stream
# header; prints ok (the server's stream header came back), refused, or
# "fail WHAT-CAME".
xmpp_once() {
	local fd got= part i
	exec {fd}<>"/dev/tcp/$LOOPBACK/$XMPPD_PORT" 2>/dev/null || { echo refused; return; }
	(printf '%s' "$XMPP_HEADER" >&"$fd") 2>/dev/null # a subshell takes SIGPIPE
	for i in 1 2 3; do
		IFS= read -r -d '>' -t 15 -u "$fd" part || break
		got+="$part>"
		case $got in *"<stream:stream"*) break ;; esac
	done
	exec {fd}>&-
	case $got in *"<stream:stream"*) echo ok ;; *) echo "fail [$got]" ;; esac
}
# loop_start NAME FUNC: FUNC again and again in the background until
# loops_stop, one line per connection in $T/NAME.results.
loop_start() {
	: >"$T/$1.results"
	(while [ ! -e "$T/stop" ]; do $2; done >>"$T/$1.results") &
	LOOP_PIDS+=($!)
}
# loop_report NAME WHAT: the counts of NAME's loop; 0 refused and 0 failed
# pass.
loop_report() {
	local f=$T/$1.results n okn refused other
	n=$(wc -l <"$f")
	okn=$(grep -c '^ok$' "$f")
	refused=$(grep -c '^refused$' "$f")
	other=$((n - okn - refused))
	echo "$TEST_FILE: $2: $n connections, $okn answered, $refused refused, $other failed"
	assert_eq "$2: no connection refused ($n made)" 0 "$refused"
	assert_eq "$2: every connection answered" "0 $n" "$other $okn"
	[ "$other" = 0 ] || grep -v '^ok$' "$f" | sort | uniq -c | head -n 5
}
# pending_then_served SERVICE NAME FUNC: SERVICE down (s6-svc -d), one FUNC
# connection made meanwhile must wait (not refused), then SERVICE up: the
# new process answers it.
pending_then_served() {
	local s=$1 p out=$T/pending.$1
	s6-svc -d "$SCAN/$s"
	until_ok 10 sh -c "s6-svstat -o up '$SCAN/$s' | grep -q false" ||
		fail "$s goes down (s6-svc -d)" "$(s6-svstat "$SCAN/$s")"
	$3 >"$out" &
	p=$!
	sleep 1 # the connection waits in the held socket's backlog meanwhile
	if proc_has_exited "$p"; then
		fail "$2: a connection while $s is down waits" "it ended at once: $(cat "$out")"
	else
		ok "$2: a connection while $s is down waits (not refused)"
	fi
	s6-svc -u "$SCAN/$s"
	s6-svwait -U -t 10000 "$SCAN/$s" || fail "$s up again (s6-svc -u)" "$(s6-svstat "$SCAN/$s")"
	wait_exit "$p" 20 || kill -TERM "$p" 2>/dev/null
	assert_eq "$2: ... and the new $s answers it" ok "$(cat "$out")"
}

# ---- 1. start order: every daemon before the holder, in reverse order ---------
T0=$(now_ms)
scandir_start
for s in $SVCS http-filed-b; do
	until_ok 10 s6-svok "$SCAN/$s" || { fail "s6-supervise runs for $s" ""; end; }
done
waits_for_holder() { svc_log "$1" | grep -q 'waiting for the fd holder'; }
waiting=0
for s in pollgw boshd xmpp-routerd http-filed; do
	s6-svc -u "$SCAN/$s" # each one starts and waits before the next
	until_ok 10 waits_for_holder "$s" && waiting=$((waiting + 1))
done
assert_eq "the four daemons started before the holder wait for it (their logs)" 4 "$waiting"
T1=$(now_ms)
s6-svc -u "$SCAN/fdholder"
ready=1
for s in fdholder http-filed xmpp-routerd boshd pollgw; do
	if s6-svwait -U -t 15000 "$SCAN/$s"; then :; else
		fail "s6: $s up and ready" "$(s6-svstat "$SCAN/$s" 2>&1); $(svc_log "$s" | tail -n 5)"
		ready=
	fi
done
[ -n "$ready" ] || end
ok "the stack is ready $(($(now_ms) - T1)) ms after the holder started"
login_ok() { bosh_login curl; }
if until_ok 15 login_ok; then
	ok "a BOSH login through http-filed, boshd and the router ($(($(now_ms) - T1)) ms after the holder started)"
else
	fail "a BOSH login once the holder is up" "stopped at $BOSH_WHY: HTTP $BS $BB"
fi
held=$(s6-fdholder-list "$HOLDER" 2>&1 | sort | tr '\n' ' ')
assert_eq "the holder has the five listening sockets" \
	"$(printf '%s\n' "tcp:$LOOPBACK:$HTTPD_PORT" "tcp:$LOOPBACK:$XMPPD_PORT" \
		"unix:$STATE/boshd.sock" "unix:$STATE/pollgw.sock" \
		"unix:$STATE/router.sock" | sort | tr '\n' ' ')" "$held"
grep -q 'accepting on the socket given as fd 0' "$SCAN/http-filed/log/main/current" &&
	ok "http-filed accepts on the socket from the holder (fd 0)" ||
	fail "http-filed accepts on the socket from the holder (fd 0)" "$(svc_log http-filed | head -n 5)"
grep -q 'gateways connect to the socket given as fd 4' "$SCAN/xmpp-routerd/log/main/current" &&
	ok "xmpp-routerd's gateway socket comes from the holder (--gateway-fd 4)" ||
	fail "xmpp-routerd's gateway socket comes from the holder" "$(svc_log xmpp-routerd | head -n 5)"
echo "$TEST_FILE: part 1 done at $(($(now_ms) - T0)) ms"

# ---- 2. restarts under a stream of connections ----------------------------------
loop_start http http_once
loop_start xmpp xmpp_once
sleep 0.5
for i in 1 2 3; do
	for s in http-filed xmpp-routerd; do
		pid=$(svc_pid $s)
		s6-svc -r "$SCAN/$s"
		svc_up_again $s "$pid" || fail "s6-svc -r $s ($i): a new process, ready" "$(s6-svstat "$SCAN/$s")"
		sleep 0.3
	done
done
sleep 0.5
loops_stop
loop_report http "http-filed restarted 3 times"
loop_report xmpp "xmpp-routerd restarted 3 times"
pending_then_served http-filed "http-filed" http_once
pending_then_served xmpp-routerd "xmpp-routerd" xmpp_once
# boshd: http-filed's connection to it drops and comes back; its socket,
# held, never refuses
before=$(svc_log http-filed | wc -l)
pid=$(svc_pid boshd)
s6-svc -r "$SCAN/boshd"
svc_up_again boshd "$pid" || fail "s6-svc -r boshd: a new process, ready" "$(s6-svstat "$SCAN/boshd")"
if until_ok 15 login_ok; then ok "boshd restarted: a BOSH login"; else
	fail "boshd restarted: a BOSH login" "stopped at $BOSH_WHY: HTTP $BS $BB"
fi
after=$(svc_log http-filed | tail -n +"$((before + 1))")
assert_match "boshd restarted: http-filed saw the connection drop" 'connection lost' "$after"
assert_no_match "boshd restarted: http-filed never found boshd's socket refusing" \
	'cannot connect|[Cc]onnection refused' "$after"
echo "$TEST_FILE: part 2 done at $(($(now_ms) - T0)) ms"

# ---- 3. two http-filed on one port, through the holder ------------------------------
s6-svc -u "$SCAN/http-filed-b"
s6-svwait -U -t 10000 "$SCAN/http-filed-b" &&
	ok "a second http-filed service on the same port is ready" ||
	fail "a second http-filed service on the same port is ready" "$(svc_log http-filed-b | tail -n 5)"
served_by() { svc_log "$1" | grep -c '"GET /hello.txt'; }
a0=$(served_by http-filed)
b0=$(served_by http-filed-b)
for i in $(seq 1 40); do http_once; done >"$T/both.results"
assert_eq "40 connections to the shared port: all answered" 40 "$(grep -c '^ok$' "$T/both.results")"
sleep 0.5 # s6-log writes the access lines
a=$(($(served_by http-filed) - a0))
b=$(($(served_by http-filed-b) - b0))
echo "$TEST_FILE: http-filed served $a, http-filed-b $b"
[ "$a" -gt 0 ] && [ "$b" -gt 0 ] && ok "both http-filed serve ($a and $b of 40)" ||
	fail "both http-filed serve" "http-filed $a, http-filed-b $b of 40"
loop_start http http_once
sleep 0.5
s6-svc -d "$SCAN/http-filed"
until_ok 10 sh -c "s6-svstat -o up '$SCAN/http-filed' | grep -q false" ||
	fail "http-filed goes down" "$(s6-svstat "$SCAN/http-filed")"
sleep 1
loops_stop
b1=$(served_by http-filed-b)
loop_report http "one of two http-filed stopped"
for i in $(seq 1 10); do http_once; done >"$T/after.results"
sleep 0.5
assert_eq "http-filed-b alone serves every new connection" "10 10" \
	"$(grep -c '^ok$' "$T/after.results") $(($(served_by http-filed-b) - b1))"
s6-svc -u "$SCAN/http-filed"
s6-svwait -U -t 10000 "$SCAN/http-filed" || fail "http-filed up again" "$(s6-svstat "$SCAN/http-filed")"
s6-svc -d "$SCAN/http-filed-b"
echo "$TEST_FILE: part 3 done at $(($(now_ms) - T0)) ms"

# ---- 4. a second boshd, added as the README says --------------------------------------
cp -R "$TOP/svc/boshd" "$SCAN/boshd-b"
rm -f "$SCAN/boshd-b/env/"*
cp "$SCAN/boshd/env/"* "$SCAN/boshd-b/env/"
setenv boshd-b BOSHD_SOCKET "$STATE/boshd-b.sock"
setenv http-filed HTTP_FILED_ROUTES "/http-bind=$STATE/boshd.sock /http-bind=$STATE/boshd-b.sock /http-poll=$STATE/pollgw.sock"
loop_start http http_once
s6-svscanctl -a "$SCAN"
if until_ok 10 s6-svok "$SCAN/boshd-b" && s6-svwait -U -t 10000 "$SCAN/boshd-b"; then
	ok "boshd-b: s6-svscanctl -a starts it"
else
	fail "boshd-b: s6-svscanctl -a starts it" "$(svc_log boshd-b | tail -n 5)"
fi
pid=$(svc_pid http-filed)
s6-svc -r "$SCAN/http-filed"
svc_up_again http-filed "$pid" || fail "http-filed restarted with two routes" "$(s6-svstat "$SCAN/http-filed")"
sleep 0.5
loops_stop
loop_report http "http-filed restarted to add boshd-b"
# new sessions go to each boshd in turn: four logins, two instance tags
tags=
for i in 1 2 3 4; do
	if until_ok 10 login_ok; then
		tags+="$(printf '%s' "$(cat "$T/bb.sid" 2>/dev/null)" | cut -c1-8) "
	else
		fail "BOSH login $i with two boshd" "stopped at $BOSH_WHY: HTTP $BS $BB"
	fi
done
assert_eq "new sessions go to both boshd (two instance tags in four sids)" 2 \
	"$(printf '%s\n' $tags | sort -u | wc -l)"
grep -q "boshd-b.sock" <<<"$(svc_log http-filed)" &&
	ok "http-filed connects to boshd-b" || fail "http-filed connects to boshd-b" "$(svc_log http-filed | tail -n 5)"

# ---- the end -------------------------------------------------------------------------
for s in $SVCS; do
	grep -Eqi 'fatal|assert' "$SCAN/$s/log/main/current" &&
		fail "no fatal errors in $s's log" "$(grep -Ei -m 5 'fatal|assert' "$SCAN/$s/log/main/current")"
done
echo "$TEST_FILE: $(($(now_ms) - T0)) ms"
end
