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
declare -A WANT=(
	[http-filed]="usr/local/sbin/http-filed usr/local/share/man/man8/http-filed.8
		$SV/http-filed/env/HTTP_FILED_ROOT $SV/http-filed/finish $SV/http-filed/log/run
		$SV/http-filed/notification-fd $SV/http-filed/run usr/local/share/parley/www/index.html"
	[xmpp-routerd]="usr/local/sbin/xmpp-routerd usr/local/share/man/man8/xmpp-routerd.8
		usr/local/share/parley/make-cert $SV/xmpp-routerd/finish $SV/xmpp-routerd/log/run
		$SV/xmpp-routerd/notification-fd $SV/xmpp-routerd/run"
	[boshd]="usr/local/sbin/boshd usr/local/share/man/man8/boshd.8 $SV/boshd/finish
		$SV/boshd/log/run $SV/boshd/notification-fd $SV/boshd/run"
	[pollgw]="usr/local/sbin/pollgw usr/local/share/man/man8/pollgw.8 $SV/pollgw/finish
		$SV/pollgw/log/run $SV/pollgw/notification-fd $SV/pollgw/run"
	[tools]="usr/local/bin/parley-load usr/local/bin/xmpp-send usr/local/sbin/parleyctl
		usr/local/share/man/man1/parley-load.1 usr/local/share/man/man1/xmpp-send.1
		usr/local/share/man/man8/parleyctl.8"
)

for part in http-filed xmpp-routerd boshd pollgw tools; do
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
			[ -x "$dest/$f" ] && ok "install-$part: $f is executable" ||
				fail "install-$part: $f is executable" ""
			;;
		esac
	done
done
finish
