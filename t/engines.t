#!/usr/bin/perl

# What differs between njs 0.7.9, the njs engine of njs >= 0.8 and
# QuickJS must not show in middleware: the global Headers and Response
# (the runtime's, with WHATWG forEach order and one content-type), native
# objects from ngx.fetch accepted wherever the runtime's are (returned as
# the response, copied into new Headers, as request header overrides,
# null bodies), the runtime's Headers given to ngx.fetch, raw bytes in
# paths, queries and headers, and thrown errors logged with name, message
# and stack.  Run on every stack of the matrix (TEST_NGINX_ENGINE=qjs for
# QuickJS).

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Mw::Nginx qw(status header headers body);

my $t = Mw::Nginx->new();

$t->write_file_expand('mw.js', <<'EOF');
import server from 'next/server.js';
var NextResponse = server.NextResponse;

var UP = 'http://127.0.0.1:%%PORT_1%%';

function hex(s) {
    var i, out = '';
    for (i = 0; i < s.length; i++) {
        out += (s.charCodeAt(i) < 16 ? '0' : '') + s.charCodeAt(i).toString(16);
    }
    return out;
}

async function middleware(request) {
    var p = request.nextUrl.pathname;
    var h, seen, res, up, body;

    if (p === '/globals') {
        h = new Headers({ 'X-B': '2', 'x-a': '1' });
        seen = [];
        h.forEach(function (value, key) { seen.push(key + '=' + value); });
        try {
            null.x;
        } catch (e) {
            body = (typeof e.stack === 'string' && e.stack !== '');
        }
        return NextResponse.json({
            same: Headers === server.Headers && Response === server.Response,
            forEach: seen.join('&'),
            version: njs.version,
            stack: body
        });
    }

    if (p === '/response') {
        return new Response('plain body',
                            { status: 201,
                              headers: { 'content-type': 'text/plain' } });
    }

    if (p === '/response-default') {
        return new Response('x');
    }

    if (p === '/override') {
        h = new Headers(request.headers);
        h.set('x-user', 'ada');
        return NextResponse.next({ request: { headers: h } });
    }

    if (p === '/fetched') {
        return await ngx.fetch(UP + '/cookies');
    }

    if (p === '/fetched-empty') {
        return await ngx.fetch(UP + '/empty');
    }

    if (p === '/fetched-headers') {
        up = await ngx.fetch(UP + '/cookies');
        h = new Headers(up.headers);
        res = NextResponse.next({ request: { headers: up.headers } });
        res.headers.set('x-copied', h.get('x-up') + ';'
                                    + h.getSetCookie().length);
        return res;
    }

    if (p === '/fetch-with-ours') {
        up = await ngx.fetch(UP + '/echo',
                             { headers: new Headers({ 'X-Sent': 'ours' }) });
        body = await up.text();
        return new Response(body, { headers: { 'content-type':
                                               'application/json' } });
    }

    if (p === '/throw') {
        throw new TypeError('engine boom');
    }

    if (p === '/reject') {
        await Promise.resolve();
        throw new RangeError('async engine boom');
    }

    return NextResponse.json({
        pathname: p,
        q: request.nextUrl.searchParams.get('q'),
        url: request.url,
        u: hex(request.headers.get('x-u') || '')
    });
}

export default server.serve(middleware);
EOF

# QuickJS takes modern syntax natively (the njs engine would not parse it)

my $qjs = ($t->engine() eq 'qjs');

$t->write_file('mw_modern.js', <<'EOF');
import server from 'next/server.js';
const { NextResponse } = server;

class Greeter {
    constructor(name) { this.name = name; }
    hi() { return `hi ${this.name}`; }
}

function middleware(request, { waitUntil } = {}) {
    const { pathname, searchParams } = request.nextUrl;
    const seen = new Map([['p', pathname]]);
    const names = [];
    for (const [key] of new Headers(request.headers)) {
        names.push(key);
    }
    return NextResponse.json({
        greet: new Greeter(searchParams.get('n') ?? 'nobody').hi(),
        p: seen.get('p'),
        cookie: request.cookies.get('x')?.value ?? 'none',
        names: [...names].join(',')
    });
}

export default server.serve(middleware);
EOF

$t->write_file('up.js', <<'EOF');
function cookies(r) {
    r.headersOut['Set-Cookie'] = ['a=1; Path=/', 'b=2; Path=/'];
    r.headersOut['X-Up'] = 'from-upstream';
    r.headersOut['Content-Type'] = 'text/html';
    r.return(200, 'upstream body');
}
function empty(r) {
    r.return(204);
}
function echo(r) {
    r.return(200, JSON.stringify({ sent: r.headersIn['X-Sent'] || null,
                                   user: r.headersIn['X-User'] || null,
                                   up: r.headersIn['X-Up'] || null }));
}
export default { cookies, empty, echo };
EOF

my $conf = <<'EOF';
%%TEST_GLOBALS%%

worker_processes 1;

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;
    js_import up from %%TESTDIR%%/up.js;
    %%MODERN_IMPORT%%

    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        location / {
            middleware @mw;
            proxy_pass http://127.0.0.1:%%PORT_1%%/echo;
        }

        location @mw {
            js_content mw.handle;
        }

        %%MODERN_LOCATIONS%%
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;
        location /cookies { js_content up.cookies; }
        location /empty { js_content up.empty; }
        location / { js_content up.echo; }
    }
}
EOF

my $modern_import = $qjs ? 'js_import modern from %%TESTDIR%%/mw_modern.js;' : '';
my $modern_loc = $qjs ? 'location /modern/ { middleware @modern; '
    . 'proxy_pass http://127.0.0.1:%%PORT_1%%/echo; } '
    . 'location @modern { js_content modern.handle; }' : '';
