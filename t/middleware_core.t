#!/usr/bin/perl

# The core slice: every decision kind applied to the client request, header
# overrides as the upstream sees them, response headers on proxied, static
# and "return" responses, rewrite, failures, spoofed internal headers,
# HTTP/2, decisions not delayed by pending waitUntil work.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use Mw::Nginx qw(status header headers body);

my $t = Mw::Nginx->new();

$t->write_file('html/static.txt', "static file\n");

$t->write_file_expand('mw.js', <<'EOF');
import server from 'next/server.js';
var NextResponse = server.NextResponse;

function delay(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
}

async function middleware(request, event) {
    var p = request.nextUrl.pathname;
    var q = request.nextUrl.searchParams;

    if (p === '/next' || p.indexOf('/static/') === 0 || p === '/ret') {
        var h = new Headers(request.headers);
        h.set('x-user-id', 'user_' + (request.cookies.get('uid')
                                      ? request.cookies.get('uid').value
                                      : 'anon'));
        h.delete('x-remove-me');
        h.set('host', 'rewritten.host');
        var res = NextResponse.next({ request: { headers: h } });
        res.headers.set('x-mw', 'applied');
        res.headers.set('cache-control', 'private, no-store');
        res.cookies.set('seen', '1', { path: '/', httpOnly: true });
        res.cookies.set('theme', 'dark', { path: '/', maxAge: 60 });
        return res;
    }

    if (p === '/plain-next') {
        return NextResponse.next();
    }

    if (p === '/nothing') {
        return;
    }

    if (p === '/redirect') {
        return NextResponse.redirect(new URL('/sign-in?from=x', request.url));
    }

    if (p === '/redirect308') {
        return NextResponse.redirect('https://example.com/elsewhere', 308);
    }

    if (p === '/json') {
        return NextResponse.json({ error: 'unauthorized', path: p },
                                 { status: 401, headers: { 'x-why': 'no' } });
    }

    if (p === '/text') {
        return new Response('teapot body', { status: 418,
            headers: { 'content-type': 'text/plain; charset=utf-8' } });
    }

    if (p === '/empty401') {
        return new Response(null, { status: 401 });
    }

    if (p === '/rewrite') {
        var r = NextResponse.rewrite(new URL('/rewritten?x=1', request.url));
        r.headers.set('x-rewrote', 'yes');
        return r;
    }

    if (p === '/throw') {
        throw new Error('kaboom from middleware');
    }

    if (p === '/reject') {
        await delay(10);
        throw new TypeError('async kaboom');
    }

    if (p === '/passthrough') {
        event.passThroughOnException();
        throw new Error('passing through');
    }

    if (p === '/slow') {
        await delay(Number(q.get('ms') || 300));
        var hs = new Headers(request.headers);
        var ctx = server.getRequestExecutionContext();
        hs.set('x-user-id', q.get('user'));
        hs.set('x-ctx-id', ctx.requestId);
        var rs = NextResponse.next({ request: { headers: hs } });
        rs.headers.set('x-user-seen', q.get('user'));
        rs.headers.set('x-ctx-id', ctx.requestId);
        return rs;
    }

    if (p === '/never' || p === '/never-pass') {
        await delay(5000);
        return NextResponse.next();
    }

    if (p === '/unsettled') {
        /* nothing pending in njs: the runtime ends without a decision */
        return new Promise(function () {});
    }

    if (p.indexOf('/bg-') === 0) {
        event.waitUntil(ngx.fetch('http://127.0.0.1:%%PORT_3%%/sink?from='
                                  + p));
        if (p === '/bg-redirect') {
            return NextResponse.redirect(new URL('/sign-in', request.url));
        }
        if (p === '/bg-401') {
            return new Response(null, { status: 401 });
        }
        return NextResponse.next();
    }

    if (p === '/await-slow') {
        await ngx.fetch('http://127.0.0.1:%%PORT_3%%/sink?from=await');
        return NextResponse.next();
    }

    return NextResponse.next();
}

