#!/usr/bin/perl

# examples/clerk-style + examples/telemetry through nginx: every branch of
# the auth policy with tokens signed here (RSA keys made by openssl now),
# the JWKS read from a file (clerk.jwksFromFile: every engine, no
# js_preload_object) and rotated by a reload, the session touch and one
# telemetry event per request, also with the collector down.

use strict;
use warnings;

use lib 't/lib';
use Test::More;
use MIME::Base64 qw(encode_base64);
use Mw::Nginx qw(status header body);

my $t = Mw::Nginx->new();
my $d = $t->testdir();
my $tool = $t->repo() . '/examples/clerk-style/jwt-tool';

system("$tool keygen $d test-key 2>/dev/null") == 0 or die "keygen\n";
mkdir "$d/other";
system("$tool keygen $d/other other-key 2>/dev/null") == 0
    or die "keygen\n";
chmod 0644, "$d/jwks.json";

my $secret = 'hs256-test-secret-' . $$;
my $iss = 'https://clerk.test';
my $azp = 'http://localhost';

sub rs {
    my ($claims, %o) = @_;
    my $key = $o{key} || "$d/private.pem";
    my $kid = $o{kid} || 'test-key';
    my $tok = `$tool sign-rs256 '$key' '$kid' '$claims'`;
    chomp $tok;
    return $tok;
}

sub hs {
    my ($claims, $s) = @_;
    my $tok = `$tool sign-hs256 '$s' '$claims'`;
    chomp $tok;
    return $tok;
}

sub b64url {
    my $b = encode_base64($_[0], '');
    $b =~ tr{+/}{-_};
    $b =~ s/=+$//;
    return $b;
}

my $std = qq("iss":"$iss","azp":"$azp","sub":"user_1","sid":"sess_1");
my %tok = (
    good => rs(qq({$std,"iat":NOW,"exp":NOW+600})),
    expired => rs(qq({$std,"exp":NOW-600})),
    future => rs(qq({$std,"nbf":NOW+600,"exp":NOW+1200})),
    skewed => rs(qq({$std,"nbf":NOW+2,"exp":NOW+600})),
    issuer => rs(qq({"iss":"https://evil.test","azp":"$azp","sub":"user_1","exp":NOW+600})),
    azp => rs(qq({"iss":"$iss","azp":"https://evil.test","sub":"user_1","exp":NOW+600})),
    kid => rs(qq({$std,"exp":NOW+600}), kid => 'nope'),
    rotated => rs(qq({$std,"exp":NOW+600}), key => "$d/other/private.pem",
                  kid => 'other-key'),
    otherkey => rs(qq({$std,"exp":NOW+600}), key => "$d/other/private.pem"),
    none => do { my $x = `$tool sign-none '{$std,"exp":NOW+600}'`; chomp $x; $x },
    hs => hs(qq({$std,"exp":NOW+600}), $secret),
    hsbad => hs(qq({$std,"exp":NOW+600}), 'wrong-secret'),
);

# tampered payload: another subject, the original signature

{
    my ($h, $p, $s) = split /\./, $tok{good};
    my $claims = qq({"iss":"$iss","azp":"$azp","sub":"admin","sid":"sess_1","exp":)
        . (time() + 600) . '}';
    $tok{payload} = join '.', $h, b64url($claims), $s;

    my $sig = $s;
    substr($sig, 10, 1) = substr($sig, 10, 1) eq 'A' ? 'B' : 'A';
    $tok{signature} = join '.', $h, $p, $sig;
}

# algorithm confusion: HS256 signed with the RSA public key as the secret

{
    my $jwks = $t->read_file('jwks.json');
    my ($n) = $jwks =~ /"n":"([^"]+)"/;
    my $pub = `openssl rsa -in $d/private.pem -pubout 2>/dev/null`;
    $tok{confusion_n} = hs(qq({$std,"exp":NOW+600}), $n);
    $tok{confusion_pem} = hs(qq({$std,"exp":NOW+600}), $pub);
}

$t->write_file_expand('mw.js', <<'EOF');
import server from 'next/server.js';
import clerk from 'clerk.js';
import telemetry from 'telemetry.js';

