#!/usr/bin/env bash
#
# ./build.sh                     build ngx_http_middleware_module.so against
#                                the distro nginx (nginx-dev, --with-compat)
# ./build.sh --nginx-src DIR     build against an nginx source tree instead
# ./build.sh test                build, then run every test suite
# ./build.sh unit|js|prove       one suite (after a build)
# ./build.sh demo                nginx on 127.0.0.1:8080 with the example
#                                middleware in front of a demo upstream
# ./build.sh asan                the module with ASan + UBSan (build/asan),
#                                the integration suite with the runtime
#                                preloaded into nginx
# ./build.sh valgrind            the integration suite under valgrind
# ./build.sh fuzz [SECONDS]      libFuzzer on every decoder of src/ (fuzz/)
# ./build.sh stress              bounded stress tests (t/stress/)
#
# Missing Debian packages are installed with apt-get (run as root).

set -euo pipefail

top=$(cd "$(dirname "$0")" && pwd)
build="$top/build"
nginx_src=""
cmd=build
fuzz_seconds=60

while [ $# -gt 0 ]; do
    case "$1" in
        --nginx-src) nginx_src=$(cd "$2" && pwd); shift 2 ;;
        --nginx-src=*) nginx_src=$(cd "${1#*=}" && pwd); shift ;;
        build|test|unit|js|prove|demo|valgrind|asan|stress|clean)
            cmd=$1; shift ;;
        fuzz) cmd=fuzz; shift
              case "${1:-}" in [0-9]*) fuzz_seconds=$1; shift ;; esac ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown argument: $1" >&2; exit 2 ;;
    esac
done

log() { printf '==> %s\n' "$*" >&2; }

# --- dependencies -----------------------------------------------------------

deps() {
    local want=(nginx nginx-dev libnginx-mod-http-js njs check gcc make
                pkg-config libpcre2-dev libssl-dev zlib1g-dev curl perl
                openssl)
    [ "$cmd" = valgrind ] && want+=(valgrind)
    [ "$cmd" = fuzz ] && want+=(clang-14 libclang-rt-14-dev)
    [ "$cmd" = test ] && want+=(valgrind)
    local missing=()
    for p in "${want[@]}"; do
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
    log "runtime tests (njs CLI $(njs -v))"
    prove --exec "$top/t/js/run" "$top"/t/js/test_*.js
}

run_prove() {
    log "integration tests (prove, real nginx)"
    (cd "$top" && TEST_NGINX_MODULE="$build/ngx_http_middleware_module.so" \
        prove -I t/lib ${PROVE_ARGS:-} t/*.t)
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
esac

deps

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
esac
