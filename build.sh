#!/usr/bin/env bash
#
# ./build.sh                     build ngx_http_middleware_module.so against
#                                the distro nginx (nginx-dev, --with-compat)
# ./build.sh --nginx-src DIR     build against an nginx source tree instead
# ./build.sh test                build, then run every test suite
# ./build.sh unit|js|prove       one suite (after a build)
# ./build.sh demo                nginx on 127.0.0.1:8080 with the example
#                                middleware in front of a demo upstream
# ./build.sh install|uninstall   copy the module, its load_module snippet
#                                and the runtime into DESTDIR/PREFIX (/usr)
# ./build.sh deb                 build/deb-<codename>/libnginx-mod-http-
#                                middleware_*.deb (MW_DEB_ROOT: in that root)
# ./build.sh deb-test            ... and test it in a throwaway Debian root
# ./build.sh bench [ARGS]        build, then bench/run ARGS (bench/run --help)
# ./build.sh asan                the module with ASan + UBSan (build/asan),
#                                the integration suite with the runtime
#                                preloaded into nginx
# ./build.sh valgrind            the integration suite under valgrind
# ./build.sh fuzz [SECONDS]      libFuzzer on every decoder of src/ (fuzz/)
# ./build.sh stress              bounded stress tests (t/stress/)
# ./build.sh bundle IN -o OUT [--target njs-0.7|njs-0.8|qjs]
#                                a Next.js middleware.ts / proxy.ts into one
#                                njs module for js_import (tools/bundle)
# ./build.sh runtime [OUTDIR]    the runtime of js/ as one file, for the
#                                njs engine (default build/js: js_path
#                                build/js; tools/runtime)
# ./build.sh matrix [STACK...]   every suite on every supported stack
#                                (tools/matrix/run; deb12 deb13 org-njs
#                                org-qjs), one table at the end
#
# MW_BUILD_DIR (default build/) holds the module and the test binaries.
# Missing Debian packages (only those the command needs) are installed
# with apt-get, which needs root; MW_NO_START=1 keeps apt from starting
# the services it installs (Debian's nginx starts on port 80).

set -euo pipefail

top=$(cd "$(dirname "$0")" && pwd)
build="${MW_BUILD_DIR:-$top/build}"
nginx_src=""
cmd=build
fuzz_seconds=60

if [ "${1:-}" = bundle ] || [ "${1:-}" = runtime ]; then
    # tools/ installs its npm dependencies on first use (or after a change)
    tool=$1
    shift
    if [ ! -f "$top/tools/node_modules/.package-lock.json" ] \
       || [ "$top/tools/package-lock.json" -nt \
            "$top/tools/node_modules/.package-lock.json" ]
    then
        command -v npm >/dev/null || {
            echo "build.sh $tool: needs Node.js >= 18 and npm" >&2; exit 1; }
        printf '==> npm ci (tools/)\n' >&2
        (cd "$top/tools" && npm ci --no-audit --no-fund --loglevel=error \
            >&2) || exit 1
    fi
    if [ "$tool" = runtime ]; then
        # the runtime as one file: js_path <OUTDIR> (default build/js)
        exec node "$top/tools/runtime" "${1:-${MW_BUILD_DIR:-$top/build}/js}"
    fi
    exec node "$top/tools/bundle" "$@"
fi

while [ $# -gt 0 ]; do
    case "$1" in
        --nginx-src) nginx_src=$(cd "$2" && pwd); shift 2 ;;
        --nginx-src=*) nginx_src=$(cd "${1#*=}" && pwd); shift ;;
        build|test|unit|js|prove|demo|valgrind|asan|stress|clean)
            cmd=$1; shift ;;
        install|uninstall|deb|deb-test) cmd=$1; shift ;;
        fuzz) cmd=fuzz; shift
              case "${1:-}" in [0-9]*) fuzz_seconds=$1; shift ;; esac ;;
        -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
        bench) cmd=bench; shift; break ;;
        matrix) shift; exec "$top/tools/matrix/run" "$@" ;;
        *) echo "build.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done

