package Test::Middleware;

# Integration test harness for ngx_http_middleware_module: a real nginx (the
# distro's binary), the real njs module and our module, on loopback ports,
# in a temporary prefix under t/tmp/.  Core Perl only.  The method names
# follow nginx-tests' Test::Nginx where the meaning is the same; see
# t/README.md for the whole API.

use strict;
use warnings;

use Cwd qw(abs_path);
use Exporter qw(import);
use File::Basename qw(basename);
use File::Path qw(make_path remove_tree);
use File::Spec;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG EAGAIN EINTR EWOULDBLOCK);
use Scalar::Util qw(refaddr weaken);
use Socket qw(SOL_SOCKET SO_LINGER);
use Test::More ();
use Time::HiRes qw(time sleep);

our @EXPORT_OK = qw(http_parse http_status http_header http_headers
    http_body http_complete parse_valgrind_log skip_unless_module);
our %EXPORT_TAGS = (all => \@EXPORT_OK);

my $NGINX = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my $NJS = $ENV{TEST_NGINX_NJS}
    || '/usr/lib/nginx/modules/ngx_http_js_module.so';
my $CURL = $ENV{TEST_NGINX_CURL} || 'curl';
my $LOG_LEVEL = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';

# TEST_NGINX_VALGRIND=1: master and worker under valgrind (graceful quit and
# reload behave as in production); "single": master_process off

my $VALGRIND = $ENV{TEST_NGINX_VALGRIND} || '';
$VALGRIND = '' if $VALGRIND eq '0';
my $SINGLE = $VALGRIND eq 'single';

my $SCALE = $ENV{TEST_NGINX_TIMEOUT_SCALE} || ($VALGRIND ? 5 : 1);

my $REPO = do {
    my $f = File::Spec->rel2abs(__FILE__);
    $f =~ s{/t/lib/Test/Middleware\.pm$}{} or die "unexpected path $f\n";
    abs_path($f);
};

# each test file prefers its own block of 50 ports, below the ephemeral range
# so that outgoing connections cannot take a port between check and bind

my $PORT_BASE = $ENV{TEST_NGINX_PORT_BASE} || 10000 + ($$ % 400) * 50;

my %LIVE;
my $NGINX_V;


# --- instance ---------------------------------------------------------------

sub new {
    my ($class, %opts) = @_;

    my $module = exists $opts{module} ? $opts{module} : 1;
    my $so;

    if ($module) {
        $so = _module_path();
        skip_unless_module() unless defined $so;
    }

    make_path("$REPO/t/tmp");

    (my $name = basename($0)) =~ s/\.t$//;
    $name =~ s/[^\w.-]/_/g;

    my $dir = tempdir("$name-XXXXXX", DIR => "$REPO/t/tmp", CLEANUP => 0);

    # workers run as an unprivileged user and must read the test's files

    chmod 0755, $dir;

    $SIG{PIPE} = 'IGNORE';

    my $self = bless {
        dir => $dir,
        module => $so,
        owner => $$,
        ports => {},
        bad_ports => {},
        templates => {},
        daemons => [],
        vg_files => {},
        vg_bad => [],
        vg_other => [],
    }, $class;

    $LIVE{refaddr $self} = $self;
    weaken $LIVE{refaddr $self};

    return $self;
}

sub DESTROY {
    my ($self) = @_;

    local ($?, $@, $!);

    return unless $self->{owner} == $$;

    if (${^GLOBAL_PHASE} eq 'DESTRUCT') {
        $self->_kill_all();
        return;
    }

    $self->_finish();
    delete $LIVE{refaddr $self};
}

END {
    my $exit = $?;
    local $?;

    for my $t (grep { defined } values %LIVE) {
        next unless $t->{owner} == $$;
        $t->_finish($exit);
    }
}

sub _finish {
    my ($self, $exit) = @_;

    return if $self->{finished}++;

    eval { $self->stop(); 1 } or Test::More::diag("stop: $@");

    $self->_report_valgrind() if $VALGRIND;

    # the files stay for a look when anything went wrong

    my $b = Test::More->builder;
    my $plan = $b->has_plan // '';

    my $keep = $ENV{TEST_NGINX_LEAVE} || $exit || !$b->is_passing
        || ($plan =~ /^\d+$/ && $b->current_test != $plan);

    if ($keep) {
        Test::More::diag("test files kept in $self->{dir}");
    } else {
        remove_tree($self->{dir});
    }
}

sub testdir { $_[0]->{dir} }
sub repo { $REPO }
sub scaled { my ($self, $s) = @_; return $s * $SCALE; }
sub valgrind { $VALGRIND }

sub _module_path {
    my $m = $ENV{TEST_NGINX_MODULE};
    return undef unless defined $m && length $m;
    $m = File::Spec->rel2abs($m);
    return -f $m ? $m : undef;
}

