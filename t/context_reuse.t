#!/usr/bin/perl

# Isolation when a JS context serves many requests: QuickJS with
# js_context_reuse (njs's default, 128) keeps a context and its module
# state for later requests on the same worker; the njs engine clones its
# VM per request.  Through nginx with one worker: sequential requests
# (proven to share a context on QuickJS: a module-level counter goes up),
# concurrent slow ones, a request that throws and one whose background
# work is still running.  Nothing of one request (request headers and
# cookies as the middleware changed them, response cookies, waitUntil
# tasks, after() callbacks, the execution context) is visible to another;
# module scope is shared on purpose (the counter, a cache).

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use Mw::Nginx qw(status header headers body);

my $t = Mw::Nginx->new();

$t->write_file('mw.js', <<'EOF');
import server from 'next/server.js';
var NextResponse = server.NextResponse;

/* module scope: lives as long as the context (a documented cache) */
var state = { requests: 0, cache: {} };

function delay(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
}

async function middleware(request, event) {
    var q = request.nextUrl.searchParams;
    var id = request.headers.get('x-id') || 'none';
    var leak = [], ctx, res, headers, i, n;

    state.requests++;
    state.cache[id] = true;            /* a cache: visible later, by design */

    ctx = server.getRequestExecutionContext();

    /* what an earlier request on this context set must not be here */

    if (request.headers.has('x-set-by-mw')) {
        leak.push('request-header');
    }

    if (request.cookies.has('mw')) {
        leak.push('request-cookie');
    }

    request.cookies.set('mw', id);     /* rewrites this request's Cookie */

    headers = new Headers(request.headers);
    headers.set('x-set-by-mw', id);

    res = NextResponse.next({ request: { headers: headers } });

    if (res.cookies.getAll().length !== 0) {
        leak.push('response-cookie');
    }

    res.cookies.set('c-' + id, id);

    n = Number(q.get('tasks') || 0);

    for (i = 0; i < n; i++) {
        event.waitUntil(Promise.resolve(i));
    }

    if (q.get('bg')) {
        /* still running when later requests arrive */
        event.waitUntil(delay(Number(q.get('bg'))).then(function () {
            var c = server.getRequestExecutionContext();
            ngx.log(ngx.WARN, 'BG ' + id + ' ctx='
                              + (c ? c.requestId : 'null'));
        }));
    }

    server.after(function () {
        var c = server.getRequestExecutionContext();
        ngx.log(ngx.WARN, 'AFTER ' + id + ' ctx='
                          + (c ? c.requestId : 'null'));
    });

    if (q.get('ms')) {
        await delay(Number(q.get('ms')));
    }

    if (q.get('throw')) {
        throw new Error('thrown by ' + id);
    }

    res.headers.set('x-ctx', ctx ? ctx.requestId : 'null');
    res.headers.set('x-ctx-after-await',
                    (server.getRequestExecutionContext() || {}).requestId
                    || 'null');
    res.headers.set('x-seq', String(state.requests));
    res.headers.set('x-leak', leak.length ? leak.join(',') : 'none');

    return res;
}

export default server.serve(middleware);
EOF

$t->write_file('up.js', <<'EOF');
function echo(r) {
    r.return(200, JSON.stringify({ id: r.headersIn['X-Id'] || null,
                                   set: r.headersIn['X-Set-By-Mw'] || null,
                                   cookie: r.headersIn['Cookie'] || null }));
}
export default { echo };
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

worker_processes 1;

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;
    js_import up from %%TESTDIR%%/up.js;

    log_format reuse '$request_id $middleware_action $middleware_tasks';

    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        location / {
            middleware @mw;
            middleware_on_error fail;
            add_header X-Rid $request_id always;
            access_log %%TESTDIR%%/reuse.log reuse;
            proxy_pass http://127.0.0.1:%%PORT_1%%;
        }

        location @mw {
            js_content mw.handle;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / { js_content up.echo; }
    }
}
EOF

$t->run();

my $qjs = ($t->engine() eq 'qjs');

sub req {
    my ($id, $query, @h) = @_;
    return $t->http_get('/x' . ($query ? "?$query" : ''),
                        headers => ['X-Id' => $id, @h]);
}