log() { printf '==> %s\n' "$*" >&2; }

# --- dependencies -----------------------------------------------------------

deps() {
    # what each command needs, and nothing more
    local build_pkgs=(gcc make libpcre2-dev libssl-dev zlib1g-dev nginx
                      nginx-dev)
    local nginx_pkgs=(nginx libnginx-mod-http-js)
    local want=()
    case "$cmd" in
        build|install) want=("${build_pkgs[@]}") ;;
        unit) want=(gcc make check pkg-config perl) ;;
        js) want=(njs perl) ;;
        prove|demo|valgrind|asan|stress)
            want=("${build_pkgs[@]}" "${nginx_pkgs[@]}" curl openssl perl) ;;
        test)
            want=("${build_pkgs[@]}" "${nginx_pkgs[@]}" curl openssl perl
                  check pkg-config njs) ;;
        deb) want=(nginx nginx-dev libnginx-mod-http-js debhelper dpkg-dev
                   fakeroot lintian) ;;
        deb-test) want=(nginx nginx-dev libnginx-mod-http-js debhelper dpkg-dev
                        fakeroot lintian debootstrap) ;;
        bench)
            want=("${build_pkgs[@]}" "${nginx_pkgs[@]}" curl perl openssl
                  python3 wrk valgrind
                  libnginx-mod-http-lua lua-resty-core lua-cjson) ;;
        uninstall|clean) return 0 ;;
    esac
    [ "$cmd" = valgrind ] && want+=(valgrind)

    # for another nginx (nginx.org's packages, a source build with its own
    # configure flags) Debian's nginx and njs packages are not needed, and
    # would conflict with them
    local skip=" "
    if [ -n "$nginx_src" ] && [ -n "${NGINX_CONFIGURE_ARGS:-}" ]; then
        case "$cmd" in
            deb|deb-test) ;;
            *) skip+="nginx nginx-dev libnginx-mod-http-js " ;;
        esac
    fi
    [ -n "${NJS_CLI:-}" ] && skip+="njs "

    [ "$cmd" = fuzz ] && want+=(clang-14 libclang-rt-14-dev)
    local missing=() p
    for p in "${want[@]}"; do
        [[ "$skip" == *" $p "* ]] && continue
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q "install ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        if [ "$(id -u)" != 0 ]; then
            echo "build.sh $cmd: needs the Debian packages: ${missing[*]}" >&2
            echo "  as root: apt-get install ${missing[*]}" >&2
            exit 1
        fi
        log "build.sh $cmd needs these Debian packages: ${missing[*]}"
        log "installing them now with apt-get, as root"
        case " ${missing[*]} " in
            *" nginx "*)
                if [ -z "${MW_NO_START:-}" ]; then
                    log "note: Debian's nginx package starts and enables nginx" \
                        "on port 80 (the default site); to avoid that, stop now" \
                        "and run with MW_NO_START=1 (apt then starts no" \
                        "service), or afterwards: systemctl disable --now nginx"
                fi ;;
        esac
        export DEBIAN_FRONTEND=noninteractive
        # (MW_POLICY_RC_D: another path, for t/build_deps.t)
        local policy=${MW_POLICY_RC_D:-/usr/sbin/policy-rc.d} added_policy=
        if [ -n "${MW_NO_START:-}" ] && [ ! -e "$policy" ]; then
            printf '#!/bin/sh\n# build.sh MW_NO_START=1\nexit 101\n' > "$policy"
            chmod 755 "$policy"
            added_policy=1
        fi
        local rc=0
        { apt-get update && apt-get install -y "${missing[@]}"; } || rc=$?
        [ -n "$added_policy" ] && rm -f "$policy"
        [ $rc -eq 0 ] || { echo "build.sh: apt-get failed" >&2; exit 1; }
    fi

    # the suite checks the middleware_status page with promtool, taken
    # from Debian's prometheus package without installing it (which would
    # pull 140 packages and start Prometheus and its node exporter)
    if [ "$cmd" = test ] && [ ! -x "$build/tools/promtool" ] \
        && ! command -v promtool >/dev/null
    then
        fetch_promtool || log "no promtool: t/operator.t skips its check"
    fi
}