sub skip_unless_module {
    return 1 if defined _module_path();

    Test::More::plan(skip_all => defined $ENV{TEST_NGINX_MODULE}
        ? "TEST_NGINX_MODULE=$ENV{TEST_NGINX_MODULE} does not exist"
        : 'TEST_NGINX_MODULE is not set');
}

# features: "middleware", "njs", "curl", "valgrind", or nginx modules as
# named in configure flags ("http_v2", "http_stub_status", "http_realip"...)

my %OPTIONAL = map { $_ => 1 } qw(http_ssl http_v2 http_v3 http_realip
    http_addition http_xslt http_image_filter http_geoip http_sub http_dav
    http_flv http_mp4 http_gunzip http_gzip_static http_auth_request
    http_random_index http_secure_link http_degradation http_slice
    http_stub_status http_perl mail stream stream_ssl stream_realip);

my %ALIAS = (http2 => 'http_v2', stub_status => 'http_stub_status',
    ssl => 'http_ssl', auth_request => 'http_auth_request');

sub has {
    my ($self, @features) = @_;

    for my $f (@features) {
        Test::More::plan(skip_all => "no $f") unless $self->has_feature($f);
    }

    return $self;
}

sub has_feature {
    my ($self, $f) = @_;

    $f = $ALIAS{$f} || $f;

    return defined _module_path() if $f eq 'middleware';
    return -f $NJS if $f eq 'njs';
    return _in_path($CURL) if $f eq 'curl';
    return _in_path('valgrind') if $f eq 'valgrind';

    $NGINX_V //= `$NGINX -V 2>&1`;

    return 1 if $NGINX_V =~ /--with-\Q$f\E_module\b/;
    return 0 if $NGINX_V =~ /--without-\Q$f\E_module\b/;
    return !$OPTIONAL{$f};
}

sub _in_path {
    my ($cmd) = @_;
    return -x $cmd if $cmd =~ m{/};
    return grep { -x "$_/$cmd" } split /:/, $ENV{PATH} || '';
}

sub plan {
    my ($self, $n) = @_;

    # under valgrind one more test is always emitted when the instance ends

    $self->{vg_planned} = 1 if $VALGRIND;
    Test::More::plan(tests => $n + ($VALGRIND ? 1 : 0));

    return $self;
}


# --- ports ------------------------------------------------------------------

sub port {
    my ($self, $n) = @_;

    $n //= 0;

    return $self->{ports}{$n} if $self->{ports}{$n};

    my %used = map { $_ => 1 }
        values %{ $self->{ports} }, keys %{ $self->{bad_ports} };

    my @try = ($PORT_BASE + $n % 50);
    push @try, 10000 + int(rand(22000)) for 1 .. 500;

    for my $p (@try) {
        next if $used{$p} || !_port_free($p);
        return $self->{ports}{$n} = $p;
    }

    die "no free loopback port\n";
}

sub _port_free {
    my ($p) = @_;

    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $p,
                                  Proto => 'tcp', Listen => 1,
                                  ReuseAddr => 1)
        or return 0;

    close $s;
    return 1;
}


# --- files ------------------------------------------------------------------

sub write_file {
    my ($self, $name, $content) = @_;

    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";
    (my $dir = $path) =~ s{/[^/]*$}{};
    make_path($dir);

    open my $fh, '>', $path or die "$path: $!\n";
    binmode $fh;
    print $fh $content;
    close $fh or die "$path: $!\n";

    return $self;
}

sub write_file_expand {
    my ($self, $name, $content) = @_;

    $self->{templates}{$name} = $content;
    return $self->write_file($name, $self->expand($content));
}

sub read_file {
    my ($self, $name) = @_;

    my $path = $name =~ m{^/} ? $name : "$self->{dir}/$name";

    open my $fh, '<', $path or return '';
    binmode $fh;
    local $/;
    my $s = <$fh>;
    return $s // '';
}

sub expand {
    my ($self, $text, %opts) = @_;

    my %blocks = (
        TEST_GLOBALS => $self->test_globals(%opts),
        TEST_GLOBALS_HTTP => $self->test_globals_http(),
    );

    # keep the indentation of a placeholder on every line it expands to

    $text =~ s{^([ \t]*)%%(TEST_GLOBALS(?:_HTTP)?)%%[ \t]*$}
              {_indent($1, $blocks{$2})}gme;
    $text =~ s{%%(TEST_GLOBALS(?:_HTTP)?)%%}{$blocks{$1}}g;
    $text =~ s{%%PORT_(\d+)%%}{$self->port($1)}ge;
    $text =~ s{%%TESTDIR%%}{$self->{dir}}g;
    $text =~ s{%%REPO%%}{$REPO}g;

    return $text;
}

sub _indent {
    my ($ws, $block) = @_;
    chomp $block;
    return join "\n", map { "$ws$_" } split /\n/, $block;
}

