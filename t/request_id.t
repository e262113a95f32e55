#!/usr/bin/perl

# R's $request_id on F's side: the module reads it on first use (nginx makes
# it with RAND_bytes on its first read), not for every run.  Whenever it is
# read, it is R's own: what R's access log and add_header see, what the
# runtime's requestId gives, and what F's log lines name, also when F logs
# after R has ended (a late task failure, the background time limit) and
# nothing on R's side had read it before.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use Mw::Nginx qw(status header body);

my $t = Mw::Nginx->new();

$t->write_file_expand('mw.js', <<'EOF');
import server from 'next/server.js';
var NextResponse = server.NextResponse;

function later(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
}

function middleware(request, event) {
    var p = request.nextUrl.pathname;
    var res;

    if (p === '/asked' || p === '/asked-quiet') {
        res = NextResponse.next();
        res.headers.set('x-ctx-id',
                        server.getRequestExecutionContext().requestId);
        return res;
    }

    if (p === '/late' || p === '/late-quiet') {
        /* rejected once R has ended: the runtime reads the id then */
        event.waitUntil(later(300).then(function () {
            throw new Error('late failure ' + p);
        }));
        return NextResponse.next();
    }

    if (p === '/hang' || p === '/hang-quiet') {
        /* cancelled by the time limit: the module logs the id then */
        event.waitUntil(later(20000));
        return NextResponse.next();
    }

    return NextResponse.next();
}

export default server.serve(middleware);
EOF

$t->write_file_expand('nginx.conf', <<'EOF');
%%TEST_GLOBALS%%

worker_processes 1;

events {
    worker_connections 64;
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_import mw from %%TESTDIR%%/mw.js;

    log_format ids '$uri $request_id';

    server {
        listen 127.0.0.1:%%PORT_0%%;

        middleware @mw;
        middleware_background_timeout 1s;

        location / {
            access_log %%TESTDIR%%/ids.log ids;
            add_header X-Rid $request_id always;
            return 200 "ok\n";
        }

        # nothing of R reads $request_id here
        location ~ -quiet$ {
            access_log off;
            return 200 "ok\n";
        }

        location @mw {
            js_content mw.handle;
        }
    }
}
EOF

$t->run();

sub logged_id {
    my ($uri) = @_;
    my ($id) = ($t->read_file('ids.log') // '') =~ /^\Q$uri\E (\S+)$/m;
    return $id // '';
}

my $HEX = qr/[0-9a-f]{32}/;

# --- asked while R runs: R's own id ----------------------------------------

my $r = $t->http_get('/asked');
is(status($r), 200, 'asked: 200');
like(header($r, 'x-ctx-id') // '', qr/^$HEX$/, 'asked: requestId is an id');
is(header($r, 'x-ctx-id'), header($r, 'x-rid'),
   'asked: requestId is R\'s $request_id (add_header)');
ok($t->wait_for(sub { logged_id('/asked') ne '' }, 5), 'asked: logged');
is(logged_id('/asked'), header($r, 'x-rid'), 'asked: the access log agrees');

$r = $t->http_get('/asked-quiet');
like(header($r, 'x-ctx-id') // '', qr/^$HEX$/,
     'asked, nothing of R reads it: still an id');

# --- a task that fails after R has ended ----------------------------------

$r = $t->http_get('/late');
is(status($r), 200, 'late failure: response unaffected');
ok($t->wait_for_log(qr/late failure \/late\b/, 5), 'late failure: logged');
my ($js) = $t->error_log()
    =~ /task rejected \(request (\S+)\): Error: late failure \/late\b/;
ok($t->wait_for(sub { logged_id('/late') ne '' }, 5), 'late failure: R logged');
is($js, logged_id('/late'), 'late failure: the runtime names R\'s id');

$r = $t->http_get('/late-quiet');
is(status($r), 200, 'late failure, quiet R: response unaffected');
ok($t->wait_for_log(qr/late failure \/late-quiet/, 5),
   'late failure, nothing of R read the id: logged');
($js) = $t->error_log()
    =~ /task rejected \(request (\S+)\): Error: late failure \/late-quiet/;
like($js // '', qr/^$HEX$/, 'late failure, quiet R: the runtime has an id');

# --- the background time limit, logged by the module ----------------------

$r = $t->http_get('/hang');
is(status($r), 200, 'time limit: response unaffected');
ok($t->wait_for_log(qr/of request "$HEX" cancelled by middleware_background_timeout/, 5),
   'time limit: logged with an id');
my ($cancel) = $t->error_log()
    =~ /pending waitUntil task\(s\) of request "($HEX)" cancelled/;
is($cancel, logged_id('/hang'), 'time limit: R\'s id');

$r = $t->http_get('/hang-quiet');
ok($t->wait_for(sub {
       my @ids = $t->error_log()
           =~ /pending waitUntil task\(s\) of request "($HEX)" cancelled/g;
       return @ids == 2 && $ids[1] ne $cancel;
   }, 5), 'time limit, quiet R: a second id, its own');

$t->no_alerts_ok();

done_testing();