export default server.serve(middleware);
EOF

$t->write_file('raw.js', <<'EOF');
// hand-made decisions, to test the module's validation directly
function handle(r) {
    var p = r.uri, d;
    if (p === '/raw/lf-value') d = 'MW1 200\nx-middleware-next:1\nx-a:b%0Ac\n\n';
    else if (p === '/raw/cr-name') d = 'MW1 200\nx-middleware-next:1\nx%0Db:c\n\n';
    else if (p === '/raw/nul-value') d = 'MW1 200\nx-middleware-next:1\nx-a:b%00c\n\n';
    else if (p === '/raw/status') d = 'MW1 700\n\n';
    else if (p === '/raw/no-location') d = 'MW1 307\n\n';
    else if (p === '/raw/garbage') d = 'hello';
    else if (p === '/raw/nothing') return;
    else if (p === '/raw/chunks') {
        /* a decision in several buffers, as r.send() makes them */
        r.status = 200;
        r.sendHeader();
        r.send('MW1 200\nx-middleware-');
        r.send('next:1\nx-chunk');
        r.send('s:three\n\n');
        r.finish();
        return;
    }
    else if (p === '/raw/huge') d = 'MW1 200\ncontent-type:text/plain\n\n'
                                    + new Array(3000).join('x');
    else d = 'MW1 200\nx-middleware-next:1\n\n';
    r.return(200, d);
}
export default { handle };
EOF

$t->write_file('up.js', <<'EOF');
// the upstream: echoes what it received
function echo(r) {
    r.headersOut['Content-Type'] = 'application/json';
    r.headersOut['X-Upstream'] = 'yes';
    r.headersOut['Cache-Control'] = 'public, max-age=60';
    r.return(200, JSON.stringify({ uri: r.uri, args: r.variables.args || '',
                                   headers: r.rawHeadersIn }));
}
function sink(r) {
    setTimeout(function () {
        ngx.log(ngx.WARN, 'SINK ' + r.variables.args);
        r.return(200, 'sunk');
    }, 2000);
}
export default { echo, sink };
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

worker_processes 1;