sub test_globals {
    my ($self, %opts) = @_;

    my $d = $self->{dir};
    my $log = $opts{error_log} || "$d/error.log";
    my $pid = $opts{pid} || "$d/nginx.pid";

    my $s = "daemon off;\n"
        . "pid $pid;\n"
        . "error_log $log $LOG_LEVEL;\n"
        . "load_module $NJS;\n";

    $s .= "load_module $self->{module};\n" if defined $self->{module};
    $s .= "master_process off;\n" if $SINGLE;

    return $s;
}

sub test_globals_http {
    my ($self) = @_;

    my $d = $self->{dir};

    my $s = "js_path $REPO/js;\n"
        . "access_log $d/access.log;\n";

    $s .= "${_}_temp_path $d/${_}_temp;\n"
        for qw(client_body proxy fastcgi uwsgi scgi);

    return $s;
}


# --- nginx processes --------------------------------------------------------

sub _nginx_cmd {
    my ($self, $conf, $log) = @_;

    my $d = $self->{dir};

    return ($NGINX, '-p', "$d/", '-c', "$d/$conf",
            '-e', $log || "$d/error.log");
}

sub _valgrind_cmd {
    my ($self) = @_;

    my $d = $self->{dir};

    my @cmd = ('valgrind', '--leak-check=full',
               '--show-leak-kinds=definite,indirect,possible',
               '--num-callers=40', '--error-exitcode=42',
               "--log-file=$d/valgrind.%p.log");

    push @cmd, "--suppressions=$REPO/t/valgrind.supp"
        if -f "$REPO/t/valgrind.supp";
    push @cmd, split ' ', $ENV{TEST_NGINX_VALGRIND_OPTS}
        if $ENV{TEST_NGINX_VALGRIND_OPTS};

    return @cmd;
}

sub try_run {
    my ($self, $message) = @_;

    eval { $self->run(); 1 } and return $self;

    Test::More::diag($@);
    Test::More::plan(skip_all => $message || 'nginx failed to start');
}

sub run {
    my ($self, $conf) = @_;

    die "nginx is already running\n" if $self->{pid};

    $self->{conf} = $conf || 'nginx.conf';

    for my $attempt (1 .. 3) {
        my $err = $self->_start();

        return $self unless defined $err;

        # another test file took a port between the check and the bind:
        # take other ports, expand the files again and retry

        my @busy = $err =~ /bind\(\) to 127\.0\.0\.1:(\d+) failed \(98/g;

        die $err if !@busy || $attempt == 3;

        $self->_replace_ports(@busy);
    }
}

sub _replace_ports {
    my ($self, @busy) = @_;

    for my $p (@busy) {
        $self->{bad_ports}{$p} = 1;

        for my $n (keys %{ $self->{ports} }) {
            delete $self->{ports}{$n} if $self->{ports}{$n} == $p;
        }
    }

    for my $name (keys %{ $self->{templates} }) {
        $self->write_file($name, $self->expand($self->{templates}{$name}));
    }
}

sub _start {
    my ($self) = @_;

    my $d = $self->{dir};
    my @cmd = $self->_nginx_cmd($self->{conf});

    unshift @cmd, $self->_valgrind_cmd() if $VALGRIND;

    unlink "$d/nginx.pid";
    my $mark = $self->log_mark();

    my $pid = fork();
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        open STDOUT, '>>', "$d/stderr.log";
        open STDERR, '>>', "$d/stderr.log";
        { no warnings 'exec'; exec @cmd; }
        POSIX::_exit(127);
    }

    $self->{pid} = $pid;

    my $limit = time() + $self->scaled(10);

    while (time() < $limit) {
        if (waitpid($pid, WNOHANG) == $pid) {
            my $status = $? >> 8;
            delete $self->{pid};

            return "nginx failed to start (exit $status):\n"
                . $self->read_file('stderr.log')
                . substr($self->error_log(), $mark);
        }

        return undef if -s "$d/nginx.pid" && $self->_listening();

        sleep 0.02;
    }

    $self->_kill_all();

    return "nginx did not start in time:\n"
        . substr($self->error_log(), $mark);
}

# the ports of this instance that "listen" directives of expanded files use

sub listen_ports {
    my ($self) = @_;

    my %ours = map { $_ => 1 } values %{ $self->{ports} };
    my %p;

    for my $name (keys %{ $self->{templates} }) {
        my $text = $self->read_file($name);

        while ($text =~ /^\s*listen\s+(?:\S*:)?(\d+)[\s;]/mg) {
            $p{$1} = 1 if $ours{$1};
        }
    }

    return sort { $a <=> $b } keys %p;
}

sub _listening {
    my ($self) = @_;

    my @want = $self->listen_ports();
    my %l;

    # /proc/net/tcp rather than a probe connection: nothing in error.log or
    # in the connection counters of the tests

    my $proc = 0;

    for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
        open my $fh, '<', $f or next;
        $proc = 1;

        while (<$fh>) {
            my @f = split;
            next unless @f > 3 && $f[3] eq '0A';
            $l{ hex $1 } = 1 if $f[1] =~ /:([0-9A-Fa-f]{4})$/;
        }
    }

    for my $p (@want) {
        next if $proc ? $l{$p} : $self->waitforsocket("127.0.0.1:$p", 0);
        return 0;
    }

    return 1;
}