var auth = clerk.protectRoutes({
    server: server,
    jwks: clerk.jwksFromFile('%%TESTDIR%%/jwks.json'),
    secret: '%%SECRET%%',
    issuer: 'https://clerk.test',
    authorizedParties: ['http://localhost'],
    clockSkewInMs: 5000,
    protectedRoutes: ['/dashboard(.*)', '/api/(.*)'],
    publicRoutes: ['/', '/api/public'],
    signInUrl: '/sign-in',
    touchUrl: 'http://127.0.0.1:%%PORT_2%%/touch'
});

export default server.serve(telemetry.withTelemetry(auth, {
    server: server,
    collector: 'http://127.0.0.1:%%PORT_2%%/collect'
}));
EOF

# the same with the collector on a port nobody listens on

$t->write_file_expand('mw_down.js', <<'EOF');
import server from 'next/server.js';
import telemetry from 'telemetry.js';

export default server.serve(telemetry.withTelemetry(function () {
    return server.NextResponse.next();
}, { server: server, collector: 'http://127.0.0.1:%%PORT_3%%/collect' }));
EOF

$t->write_file('up.js', <<'EOF');
function echo(r) {
    r.return(200, JSON.stringify({ uri: r.uri,
        user: r.headersIn['X-User-Id'] || null,
        session: r.headersIn['X-Session-Id'] || null }));
}
function record(r) {
    ngx.log(ngx.WARN, 'RECORD ' + r.uri + ' ' + r.requestText);
    r.return(204);
}
export default { echo, record };
EOF

my $conf = <<'EOF';
%%TEST_GLOBALS%%

worker_processes 1;

events {
}

