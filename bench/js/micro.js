// bench/micro's middleware steps: the runtime driven by the njs CLI (no
// nginx), through server.serve(step).handle() with a mock request object
// shaped as F's njs request (the variables and headers fromNginx() reads).
// bench/micro writes @N@, @WARM@, @STEP@ and @TOKEN@; handle() runs
// N + WARM times, one microtask turn apart, as nginx would run it once per
// request.

// first: bench/micro's micro-ngx.js, which --cold makes give the global
// ngx nginx has (so serve() makes the runtime's body at the first request)
import ngxMock from 'micro-ngx.js';
import server from 'next/server.js';
// bench/micro --cold makes these two "var urlMod = null;": importing a part
// of the runtime makes its body at once
import urlMod from 'next/url.js';  // part
import util from 'next/util.js';  // part
import jwt from 'jwt.js';
import p from 'p.js';

var NextResponse = server.NextResponse;
var TOKEN = '@TOKEN@';
var N = @N@;
var WARM = @WARM@;
var STEP = '@STEP@';

// $middleware_headers and r.rawHeadersIn of
// GET /dashboard as wrk sends it with the session cookie
var LINES = ',host,user-agent,accept,cookie,\n'
            + 'Host\nhost\n127.0.0.1:8080\nUser-Agent\nuser-agent\nwrk\n'
            + 'Accept\naccept\n*/*\nCookie\ncookie\n__session=' + TOKEN
            + '\n';
var RAW = [['Host', '127.0.0.1:8080'], ['User-Agent', 'wrk'],
           ['Accept', '*/*'], ['Cookie', '__session=' + TOKEN]];
var HREF = 'http://127.0.0.1:8080/dashboard';
// $middleware_url of that request (the module's parts of its URL)
var URL_PARTS = HREF + '\nhttp:\n127.0.0.1\n8080\ndashboard';
var SIGN_IN = 'http://127.0.0.1:8080/sign-in?redirect_url=%2Fdashboard';

function nop() {}

function mock() {
    return {
        method: 'GET',
        variables: { request_uri: '/dashboard', request_id: 'req-1',
                     middleware_request_id: 'req-1',
                     middleware_scheme: 'http', middleware_matched: '1',
                     middleware_headers: LINES, host: '127.0.0.1',
                     middleware_url: URL_PARTS,
                     middleware_cookie: '__session=' + TOKEN,
                     'middleware_header_host': '127.0.0.1:8080' },
        rawVariables: { request_uri: '/dashboard' },
        rawHeadersIn: RAW,
        remoteAddress: '127.0.0.1',
        'return': nop, error: nop, warn: nop, log: nop
    };
}

function next() {
    return NextResponse.next();
}

function copied(request) {
    return new Headers(request.headers);
}

var steps = {
    // the runtime's own work
    none: function () { return next(); },
    read: function (request) {
        return request.headers.get('host') && next();
    },
    hdrs: function (request) {
        request.headers;
        return next();
    },
    cookies: function (request) {
        request.cookies.get('__session');
        return next();
    },
    nextUrl: function (request) {
        return request.nextUrl.pathname && next();
    },
    copy: function (request) { copied(request); return next(); },
    del: function (request) {
        copied(request).delete('x-user-id');
        return next();
    },
    set: function (request) {
        copied(request).set('x-user-id', 'bench');
        return next();
    },
    override: function (request) {
        return NextResponse.next({ request: { headers: copied(request) } });
    },
    overrideSet: function (request) {
        var h = copied(request);

        h.set('x-user-id', 'bench');
        return NextResponse.next({ request: { headers: h } });
    },
    headers: function (request) {
        var h = copied(request);

        h.delete('x-user-id');
        h.set('x-user-id', 'bench');
        return NextResponse.next({ request: { headers: h } });
    },
    redirect: function (request) {
        return NextResponse.redirect(new URL('/sign-in?redirect_url='
            + encodeURIComponent('/dashboard'), request.url), 307);
    },
    // pieces of redirect
    url: function (request) {
        return request.url && next();
    },
    newURL: function (request) {
        new URL('/sign-in?redirect_url=%2Fdashboard', request.url);
        return next();
    },
    enc: function () {
        encodeURIComponent('/dashboard');
        return next();
    },
    redirStr: function () {
        return NextResponse.redirect(SIGN_IN, 307);
    },
    redirURL: function () {
        return NextResponse.redirect(new URL(SIGN_IN), 307);
    },
    // pieces of nextUrl
    isAscii: function () {
        util.isAscii('/dashboard127.0.0.1:8080');
        return next();
    },
    parse: function () { urlMod.parse(HREF, null); return next(); },
    nextURLOf: function () {
        return urlMod.nextURLOf(urlMod.parse(HREF, null)).pathname && next();
    },
    // the user's work: the JWT check of bench/js/jwt.js
    verify: function (request) {
        jwt.subject(request.cookies.get('__session').value,
                    Date.now() / 1000);
        return next();
    },
    // bench/js/p.js's middleware (the P case of bench/run)
    P: p.middleware
};

if (!steps.hasOwnProperty(STEP)) {
    throw new Error('bench/micro: no step "' + STEP + '"; steps: '
                    + Object.keys(steps).join(' '));
}

// --cold: the run without calls makes no handler either (serve() makes the
// runtime's body at once in the CLI, in nginx at the first request)
var handle = (N + WARM === 0) ? null : server.serve(steps[STEP]).handle;

function loop(i) {
    if (i < N + WARM) {
        handle(mock());
        Promise.resolve().then(function () { loop(i + 1); });
    }
}

loop(0);