sub waitforsocket {
    my ($self, $peer, $timeout) = @_;

    $peer = "127.0.0.1:$peer" if $peer =~ /^\d+$/;

    my $limit = time() + ($timeout // $self->scaled(5));

    while (1) {
        my $s = IO::Socket::INET->new(PeerAddr => $peer, Proto => 'tcp');

        if ($s) {
            close $s;
            return 1;
        }

        return 0 if time() >= $limit;
        sleep 0.05;
    }
}

sub waitforfile {
    my ($self, $file, $timeout) = @_;

    $file = "$self->{dir}/$file" unless $file =~ m{^/};
    my $limit = time() + ($timeout // $self->scaled(5));

    while (time() < $limit) {
        return 1 if -e $file;
        sleep 0.05;
    }

    return -e $file ? 1 : 0;
}

sub pid { $_[0]->{pid} }

sub signal {
    my ($self, $sig) = @_;
    return 0 unless $self->{pid};
    return kill $sig, $self->{pid};
}

sub quit {
    my ($self) = @_;
    $self->signal('QUIT');
    return $self;
}

# waits for the master to exit; true when it did, its exit code kept

sub wait_exit {
    my ($self, $timeout) = @_;

    return 1 unless $self->{pid};

    my $limit = time() + ($timeout // $self->scaled(20));

    while (1) {
        if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
            $self->{exit_status} = $?;
            delete $self->{pid};
            return 1;
        }

        return 0 if time() >= $limit;
        sleep 0.02;
    }
}

sub exit_status { $_[0]->{exit_status} }

sub stop {
    my ($self) = @_;

    $self->_stop_nginx();
    $self->_stop_daemons();
    $self->_check_valgrind() if $VALGRIND;

    return $self;
}

sub _stop_nginx {
    my ($self) = @_;

    return unless $self->{pid};

    $self->quit();

    return if $self->wait_exit();

    Test::More::diag("nginx $self->{pid} did not quit, killing it");

    my $daemons = $self->{daemons};
    $self->{daemons} = [];
    $self->_kill_all();
    $self->{daemons} = $daemons;
}

sub _kill_all {
    my ($self) = @_;

    if (my $pid = $self->{pid}) {
        my @children = _children($pid);

        kill 'TERM', $pid, @children;

        my $limit = time() + 5;
        sleep 0.05 while waitpid($pid, WNOHANG) == 0 && time() < $limit;

        if (kill 0, $pid) {
            kill 'KILL', $pid, _children($pid), @children;
            waitpid($pid, 0);
        }

        kill 'KILL', grep { kill 0, $_ } @children;
        delete $self->{pid};
    }

    $self->_stop_daemons();
}

sub _children {
    my ($ppid) = @_;

    my @pids;

    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $s = <$fh> // next;
        push @pids, $1 if $s =~ /^(\d+) \(.*\) \S (\d+) / && $2 == $ppid;
    }

    return @pids;
}

sub reload {
    my ($self) = @_;

    return 0 unless $self->{pid};

    # with master_process off nginx does not reload cleanly: restart it

    if ($SINGLE) {
        $self->_stop_nginx();
        return eval { $self->run($self->{conf}); 1 } ? 1 : 0;
    }

    my $mark = $self->log_mark();
    $self->signal('HUP');

    if ($LOG_LEVEL =~ /^(warn|error|crit|alert|emerg)$/) {
        sleep $self->scaled(1);
        return 1;
    }

    my $line = $self->wait_for_log(qr/start worker process|\[emerg\]/,
                                   $self->scaled(10), $mark);

    return 0 if !$line || $line =~ /\[emerg\]/;

    my $limit = time() + $self->scaled(5);
    sleep 0.02 until $self->_listening() || time() >= $limit;

    return 1;
}

# (exit status, output) of "nginx -t"; a file written by write_file_expand
# is tested as a copy logging elsewhere, so that error.log stays clean

sub test_config {
    my ($self, $conf) = @_;

    $conf ||= 'nginx.conf';

    my $d = $self->{dir};
    my $log = "$d/test_config.log";

    if (defined $self->{templates}{$conf}) {
        my $copy = "$conf.test";

        $self->write_file($copy, $self->expand($self->{templates}{$conf},
            error_log => $log, pid => "$d/test_config.pid"));

        $conf = $copy;
    }

    my @cmd = ($self->_nginx_cmd($conf, $log), '-t');

    my $pid = open my $fh, '-|';
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT;
        { no warnings 'exec'; exec @cmd; }
        POSIX::_exit(127);
    }

    local $/;
    my $out = <$fh> // '';
    close $fh;

    return ($? >> 8, $out);
}