fetch_promtool() {
    local d="$build/tools/dl"
    rm -rf "$d"
    mkdir -p "$d"
    log "promtool: apt-get download prometheus (unpacked into build/tools)"
    (cd "$d" && apt-get -o APT::Sandbox::User=root download prometheus) || return 1
    dpkg-deb --fsys-tarfile "$d"/prometheus_*.deb \
        | tar -x -C "$d" ./usr/bin/promtool || return 1
    mv "$d/usr/bin/promtool" "$build/tools/promtool"
    rm -rf "$d"
}

# --- module build -----------------------------------------------------------

build_module() {
    local src conf_flags=()
    mkdir -p "$build"

    if [ -n "$nginx_src" ]; then
        src="$nginx_src"

        # a module only works in an nginx binary configured the same way
        # (struct layouts depend on the configure flags, not all of them
        # are in the module signature): by default the distro's flags, so
        # that the result loads into the installed nginx; for your own
        # nginx binary pass its flags, e.g.
        # NGINX_CONFIGURE_ARGS="$(nginx -V 2>&1 | sed -n 's/^configure arguments: //p')"
        if [ -n "${NGINX_CONFIGURE_ARGS:-}" ]; then
            local all=() a
            eval "all=($NGINX_CONFIGURE_ARGS)"
            conf_flags=()
            for a in "${all[@]}"; do
                case "$a" in
                    --add-module=*|--add-dynamic-module=*) ;;
                    --with-cc-opt=*|--with-ld-opt=*) ;;
                    *) conf_flags+=("$a") ;;
                esac
            done
        else
            # shellcheck disable=SC1091
            . /usr/share/nginx/src/conf_flags
            conf_flags=("${NGX_CONF_FLAGS[@]}")
        fi
    else
        # nginx-dev ships configure + headers; configure writes objs/ next
        # to them, so work on a copy
        src="$build/nginx-dev"
        if [ ! -f "$src/configure" ]; then
            rm -rf "$src"
            cp -r /usr/share/nginx/src "$src"
        fi
        # shellcheck disable=SC1091
        . /usr/share/nginx/src/conf_flags
        conf_flags=("${NGX_CONF_FLAGS[@]}")
    fi

    local stamp="$build/configure.stamp"
    # the flags are part of the stamp: a sanitizer build after a plain one
    # must configure again, or it silently has no instrumentation
    local want="$src ${conf_flags[*]} $(md5sum "$top/config" | cut -c1-32)"
    want="$want cflags=${MW_CFLAGS:-} ldflags=${MW_LDFLAGS:-}"
    if [ ! -f "$src/objs/Makefile" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]
    then
        log "configure ($src)"
        # a release tarball has ./configure, a git checkout auto/configure
        local configure=./configure
        [ -x "$src/configure" ] || configure=auto/configure
        (cd "$src" && $configure "${conf_flags[@]}" \
            --with-cc-opt="-g -O2 -fPIC ${MW_CFLAGS:-}" \
            --with-ld-opt="-fPIC ${MW_LDFLAGS:-}" \
            --add-dynamic-module="$top" >"$build/configure.log" 2>&1) \
            || { tail -30 "$build/configure.log"; exit 1; }
        echo "$want" > "$stamp"
    fi

    log "make modules"
    (cd "$src" && make -f objs/Makefile modules >"$build/make.log" 2>&1) \
        || { grep -E 'error|warning' "$build/make.log" | head -40; exit 1; }
    # never overwrite in place: a running nginx may have the old one mapped
    cp "$src/objs/ngx_http_middleware_module.so" "$build/.module.so.tmp"
    mv -f "$build/.module.so.tmp" "$build/ngx_http_middleware_module.so"
    log "built $build/ngx_http_middleware_module.so"
}