$conf =~ s/%%MODERN_IMPORT%%/$modern_import/;
$conf =~ s/%%MODERN_LOCATIONS%%/$modern_loc/;
$t->write_file_expand('nginx.conf', $conf);

$t->run();

require JSON::PP;
sub json { my $b = body($_[0]) // ''; $b =~ /^\{/ ? JSON::PP::decode_json($b) : {} }

# --- the globals -----------------------------------------------------------

my $r = $t->http_get('/globals');
is(json($r)->{same}, JSON::PP::true(), 'Headers and Response are the runtime\'s');
is(json($r)->{forEach}, 'x-a=1&x-b=2', 'forEach(value, key), sorted');

$r = $t->http_get('/response');
is(status($r), 201, 'new Response: status');
is(body($r), 'plain body', 'new Response: body');
is(join('|', headers($r, 'content-type')), 'text/plain',
   'new Response: one content-type, the given one');

$r = $t->http_get('/response-default');
is(header($r, 'content-type'), 'text/plain;charset=UTF-8',
   'new Response: the default content-type');

$r = $t->http_get('/override');
is(json($r)->{user}, 'ada', 'new Headers(request.headers) as override');

# --- native objects from ngx.fetch -----------------------------------------

# njs 0.7.9's ngx.fetch reply is not a Response: its headers cannot be
# listed, so it cannot be returned or copied; a precise error says so

my @v = split /\./, json($t->http_get('/globals'))->{version};
my $native = ($v[0] * 1000000 + $v[1] * 1000 + $v[2]) >= 7010;

if ($native) {
    $r = $t->http_get('/fetched');
    is(status($r), 200, 'fetched Response returned: status');
    is(body($r), 'upstream body', 'fetched Response returned: body');
    is(header($r, 'x-up'), 'from-upstream',
       'fetched Response returned: header');
    is(join('|', headers($r, 'set-cookie')), 'a=1; Path=/|b=2; Path=/',
       'fetched Response returned: Set-Cookie lines kept apart');
    like(header($r, 'content-type'), qr/^text\/html/, 'its content-type');

    $r = $t->http_get('/fetched-empty');
    is(status($r), 204, 'fetched null-body Response returned: 204');

    $r = $t->http_get('/fetched-headers');
    is(status($r), 200, 'native Headers as request override: continues');
    is(json($r)->{up}, 'from-upstream', 'native Headers as request override');
    is(header($r, 'x-copied'), 'from-upstream;2',
       'new Headers(native): values, set-cookie one by one');

} else {
    $r = $t->http_get('/fetched');
    is(status($r), 500, 'njs < 0.7.10: a fetched reply returned: 500');
    ok($t->wait_for_log(qr/response of ngx.fetch\(\) cannot be returned as is/, 5),
       'njs < 0.7.10: with a precise error');

    $r = $t->http_get('/fetched-headers');
    is(status($r), 500, 'njs < 0.7.10: new Headers(reply.headers): 500');
    ok($t->wait_for_log(qr/these headers cannot be listed/, 5),
       'njs < 0.7.10: with a precise error');
}

$r = $t->http_get('/fetch-with-ours');
is(json($r)->{sent}, 'ours', 'ngx.fetch with the runtime\'s Headers');

$r = $t->http_get('/fetch-with-ours');
is(json($r)->{sent}, 'ours', 'ngx.fetch with the runtime\'s Headers, again');

# --- modern syntax on QuickJS ------------------------------------------------

if ($qjs) {
    $r = $t->http_get('/modern/x?n=ada', headers => [Cookie => 'x=1']);
    is_deeply(json($r), { greet => 'hi ada', p => '/modern/x', cookie => '1',
                          names => 'connection,cookie,host' },
              'QuickJS: class, destructuring, default parameters, Map, '
              . 'for..of over Headers, ?., ??, spread, template literals');
}

# --- raw bytes ---------------------------------------------------------------

$r = $t->http("GET /caf\xc3\xa9?q=\xc3\xa9 HTTP/1.0\r\nHost: localhost\r\n"
              . "X-U: a\xc3\xa9\xff\r\n\r\n");
my $j = json($r);
is($j->{pathname}, '/caf%C3%A9', 'raw UTF-8 path: percent-encoded bytes');
is($j->{q}, "\x{e9}", 'raw UTF-8 query value decoded');
is($j->{url}, 'http://localhost/caf%C3%A9?q=%C3%A9', 'request.url');
is($j->{u}, '61c3a9ff', 'header value: the exact bytes');

$r = $t->http("GET /caf\xe9?q=%E9 HTTP/1.0\r\nHost: localhost\r\n\r\n");
$j = json($r);
is($j->{pathname}, '/caf%E9', 'invalid UTF-8 path: the byte, not U+FFFD');
is($j->{q}, "\x{fffd}", 'invalid UTF-8 query value: U+FFFD (WHATWG)');

# --- errors ------------------------------------------------------------------

$r = $t->http_get('/throw');
is(status($r), 500, 'throw: 500');
ok($t->wait_for_log(qr/uncaught exception \(request \w+\): TypeError: engine boom/, 5),
   'throw: logged with name and message');

is(json($t->http_get('/globals'))->{stack}, JSON::PP::true(),
   'a thrown error has a stack on this engine');
ok($t->wait_for_log(qr/uncaught exception \(request \w+\): TypeError: engine boom\n\s+at middleware /, 5),
   'throw: and the stack, from the middleware\'s frame');

$r = $t->http_get('/reject');
is(status($r), 500, 'rejection: 500');
ok($t->wait_for_log(qr/uncaught exception \(request \w+\): RangeError: async engine boom/, 5),
   'rejection: logged with name and message');

$t->stop();
$t->no_alerts_ok();

done_testing();
