package Mw::Nginx;

# A small harness for integration tests: a real nginx (the distro's), the
# real njs module and ngx_http_middleware_module, on loopback, in a
# temporary prefix.  See t/README.md.

use strict;
use warnings;

use Exporter qw(import);
use File::Temp qw(tempdir);
use File::Path qw(make_path);
use IO::Socket::INET;
use IO::Select;
use POSIX qw(WNOHANG);
use Socket qw(SOL_SOCKET SO_LINGER);
use Time::HiRes qw(time sleep);
use Test::More;

our @EXPORT_OK = qw(status header headers body);

my $NGINX = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my $NJS = $ENV{TEST_NGINX_NJS}
    || '/usr/lib/nginx/modules/ngx_http_js_module.so';
my $VALGRIND = $ENV{TEST_NGINX_VALGRIND};

# ./build.sh asan: the module is built with ASan + UBSan, nginx is not;
# the runtime (TEST_NGINX_ASAN_PRELOAD) is preloaded into nginx and every
# process writes its reports to the test directory, checked at stop()
my $ASAN = $ENV{TEST_NGINX_ASAN};

# njs >= 0.8.6 built with QuickJS: TEST_NGINX_ENGINE=qjs runs every test
# on that engine (js_engine qjs;), with njs's default context reuse
my $ENGINE = $ENV{TEST_NGINX_ENGINE} || '';

my $REPO = do {
    my $d = __FILE__;
    $d =~ s{/t/lib/Mw/Nginx\.pm$}{};
    $d = '.' if $d eq __FILE__;
    require Cwd;
    Cwd::abs_path($d);
};

sub new {
    my ($class, %opts) = @_;

    my $module = $ENV{TEST_NGINX_MODULE};

    if (!$opts{no_module}) {
        plan(skip_all => 'TEST_NGINX_MODULE is not set')
            unless $module && -f $module;
    }

    my $base = "$REPO/t/tmp";
    make_path($base);

    my $self = bless {
        dir => tempdir('mw-XXXXXX', DIR => $base,
                       CLEANUP => !$ENV{TEST_NGINX_LEAVE}),
        module => $module,
        no_module => $opts{no_module},
        ports => {},
    }, $class;

    chmod 0755, $self->{dir};

    return $self;
}

sub DESTROY {
    my ($self) = @_;
    local $?;
    $self->stop() if $self->{pid};
}

sub testdir { $_[0]->{dir} }
sub repo { $REPO }
sub njs_module { $NJS }
sub nginx_binary { $NGINX }
sub engine { $ENGINE || 'njs' }

# a free loopback port per number, stable for the life of the instance

sub port {
    my ($self, $n) = @_;

    return $self->{ports}{$n} if $self->{ports}{$n};

    for (1 .. 100) {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => 0, Listen => 1,
                                      ReuseAddr => 1) or next;
        my $p = $s->sockport();
        close $s;
        next if grep { $_ == $p } values %{ $self->{ports} };
        return $self->{ports}{$n} = $p;
    }

    die "no free port\n";
}

sub write_file {
    my ($self, $name, $content) = @_;

    my $path = "$self->{dir}/$name";
    (my $dir = $path) =~ s{/[^/]+$}{};
    make_path($dir);

    open my $fh, '>', $path or die "$path: $!\n";
    binmode $fh;
    print $fh $content;
    close $fh;

    return $path;
}

sub expand {
    my ($self, $s) = @_;

    my $d = $self->{dir};
    my $globals = "pid $d/nginx.pid;\nerror_log $d/error.log info;\n";

    # as root, workers would run as nobody, who may not read a checkout
    # under a private home directory
    $globals .= "user root;\n" if $> == 0;
    $globals .= "load_module $NJS;\n";
    $globals .= "load_module $self->{module};\n" unless $self->{no_module};

    # under valgrind too the master stays: a single process would exit at
    # once on QUIT, without the graceful drain the tests check; valgrind
    # follows the forked worker (one log per process)

    # TEST_NGINX_JS: the runtime built as one file (./build.sh runtime)
    # instead of the sources
    my $http = "js_path " . ($ENV{TEST_NGINX_JS} || "$REPO/js") . ";\n"
        . ($ENGINE ? "js_engine $ENGINE;\n" : '')
        . "access_log $d/access.log;\n"
        . join('', map { "${_}_temp_path $d/${_}_temp;\n" }
               qw(client_body proxy fastcgi uwsgi scgi));

    $s =~ s/%%TEST_GLOBALS%%/$globals/g;
    $s =~ s/%%TEST_GLOBALS_HTTP%%/$http/g;
    $s =~ s/%%PORT_(\d+)%%/$self->port($1)/ge;
    $s =~ s/%%TESTDIR%%/$d/g;
    $s =~ s/%%REPO%%/$REPO/g;

    return $s;
}

