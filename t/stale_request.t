#!/usr/bin/perl

# What a middleware keeps of a request past its end: QuickJS with
# js_context_reuse keeps the module's state for later requests.  A
# NextRequest and a copy of its Headers kept in module state and read by
# a later request give what the kept request had (its headers' get() of
# a name sent, which reads that request's variables, and a nextUrl made
# only then), with no alert; under TEST_NGINX_VALGRIND=1 without an
# invalid read.
# On the njs engine each request is a VM clone: nothing is kept.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Mw::Nginx qw(status header body);

my $t = Mw::Nginx->new();

$t->write_file('mw.js', <<'EOF');
import server from 'next/server.js';
var NextResponse = server.NextResponse;

var kept = null;

function tryRead(f) {
    try {
        return String(f());

    } catch (e) {
        return e.name;
    }
}

function middleware(request) {
    var res = NextResponse.next(), old;

    /* not nextUrl: made later, from the kept request */
    if (request.headers.has('x-keep')) {
        kept = { request: request, copy: new Headers(request.headers) };
        request.headers.has('x-id');
        return res;
    }

    old = kept;
    res.headers.set('x-kept', old ? 'yes' : 'no');

    if (old) {
        res.headers.set('x-get', tryRead(function () {
            return old.request.headers.get('x-id');
        }));
        res.headers.set('x-copy', tryRead(function () {
            return old.copy.get('X-Id');
        }));
        res.headers.set('x-url', tryRead(function () {
            return old.request.nextUrl.pathname;
        }));
        res.headers.set('x-geo', tryRead(function () {
            return old.request.geo;
        }));
    }

    return res;
}

export default server.serve(middleware);
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

worker_processes 1;

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;

    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        location / {
            middleware @mw;
            return 200 "ok\n";
        }

        location @mw {
            js_content mw.handle;
        }
    }
}
EOF

$t->run();

my $r = $t->http_get('/a', headers => ['X-Id' => 'first', 'X-Keep' => 1]);
is(status($r), 200, 'the request kept') or diag($r);

# other requests in between, so that the first one's memory is reused
$t->http_get('/b', headers => ['X-Id' => 'x' x 200]) for 1 .. 3;

$r = $t->http_get('/c', headers => ['X-Id' => 'second']);
is(status($r), 200, 'a later request reads what was kept') or diag($r);

if ($t->engine() eq 'qjs') {
    is(header($r, 'x-kept'), 'yes', 'QuickJS: kept in module state');
    is(header($r, 'x-get'), 'first', 'its headers: the lines it held');
    is(header($r, 'x-copy'), 'first', 'a copy of them too');
    is(header($r, 'x-url'), '/a', 'nextUrl made now: the kept request\'s');
    is(header($r, 'x-geo'), 'undefined', 'geo: none configured');

} else {
    is(header($r, 'x-kept'), 'no', 'njs engine: a VM per request');
}

$t->stop();
$t->no_alerts_ok();

done_testing();
