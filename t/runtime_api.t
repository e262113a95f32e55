#!/usr/bin/perl

# The runtime through nginx: a middleware written as a Next.js author
# writes it (the ported import), cookies round trip, config.matcher with
# has/missing evaluated by nginx (non-matching requests create no detached
# request), an async middleware awaiting ngx.fetch, body exposure.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Mw::Nginx qw(status header headers body);

my $t = Mw::Nginx->new();

# as in a Next.js project, with the import line changed and the njs 0.7.9
# dialect (no named exports, destructuring or optional chaining)

$t->write_file_expand('middleware.js', <<'EOF');
import server from 'next/server.js';
var NextResponse = server.NextResponse;

const PUBLIC = ['/', '/login'];

function isPublic(pathname) {
    return PUBLIC.indexOf(pathname) !== -1;
}

async function lookupUser(session) {
    const res = await ngx.fetch('http://127.0.0.1:%%PORT_2%%/users/'
                                + encodeURIComponent(session));
    if (res.status !== 200) {
        return null;
    }
    return await res.json();
}

async function middleware(request) {
    const pathname = request.nextUrl.pathname;

    if (pathname === '/cookies') {
        const theme = request.cookies.get('theme');
        const res = NextResponse.next();
        res.headers.set('x-theme-seen', theme ? theme.value : 'none');
        res.headers.set('x-has-old', String(request.cookies.has('old')));
        res.cookies.set('visited', 'yes', { path: '/', httpOnly: true,
                                            secure: true, sameSite: 'lax',
                                            maxAge: 3600 });
        res.cookies.set({ name: 'pref', value: 'a=b c', path: '/app',
                          domain: 'example.com' });
        res.cookies.delete('old');
        return res;
    }

    if (pathname === '/geo') {
        return NextResponse.json({ geo: request.geo || null,
                                   ip: request.ip });
    }

    if (pathname === '/body') {
        const data = await request.json();
        return NextResponse.json({ got: data, method: request.method });
    }

    if (isPublic(pathname)) {
        return NextResponse.next();
    }

    const cookie = request.cookies.get('session');
    const session = cookie ? cookie.value : undefined;

    if (!session) {
        const url = request.nextUrl.clone();
        url.pathname = '/login';
        url.searchParams.set('from', pathname);
        return NextResponse.redirect(url);
    }

    const user = await lookupUser(session);

    if (!user) {
        return new NextResponse('unknown session', { status: 403 });
    }

    const headers = new Headers(request.headers);
    headers.set('x-user', user.name);

    return NextResponse.next({ request: { headers: headers } });
}

const config = {
    matcher: [
        '/((?!static|health).*)',
        { source: '/health/deep', has: [{ type: 'header', key: 'x-probe' }],
          missing: [{ type: 'cookie', key: 'skip', value: '1' }] },
        { source: '/health/q', has: [{ type: 'query', key: 'v', value: '2' }] },
        { source: '/health/h', has: [{ type: 'header', key: 'x-a',
                                       value: '1, 2' }] }
    ]
};

export default { middleware: middleware, config: config };
EOF

$t->write_file('mw.js', <<'EOF');
import server from 'next/server.js';
import m from 'middleware.js';
export default server.serve(m.middleware, m.config);
EOF

$t->write_file('up.js', <<'EOF');
function echo(r) {
    r.return(200, JSON.stringify({ uri: r.uri,
                                   user: r.headersIn['X-User'] || null }));
}
function users(r) {
    var id = decodeURIComponent(r.uri.slice(7));
    if (id === 'good') {
        r.headersOut['Content-Type'] = 'application/json';
        r.return(200, JSON.stringify({ name: 'Ada' }));
        return;
    }
    r.return(404, 'no');
}
export default { echo, users };
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

worker_processes 1;

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_path %%TESTDIR%%;
    js_import mw from %%TESTDIR%%/mw.js;

    map $remote_addr $middleware_geo_country {
        127.0.0.1  "ZZ";
        default    "";
    }
    js_import up from %%TESTDIR%%/up.js;

    server {
        listen 127.0.0.1:%%PORT_0%%;

        location / {
            middleware @mw;
            middleware_request_body on;
            proxy_pass http://127.0.0.1:%%PORT_2%%;
        }

        location = /metrics {
            middleware_status;
        }

        location @mw {
            js_content mw.handle;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;

        location /users/ { js_content up.users; }
        location / { js_content up.echo; }
    }
}
EOF

$t->run();

sub metric {
    my ($name) = @_;
    my $m = body($t->http_get('/metrics')) // '';
    my ($v) = $m =~ /^\Q$name\E (\d+)$/m;
    return $v // 0;
}

# the Next.js-style middleware ---------------------------------------------

my $r = $t->http_get('/');
is(status($r), 200, 'public page');