events {
    worker_connections 256;
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;
    js_import raw from %%TESTDIR%%/raw.js;
    js_import up from %%TESTDIR%%/up.js;

    server {
        listen 127.0.0.1:%%PORT_0%%;
        listen 127.0.0.1:%%PORT_1%% http2;
        server_name localhost;

        middleware @mw;
        middleware_timeout 1s;

        location / {
            proxy_pass http://127.0.0.1:%%PORT_2%%;
        }

        location /static/ {
            alias %%TESTDIR%%/html/;
        }

        location = /ret {
            return 200 "from return\n";
        }

        location = /never-pass {
            middleware_on_error pass;
            proxy_pass http://127.0.0.1:%%PORT_2%%;
        }

        location = /await-slow {
            middleware_timeout 5s;
            proxy_pass http://127.0.0.1:%%PORT_2%%;
        }

        location = /raw/huge {
            middleware @raw;
            middleware_decision_max_size 2k;
            proxy_pass http://127.0.0.1:%%PORT_2%%;
        }

        location /raw/ {
            middleware @raw;
            proxy_pass http://127.0.0.1:%%PORT_2%%;
        }

        location /nomw/ {
            middleware off;
            proxy_pass http://127.0.0.1:%%PORT_2%%;
        }

        location = /metrics {
            middleware off;
            middleware_status;
        }

        location = /stub_status {
            middleware off;
            stub_status;
        }

        location @mw {
            js_content mw.handle;
        }

        location @raw {
            js_content raw.handle;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;

        location / {
            js_content up.echo;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_3%%;

        location / {
            js_content up.sink;
        }
    }
}
EOF

$t->run();

sub upstream {
    my ($r) = @_;
    my $b = body($r);
    return undef unless defined $b && $b =~ /^\{/;
    require JSON::PP;
    return JSON::PP::decode_json($b);
}

sub up_header {
    my ($u, $name) = @_;
    return map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $u->{headers} };
}

sub metric {
    my ($name) = @_;
    my $m = body($t->http_get('/metrics')) // '';
    my ($v) = $m =~ /^\Q$name\E (\d+)$/m;
    return $v // 0;
}

# --- next: request header overrides reach the upstream -------------------

my $r = $t->http_get('/next?a=1', headers => [
    'Cookie' => 'uid=42; other=x',
    'X-Remove-Me' => 'please',
    'X-Keep' => 'kept',
]);

is(status($r), 200, 'next: 200 from the upstream');
my $u = upstream($r);
is($u->{uri}, '/next', 'next: upstream uri');
is($u->{args}, 'a=1', 'next: upstream args');
is_deeply([up_header($u, 'x-user-id')], ['user_42'],
          'next: overridden header reaches the upstream');
is_deeply([up_header($u, 'x-remove-me')], [],
          'next: deleted header does not reach the upstream');
is_deeply([up_header($u, 'x-keep')], ['kept'],
          'next: other headers are kept');
is(header($r, 'x-mw'), 'applied', 'next: response header added');
is(header($r, 'x-upstream'), 'yes', 'next: upstream header kept');
is(header($r, 'cache-control'), 'private, no-store',
   'next: middleware header replaces the upstream one');
my @c = headers($r, 'set-cookie');
is(scalar @c, 2, 'next: two cookies');
like($c[0], qr/^seen=1; Path=\/; HttpOnly$/i, 'next: cookie 1');
like($c[1], qr/^theme=dark; Path=\/; Expires=[^;]+ GMT; Max-Age=60$/i,
     'next: cookie 2 with Expires and Max-Age, in Next.js order');

# --- headers on static and "return" responses -----------------------------

$r = $t->http_get('/static/static.txt');
is(body($r), "static file\n", 'static: file served');
is(header($r, 'x-mw'), 'applied', 'static: response header added');
is(scalar(headers($r, 'set-cookie')), 2, 'static: cookies added');

$r = $t->http_get('/ret');
is(body($r), "from return\n", 'return: served');
is(header($r, 'x-mw'), 'applied',
   'return: the middleware ran before "return" and its header is added');

$r = $t->http_get('/nothing');
is(status($r), 200, 'undefined result: continues');
ok(upstream($r), 'undefined result: upstream reached');

# --- redirect --------------------------------------------------------------

$r = $t->http_get('/redirect');
is(status($r), 307, 'redirect: 307 by default');
is(header($r, 'location'), 'http://localhost/sign-in?from=x',
   'redirect: absolute location');
is(body($r), '', 'redirect: no body');

$r = $t->http_get('/redirect308');
is(status($r), 308, 'redirect: 308');
is(header($r, 'location'), 'https://example.com/elsewhere', 'redirect: 308 location');
is(header($r, 'refresh'), '0;url=https://example.com/elsewhere',
   'redirect: 308 has Refresh, as Next.js');

# --- direct responses ------------------------------------------------------

$r = $t->http_get('/json');
is(status($r), 401, 'json: status');
like(header($r, 'content-type'), qr{^application/json}, 'json: content type');
is(header($r, 'x-why'), 'no', 'json: custom header');
is(body($r), '{"error":"unauthorized","path":"/json"}', 'json: body');
is(header($r, 'content-length'), length(body($r)), 'json: content length');

$r = $t->http_get('/text');
is(status($r), 418, 'Response: status');
is(body($r), 'teapot body', 'Response: body');
is(header($r, 'content-type'), 'text/plain; charset=utf-8',
   'Response: content type');

$r = $t->http_get('/empty401');
is(status($r), 401, '401 without body');
is(header($r, 'content-length'), '0', '401 without body: empty');

# --- rewrite -----------------------------------------------------------------

my $runs = metric('nginx_middleware_runs_total');
$r = $t->http_get('/rewrite');
$u = upstream($r);
is($u->{uri}, '/rewritten', 'rewrite: upstream sees the new path');
is($u->{args}, 'x=1', 'rewrite: and the new query');
is(header($r, 'x-rewrote'), 'yes', 'rewrite: response header applied');
is(metric('nginx_middleware_runs_total') - $runs, 1,
   'rewrite: the middleware ran once, not again for the rewritten uri');

# --- failures ------------------------------------------------------------------

$r = $t->http_get('/throw');
is(status($r), 500, 'throw: 500');
ok($t->wait_for_log(qr/kaboom from middleware/, 5), 'throw: error logged');
like($t->error_log(), qr/\[error\].*kaboom from middleware/,
     'throw: at error level');

$r = $t->http_get('/reject');
is(status($r), 500, 'async rejection: 500');
ok($t->wait_for_log(qr/async kaboom/, 5), 'async rejection: logged');

$r = $t->http_get('/passthrough');
is(status($r), 200, 'passThroughOnException: continues');
ok(upstream($r), 'passThroughOnException: upstream reached');

my $t0 = time();
$r = $t->http_get('/never');
is(status($r), 504, 'no decision in time: 504');
cmp_ok(time() - $t0, '<', 3, 'no decision in time: after the timeout');
ok($t->wait_for_log(qr/middleware timed out after \d+ ms/, 5),
   'no decision in time: logged');

$r = $t->http_get('/unsettled');
is(status($r), 500, 'a promise that can never settle: 500');
ok($t->wait_for_log(qr/finished without a decision.*\/unsettled/, 5),
   'a promise that can never settle: logged');

$r = $t->http_get('/never-pass');
is(status($r), 200, 'no decision, on_error pass: continues');
ok(upstream($r), 'no decision, on_error pass: upstream reached');

for my $case (['lf-value', qr/x-a/], ['cr-name', qr/x\\x0Db|x.b/],
              ['nul-value', qr/x-a/], ['status', qr/status/],
              ['no-location', qr/location|Location/],
              ['garbage', qr/decision/])
{
    my ($name, $re) = @$case;
    $r = $t->http_get("/raw/$name");
    is(status($r), 500, "invalid decision ($name): 500");
    ok(!defined upstream($r), "invalid decision ($name): nothing applied");
}

like($t->error_log(), qr/\[error\].*middleware: .*"x-a".*\/raw\/lf-value/,
     'invalid decision: the log names the header and the request');

$r = $t->http_get('/raw/chunks');
is(status($r), 200, 'decision in several buffers: applied');
is(header($r, 'x-chunks'), 'three', 'decision in several buffers: whole');

$r = $t->http_get('/raw/huge');
is(status($r), 500, 'decision over middleware_decision_max_size: 500');
like($t->error_log(), qr/\[error\].*decision larger than middleware_decision_max_size \(2048 bytes\)/,
     'decision over the limit: logged with the limit');

$r = $t->http_get('/raw/nothing');
is(status($r), 500, 'no decision at all: 500');
ok($t->wait_for_log(qr/instead of a decision|without a decision/, 5),
   'no decision at all: logged');

# --- spoofed internal headers --------------------------------------------------

$r = $t->http_get('/redirect', headers => [
    'X-Middleware-Next' => '1',
    'X-Middleware-Override-Headers' => 'x-evil',
    'X-Middleware-Request-X-Evil' => '1',
    'X-Middleware-Subrequest' =>
        'middleware:middleware:middleware:middleware:middleware',
    'X-Middleware-Rewrite' => '/admin',
]);
is(status($r), 307, 'spoofed headers: the middleware still runs');

$r = $t->http_get('/plain-next', headers => [
    'X-Middleware-Next' => '1',
    'X-Middleware-Override-Headers' => 'x-evil',
    'X-Middleware-Request-X-Evil' => '1',
    'X-Middleware-Subrequest' => 'src/middleware',
    'X-Nextjs-Data' => '1',
]);
$u = upstream($r);
ok($u, 'spoofed headers: upstream reached');
is_deeply([grep { $_->[0] =~ /^x-(middleware|nextjs)/i } @{ $u->{headers} }],
          [], 'spoofed headers: none reaches the upstream');
is_deeply([up_header($u, 'x-evil')], [], 'spoofed override not applied');

$r = $t->http_get('/nomw/x', headers => ['X-Middleware-Next' => '1']);
$u = upstream($r);
is(scalar(up_header($u, 'x-middleware-next')), 1,
   'location without middleware: headers untouched');

# --- concurrent slow middlewares do not see each other's data ----------------

my @res = $t->parallel(map { ["GET /slow?ms=400&user=u$_ HTTP/1.1\r\n"
                               . "Host: localhost\r\nConnection: close\r\n\r\n"] }
                       1 .. 6);
my $ok = 0;
my %ids;
for my $i (1 .. 6) {
    my $x = $res[$i - 1];
    my $ux = upstream($x);
    $ok++ if header($x, 'x-user-seen') eq "u$i"
             && join(',', up_header($ux, 'x-user-id')) eq "u$i"
             && header($x, 'x-ctx-id') eq join(',', up_header($ux, 'x-ctx-id'));
    $ids{ header($x, 'x-ctx-id') // '' } = 1;
}
is($ok, 6, 'concurrent: each request saw only its own data');
is(scalar keys %ids, 6, 'concurrent: six distinct execution contexts');

# --- the worker is not held while a middleware waits ---------------------------

my $slow = $t->http_start("GET /await-slow HTTP/1.1\r\nHost: localhost\r\n"
                          . "Connection: close\r\n\r\n");
sleep 0.2;
$t0 = time();
$r = $t->http_get('/plain-next');
my $dt = time() - $t0;
is(status($r), 200, 'another client is served while a middleware waits');
cmp_ok($dt, '<', 1, 'and at once');
$r = $t->http_end($slow);
is(status($r), 200, 'the waiting middleware decides after its fetch');

# --- decisions are not delayed by pending waitUntil work -----------------------

for my $case (['/bg-redirect', 307], ['/bg-401', 401], ['/bg-next', 200]) {
    my ($path, $st) = @$case;
    $t0 = time();
    $r = $t->http_get($path);
    $dt = time() - $t0;
    is(status($r), $st, "$path: decision $st");
    cmp_ok($dt, '<', 1, "$path: delivered at once, not after the 2 s fetch");
}

ok($t->wait_for_log(qr/SINK from=\/bg-401/, 5), 'the background fetch ran');

# --- HTTP/2 ----------------------------------------------------------------------

my $p2 = $t->port(1);

$r = $t->http2_get('/next', port => $p2, headers => ['Cookie: uid=7']);
is(status($r), 200, 'http2: next');
is(header($r, 'x-mw'), 'applied', 'http2: response header');
is_deeply([up_header(upstream($r), 'x-user-id')], ['user_7'],
          'http2: override reaches the upstream');

$r = $t->http2_get('/redirect', port => $p2);
is(status($r), 307, 'http2: redirect');
is(header($r, 'location'), "http://127.0.0.1:$p2/sign-in?from=x",
   'http2: redirect location from the Host of the request');

$r = $t->http2_get('/json', port => $p2);
is(status($r), 401, 'http2: direct response');
is(body($r), '{"error":"unauthorized","path":"/json"}', 'http2: body');

# --- counters -----------------------------------------------------------------

cmp_ok(metric('nginx_middleware_decisions_total{action="redirect"}'), '>=', 4,
       'counters: redirects counted');
cmp_ok(metric('nginx_middleware_errors_total{reason="timeout"}'), '>=', 2,
       'counters: timeouts counted');
cmp_ok(metric('nginx_middleware_errors_total{reason="invalid"}'), '>=', 6,
       'counters: invalid decisions counted');

sleep 2.5;    # let the background fetches finish

$t->no_alerts_ok();
$t->stop();

done_testing();
