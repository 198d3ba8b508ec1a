#!/bin/bash
# test_c2s.sh: xmpp-routerd with real libstrophe clients over TCP: SASL
# (SCRAM, as libstrophe chooses it), resource binding and conflicts,
# messages to full and bare JIDs, 'from' stamping, offline storage and
# delivery with a delay, server IQs; and hostile streams, each with the
# stream error RFC 6120 names, while another client keeps chatting.
. "$(dirname "$0")/../lib.sh"
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL"
start_xmppd || finish
add_user alice apw && add_user bob bpw && add_user carol cpw &&
	ok "parleyctl creates users" || fail "parleyctl creates users" "$(cat "$T/parleyctl.log")"

# ---- logging in ---------------------------------------------------------
if client_start alice alice@localhost/laptop apw; then
	ok "alice logs in (SASL, bind)"
else
	fail "alice logs in (SASL, bind)" "$(cat "$T/alice.out" "$XMPPD_LOG")"
	finish
fi
assert_match "alice is bound to the resource she asked for" \
	'^connected alice@localhost/laptop' "$(head -n 1 "$T/alice.out")"
client_start bob bob@localhost/phone bpw || fail "bob logs in" "$(cat "$T/bob.out")"
grep -q "authenticated as alice (SCRAM-SHA-" "$XMPPD_LOG" &&
	ok "libstrophe chose a SCRAM mechanism" ||
	fail "libstrophe chose a SCRAM mechanism" "$(grep authenticated "$XMPPD_LOG")"

echo disconnect | xclient alice@localhost/x wrong >"$T/bad.out" 2>&1
assert_eq "wrong password: login refused" 2 "$?"
echo disconnect | xclient nobody@localhost/x pw >"$T/bad.out" 2>&1
assert_eq "unknown user: login refused" 2 "$?"
echo disconnect | xclient ALICE@LOCALHOST/caps apw >"$T/caps.out" 2>&1
assert_eq "Alice@LOCALHOST is alice@localhost (JID preparation)" 0 "$?"
assert_match "the bound JID is prepared" '^connected alice@localhost/caps' \
	"$(head -n 1 "$T/caps.out")"

# ---- messages -----------------------------------------------------------
client_cmd alice 'presence'
client_cmd bob 'presence'
client_cmd alice 'message bob@localhost/phone hello bob'
client_wait bob 'from="alice@localhost/laptop".*hello bob' >/dev/null &&
	ok "message to a full JID" || fail "message to a full JID" "$(cat "$T/bob.out")"
client_cmd bob 'message alice@localhost hello alice'
client_wait alice 'from="bob@localhost/phone".*hello alice' >/dev/null &&
	ok "message to a bare JID reaches the available resource" ||
	fail "message to a bare JID" "$(cat "$T/alice.out")"
client_cmd alice "send <message to='bob@localhost/phone' from='carol@localhost/evil' type='chat'><body>spoofed</body></message>"
line=$(client_wait bob 'spoofed')
assert_match "the server stamps 'from': no spoofing" 'from="alice@localhost/laptop"' "$line"
client_cmd alice "send <message to='dave@example.org' type='chat' id='r1'><body>x</body></message>"
client_wait alice 'id="r1".*remote-server-not-found' >/dev/null &&
	ok "other domain: remote-server-not-found" ||
	fail "other domain: remote-server-not-found" "$(tail -n 3 "$T/alice.out")"
client_cmd alice "send <message to='nobody@localhost' type='chat' id='r2'><body>x</body></message>"
client_wait alice 'id="r2".*service-unavailable' >/dev/null &&
	ok "unknown user: service-unavailable" ||
	fail "unknown user: service-unavailable" "$(tail -n 3 "$T/alice.out")"

# ---- offline messages (XEP-0160) -----------------------------------------
client_cmd alice "send <message to='carol@localhost' type='chat' id='off1'><body>while you were away</body></message>"
client_cmd alice 'iq get localhost <ping xmlns="urn:xmpp:ping"/>'
client_wait alice '^result .* result' >/dev/null &&
	ok "ping the server (XEP-0199)" || fail "ping the server" "$(tail -n 3 "$T/alice.out")"
client_start carol carol@localhost/home cpw || fail "carol logs in" "$(cat "$T/carol.out")"
client_cmd carol 'presence'
line=$(client_wait carol 'while you were away')
assert_match "offline message delivered at carol's presence" 'from="alice@localhost/laptop"' "$line"
assert_match "with a XEP-0203 delay" 'urn:xmpp:delay' "$line"
client_stop carol
client_start carol carol@localhost/home cpw
client_cmd carol 'presence'
client_cmd carol 'iq get localhost <ping xmlns="urn:xmpp:ping"/>'
client_wait carol '^result' >/dev/null
assert_eq "an offline message is delivered once" 0 \
	"$(grep -c 'while you were away' "$T/carol.out")"
client_stop carol

# ---- a second login with the same resource replaces the first -------------
client_start bob2 bob@localhost/phone bpw || fail "bob logs in again" "$(cat "$T/bob2.out")"
client_wait bob 'stream-error conflict' >/dev/null &&
	ok "the older session gets <conflict/>" ||
	fail "the older session gets <conflict/>" "$(tail -n 3 "$T/bob.out")"

# ---- hostile streams: each gets its stream error ---------------------------
HEADER="<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
stream_error() { # NAME CONDITION BYTES
	local out
	out=$(printf '%s' "$3" | "$RAWHTTP" -t 3000 "$LOOPBACK" "$XMPPD_PORT" 2>&1)
	if [[ "$out" == *"<$2 xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"*"</stream:stream>"* ]]; then
		ok "$1: <$2/>"
	else
		fail "$1: <$2/>" "$out"
	fi
}
stream_error "wrong stream namespace" invalid-namespace \
	"<stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='urn:wrong' version='1.0'>"
stream_error "wrong content namespace" invalid-namespace \
	"<stream:stream to='localhost' xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
stream_error "unknown host" host-unknown \
	"<stream:stream to='example.org' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
stream_error "DOCTYPE" restricted-xml "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]>$HEADER"
stream_error "a declaration outside a DTD" not-well-formed "$HEADER<!ENTITY a 'b'>"
stream_error "comment" restricted-xml "$HEADER<!-- hi -->"
stream_error "processing instruction" restricted-xml "$HEADER<?foo bar?>"
stream_error "mismatched tags" not-well-formed "$HEADER<a></b>"
stream_error "invalid UTF-8" not-well-formed "$HEADER<a>$(printf '\xc0\x80')</a>"
stream_error "stanza before authentication" not-authorized \
	"$HEADER<message to='bob@localhost'><body>x</body></message>"
stream_error "no version" unsupported-version \
	"<stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
big=$(head -c 300000 /dev/zero | tr '\0' 'x')
stream_error "a stanza over 256 KiB" policy-violation "$HEADER<message>$big</message>"
deep=$(for i in $(seq 100); do printf '<a>'; done)
stream_error "nesting too deep" policy-violation "$HEADER<iq>$deep"

# ---- after all that, the others still chat --------------------------------
client_cmd alice 'message bob@localhost/phone still here?'
client_wait bob2 'still here' >/dev/null &&
	ok "other clients unaffected by the hostile ones" ||
	fail "other clients unaffected" "$(tail -n 3 "$T/bob2.out")"
assert_alive "xmpp-routerd still running" "$XMPPD_PID"
client_stop alice
client_stop bob2
finish