$r = $t->http_get('/account');
is(status($r), 307, 'no session: redirect');
is(header($r, 'location'), 'http://localhost/login?from=%2Faccount',
   'no session: to the login page with the origin');

$r = $t->http_get('/account', headers => [Cookie => 'session=bad']);
is(status($r), 403, 'unknown session: 403 (async fetch awaited)');
is(body($r), 'unknown session', 'unknown session: body');

$r = $t->http_get('/account', headers => [Cookie => 'session=good']);
is(status($r), 200, 'good session: continues');
like(body($r), qr/"user":"Ada"/, 'good session: user forwarded upstream');

# cookies round trip ----------------------------------------------------------

$r = $t->http_get('/cookies', headers => [Cookie => 'theme=dark; old=1']);
is(header($r, 'x-theme-seen'), 'dark', 'request cookie read');
is(header($r, 'x-has-old'), 'true', 'request cookie has()');
my @c = headers($r, 'set-cookie');
is(scalar @c, 3, 'three Set-Cookie headers');
like($c[0], qr/^visited=yes; Path=\/; Expires=\w\w\w, \d\d \w\w\w \d{4} [\d:]{8} GMT; Max-Age=3600; Secure; HttpOnly; SameSite=lax$/,
     'cookie with options, serialized as Next.js (Expires from maxAge)')
    or diag($c[0]);
is($c[1], 'pref=a%3Db%20c; Path=/app; Domain=example.com',
   'cookie value encoded, domain') or diag($c[1]);
like($c[2], qr/^old=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT$/,
     'cookie deleted') or diag($c[2]);

# request body ----------------------------------------------------------------

$r = $t->http("POST /body HTTP/1.1\r\nHost: localhost\r\n"
              . "Content-Type: application/json\r\nContent-Length: 13\r\n"
              . "Connection: close\r\n\r\n{\"a\":[1,2,3]}");
is(body($r), '{"got":{"a":[1,2,3]},"method":"POST"}',
   'request.json() with middleware_request_body on');

# request.geo from configured variables, request.ip ---------------------------

$r = $t->http_get('/geo');
is(body($r), '{"geo":{"country":"ZZ"},"ip":"127.0.0.1"}',
   'request.geo from $middleware_geo_country, request.ip');

# config.matcher: nginx evaluates it, no detached request when it excludes --

my $runs = metric('nginx_middleware_runs_total');
my $skipped = metric('nginx_middleware_skipped_total');

$r = $t->http_get('/static/app.js');
is(status($r), 200, 'excluded path: served');
like(body($r), qr/"uri":"\/static\/app.js"/, 'excluded path: upstream');

$r = $t->http_get('/health/deep');
like(body($r), qr/"uri":"\/health\/deep"/,
     'has header missing: not run, straight upstream');

$r = $t->http_get('/health/deep', headers => ['X-Probe' => '1',
                                              Cookie => 'skip=1']);
like(body($r), qr/"uri":"\/health\/deep"/,
     'missing cookie present: not run');

is(metric('nginx_middleware_runs_total'), $runs,
   'no detached request for the three excluded requests');
is(metric('nginx_middleware_skipped_total') - $skipped, 3,
   'the three were counted as skipped');

$r = $t->http_get('/health/deep', headers => ['X-Probe' => '1']);
is(status($r), 307, 'has header, no skip cookie: the middleware runs');
is(metric('nginx_middleware_runs_total') - $runs, 1, 'and it was one run');

# duplicated keys as Next.js sees them: the last query value, header lines
# joined with ", "

$r = $t->http_get('/health/q?v=1&v=2');
is(status($r), 307, 'query: the last value counts (runs)');
$r = $t->http_get('/health/q?v=2&v=1');
like(body($r), qr/"uri":"\/health\/q"/, 'query: not the first (skipped)');
$r = $t->http_get('/health/q?V=2');
like(body($r), qr/"uri":"\/health\/q"/, 'query: keys are case-sensitive');
$r = $t->http_get('/health/q?%76=%32');
is(status($r), 307, 'query: keys and values decoded');
$r = $t->http_get('/health/h', headers => ['X-A' => '1', 'X-A' => '2']);
is(status($r), 307, 'header: repeated lines joined with ", "');
$r = $t->http_get('/health/h', headers => ['X-A' => '1']);
like(body($r), qr/"uri":"\/health\/h"/, 'header: one line does not match');

# a path matches if its raw or its decoded form does: when in doubt the
# middleware runs (an encoded path never slips past a protecting matcher)

$r = $t->http_get('/st%61tic/app.js');
is(status($r), 307,
   'percent-encoded excluded path: the raw form matches, the middleware runs');

$r = $t->http_get('/%61ccount');
is(status($r), 307, 'percent-encoded protected path: the middleware runs');

$t->stop();
$t->no_alerts_ok();

done_testing();