# helper processes (backends, collectors): a code ref run in a child or a
# command to exec; they are killed at stop()

sub run_daemon {
    my ($self, $code, @args) = @_;

    my $pid = fork();
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        if (ref $code eq 'CODE') {
            eval { $code->(@args); 1 } or warn $@;
            POSIX::_exit(0);
        }

        { no warnings 'exec'; exec $code, @args; }
        POSIX::_exit(127);
    }

    push @{ $self->{daemons} }, $pid;

    return $pid;
}

sub _stop_daemons {
    my ($self) = @_;

    my @pids = @{ $self->{daemons} };
    $self->{daemons} = [];

    return unless @pids;

    kill 'TERM', @pids;

    my $limit = time() + 5;

    for my $pid (@pids) {
        sleep 0.02 while waitpid($pid, WNOHANG) == 0 && time() < $limit;

        if (kill 0, $pid) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
        }
    }
}

# a minimal HTTP/1.x backend in a child: one connection at a time; the
# handler gets the raw request and returns a raw response, or
# [status, [headers], body], or undef to close without answering; each
# request is appended to the file "record" for requests()

sub http_daemon {
    my ($self, $port, $handler, %opts) = @_;

    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                       LocalPort => $port, Proto => 'tcp',
                                       Listen => 128, ReuseAddr => 1)
        or die "listen on $port: $!\n";

    my $record = defined $opts{record} ? "$self->{dir}/$opts{record}" : undef;
    my $timeout = $self->scaled(10);

    my $pid = $self->run_daemon(sub {
        $SIG{TERM} = sub { POSIX::_exit(0) };

        while (my $c = $listen->accept()) {
            my $req = _read_message($c, $timeout, 1);

            # a probe (waitforsocket) connects and closes without a request

            next unless length $req;

            if ($record) {
                open my $fh, '>>', $record or die "$record: $!\n";
                binmode $fh;
                print $fh length($req), "\n", $req, "\n";
                close $fh;
            }

            my $res = $handler ? $handler->($req)
                : [200, ['Content-Type' => 'text/plain'], "ok\n"];

            if (ref $res eq 'ARRAY') {
                my ($status, $h, $body) = @$res;
                $body //= '';
                $res = "HTTP/1.1 $status X\r\n";
                for (my $i = 0; $i < @$h; $i += 2) {
                    $res .= "$h->[$i]: $h->[$i + 1]\r\n";
                }
                $res .= "Content-Length: " . length($body) . "\r\n"
                    . "Connection: close\r\n\r\n$body";
            }

            print $c $res if defined $res;
            close $c;
        }
    });

    close $listen;
    $self->waitforsocket("127.0.0.1:$port");

    return $pid;
}

# the requests an http_daemon recorded, oldest first

sub requests {
    my ($self, $name) = @_;

    my $s = $self->read_file($name);
    my @r;

    while ($s =~ /\G(\d+)\n/gc) {
        push @r, substr($s, pos($s), $1);
        pos($s) += $1 + 1;
    }

    return @r;
}