sub write_file_expand {
    my ($self, $name, $content) = @_;
    return $self->write_file($name, $self->expand($content));
}

sub nginx_cmd {
    my ($self) = @_;
    my $d = $self->{dir};
    return ($NGINX, '-p', "$d/", '-c', "$d/nginx.conf", '-e', "$d/error.log");
}

sub asan_env {
    my ($self) = @_;
    my $d = $self->{dir};

    return unless $ASAN;

    $ENV{LD_PRELOAD} = $ENV{TEST_NGINX_ASAN_PRELOAD}
        if $ENV{TEST_NGINX_ASAN_PRELOAD};
    $ENV{ASAN_OPTIONS} = "log_path=$d/asan:detect_leaks=1"
        . ':fast_unwind_on_malloc=0:malloc_context_size=30';
    $ENV{UBSAN_OPTIONS} = "log_path=$d/ubsan:print_stacktrace=1";
}

sub test_config {
    my ($self) = @_;
    my @cmd = ($self->nginx_cmd(), '-t');
    local %ENV = %ENV;
    $self->asan_env();

    # nginx -t exits without freeing its configuration: not leaks
    $ENV{ASAN_OPTIONS} =~ s/detect_leaks=1/detect_leaks=0/ if $ASAN;
    my $out = `@cmd 2>&1`;
    return ($? >> 8, $out);
}

sub run {
    my ($self) = @_;

    my $d = $self->{dir};
    my @cmd = $self->nginx_cmd();

    if ($VALGRIND) {
        unshift @cmd, 'valgrind', '--leak-check=full', '--num-callers=30',
            "--log-file=$d/valgrind.%p.log";
        -f "$REPO/t/valgrind.supp"
            and splice @cmd, 1, 0, "--suppressions=$REPO/t/valgrind.supp";
    }

    my $pid = fork();
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        open STDOUT, '>>', "$d/stderr.log";
        open STDERR, '>>', "$d/stderr.log";
        $self->asan_env();
        exec @cmd, '-g', 'daemon off;' or exit 127;
    }

    $self->{pid} = $pid;

    my $limit = time() + ($VALGRIND ? 60 : 10);

    # the ports nginx listens on (others may be for a server that is down)
    my @ports = $self->read_file('nginx.conf')
        =~ /^\s*listen\s+127\.0\.0\.1:(\d+)/mg;

    while (time() < $limit) {
        if (waitpid($pid, WNOHANG) == $pid) {
            delete $self->{pid};
            die "nginx failed to start:\n" . $self->read_file('stderr.log')
                . $self->error_log();
        }

        my $up = 1;

        for my $p (@ports) {
            my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$p");
            $up = 0, last unless $s;
            close $s;
        }

        return $self if $up && -f "$d/nginx.pid";
        sleep 0.05;
    }

    die "nginx did not start in time:\n" . $self->error_log();
}

sub signal {
    my ($self, $sig) = @_;
    kill $sig, $self->{pid} if $self->{pid};
}

sub reload {
    my ($self) = @_;
    $self->signal('HUP');
}

# waits for nginx to exit after a signal (QUIT by default)

sub stop {
    my ($self, $sig, $timeout) = @_;

    return unless $self->{pid};

    $self->signal($sig || 'QUIT');

    my $limit = time() + ($timeout || ($VALGRIND ? 60 : 20));

    while (time() < $limit) {
        if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
            delete $self->{pid};
            $self->check_valgrind() if $VALGRIND;
            $self->check_asan() if $ASAN;
            return 1;
        }
        sleep 0.05;
    }

    kill 'KILL', $self->{pid};
    waitpid($self->{pid}, 0);
    delete $self->{pid};
    return 0;
}

sub check_valgrind {
    my ($self) = @_;

    my ($bad, $other) = ('', 0);

    for my $f (glob "$self->{dir}/valgrind.*.log") {
        open my $fh, '<', $f or next;
        local $/;
        my $log = <$fh>;

        # one record per error or leak, ended by a "==pid== " line
        for my $rec (split /^==\d+==\s*$/m, $log) {
            next unless $rec =~ /Invalid (read|write|free)|uninitialised
                                 |are definitely lost in loss record/x;

            if ($rec =~ /ngx_http_middleware|\bmw_/) {
                $bad .= $rec;
            } else {
                $other++;
            }
        }
    }

    Test::More::diag("valgrind: $other record(s) outside this module")
        if $other;

    Test::More::ok(!$bad, 'valgrind: no errors or leaks in the module')
        or Test::More::diag($bad);
}