sub up {
    my $b = body($_[0]) // '';
    return $b =~ /^\{/ ? JSON::PP::decode_json($b) : {};
}
require JSON::PP;

sub own {
    my ($r, $id) = @_;
    my $u = up($r);
    my @sc = headers($r, 'set-cookie');
    return status($r) == 200
        && header($r, 'x-leak') eq 'none'
        && header($r, 'x-ctx') eq header($r, 'x-rid')
        && header($r, 'x-ctx-after-await') eq header($r, 'x-rid')
        && ($u->{id} // '') eq $id
        && ($u->{set} // '') eq $id
        && ($u->{cookie} // '') eq "mw=$id"
        && join(',', @sc) =~ /^c-$id=$id; Path=\/$/;
}

# --- sequential requests on one worker ----------------------------------------

my (@seq, $ok, %rids);
$ok = 0;

for my $i (1 .. 12) {
    my $r = req("s$i", "tasks=$i");
    $ok++ if own($r, "s$i");
    push @seq, header($r, 'x-seq');
    $rids{ header($r, 'x-rid') } = $i;
    sleep 0.05;
}

is($ok, 12, 'sequential: each request saw only its own headers, cookies '
   . 'and execution context');

if ($qjs) {
    my ($max) = sort { $b <=> $a } @seq;
    cmp_ok($max, '>=', 2, 'QuickJS: contexts were reused (module counter '
           . "went up: @seq)");
} else {
    is(join(',', @seq), join(',', (1) x 12),
       'njs engine: a fresh VM per request (module counter always 1)');
}

# every request's own number of waitUntil tasks: none accumulated

ok($t->wait_for(sub {
    my @l = grep { /^(\S+) next (\d+)$/ && $rids{$1} }
            split /\n/, ($t->read_file('reuse.log') // '');
    @l >= 12;
}, 5), 'access log written');

my %tasks;
for (split /\n/, $t->read_file('reuse.log')) {
    $tasks{ $rids{$1} } = $2 if /^(\S+) next (\d+)$/ && $rids{$1};
}
is(join(',', map { $tasks{$_} // '-' } 1 .. 12), join(',', 2 .. 13),
   'sequential: $middleware_tasks counts only the request\'s own tasks '
   . '(its waitUntil calls and one after())');

# after() callbacks: each exactly once, in its own execution context

ok($t->wait_for_log(qr/AFTER s12 ctx=/, 5), 'after() ran');
my $log = $t->error_log();
my $after = 0;
for my $rid (keys %rids) {
    my $i = $rids{$rid};
    my @n = $log =~ /AFTER s$i ctx=(\S+)/g;
    $after++ if @n == 1 && $n[0] eq $rid;
}
is($after, 12, 'after(): once per request, with its own context');

# --- a request that throws, then one with background work still running -------

my $r = req('boom', 'throw=1');
is(status($r), 500, 'a throwing middleware answers 500');

$r = req('next1');
ok(own($r, 'next1'), 'the request after an exception sees only its own data');

$r = req('bg', 'bg=600');
my $bg_rid = header($r, 'x-rid');
ok(own($r, 'bg'), 'a request with pending background work');

my $ok2 = 0;
my %during;
for my $i (1 .. 4) {
    my $x = req("d$i");
    $ok2++ if own($x, "d$i");
    $during{ header($x, 'x-rid') } = 1;
}
is($ok2, 4, 'requests while another one\'s waitUntil runs: own data only');

ok($t->wait_for_log(qr/BG bg ctx=/, 5), 'the background task finished');
($log) = $t->error_log() =~ /BG bg ctx=(\S+)/;
is($log, $bg_rid, 'the background task still had its own context');

# --- concurrent slow requests ---------------------------------------------------

my @res = $t->parallel(map {
    ["GET /x?ms=300&tasks=$_ HTTP/1.1\r\nHost: localhost\r\nX-Id: p$_\r\n"
     . "Connection: close\r\n\r\n"]
} 1 .. 6);

my $ok3 = 0;
my %ctx;
for my $i (1 .. 6) {
    $ok3++ if own($res[$i - 1], "p$i");
    $ctx{ header($res[$i - 1], 'x-ctx') // '' } = 1;
}
is($ok3, 6, 'concurrent: each request saw only its own data');
is(scalar keys %ctx, 6, 'concurrent: six distinct execution contexts');

# and sequential again afterwards: still clean

$ok = 0;
for my $i (1 .. 6) {
    $ok++ if own(req("z$i"), "z$i");
}
is($ok, 6, 'sequential after the concurrent ones: own data only');

$t->stop();
$t->no_alerts_ok();

done_testing();