sub wait_for_requests {
    my ($self, $name, $n, $timeout) = @_;

    my $limit = time() + ($timeout // $self->scaled(10));
    my @r;

    while (1) {
        @r = $self->requests($name);
        return @r if @r >= $n || time() >= $limit;
        sleep 0.05;
    }
}


# --- logs -------------------------------------------------------------------

sub error_log { $_[0]->read_file('error.log') }
sub access_log { $_[0]->read_file('access.log') }

sub log_mark {
    my ($self) = @_;
    return -s "$self->{dir}/error.log" || 0;
}

# waits for a line matching the regex (from byte offset $since); returns the
# line, or undef on timeout

sub wait_for_log {
    my ($self, $re, $timeout, $since) = @_;

    my $limit = time() + ($timeout // $self->scaled(10));

    while (1) {
        my $log = substr($self->error_log(), $since || 0);

        for my $line (split /\n/, $log) {
            return $line if $line =~ $re;
        }

        return undef if time() >= $limit;
        sleep 0.05;
    }
}

sub alerts {
    my ($self, $log) = @_;

    my @bad;

    for my $line (split /\n/, $log // $self->error_log()) {
        if ($line =~ /\[(?:alert|crit|emerg)\]/) {
            push @bad, $line;
            next;
        }

        next if $line =~ /\[debug\]/;

        # request lines and urls in the context part may say anything

        (my $msg = $line) =~ s/, client: .*//;

        push @bad, $line if $msg =~ /open socket #\d+|\bleak/i;
    }

    return @bad;
}

sub no_alerts_ok {
    my ($self, $name) = @_;

    my @bad = $self->alerts();

    local $Test::Builder::Level = $Test::Builder::Level + 1;

    Test::More::ok(!@bad, $name || 'no alerts in error.log')
        or Test::More::diag(join "\n", @bad);
}


# --- valgrind ---------------------------------------------------------------

# parses a valgrind log: (\@bad, \@other) where @bad has the records with an
# invalid access, uninitialised value or definite leak whose stacks mention
# our module, and @other every other error or leak record

sub parse_valgrind_log {
    my ($text) = @_;

    my (@bad, @other);
    my $rec = '';

    for my $line (split(/\n/, $text), '==0== ') {
        if ($line =~ /^==\d+==\s*$/) {
            _classify_record($rec, \@bad, \@other) if $rec ne '';
            $rec = '';
            next;
        }

        $rec .= "$line\n";
    }

    return (\@bad, \@other);
}

sub _classify_record {
    my ($rec, $bad, $other) = @_;

    # banners and summaries carry no stack

    return unless $rec =~ /^==\d+==\s+(?:at|by) 0x/m;

    my $serious = $rec =~ /Invalid (?:read|write|free)|uninitialised/
                  || $rec =~ /are definitely lost in loss record/;

    my $ours = $rec =~ /ngx_http_middleware|\bmw_\w+ \(/;

    push @{ $serious && $ours ? $bad : $other }, $rec;
}

sub _check_valgrind {
    my ($self) = @_;

    for my $f (sort glob "$self->{dir}/valgrind.*.log") {
        next if $self->{vg_files}{$f}++;

        my ($bad, $other) = parse_valgrind_log($self->read_file($f));
        my $b = basename($f);

        push @{ $self->{vg_bad} }, map { "$b:\n$_" } @$bad;
        push @{ $self->{vg_other} }, map { "$b:\n$_" } @$other;
    }
}

sub _report_valgrind {
    my ($self) = @_;

    my @bad = @{ $self->{vg_bad} };
    my @other = @{ $self->{vg_other} };

    if (@other) {
        my %seen;

        for my $r (@other) {
            my ($head) = $r =~ /^==\d+== (\S.*)$/m;
            $head //= '?';
            $head =~ s/\d[\d,]* (bytes?|blocks?)/N $1/g;
            $head =~ s/loss record \S+ of \S+/loss record/;
            $seen{$head}++;
        }

        Test::More::diag("valgrind, outside the module:\n"
            . join '', map { "  $seen{$_} x $_\n" } sort keys %seen);
    }

    my $builder = Test::More->builder;

    # without our plan, a test after the others only when it fails

    return unless $self->{vg_planned} || @bad;
    return unless $builder->has_plan || $self->{vg_planned};

    local $Test::Builder::Level = $Test::Builder::Level + 1;

    Test::More::ok(!@bad, 'valgrind: no invalid access, uninitialised value'
                   . ' or definite leak in the module')
        or Test::More::diag(join "\n", @bad);
}


# --- HTTP/1.x over raw sockets ----------------------------------------------

sub connect {
    my ($self, %opts) = @_;

    my $port = $opts{port} || $self->port(0);

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp');

    if (!$s) {
        Test::More::note("connect to 127.0.0.1:$port: $!");
        return undef;
    }

    $s->autoflush(1);
    return $s;
}

sub request {
    my ($self, $method, $path, %opts) = @_;

    my $v = $opts{version} || '1.1';
    my @h;

    push @h, Host => $opts{host} // 'localhost'
        unless exists $opts{host} && !defined $opts{host};

    my $headers = $opts{headers} || [];
    $headers = [map { $_ => $headers->{$_} } sort keys %$headers]
        if ref $headers eq 'HASH';

    push @h, @$headers;

    my %have = map { lc $h[$_ * 2] => 1 } 0 .. $#h / 2;

    push @h, 'Content-Length' => length $opts{body}
        if defined $opts{body} && !$have{'content-length'}
           && !$have{'transfer-encoding'};

    push @h, Connection => 'close'
        if !$opts{keepalive} && !$have{connection} && $v ne '1.0';

    my $r = "$method $path HTTP/$v\r\n";

    for (my $i = 0; $i < @h; $i += 2) {
        $r .= "$h[$i]: $h[$i + 1]\r\n";
    }

    return $r . "\r\n" . ($opts{body} // '');
}

sub http_get {
    my ($self, $path, %opts) = @_;

    return $self->http($self->request($opts{method} || 'GET', $path, %opts),
                       %opts);
}

sub http {
    my ($self, $request, %opts) = @_;

    my $s = $self->connect(%opts) or return undef;

    print $s $request;

    return $s if $opts{start};
    return $self->http_end($s, %opts);
}

# reads until the peer closes or the timeout runs out, then closes

sub http_end {
    my ($self, $s, %opts) = @_;

    my $timeout = $self->scaled($opts{timeout} || 10);
    my $limit = time() + $timeout;
    my $sel = IO::Select->new($s);
    my $reply = delete ${*$s}{mw_buf} // '';

    while (1) {
        my $left = $limit - time();
        last if $left <= 0 || !$sel->can_read($left);

        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $reply .= $buf;
    }

    close $s;
    return $reply;
}

# reads exactly one response from a connection that stays open; bytes
# beyond it are kept for the next call

sub read_response {
    my ($self, $s, %opts) = @_;

    my $timeout = $self->scaled($opts{timeout} || 10);
    my $limit = time() + $timeout;
    my $sel = IO::Select->new($s);
    my $buf = delete ${*$s}{mw_buf} // '';

    while (1) {
        my $len = http_complete($buf, head => $opts{head});

        if (defined $len) {
            ${*$s}{mw_buf} = substr($buf, $len) if $len < length $buf;
            return substr($buf, 0, $len);
        }

        my $left = $limit - time();
        last if $left <= 0 || !$sel->can_read($left);

        my $n = sysread($s, my $chunk, 65536);
        last unless $n;
        $buf .= $chunk;
    }

    return $buf;
}

# closes with a reset rather than a FIN: an abrupt client abort

sub abort {
    my ($self, $s) = @_;

    setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
    close $s;
}

# requests on one keepalive connection, one after the other; paths are sent
# as GET requests; returns ({ response => raw, time => seconds }, ...)

sub http_keepalive {
    my ($self, $requests, %opts) = @_;

    my $s = $self->connect(%opts) or return ();
    my @out;

    for my $r (@$requests) {
        $r = $self->request('GET', $r, %opts, keepalive => 1)
            if $r =~ m{^/};

        my $t0 = time();
        print $s $r;

        my $res = $self->read_response($s, %opts,
                                       head => scalar($r =~ /^HEAD /));
        push @out, { response => $res, time => time() - $t0 };

        sleep $opts{pause} if $opts{pause};
    }

    close $s;
    return @out;
}

# requests sent at once on separate connections, non-blocking; a response is
# done when complete or when the peer closes; raw responses in order, the
# seconds each took into @{$opts{times}} if given

sub http_concurrent {
    my ($self, $requests, %opts) = @_;

    my $limit = time() + $self->scaled($opts{timeout} || 10);
    my @c;

    for my $r (@$requests) {
        my $raw = $r =~ m{^/} ? $self->request('GET', $r, %opts) : $r;
        my $s = $self->connect(%opts);

        $s->blocking(0) if $s;

        push @c, { s => $s, out => $raw, in => '', t0 => time(),
                   head => scalar($raw =~ /^HEAD /), done => !$s, time => 0 };
    }

    while (time() < $limit) {
        my @open = grep { !$_->{done} } @c;
        last unless @open;

        my $rs = IO::Select->new(map { $_->{s} } @open);
        my $ws = IO::Select->new(map { $_->{s} } grep { length $_->{out} }
                                 @open);

        my ($r, $w) = IO::Select->select($rs, $ws->count ? $ws : undef,
                                         undef, $limit - time());
        last unless $r || $w;

        my %by = map { (refaddr($_->{s}), $_) } @open;

        for my $s (@{ $w || [] }) {
            my $c = $by{ refaddr $s };
            my $n = syswrite($s, $c->{out});
            substr($c->{out}, 0, $n, '') if $n;
        }

        for my $s (@{ $r || [] }) {
            my $c = $by{ refaddr $s };
            my $n = sysread($s, my $buf, 65536);

            next if !defined $n && ($! == EAGAIN || $! == EWOULDBLOCK
                                    || $! == EINTR);

            $c->{in} .= $buf if $n;

            if (!$n || defined http_complete($c->{in}, head => $c->{head})) {
                $c->{done} = 1;
                $c->{time} = time() - $c->{t0};
            }
        }
    }

    for my $c (@c) {
        close $c->{s} if $c->{s};
        $c->{time} ||= time() - $c->{t0};
    }

    @{ $opts{times} } = map { $_->{time} } @c if $opts{times};

    return map { $_->{in} } @c;
}


# --- HTTP/2 (curl) ----------------------------------------------------------

# the output of "curl -s -i --http2-prior-knowledge": the same shape as a raw
# HTTP/1 response for the parse helpers; undef when curl printed nothing

sub http2_get {
    my ($self, $url, %opts) = @_;

    $url = 'http://127.0.0.1:' . ($opts{port} || $self->port(0)) . $url
        if $url =~ m{^/};

    my @cmd = ($CURL, '--http2-prior-knowledge', '-s', '-i',
               '--max-time', $self->scaled($opts{timeout} || 10));

    my $h = $opts{headers} || [];
    $h = [map { $_ => $h->{$_} } sort keys %$h] if ref $h eq 'HASH';

    for (my $i = 0; $i < @$h; $i += 2) {
        push @cmd, '-H', "$h->[$i]: $h->[$i + 1]";
    }

    push @cmd, '-X', $opts{method} if $opts{method};
    push @cmd, '--data-binary', $opts{body} if defined $opts{body};
    push @cmd, @{ $opts{curl} } if $opts{curl};
    push @cmd, $url;

    open my $fh, '-|', @cmd or die "$CURL: $!\n";
    binmode $fh;
    local $/;
    my $out = <$fh>;
    close $fh;

    $self->{curl_status} = $? >> 8;

    return defined $out && length $out ? $out : undef;
}

sub curl_status { $_[0]->{curl_status} }


# --- response parsing (functions) -------------------------------------------

# the length of the first complete message in $buf (1xx interim responses
# included), or undef while more bytes are needed or only a close can end it

sub http_complete {
    my ($buf, %opts) = @_;

    return undef unless defined $buf;

    my $off = 0;

    while (1) {
        my $end = index($buf, "\r\n\r\n", $off);
        return undef if $end < 0;

        my $head = substr($buf, $off, $end - $off);
        my $body = $end + 4;

        my ($code) = $head =~ m{^HTTP/[\d.]+ (\d{3})};
        return undef unless defined $code;

        if ($code =~ /^1/ && $code != 101) {
            $off = $body;
            next;
        }

        return $body if $opts{head} || $code == 204 || $code == 304
                        || $code == 101;

        my $len = _body_end($buf, $body, $head);
        return $len >= 0 ? $len : undef;
    }
}

# end offset of the body starting at $off: -1 if incomplete or until close

sub _body_end {
    my ($buf, $off, $head, $request) = @_;

    if ($head =~ /^transfer-encoding:[^\r\n]*chunked/mi) {
        my $p = $off;

        while (1) {
            my $e = index($buf, "\r\n", $p);
            return -1 if $e < 0;

            my ($size) = substr($buf, $p, $e - $p) =~ /^([0-9a-fA-F]+)/;
            return -1 unless defined $size;

            $p = $e + 2;

            if (hex($size) == 0) {
                while (1) {
                    my $t = index($buf, "\r\n", $p);
                    return -1 if $t < 0;
                    my $empty = $t == $p;
                    $p = $t + 2;
                    return $p if $empty;
                }
            }

            $p += hex($size) + 2;
            return -1 if $p > length $buf;
        }
    }

    if ($head =~ /^content-length:\s*(\d+)/mi) {
        return length $buf >= $off + $1 ? $off + $1 : -1;
    }

    return $request ? $off : -1;
}

sub _read_message {
    my ($s, $timeout, $request) = @_;

    my $sel = IO::Select->new($s);
    my $limit = time() + $timeout;
    my $buf = '';

    while (1) {
        my $end = index($buf, "\r\n\r\n");

        if ($end >= 0) {
            my $len = _body_end($buf, $end + 4, substr($buf, 0, $end),
                                $request);
            return substr($buf, 0, $len) if $len >= 0;
        }

        my $left = $limit - time();
        last if $left <= 0 || !$sel->can_read($left);

        my $n = sysread($s, my $chunk, 65536);
        last unless $n;
        $buf .= $chunk;
    }

    return $buf;
}

# { version, status, reason, headers => [[name, value], ...], body (chunked
# decoded), complete, raw } for the first final response in $raw; undef if
# there is no status line

sub http_parse {
    my ($raw) = @_;

    return undef unless defined $raw;

    my $rest = $raw;
    my ($head, $ver, $code, $reason);

    while (1) {
        ($head, my $after) = split /\r?\n\r?\n/, $rest, 2;
        return undef unless defined $head;

        ($ver, $code, $reason) =
            $head =~ m{^HTTP/(\S+) (\d{3})(?: ([^\r\n]*))?};
        return undef unless defined $code;

        $rest = $after // '';

        last unless $code =~ /^1/ && $code != 101 && defined $after;
    }

    my @lines = split /\r?\n/, $head;
    shift @lines;

    my @headers = map { /^([^:\s]+)\s*:\s*(.*?)\s*$/ ? [$1, $2] : () } @lines;
    my %h = map { (lc $_->[0], $_->[1]) } @headers;

    my ($body, $complete) = ($rest, 1);

    if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        ($body, $complete) = ('', 0);

        while ($rest =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $n = hex $1;

            if ($n == 0) {
                $complete = 1;
                last;
            }

            last if length $rest < $n;
            $body .= substr($rest, 0, $n, '');
            $rest =~ s/^\r\n//;
        }

    } elsif (defined $h{'content-length'} && $h{'content-length'} =~ /^\d+$/) {
        $complete = length $rest >= $h{'content-length'};
        $body = substr($rest, 0, $h{'content-length'});
    }

    return {
        version => $ver,
        status => $code,
        reason => $reason // '',
        headers => \@headers,
        body => $body,
        complete => $complete ? 1 : 0,
        raw => $raw,
    };
}

sub http_status {
    my $p = http_parse($_[0]);
    return $p ? $p->{status} : undef;
}

sub http_headers {
    my ($raw, $name) = @_;

    my $p = http_parse($raw) or return ();

    return map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $p->{headers} };
}

sub http_header {
    my @v = http_headers(@_);
    return $v[0];
}

sub http_body {
    my $p = http_parse($_[0]);
    return $p ? $p->{body} : undef;
}

1;