# one report per "==pid==ERROR" / "runtime error" block; a report fails the
# file when a frame of its stacks is in this module

sub check_asan {
    my ($self) = @_;

    my ($bad, $other) = ('', 0);

    for my $f (glob("$self->{dir}/asan.*"), glob("$self->{dir}/ubsan.*")) {
        open my $fh, '<', $f or next;
        local $/;
        my $log = <$fh>;

        for my $rec (split /(?=^==\d+==ERROR|^\S+:\d+:\d+: runtime error
                                |^(?:Direct|Indirect)\ leak\ of)/mx, $log)
        {
            next unless $rec =~ /ERROR: Address|runtime error| leak of/;

            if ($rec =~ /ngx_http_middleware|\bmw_/) {
                $bad .= $rec;
            } else {
                $other++;
            }
        }
    }

    Test::More::diag("asan: $other report(s) outside this module")
        if $other;

    Test::More::ok(!$bad, 'asan/ubsan: no report involving the module')
        or Test::More::diag($bad);
}

sub read_file {
    my ($self, $name) = @_;
    open my $fh, '<', "$self->{dir}/$name" or return '';
    local $/;
    return <$fh>;
}

sub error_log { $_[0]->read_file('error.log') }

sub no_alerts_ok {
    my ($self, $name) = @_;

    my @bad = grep { /\[(alert|crit|emerg)\]/ || /open socket|leak/ }
        split /\n/, $self->error_log();

    Test::More::is(scalar @bad, 0, $name || 'no alerts in error.log')
        or Test::More::diag(join "\n", @bad);
}

sub wait_for_log {
    my ($self, $re, $timeout) = @_;

    my $limit = time() + ($timeout || 10) * ($VALGRIND ? 4 : 1);

    while (time() < $limit) {
        return 1 if $self->error_log() =~ $re;
        sleep 0.05;
    }

    return 0;
}

sub wait_for {
    my ($self, $code, $timeout) = @_;

    my $limit = time() + ($timeout || 10) * ($VALGRIND ? 4 : 1);

    while (time() < $limit) {
        return 1 if $code->();
        sleep 0.05;
    }

    return 0;
}

# --- HTTP/1 ----------------------------------------------------------------

sub http_get {
    my ($self, $path, %opts) = @_;

    my $h = '';
    my $headers = $opts{headers} || [];
    for (my $i = 0; $i < @$headers; $i += 2) {
        $h .= "$headers->[$i]: $headers->[$i + 1]\r\n";
    }

    my $port = $opts{port} || $self->port(0);

    return $self->http("GET $path HTTP/1.1\r\nHost: "
                       . ($opts{host} || 'localhost') . "\r\n$h"
                       . "Connection: close\r\n\r\n", %opts, port => $port);
}

# sends a raw request, returns the raw response (up to the close or timeout)

sub http {
    my ($self, $request, %opts) = @_;

    my $s = $self->http_start($request, %opts) or return undef;
    return undef if $opts{start};
    return $self->http_end($s, %opts);
}

sub http_start {
    my ($self, $request, %opts) = @_;

    my $port = $opts{port} || $self->port(0);

    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                  Proto => 'tcp')
        or die "connect to $port: $!\n";

    $s->autoflush(1);
    print $s $request;

    return $s;
}

sub http_end {
    my ($self, $s, %opts) = @_;

    my $timeout = ($opts{timeout} || 10) * ($VALGRIND ? 4 : 1);
    my $sel = IO::Select->new($s);
    my $reply = '';
    my $limit = time() + $timeout;

    while (time() < $limit) {
        last unless $sel->can_read($limit - time());
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $reply .= $buf;
    }

    close $s;
    return $reply;
}

# reads exactly one HTTP/1.1 response with Content-Length from a socket

sub read_response {
    my ($self, $s, $timeout) = @_;

    $timeout = ($timeout || 10) * ($VALGRIND ? 4 : 1);

    my $sel = IO::Select->new($s);
    my $buf = '';
    my $limit = time() + $timeout;

    while (time() < $limit) {
        if ($buf =~ /\r\n\r\n/) {
            my ($head) = $buf =~ /^(.*?\r\n\r\n)/s;
            my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
            $len //= 0;
            return substr($buf, 0, length($head) + $len)
                if length($buf) >= length($head) + $len;
        }

        last unless $sel->can_read($limit - time());
        my $n = sysread($s, my $chunk, 65536);
        last unless $n;
        $buf .= $chunk;
    }

    return $buf;
}

