#!/bin/bash
# test_throttle.sh: what a client controls is bounded in time too: failed
# logins from one address are answered ever more slowly, a client that
# sends too fast is paused by the read rate limit, and a connection that
# never authenticates is closed after --auth-timeout.
. "$(dirname "$0")/../lib.sh"
need_binaries "$XMPPD" "$XMPP_CLIENT" "$PARLEYCTL"
start_xmppd --auth-timeout 2 -l debug || finish
add_user alice apw

# failed logins: 50, 100, 200, 400, 800 ms (the delay doubles per failure)
for i in 1 2 3 4; do
	echo disconnect | xclient alice@localhost/x wrong >/dev/null 2>&1
done
t0=$(now_ms)
echo disconnect | xclient alice@localhost/x wrong >/dev/null 2>&1
took=$(($(now_ms) - t0))
if [ "$took" -ge 750 ]; then
	ok "the fifth failed login from one address waits $took ms (>= 800 ms delay)"
else
	fail "repeated failures are throttled" "the fifth took $took ms"
fi
grep -q "answered in 0.8 s" "$XMPPD_LOG" && ok "the delay doubled four times" ||
	fail "the delay doubled four times" "$(grep 'authentication failed' "$XMPPD_LOG")"
echo disconnect | xclient alice@localhost/x apw >/dev/null 2>&1
assert_eq "the right password still works" 0 "$?"

# a flood of bytes: 2 MiB of whitespace keep-alives after the header
HEADER="<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"
{ printf '%s' "$HEADER"; head -c 2097152 /dev/zero | tr '\0' ' '; } |
	"$RAWHTTP" -t 1000 "$LOOPBACK" "$XMPPD_PORT" >/dev/null 2>&1
grep -q "reading too fast, pausing" "$XMPPD_LOG" &&
	ok "a client sending too fast is paused (read rate limit)" ||
	fail "read rate limit" "no pause logged"

# a silent connection: closed with connection-timeout after --auth-timeout
out=$(printf '%s' "$HEADER" | "$RAWHTTP" -t 5000 "$LOOPBACK" "$XMPPD_PORT" 2>&1)
assert_match "no authentication within --auth-timeout: connection-timeout" \
	"<connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" "$out"
assert_alive "xmpp-routerd still running" "$XMPPD_PID"
finish
