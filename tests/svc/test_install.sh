#!/bin/bash
# test_install.sh: each `make install-<part> DESTDIR=...` installs exactly
# what that part needs into its own empty DESTDIR (the file list is checked
# whole, so a file missing or one too many fails), and what it installs
# works from there: every program answers --version and --help with exit 0,
# every man page is a man page, every service directory has an executable
# run script. Packagers ship each daemon on its own from these targets.
. "$(dirname "$0")/../lib.sh"
SRC_TOP=$(cd "$(dirname "$0")/../.." && pwd)
command -v make >/dev/null || skip_file "make is not installed"
# the targets install from BUILD_DIR; make must have nothing to rebuild
# there (a rebuild would use other flags than the sanitizer build's)
B_REL=$BUILD_DIR
case "$BUILD_DIR" in "$SRC_TOP"/*) B_REL=${BUILD_DIR#"$SRC_TOP"/} ;; esac

SV=usr/local/share/parley/svc
# svc_files NAME ENV...: a service directory as installed: run, finish,
# notification-fd, log/run, env/PATH and the env/ files named.
svc_files() {
	local n=$1 e
	shift
	echo "$SV/$n/run $SV/$n/finish $SV/$n/notification-fd $SV/$n/log/run $SV/$n/env/PATH"
	for e; do echo "$SV/$n/env/$e"; done
}
HTTPD_ENV="HTTP_FILED_ADDRESS HTTP_FILED_PORT HTTP_FILED_ROUTES HTTP_FILED_ROOT"
XMPPD_ENV="XMPP_ROUTERD_ADDRESS XMPP_ROUTERD_CONTROL_SOCKET XMPP_ROUTERD_DB
	XMPP_ROUTERD_DOMAIN XMPP_ROUTERD_GATEWAY_SOCKET XMPP_ROUTERD_PORT
	XMPP_ROUTERD_TLS_CERT XMPP_ROUTERD_TLS_KEY"
BOSHD_ENV="BOSHD_CONTROL_SOCKET BOSHD_DOMAIN BOSHD_ROUTER BOSHD_SOCKET BOSHD_STATE_DIR"
POLLGW_ENV="POLLGW_CONTROL_SOCKET POLLGW_DOMAIN POLLGW_ROUTER POLLGW_SOCKET POLLGW_STATE_DIR"
R=$SV/fdholder/rules/uid/0
declare -A WANT=(
	[http-filed]="usr/local/sbin/http-filed usr/local/share/man/man8/http-filed.8
		$(svc_files http-filed $HTTPD_ENV) usr/local/share/parley/www/index.html"
	[xmpp-routerd]="usr/local/sbin/xmpp-routerd usr/local/share/man/man8/xmpp-routerd.8
		usr/local/share/parley/make-cert $(svc_files xmpp-routerd $XMPPD_ENV)"
	[boshd]="usr/local/sbin/boshd usr/local/share/man/man8/boshd.8
		$(svc_files boshd $BOSHD_ENV)"
	[pollgw]="usr/local/sbin/pollgw usr/local/share/man/man8/pollgw.8
		$(svc_files pollgw $POLLGW_ENV)"
	[fdholder]="usr/local/bin/parley-socket usr/local/share/man/man1/parley-socket.1
		$(svc_files fdholder PARLEY_FDHOLDER) $R/allow $R/env/S6_FDHOLDER_LIST
		$R/env/S6_FDHOLDER_RETRIEVE_REGEX $R/env/S6_FDHOLDER_STORE_REGEX"
	[tools]="usr/local/bin/parley-load usr/local/bin/xmpp-send usr/local/sbin/parleyctl
		usr/local/share/man/man1/parley-load.1 usr/local/share/man/man1/xmpp-send.1
		usr/local/share/man/man8/parleyctl.8"
)
# install-svc: the four daemons and the holder, each daemon told where the
# holder is
WANT[svc]="${WANT[http-filed]} ${WANT[xmpp-routerd]} ${WANT[boshd]} ${WANT[pollgw]}
	${WANT[fdholder]}"
for d in http-filed xmpp-routerd boshd pollgw; do
	WANT[svc]+=" $SV/$d/env/PARLEY_FDHOLDER"
done

for part in http-filed xmpp-routerd boshd pollgw fdholder tools svc; do
	dest=$T/dest-$part
	mkdir -p "$dest"
	if ! make -C "$SRC_TOP" -s -q "install-$part" B="$B_REL" >/dev/null 2>&1 &&
		make -C "$SRC_TOP" -n "install-$part" B="$B_REL" 2>/dev/null | grep -q -- ' -c -o '; then
		skip "install-$part" "$BUILD_DIR is not up to date (make would compile)"
		continue
	fi
	if make -C "$SRC_TOP" -s "install-$part" B="$B_REL" DESTDIR="$dest" \
		>"$T/install-$part.log" 2>&1; then
		ok "make install-$part DESTDIR=...: exit 0"
	else
		fail "make install-$part DESTDIR=...: exit 0" "$(tail -n 5 "$T/install-$part.log")"
		continue
	fi
	got=$(cd "$dest" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort | tr '\n' ' ')
	want=$(printf '%s\n' ${WANT[$part]} | sort | tr '\n' ' ')
	assert_eq "install-$part: exactly its files" "$want" "$got"
	for f in ${WANT[$part]}; do
		case $f in
		*/bin/* | */sbin/*)
			[ -x "$dest/$f" ] || { fail "install-$part: $f is executable" ""; continue; }
			v=$("$dest/$f" --version 2>&1)
			rc=$?
			[ $rc = 0 ] && [ -n "$v" ] && ok "install-$part: ${f##*/} --version: $v" ||
				fail "install-$part: ${f##*/} --version" "exit $rc: $v"
			"$dest/$f" --help >"$T/help" 2>&1
			rc=$?
			[ $rc = 0 ] && grep -qi 'usage' "$T/help" && ok "install-$part: ${f##*/} --help" ||
				fail "install-$part: ${f##*/} --help" "exit $rc: $(head -n 2 "$T/help")"
			;;
		*/man/man[18]/*)
			grep -q '^\.TH ' "$dest/$f" && ok "install-$part: ${f##*/} is a man page" ||
				fail "install-$part: ${f##*/} is a man page" "no .TH line"
			;;
		*/run)
			[ -x "$dest/$f" ] && sh -n "$dest/$f" &&
				ok "install-$part: $f is an executable shell script" ||
				fail "install-$part: $f is an executable shell script" ""
			;;
		*/env/PATH)
			assert_eq "install-$part: $f finds the installed programs" \
				/usr/local/sbin:/usr/local/bin "$(cut -d: -f1,2 "$dest/$f")"
			;;
		*/env/*_SOCKET | */env/*_ROUTER | */env/*_DB | */env/*_TLS_* | */env/PARLEY_FDHOLDER)
			# a system install: under /etc, /var/lib and /run
			grep -Eq '^/(etc|var/lib|run)/parley/' "$dest/$f" &&
				ok "install-$part: ${f##*/} is a system path ($(cat "$dest/$f"))" ||
				fail "install-$part: ${f##*/} is a system path" "$(cat "$dest/$f")"
			;;
		esac
	done
done

# the system paths can be changed at install time
dest=$T/dest-paths
if [ -e "$T/dest-boshd/$SV/boshd/run" ] &&
	make -C "$SRC_TOP" -s install-boshd B="$B_REL" DESTDIR="$dest" \
		RUNTIMEDIR=/srv/parley/run >"$T/install-paths.log" 2>&1; then
	assert_eq "install-boshd RUNTIMEDIR=/srv/parley/run: the sockets move" \
		"/srv/parley/run/boshd.sock /srv/parley/run/router.sock" \
		"$(cat "$dest/$SV/boshd/env/BOSHD_SOCKET" "$dest/$SV/boshd/env/BOSHD_ROUTER" | tr '\n' ' ' | sed 's/ $//')"
fi
finish