# two requests on one keepalive connection: (response, seconds) for each

sub keepalive_pair {
    my ($self, $path1, $path2, %opts) = @_;

    my $port = $opts{port} || $self->port(0);
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
        or die "connect: $!\n";
    $s->autoflush(1);

    my @out;

    for my $p ($path1, $path2) {
        my $t0 = time();
        print $s "GET $p HTTP/1.1\r\nHost: localhost\r\n\r\n";
        my $r = $self->read_response($s, $opts{timeout});
        push @out, $r, time() - $t0;
    }

    close $s;
    return @out;
}

# N requests at once (one process each), responses in order

sub parallel {
    my ($self, @requests) = @_;

    my @pids;
    my $d = $self->{dir};

    for my $i (0 .. $#requests) {
        my $pid = fork();
        die "fork: $!\n" unless defined $pid;

        if ($pid == 0) {
            my $r = $self->http(@{ $requests[$i] }) // '';
            open my $fh, '>', "$d/parallel.$i" or POSIX::_exit(1);
            binmode $fh;
            print $fh $r;
            close $fh;
            POSIX::_exit(0);
        }

        push @pids, $pid;
    }

    waitpid($_, 0) for @pids;

    my @out;
    for my $i (0 .. $#requests) {
        push @out, $self->read_file("parallel.$i");
        unlink "$d/parallel.$i";
    }

    return @out;
}

# --- HTTP/2 (curl) ---------------------------------------------------------

sub http2_get {
    my ($self, $path, %opts) = @_;

    my $port = $opts{port} || $self->port(0);
    my @h = map { ('-H', $_) } @{ $opts{headers} || [] };
    my $max = ($opts{timeout} || 10) * ($VALGRIND ? 4 : 1);

    open my $fh, '-|', 'curl', '-s', '-i', '--http2-prior-knowledge',
        '--max-time', $max, @h, "http://127.0.0.1:$port$path"
        or die "curl: $!\n";
    local $/;
    my $r = <$fh>;
    close $fh;

    return $r // '';
}

# the worker processes of the running nginx, from /proc (a minimal root
# has no ps(1))

sub workers {
    my ($self) = @_;
    my $master = $self->read_file('nginx.pid') + 0;
    my @pids;

    for my $dir (glob '/proc/[0-9]*') {
        my ($pid) = $dir =~ m{/proc/(\d+)$} or next;
        open(my $f, '<', "$dir/stat") or next;
        my @stat = split ' ', (<$f> // '');
        push @pids, $pid if ($stat[3] // 0) == $master;
    }

    return @pids;
}

# --- stub_status -----------------------------------------------------------

sub active_connections {
    my ($self, $path, %opts) = @_;
    my $r = $self->http_get($path || '/stub_status', %opts);
    my ($n) = $r =~ /Active connections:\s*(\d+)/;
    return $n;
}

# the baseline once connections of earlier probes have been closed: the
# smallest count seen over a short while

sub baseline_connections {
    my ($self, $path, %opts) = @_;

    my $min;
    my $limit = time() + ($VALGRIND ? 3 : 0.5);

    while (time() < $limit) {
        my $n = $self->active_connections($path, %opts);
        $min = $n if defined $n && (!defined $min || $n < $min);
        last if defined $min && $min <= 1;
        sleep 0.1;
    }

    return $min;
}

# --- response parsing (functions) ------------------------------------------

sub status {
    my ($r) = @_;
    return undef unless defined $r;
    my ($s) = $r =~ m{^HTTP/[\d.]+ (\d{3})};
    return $s;
}

sub headers {
    my ($r, $name) = @_;
    return () unless defined $r;
    my ($head) = $r =~ /^(.*?)\r?\n\r?\n/s;
    return () unless defined $head;
    return map { /^[^:]+:\s*(.*?)\s*$/ ? $1 : () }
        grep { /^\Q$name\E\s*:/i } split /\r?\n/, $head;
}

sub header {
    my @v = headers(@_);
    return $v[0];
}

sub body {
    my ($r) = @_;
    return undef unless defined $r;
    my ($head, $body) = $r =~ /^(.*?\r?\n\r?\n)(.*)$/s;
    return undef unless defined $head;

    if ($head =~ /^Transfer-Encoding:\s*chunked/mi) {
        my $out = '';
        while ($body =~ s/^([0-9a-fA-F]+)\r\n//) {
            my $n = hex $1;
            last if $n == 0;
            $out .= substr($body, 0, $n, '');
            $body =~ s/^\r\n//;
        }
        return $out;
    }

    return $body;
}

1;