# --- tests ------------------------------------------------------------------

run_unit() {
    local out="$build/unit" cflags libs
    mkdir -p "$out"
    cflags="-std=c99 -g -O0 -Wall -Wextra -Werror -I$top/include"
    libs=$(pkg-config --libs check)
    for t in "$top"/t/unit/test_*.c; do
        [ -e "$t" ] || continue
        local name unit
        name=$(basename "$t" .c)
        unit=${name#test_}
        # shellcheck disable=SC2086
        gcc $cflags $(pkg-config --cflags check) -o "$out/$name.t" "$t" \
            "$top"/src/mw_*.c $libs
    done
    log "unit tests (Check)"
    (cd "$out" && CK_TAP_LOG_FILE_NAME=- CK_VERBOSITY=silent \
        prove --exec '' ./*.t)
}

run_js() {
    log "runtime tests (njs CLI $("${NJS_CLI:-njs}" -v)${NJS_ENGINE:+, $NJS_ENGINE})"
    prove --exec "$top/t/js/run" "$top"/t/js/test_*.js || return 1
    # again on the runtime built as one file, whose API is made of shells
    # of the sources' (tools/runtime): the same tests see the same API
    if ! command -v node > /dev/null; then
        log "no Node.js: the runtime tests on the built runtime are skipped"
        return 0
    fi
    "$top/build.sh" runtime "$build/js" > /dev/null || return 1
    log "runtime tests on the runtime built as one file ($build/js)"
    MW_JS="$build/js" prove --exec "$top/t/js/run" "$top"/t/js/test_*.js
}

run_prove() {
    log "integration tests (prove, real nginx)"
    (cd "$top" && TEST_NGINX_MODULE="$build/ngx_http_middleware_module.so" \
        prove -I t/lib ${PROVE_ARGS:-} t/*.t)
}

# the integration suite again, on the runtime built as one file (what
# "./build.sh runtime" makes for js_path): needs Node.js and tools/' npm
# packages, like ./build.sh bundle
run_prove_built() {
    if ! command -v node > /dev/null; then
        log "no Node.js: the suite on the built runtime is skipped"
        return 0
    fi
    "$top/build.sh" runtime "$build/js" > /dev/null || return 1
    log "on the runtime built as one file ($build/js)"
    TEST_NGINX_JS="$build/js" run_prove
}

# --- install, packages ----------------------------------------------------

# the layout of the Debian package (debian/), under PREFIX; the
# modules-enabled link goes to NGINX_CONFDIR (/etc/nginx)
install_layout() {
    prefix=${PREFIX:-/usr}
    destdir=${DESTDIR:-}
    confdir=${NGINX_CONFDIR:-/etc/nginx}
    moddir=$prefix/lib/nginx/modules
    availdir=$prefix/share/nginx/modules-available
    jsdir=$prefix/share/nginx/middleware/js
    docdir=$prefix/share/doc/libnginx-mod-http-middleware
    manifest=$prefix/share/nginx/middleware/installed-files
    link=$confdir/modules-enabled/60-mod-http-middleware.conf
}

# the runtime's directory to install (its next/*.js): the runtime built as
# one file ("./build.sh runtime") when Node.js is there, which costs a
# request ~50 k instructions less on the njs engine (it re-runs every
# imported module's top level per request); its sources without Node.js
# or with MW_RUNTIME=sources.  Both hold the same files.
runtime_dir() {
    if [ "${MW_RUNTIME:-}" = sources ]; then
        log "the runtime's sources (MW_RUNTIME=sources)"
        echo "$top/js"
        return 0
    fi
    if ! command -v node > /dev/null; then
        log "no Node.js: the runtime's sources (with Node.js the runtime" \
            "is built as one file, see README: Install)"
        echo "$top/js"
        return 0
    fi
    # its own directory: the suite may be running on $build/js
    "$top/build.sh" runtime "$build/install-js" > /dev/null || return 1
    log "the runtime built as one file ($build/install-js)"
    echo "$build/install-js"
}

run_install() {
    local prefix destdir confdir moddir availdir jsdir docdir manifest link rt
    install_layout

    if [ -z "$destdir" ] && [ "$confdir" = /etc/nginx ] \
        && dpkg-query -W -f='${Status}' libnginx-mod-http-middleware 2>/dev/null \
            | grep -q "install ok installed"
    then
        echo "build.sh install: the package libnginx-mod-http-middleware is" \
             "installed; remove it first (two load_module lines for one" \
             "module make nginx -t fail)" >&2
        exit 1
    fi

    local files=() f
    inst() {                    # inst MODE SRC DEST
        install -D -m "$1" "$2" "$destdir$3"
        files+=("$3")
    }

    # never overwrite the .so in place: a running nginx has it mapped
    install -d "$destdir$moddir"
    install -m 644 "${MODULE:-$build/ngx_http_middleware_module.so}" \
        "$destdir$moddir/.ngx_http_middleware_module.so.tmp"
    mv -f "$destdir$moddir/.ngx_http_middleware_module.so.tmp" \
        "$destdir$moddir/ngx_http_middleware_module.so"
    files+=("$moddir/ngx_http_middleware_module.so")

    local snippet="$build/mod-http-middleware.conf"
    if [ "$moddir" = /usr/lib/nginx/modules ]; then
        cp "$top/debian/mod-http-middleware.conf" "$snippet"
    else
        echo "load_module $moddir/ngx_http_middleware_module.so;" > "$snippet"
    fi
    inst 644 "$snippet" "$availdir/mod-http-middleware.conf"

    rt=$(runtime_dir) || exit 1
    for f in "$rt"/next/*.js; do
        inst 644 "$f" "$jsdir/next/$(basename "$f")"
    done
    inst 644 "$top/examples/clerk-style/clerk.js" "$jsdir/clerk.js"
    inst 644 "$top/examples/telemetry/telemetry.js" "$jsdir/telemetry.js"

    for f in README.md docs/DESIGN.md docs/PROTOCOL.md; do
        inst 644 "$top/$f" "$docdir/$(basename "$f")"
    done
    for f in examples/clerk-style/* examples/telemetry/* examples/site/*; do
        local mode=644
        [ -x "$top/$f" ] && mode=755
        inst $mode "$top/$f" "$docdir/$f"
    done

    install -d "$destdir$confdir/modules-enabled"
    ln -sfn "$availdir/mod-http-middleware.conf" "$destdir$link"
    files+=("$link")

    install -d "$destdir$(dirname "$manifest")"
    printf '%s\n' "${files[@]}" "$manifest" > "$destdir$manifest"
    log "installed into ${destdir:-/}: $moddir/ngx_http_middleware_module.so," \
        "$link, js_path $jsdir"
    log "then: nginx -t && systemctl reload nginx (a new .so needs a restart," \
        "see README: Upgrade)"
}

run_uninstall() {
    local prefix destdir confdir moddir availdir jsdir docdir manifest link
    install_layout

    if [ ! -f "$destdir$manifest" ]; then
        echo "build.sh uninstall: nothing installed under" \
             "${destdir}${prefix} (no $destdir$manifest)" >&2
        exit 1
    fi
    local files=() f d
    mapfile -t files < "$destdir$manifest"
    for f in "${files[@]}"; do
        case "$f" in /*) rm -f "$destdir$f" ;; esac
    done
    # the directories the install made, if now empty
    for f in "${files[@]}"; do
        d=$(dirname "$f")
        while [ "$d" != / ] && [ "$d" != "$prefix" ] && [ "$d" != "$confdir" ]
        do
            rmdir "$destdir$d" 2>/dev/null || break
            d=$(dirname "$d")
        done
    done
    log "uninstalled from ${destdir:-/}$prefix (and $link)"
}

# a binary package, built the Debian way (dh-sequence-nginx) in a clean
# copy of the tree, for the nginx of this machine or, with
# MW_DEB_ROOT=/path/to/root, of that Debian root (e.g. Debian 13's nginx
# 1.26.3 in /var/cache/ngx-middleware/deb13/root, which has nginx-dev and
# debhelper): one package per target nginx, the version says which
# (0.1.0+deb12, 0.1.0+deb13), nginx-abi-* in Depends makes dpkg refuse it
# next to another nginx.  Result: build/deb-<codename>/, $deb
run_deb() {
    local root=${MW_DEB_ROOT:-} codename major
    codename=$(. "$root/etc/os-release" && echo "$VERSION_CODENAME")
    major=$(cut -d. -f1 "$root/etc/debian_version")
    local out="$build/deb-$codename"
    local work="$build/deb-$codename.src"
    [ -n "$root" ] && work="$root/tmp/mw-deb-$$"

    rm -rf "$out" "$work"
    mkdir -p "$out" "$work/src"
    if [ -n "$root" ]; then
        # no mounts of ours inside the root: a copy in its /tmp, removed
        # on any exit (the root is shared, never rm -rf outside $work)
        deb_work=$work
        trap 'rm -rf --one-file-system "${deb_work:-/nonexistent}"' EXIT
    fi
    local src="$work/src"
    if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
        (cd "$top" && git ls-files -z --cached --others --exclude-standard \
            | xargs -0 cp --parents -t "$src")
    else
        tar -C "$top" --exclude=./build --exclude=./t/tmp -cf - . \
            | tar -C "$src" -xf -
    fi

    # the runtime built as one file, if Node.js is here (not a build
    # dependency: debian/rules installs it over the sources when present)
    local rt
    rt=$(runtime_dir) || exit 1
    if [ "$rt" != "$top/js" ]; then
        mkdir -p "$src/debian/runtime"
        cp -r "$rt/next" "$src/debian/runtime/"
    fi

    # the target in the version: a changelog entry on top of the copy's
    local version maint nginx_v
    version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)+deb$major
    maint=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Maintainer)
    nginx_v=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' \
              "$root/usr/share/nginx/src/src/core/nginx.h")
    {
        printf 'libnginx-mod-http-middleware (%s) %s; urgency=medium\n\n' \
            "$version" "$codename"
        printf '  * Built for Debian %s (%s), nginx %s.\n\n' \
            "$major" "$codename" "$nginx_v"
        printf ' -- %s  %s\n\n' "$maint" "$(date -R)"
        cat "$top/debian/changelog"
    } > "$src/debian/changelog"

    log "dpkg-buildpackage -b for Debian $major ($codename, nginx $nginx_v)" \
        "${root:+in $root }(log: $out/build.log)"
    if [ -n "$root" ]; then
        chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
            LC_ALL=C.UTF-8 HOME=/root \
            sh -c "cd '${src#"$root"}' && dpkg-buildpackage -b -us -uc" \
            >"$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
    else
        (cd "$src" && dpkg-buildpackage -b -us -uc >"$out/build.log" 2>&1) \
            || { tail -40 "$out/build.log"; exit 1; }
    fi
    mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out/"
    rm -rf --one-file-system "$work"
    deb=$(ls "$out"/libnginx-mod-http-middleware_*_*.deb)
    log "lintian"
    lintian --fail-on error,warning "$out"/*.changes
    # the runtime it holds is the one meant (debian/rules' override)
    dpkg-deb --fsys-tarfile "$deb" \
        | tar -xOf - ./usr/share/nginx/middleware/js/next/server.js \
        | cmp -s - "$rt/next/server.js" \
        || { echo "build.sh deb: $deb: its next/server.js is not" \
                  "$rt/next/server.js" >&2; exit 1; }
    log "built $deb (the runtime: ${rt#"$top"/})"
    dpkg-deb -f "$deb" Package Version Depends >&2
}

# install $deb in a throwaway root of its Debian release (made once, in
# /var/cache/ngx-middleware/deb<N>-pkgroot), and check that the packages
# built for the other releases are refused there
run_deb_test() {
    local major codename other
    major=$(cut -d. -f1 "${MW_DEB_ROOT:-}/etc/debian_version")
    codename=$(. "${MW_DEB_ROOT:-}/etc/os-release" && echo "$VERSION_CODENAME")
    export MW_SUITE=$codename
    export MW_PKGROOT=${MW_PKGROOT:-/var/cache/ngx-middleware/deb$major-pkgroot}
    "$top/debian/ci/deb-test" "$deb"
    for other in "$build"/deb-*/libnginx-mod-http-middleware_*_*.deb; do
        [ -e "$other" ] || continue
        case "$other" in "$build/deb-$codename/"*) continue ;; esac
        "$top/debian/ci/deb-test" --refuse "$other"
    done
}

# --- sanitizers, fuzzing, stress ----------------------------------------------

# the module with ASan and UBSan in its own build directory; nginx itself
# is not instrumented, so the ASan runtime is preloaded into it, and the
# harness fails a test file on any report whose stack involves the module
# (TEST_NGINX_ASAN, t/lib/Mw/Nginx.pm)

run_asan() {
    local rt
    rt=$(gcc -print-file-name=libasan.so)
    rt=$(readlink -f "$rt")

    # nginx unloads its modules before the leak check runs at exit: keep
    # them mapped, so that the reports name the module's functions
    printf 'int dlclose(void *h) { (void) h; return 0; }\n' \
        > "$build/nodlclose.c"
    gcc -shared -fPIC -o "$build/nodlclose.so" "$build/nodlclose.c"

    TEST_NGINX_ASAN=1 TEST_NGINX_ASAN_PRELOAD="$rt $build/nodlclose.so" \
        run_prove
}

run_fuzz() {
    "$top/fuzz/run" "$fuzz_seconds"
}

run_stress() {
    (cd "$top" && TEST_NGINX_MODULE="$build/ngx_http_middleware_module.so" \
        prove -I t/lib ${PROVE_ARGS:-} t/stress/*.t)
}

# --- demo -------------------------------------------------------------------

run_demo() {
    exec "$top/examples/demo/run" "$build/ngx_http_middleware_module.so"
}

case "$cmd" in
    clean) rm -rf "$build"; exit 0 ;;
    uninstall) run_uninstall; exit 0 ;;
    # MODULE=path/to/ngx_http_middleware_module.so: install that one, no build
    install) [ -n "${MODULE:-}" ] && { run_install; exit 0; } ;;
esac

deps

case "$cmd" in
    deb) run_deb; exit ;;
    deb-test) run_deb; run_deb_test; exit ;;
esac

case "$cmd" in
    unit) run_unit; exit ;;
    js) run_js; exit ;;
    fuzz) run_fuzz; exit ;;
    asan)
        build="$top/build/asan"
        export MW_CFLAGS="${MW_CFLAGS:-} -fsanitize=address,undefined -fno-omit-frame-pointer"
        export MW_LDFLAGS="${MW_LDFLAGS:-} -fsanitize=address,undefined"
        ;;
esac

build_module

case "$cmd" in
    build) ;;
    prove) run_prove ;;
    test)
        rc=0
        run_unit || rc=1
        run_js || rc=1
        run_prove || rc=1
        run_prove_built || rc=1
        if [ $rc -ne 0 ]; then
            echo "build.sh test: FAILED" >&2
            exit 1
        fi
        echo "build.sh test: all suites passed" >&2
        ;;
    valgrind)
        TEST_NGINX_VALGRIND=1 run_prove ;;
    asan) run_asan ;;
    stress) run_stress ;;
    demo) run_demo ;;
    install) run_install ;;
    bench) exec "$top/bench/run" "$@" ;;
esac
