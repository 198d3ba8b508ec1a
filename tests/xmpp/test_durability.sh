#!/bin/bash
# test_durability.sh: what xmpp-routerd acknowledged as stored survives a
# SIGKILL (offline messages, accounts, roster items, vCards); after a
# restart every client can log in again at once; a clean stop sends each
# client <system-shutdown/>.
. "$(dirname "$0")/../lib.sh"
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL"
start_xmppd || finish
add_user alice apw
add_user bob bpw
client_start alice alice@localhost/a apw || fail "alice logs in" "$(cat "$T/alice.out")"
client_cmd alice 'presence'
client_cmd alice "send <message to='bob@localhost' type='chat' id='k1'><body>kept across a crash</body></message>"
client_cmd alice "iq set - <vCard xmlns='vcard-temp'><FN>Alice Kill</FN></vCard>"
client_wait alice '^result .* result' >/dev/null ||
	fail "vCard stored" "$(tail -n 2 "$T/alice.out")"
client_cmd alice "iq set - <query xmlns='jabber:iq:roster'><item jid='carol@localhost' name='Carol'/></query>"
client_sync alice || fail "the server answers alice" "$(tail -n 3 "$T/alice.out")"
# The IQ results above came after the store commits; messages are stored
# before the router reads the next stanza. Now kill the daemon outright.
kill -KILL "$XMPPD_PID"
wait_exit "$XMPPD_PID" 5
assert_eq "xmpp-routerd killed" 137 "$WAIT_STATUS"
client_wait alice '^(closed|stream-error)' 5000 >/dev/null &&
	ok "the client sees the connection drop" || fail "the client sees the drop" ""
client_stop alice
XMPPD_PID=
start_xmppd || finish
t0=$(now_ms)
client_start bob bob@localhost/b bpw || fail "bob logs in after the restart" "$(cat "$T/bob.out")"
took=$(($(now_ms) - t0))
[ "$took" -lt 1000 ] && ok "a client logs in within a second of the restart ($took ms)" ||
	fail "log in within a second of the restart" "$took ms"
client_cmd bob 'presence'
client_wait bob 'kept across a crash' >/dev/null &&
	ok "the offline message survived SIGKILL" || fail "offline message survived" "$(cat "$T/bob.out")"
client_cmd bob "iq get alice@localhost <vCard xmlns='vcard-temp'/>"
client_wait bob 'Alice Kill' >/dev/null && ok "the vCard survived SIGKILL" ||
	fail "the vCard survived" "$(tail -n 2 "$T/bob.out")"
client_start alice2 alice@localhost/a apw
client_cmd alice2 "iq get - <query xmlns='jabber:iq:roster'/>"
client_wait alice2 "carol@localhost" >/dev/null && ok "the roster item survived SIGKILL" ||
	fail "the roster item survived" "$(tail -n 2 "$T/alice2.out")"
client_stop alice2
# a clean stop: system-shutdown to every client, exit 0
kill -TERM "$XMPPD_PID"
client_wait bob 'stream-error system-shutdown' 5000 >/dev/null &&
	ok "SIGTERM: clients get <system-shutdown/>" ||
	fail "SIGTERM: clients get <system-shutdown/>" "$(tail -n 3 "$T/bob.out")"
wait_exit "$XMPPD_PID" 10
assert_eq "xmpp-routerd exits 0 on SIGTERM" 0 "$WAIT_STATUS"
XMPPD_PID=
client_stop bob
finish
