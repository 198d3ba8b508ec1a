#!/bin/bash
# test_tls.sh: STARTTLS on xmpp-routerd's client port with a certificate
# made by xmpp-routerd/make-cert: a libstrophe client that requires TLS logs
# in and chats; garbage after <proceed/> ends the connection without
# harming the daemon; a bad certificate path is a configuration error.
. "$(dirname "$0")/../lib.sh"
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL"
command -v openssl >/dev/null || skip_file "openssl is not installed"
SRC_TOP=$(cd "$(dirname "$0")/../.." && pwd)
"$SRC_TOP/xmpp-routerd/make-cert" localhost "$T/cert" >/dev/null 2>&1 &&
	ok "make-cert makes a certificate" || fail "make-cert makes a certificate" ""
start_xmppd --tls-cert "$T/cert/localhost.crt" --tls-key "$T/cert/localhost.key" || finish
add_user alice apw
add_user bob bpw
client_start alice alice@localhost/a apw --tls require ||
	fail "login over STARTTLS" "$(cat "$T/alice.out" "$T/alice.err")"
grep -q "STARTTLS" "$XMPPD_LOG" && ok "the client negotiated STARTTLS" ||
	fail "the client negotiated STARTTLS" "$(tail -n 5 "$XMPPD_LOG")"
client_start bob bob@localhost/b bpw --tls require
client_cmd alice 'message bob@localhost/b over tls'
client_wait bob 'over tls' >/dev/null && ok "messages flow over TLS" ||
	fail "messages flow over TLS" "$(cat "$T/bob.out")"

HEADER="<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
out=$(printf '%s' "$HEADER<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" |
	"$RAWHTTP" -t 2000 "$LOOPBACK" "$XMPPD_PORT" 2>&1)
assert_match "<starttls/> is offered and answered with <proceed/>" \
	"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/?>.*<proceed" "$out"
# garbage instead of a ClientHello, sent once <proceed/> has arrived
exec 5<>"/dev/tcp/$LOOPBACK/$XMPPD_PORT"
printf '%s' "$HEADER<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" >&5
got=
while IFS= read -r -t 3 -n 1 ch <&5; do
	got+=$ch
	[[ "$got" == *"<proceed"* ]] && break
done
printf 'GET / HTTP/1.1\r\n\r\n' >&5
timeout 3 cat <&5 >/dev/null
assert_eq "garbage instead of a TLS handshake: connection closed" 0 "$?"
exec 5>&-
client_cmd alice 'message bob@localhost/b still fine'
client_wait bob 'still fine' >/dev/null && ok "other clients unaffected" ||
	fail "other clients unaffected" "$(tail -n 2 "$T/bob.out")"
client_stop alice
client_stop bob
stop_xmppd

"$XMPPD" --db "$T/x.db" --tls-cert "$T/nope.crt" --tls-key "$T/nope.key" \
	-p "$(pick_port)" >"$T/bad.log" 2>&1
assert_eq "a missing certificate: exit 100" 100 "$?"
finish
