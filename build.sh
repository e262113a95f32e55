#!/usr/bin/env bash
#
# ./build.sh                     build ngx_http_middleware_module.so against
#                                the distro nginx (nginx-dev, --with-compat)
# ./build.sh --nginx-src DIR     build against an nginx source tree instead
# ./build.sh test                build, then run every test suite
# ./build.sh unit|js|prove       one suite (after a build)
# ./build.sh demo                nginx on 127.0.0.1:8080 with the example
#                                middleware in front of a demo upstream
# ./build.sh matrix [STACK...]   every suite on every supported stack
#                                (tools/matrix/run; deb12 deb13 org-njs
#                                org-qjs), one table at the end
#
# MW_BUILD_DIR (default build/) holds the module and the test binaries.
# Missing Debian packages are installed with apt-get (run as root).

set -euo pipefail

top=$(cd "$(dirname "$0")" && pwd)
build="${MW_BUILD_DIR:-$top/build}"
nginx_src=""
cmd=build

while [ $# -gt 0 ]; do
    case "$1" in
        --nginx-src) nginx_src=$(cd "$2" && pwd); shift 2 ;;
        --nginx-src=*) nginx_src=$(cd "${1#*=}" && pwd); shift ;;
        build|test|unit|js|prove|demo|valgrind|clean) cmd=$1; shift ;;
        matrix) shift; exec "$top/tools/matrix/run" "$@" ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done

log() { printf '==> %s\n' "$*" >&2; }

# --- dependencies -----------------------------------------------------------

deps() {
    local want=(nginx nginx-dev libnginx-mod-http-js njs check gcc make
                pkg-config libpcre2-dev libssl-dev zlib1g-dev curl perl
                openssl)
    # for another nginx (nginx.org's packages, a source build) Debian's
    # nginx and njs packages are not needed, and would conflict with them
    local skip=" "
    if [ -n "$nginx_src" ] && [ -n "${NGINX_CONFIGURE_ARGS:-}" ]; then
        skip+="nginx nginx-dev libnginx-mod-http-js "
    fi
    [ -n "${NJS_CLI:-}" ] && skip+="njs "
    [ "$cmd" = valgrind ] && want+=(valgrind)
    [ "$cmd" = test ] && want+=(valgrind)
    local missing=()
    for p in "${want[@]}"; do
        [[ "$skip" == *" $p "* ]] && continue
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing: ${missing[*]}"
    if [ "$(id -u)" != 0 ]; then
        echo "build.sh: missing packages ${missing[*]} and not root" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
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
    local want="$src ${conf_flags[*]} $(md5sum "$top/config" | cut -c1-32)"
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
    prove --exec "$top/t/js/run" "$top"/t/js/test_*.js
}

run_prove() {
    log "integration tests (prove, real nginx)"
    (cd "$top" && TEST_NGINX_MODULE="$build/ngx_http_middleware_module.so" \
        prove -I t/lib ${PROVE_ARGS:-} t/*.t)
}

# --- demo -------------------------------------------------------------------

run_demo() {
    exec "$top/examples/demo/run" "$build/ngx_http_middleware_module.so"
}

case "$cmd" in
    clean) rm -rf "$build"; exit 0 ;;
esac

deps

case "$cmd" in
    unit) run_unit; exit ;;
    js) run_js; exit ;;
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
        if [ $rc -ne 0 ]; then
            echo "build.sh test: FAILED" >&2
            exit 1
        fi
        echo "build.sh test: all suites passed" >&2
        ;;
    valgrind)
        TEST_NGINX_VALGRIND=1 run_prove ;;
    demo) run_demo ;;
esac
