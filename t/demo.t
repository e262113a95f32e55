#!/usr/bin/perl

# ./build.sh demo answers as the README and its own instructions say, and
# stops cleanly on Ctrl-C (SIGINT).

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Time::HiRes qw(time sleep);
use Mw::Nginx qw(status header body);

my $module = $ENV{TEST_NGINX_MODULE};
plan(skip_all => 'TEST_NGINX_MODULE is not set') unless $module && -f $module;

# the demo is a script of its own (key generation, nginx -t, nginx): it is
# tested with the plain module by ./build.sh test
plan(skip_all => 'the demo does not run under ./build.sh asan')
    if $ENV{TEST_NGINX_ASAN};

# three consecutive free ports: the demo's PORT, PORT+1, PORT+2, below
# Linux's ephemeral range (32768 and up), where a connect() to a port
# nothing listens on yet can meet itself (a TCP self-connect)

sub free_base {
    for (1 .. 200) {
        my $base = 20000 + int(rand(12000));
        my @s = map {
            IO::Socket::INET->new(LocalAddr => "127.0.0.1:$_", Listen => 1,
                                  ReuseAddr => 1)
        } $base .. $base + 2;
        return $base if 3 == grep { defined } @s;
    }
    die "no three free ports\n";
}

my $port = free_base();

my $repo = Mw::Nginx->repo();
my $out = "$repo/t/tmp/demo.out";
mkdir "$repo/t/tmp";

# the demo runs "nginx" from PATH and loads njs from NJS_MODULE: the
# harness's binary and njs module (TEST_NGINX_BINARY, TEST_NGINX_NJS)

my $bin = "$repo/t/tmp/demo-bin";
mkdir $bin;
unlink "$bin/nginx";
symlink(Mw::Nginx->nginx_binary(), "$bin/nginx") or die "symlink: $!\n";

my $pid = fork();
die "fork: $!\n" unless defined $pid;

if ($pid == 0) {
    setpgrp(0, 0);

    # run in the background, the suite ignores SIGINT, and so would the
    # demo: Ctrl-C must work there as in a terminal
    $SIG{INT} = 'DEFAULT';

    $ENV{PATH} = "$bin:$ENV{PATH}";
    $ENV{NJS_MODULE} = Mw::Nginx->njs_module();
    open STDOUT, '>', $out or die;
    open STDERR, '>&', \*STDOUT or die;
    exec "$repo/examples/demo/run", $module, $port or exit 127;
}

# whatever happens to this test, the demo's process group goes with it

my $stopped = 0;

END {
    if ($pid && !$stopped) {
        kill 'INT', -$pid;
        sleep 1;
        kill 'KILL', -$pid;
        waitpid($pid, 0);
    }
}

# up: an HTTP answer on the port. A connect alone is not enough: the
# demo's "nginx -t" opens the listening sockets too (then closes them),
# and a connect to a port nothing listens on yet can meet itself

sub answers {
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Timeout => 2) or return 0;
    return 0 if $s->sockport() == $port;
    print $s "GET / HTTP/1.0\r\nHost: 127.0.0.1:$port\r\n\r\n";
    my $line = '';
    my $rin = '';
    vec($rin, fileno($s), 1) = 1;
    return 0 unless select(my $rout = $rin, undef, undef, 2);
    sysread($s, $line, 16);
    return $line =~ /^HTTP\/1\.[01] /;
}

my $up = 0;
for (1 .. 600) {    # 30 s: a loaded machine, a chroot
    last if waitpid($pid, WNOHANG) == $pid;
    if (answers()) { $up = 1; last }
    sleep 0.05;
}

ok($up, "the demo listens on 127.0.0.1:$port") or do {
    open my $fh, '<', $out; local $/; diag(<$fh>); done_testing(); exit;
};

# the instructions are written before nginx starts; read them until they
# are complete (a loaded machine may show the port first)
my ($text, $good) = ('');
for (1 .. 100) {
    $text = do { open my $fh, '<', $out or die; local $/; <$fh> };
    ($good) = $text =~ /-b '__session=([^']+)' http:\/\/127\.0\.0\.1:$port\/dashboard\n/;
    last if $good;
    sleep 0.05;
}
ok($good, 'the instructions carry a valid token') or diag($text);

my $t = bless { ports => { 0 => $port }, dir => "$repo/t/tmp" }, 'Mw::Nginx';

my $r = $t->http_get('/', port => $port, host => "127.0.0.1:$port");
is(status($r), 200, 'public page');

$r = $t->http_get('/dashboard', port => $port, host => "127.0.0.1:$port");
is(status($r), 307, 'protected page without a session: redirect');
like(header($r, 'location'), qr{^http://127\.0\.0\.1:$port/sign-in\?redirect_url=},
     'to sign-in');

$r = $t->http_get('/dashboard', port => $port, host => "127.0.0.1:$port",
                  headers => [Cookie => "__session=$good",
                              'X-User-Id' => 'admin']);
is(status($r), 200, 'with the session: the upstream answers');
like(body($r), qr/"userId": "user_2demo"/, 'the upstream sees the user');
unlike(body($r), qr/admin/, 'the forged x-user-id is gone');

like(body($r), qr/"host": "127\.0\.0\.1:$port"/,
     'the upstream sees the Host with its port');

$r = $t->http_get('/api/me', port => $port, host => "127.0.0.1:$port");
is(status($r), 401, 'API without a token: 401');

$r = $t->http_get('/api/me', port => $port, host => "127.0.0.1:$port",
                  headers => [Authorization => "Bearer ${good}x"]);
is(status($r), 401, 'API with a bad token: 401');

$r = $t->http_get('/metrics', port => $port, host => "127.0.0.1:$port");
like(body($r), qr/^nginx_middleware_runs_total \d+$/m, 'metrics');

# telemetry at info in collector.log; one access log per server
my $prefix = "$repo/build/demo";
my $slurp = sub { open my $fh, '<', "$prefix/$_[0]" or return ''; local $/; <$fh> };
$t->wait_for(sub { $slurp->('collector.log') =~ /COLLECT \/collect/ }, 20);
$t->wait_for(sub { $slurp->('collector.access.log') =~ /POST \/collect/
                   && $slurp->('access.log') =~ /GET \/dashboard/ }, 20);
like($slurp->('collector.log'), qr/\[info\] .*js: COLLECT \/collect /,
     'telemetry events are logged at info');
unlike($slurp->('collector.log'), qr/\[warn\] .*COLLECT/, '... not at warn');
like($slurp->('access.log'), qr{"GET /dashboard HTTP/1\.1" 200 mw=next},
     'front access log with the middleware outcome');
unlike($slurp->('access.log'), qr{POST /collect}, '... without the collector');
like($slurp->('upstream.access.log'), qr{"GET /dashboard HTTP/1\.1" 200},
     'upstream access log');
like($slurp->('collector.access.log'), qr{"POST /collect HTTP/1\.[01]" 204},
     'collector access log');

kill 'INT', $pid;
my $gone = 0;
for (1 .. 200) {
    if (waitpid($pid, WNOHANG) == $pid) { $gone = 1; last }
    sleep 0.05;
}
ok($gone, 'Ctrl-C stops the demo');
kill 'KILL', -$pid unless $gone;
$stopped = 1;

$text = do { open my $fh, '<', $out or die; local $/; <$fh> };
like($text, qr/demo stopped/, 'and says so');
ok(!IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port"), "port $port is free again");

done_testing();