http {
    %%TEST_GLOBALS_HTTP%%

    js_path %%REPO%%/examples/clerk-style;
    js_path %%REPO%%/examples/telemetry;
    js_import mw from %%TESTDIR%%/mw.js;
    js_import down from %%TESTDIR%%/mw_down.js;
    js_import up from %%TESTDIR%%/up.js;

    server {
        listen 127.0.0.1:%%PORT_0%%;
        server_name localhost;

        location / {
            middleware @mw;
            proxy_pass http://127.0.0.1:%%PORT_1%%;
        }

        location /down/ {
            middleware @down;
            proxy_pass http://127.0.0.1:%%PORT_1%%;
        }

        location @mw {
            js_content mw.handle;
        }

        location @down {
            js_content down.handle;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_1%%;
        location / { js_content up.echo; }
    }

    server {
        listen 127.0.0.1:%%PORT_2%%;
        location / {
            client_body_in_single_buffer on;
            js_content up.record;
        }
    }
}
EOF
$conf =~ s/%%SECRET%%/$secret/g;
$t->write_file_expand('nginx.conf', $conf);
{
    my $js = $t->read_file('mw.js');
    $js =~ s/%%SECRET%%/$secret/g;
    $t->write_file('mw.js', $js);
}

$t->run();

sub get {
    my ($path, %o) = @_;
    my @h;
    push @h, Cookie => "__session=$o{cookie}" if $o{cookie};
    push @h, Authorization => "Bearer $o{bearer}" if $o{bearer};
    push @h, @{ $o{headers} } if $o{headers};
    return $t->http_get($path, headers => \@h);
}

sub up {
    my $b = body($_[0]) // '';
    return $b =~ /^\{/ ? JSON::PP::decode_json($b) : {};
}
require JSON::PP;

# --- signed out -----------------------------------------------------------

my $r = get('/');
is(status($r), 200, 'public page, signed out: continues');
is(up($r)->{user}, undef, 'public page, signed out: no user upstream');

$r = get('/dashboard/settings?tab=1');
is(status($r), 307, 'protected page, signed out: redirect');
is(header($r, 'location'),
   'http://localhost/sign-in?redirect_url='
   . 'http%3A%2F%2Flocalhost%2Fdashboard%2Fsettings%3Ftab%3D1',
   'protected page, signed out: to sign-in with the original absolute URL');

$r = get('/api/me');
is(status($r), 401, 'api route, signed out: 401');
is(body($r), '{"error":"unauthorized"}', 'api route, signed out: JSON');
like(header($r, 'content-type'), qr/application\/json/, 'api route: JSON type');

$r = get('/api/public');
is(status($r), 200, 'public api route: continues');

# --- signed in ---------------------------------------------------------------

$r = get('/dashboard', cookie => $tok{good});
is(status($r), 200, 'session cookie: continues');
is(up($r)->{user}, 'user_1', 'session cookie: x-user-id upstream');
is(up($r)->{session}, 'sess_1', 'session cookie: x-session-id upstream');

$r = get('/api/me', bearer => $tok{good});
is(status($r), 200, 'bearer token on an API route: continues');
is(up($r)->{user}, 'user_1', 'bearer token: x-user-id upstream');

$r = get('/api/me', bearer => $tok{hs});
is(up($r)->{user}, 'user_1', 'HS256 with the shared secret: accepted');

$r = get('/dashboard', cookie => $tok{skewed});
is(up($r)->{user}, 'user_1', 'nbf within the clock skew: accepted');

# --- forged identity headers ---------------------------------------------

$r = get('/dashboard', cookie => $tok{good},
         headers => ['X-User-Id' => 'admin', 'X-Session-Id' => 'forged']);
is(up($r)->{user}, 'user_1', 'forged x-user-id replaced by the verified one');
is(up($r)->{session}, 'sess_1', 'forged x-session-id replaced');

$r = get('/', headers => ['X-User-Id' => 'admin']);
is(up($r)->{user}, undef, 'forged x-user-id removed on a public page');

# --- rejected tokens -------------------------------------------------------

for my $case (qw(expired future issuer azp kid otherkey none payload
                 signature hsbad confusion_n confusion_pem))
{
    $r = get('/api/me', bearer => $tok{$case});
    is(status($r), 401, "$case token: 401 on an API route");
    is(up($r)->{user}, undef, "$case token: no user upstream");

    $r = get('/dashboard', cookie => $tok{$case});
    is(status($r), 307, "$case token: redirect on a page");
}

like($t->error_log(), qr/expired/i, 'rejections are logged with a reason');

# --- background session touch and telemetry ---------------------------------

ok($t->wait_for_log(qr/RECORD \/touch \{"sessionId":"sess_1","userId":"user_1"\}/, 5),
   'the session touch was sent in the background');

$r = get('/dashboard', cookie => $tok{good});
my $id = header($r, 'x-request-id');
ok($id, 'the request id is a response header');
ok($t->wait_for_log(qr/RECORD \/collect \{[^\n]*"requestId":"$id"[^\n]*\}/, 5),
   'the telemetry event arrived');
my ($ev) = $t->error_log() =~ /RECORD \/collect (\{[^\n]*"requestId":"$id"[^\n]*\})/;
$ev = JSON::PP::decode_json($ev);
is($ev->{path}, '/dashboard', 'event: path');
is($ev->{method}, 'GET', 'event: method');
is($ev->{userId}, 'user_1', 'event: user id');
is($ev->{status}, 200, 'event: status');
ok(defined $ev->{ms} && $ev->{ms} >= 0, 'event: middleware time');

# one event per request: every request id exactly once

my @ids = map { header(get('/api/me'), 'x-request-id') } 1 .. 5;
push @ids, $id;

$t->wait_for(sub {
    my $log = $t->error_log();
    !grep { $log !~ /"requestId":"$_"/ } @ids;
}, 5);
sleep 0.5;

my $log = $t->error_log();
is(join(',', map { my @n = $log =~ /RECORD \/collect [^\n]*"requestId":"$_"/g;
                   scalar @n } @ids),
   '1,1,1,1,1,1', 'exactly one event per request');

# --- the collector is down ----------------------------------------------------

$r = $t->http_get('/down/x');
is(status($r), 200, 'collector down: response unaffected');
ok($t->wait_for_log(qr/\[warn\].*waitUntil task rejected.*(connect|refused|failed)/i, 5),
   'collector down: the failure is logged');

# --- key rotation: a new JWKS file, then a reload ------------------------------

$r = get('/api/me', bearer => $tok{rotated});
is(status($r), 401, 'rotation: a token of the next key, before: 401');

{
    my $next = $t->read_file('other/jwks.json');
    $t->write_file('jwks.json', $next);
}

$t->reload();
ok($t->wait_for(sub {
    status(get('/api/me', bearer => $tok{rotated})) == 200
}, 10), 'rotation: after the reload the new key verifies');

# nginx's master signals the old worker about 100 ms after starting the
# new one; until then the old worker (with the old JWKS) still accepts

$t->wait_for_log(qr/gracefully shutting down/, 10);
$r = get('/api/me', bearer => $tok{good});
is(status($r), 401, 'rotation: the old key is gone');

$t->stop();
$t->no_alerts_ok();

done_testing();
