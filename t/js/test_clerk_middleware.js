/*
 * examples/clerk-style/clerk.js: clerkMiddleware / protectRoutes, with a
 * small fake of the runtime (NextResponse, Headers) and of ngx, so the
 * test does not depend on js/next/server.js.
 *
 *     njs -q t/js/test_clerk_middleware.js
 *
 * (On njs 0.7.9 no array literal here holds function expressions: that
 * turns the number constants 0..n-1 into strings, VM-wide.)
 */

import clerk from '../../examples/clerk-style/clerk.js';
import fx from 'clerk_fixtures.js';
import tap from 'tap.js';

var test = tap.test;
var tok = fx.tokens;
var ORIGIN = 'https://app.test.example';


/* ---- fakes -------------------------------------------------------------- */

function FakeHeaders(init) {
    var self = this, k;

    this.map = {};

    if (init instanceof FakeHeaders) {
        init.forEach(function (v, k) { self.set(k, v); });

    } else if (init) {
        for (k in init) {
            this.set(k, init[k]);
        }
    }
}

FakeHeaders.prototype.get = function (k) {
    var v = this.map[String(k).toLowerCase()];
    return v === undefined ? null : v;
};

FakeHeaders.prototype.set = function (k, v) {
    this.map[String(k).toLowerCase()] = String(v);
};

FakeHeaders.prototype.has = function (k) {
    return this.map[String(k).toLowerCase()] !== undefined;
};

FakeHeaders.prototype['delete'] = function (k) {
    delete this.map[String(k).toLowerCase()];
};

FakeHeaders.prototype.forEach = function (fn) {
    var k;

    for (k in this.map) {
        fn(this.map[k], k);
    }
};


var fakeServer = {
    Headers: FakeHeaders,
    NextResponse: {
        next: function (init) {
            return { kind: 'next', status: 200,
                     requestHeaders: init && init.request
                                     && init.request.headers };
        },
        redirect: function (url, status) {
            return { kind: 'redirect', status: status, location: url };
        },
        json: function (body, init) {
            return { kind: 'json', status: init.status,
                     body: JSON.stringify(body),
                     headers: new FakeHeaders(init.headers) };
        }
    }
};


/* a NextRequest-like request: path may have a query */

function request(path, headers, o) {
    var h = new FakeHeaders(headers || {}), r;

    o = o || {};
    r = { url: ORIGIN + path, headers: h,
          nextUrl: { pathname: path.replace(/\?.*$/, ''), origin: ORIGIN } };

    if (!o.noCookies) {
        r.cookies = {
            get: function (name) {
                var m = new RegExp('(?:^|;\\s*)' + name + '=([^;]*)')
                        .exec(h.get('cookie') || '');
                return m ? { name: name, value: m[1] } : undefined;
            }
        };
    }

    return r;
}


function fakeEvent() {
    var e = { tasks: [] };

    e.waitUntil = function (p) { e.tasks.push(p); };

    return e;
}


function collector() {
    var c = { lines: [] };

    c.log = function (level, msg) { c.lines.push(level + ': ' + msg); };

    return c;
}


function options(extra) {
    var o = { server: fakeServer, jwks: fx.jwks, issuer: fx.issuer,
              authorizedParties: [fx.azp] }, k;

    for (k in extra) {
        o[k] = extra[k];
    }

    return o;
}


function seq() {
    return Array.prototype.slice.call(arguments).reduce(function (p, f) {
        return p.then(f);
    }, Promise.resolve());
}


function cookie(token) {
    return { cookie: 'theme=dark; __session=' + token + '; other=1' };
}


/* ---- clerkMiddleware ---------------------------------------------------- */

test('construction errors', function (t) {
    t.throws(function () { clerk.protectRoutes({ jwks: fx.jwks }); },
             /options.server/, 'protectRoutes needs server');
    t.throws(function () { clerk.protectRoutes({ server: fakeServer }); },
             /jwks or options.secret/, 'protectRoutes needs keys');
    t.throws(function () { clerk.clerkMiddleware(function () {}, {}); },
             /jwks or options.secret/, 'clerkMiddleware needs keys');
    t.throws(function () {
        clerk.clerkMiddleware(function () {}, { jwks: fx.jwks, issuer: 5 });
    }, /issuer/, 'issuer type checked');
    t.throws(function () {
        clerk.clerkMiddleware(function () {}, { jwks: fx.jwks,
                                                authorizedParties: 'x' });
    }, /authorizedParties/, 'authorizedParties type checked');
    t.throws(function () {
        clerk.clerkMiddleware('x', { jwks: fx.jwks });
    }, /handler/, 'handler type checked');
    t.throws(function () {
        clerk.protectRoutes(options({ protectedRoutes: ['/a('] }));
    }, /invalid path pattern/, 'bad pattern fails at creation');
});


test('clerkMiddleware: auth()', function (t) {
    var c = collector(), seen = {};
    var mw = clerk.clerkMiddleware(function (auth, req, event) {
        seen.auth = auth();
        seen.req = req;
        seen.event = event;
        return 'handler result';
    }, options({ log: c.log }));

    function run(req) {
        var ev = fakeEvent();

        return mw(req, ev).then(function (res) {
            t.is(res, 'handler result', 'handler result returned');
            t.is(seen.req, req, 'handler gets the request');
            t.is(seen.event, ev, 'handler gets the event');
            return seen.auth;
        });
    }

    return seq(
        function () {
            return run(request('/x', cookie(tok.valid))).then(function (a) {
                t.is(a.isSignedIn, true, 'cookie: signed in');
                t.is(a.userId, 'user_1', 'userId = sub');
                t.is(a.sessionId, 'sess_1', 'sessionId = sid');
                t.is(a.orgId, null, 'no org');
                t.is(a.claims.azp, fx.azp, 'claims');
                t.is(a.tokenSource, 'cookie', 'from the cookie');
                t.is(a.reason, null, 'no reason');
            });
        },
        function () {
            return run(request('/x', { authorization: 'Bearer ' + tok.org }))
                   .then(function (a) {
                t.is(a.userId, 'user_1', 'bearer header: signed in');
                t.is(a.orgId, 'org_1', 'orgId = org_id');
                t.is(a.tokenSource, 'header', 'from the header');
            });
        },
        function () {
            return run(request('/x', { authorization: 'bearer  '
                                                       + tok.valid + ' ' }))
                   .then(function (a) {
                t.is(a.userId, 'user_1', 'scheme case-insensitive, spaces');
            });
        },
        function () {
            var h = cookie(tok.valid);

            h.authorization = 'Bearer ' + tok.expired;

            return run(request('/x', h)).then(function (a) {
                t.is(a.userId, null, 'header wins over the cookie');
                t.is(a.reason, 'expired', 'reason of the header token');
                t.is(a.tokenSource, 'header', 'source header');
            });
        },
        function () {
            var h = cookie(tok.valid);

            h.authorization = 'Basic dXNlcjpwYXNz';

            return run(request('/x', h)).then(function (a) {
                t.is(a.userId, 'user_1', 'Basic auth ignored, cookie used');
            });
        },
        function () {
            return run(request('/x', { cookie: 'a=b' })).then(function (a) {
                t.deepIs(a, { isSignedIn: false, userId: null,
                              sessionId: null, orgId: null, claims: null,
                              tokenSource: null, reason: null },
                         'no token: signed out, no reason');
            });
        },
        function () {
            c.lines.length = 0;

            return run(request('/p?q=1', cookie(tok.wrongAzp)))
                   .then(function (a) {
                t.is(a.userId, null, 'invalid token: signed out');
                t.is(a.reason, 'bad-azp', 'reason');
                t.is(c.lines.length, 1, 'one log line');
                t.like(c.lines[0], /^warn: clerk: session token from cookie rejected \(bad-azp\): .* on \/p$/,
                       'log line names source, reason and path');
                t.ok(c.lines[0].indexOf(tok.wrongAzp) < 0,
                     'the token is not logged');
            });
        },
        function () {
            return run(request('/x', cookie(tok.subMissing)))
                   .then(function (a) {
                t.is(a.userId, null, 'no sub: signed out');
                t.is(a.reason, 'malformed', 'no sub: malformed');
            });
        },
        function () {
            return run(request('/x', cookie(tok.valid), { noCookies: true }))
                   .then(function (a) {
                t.is(a.userId, 'user_1', 'cookie header parsed without '
                     + 'request.cookies');
            });
        },
        function () {
            return run(request('/x', { cookie: '__session=garbage' }))
                   .then(function (a) {
                t.is(a.reason, 'malformed', 'garbage cookie: malformed');
            });
        }
    );
});


test('clerkMiddleware: options alone, cookieName', function (t) {
    var mw = clerk.clerkMiddleware(options({ log: function () {} }));
    var mw2 = clerk.clerkMiddleware(function (auth) { return auth(); },
                                    options({ cookieName: '__sess2' }));

    return seq(
        function () {
            return mw(request('/x', cookie(tok.valid)), fakeEvent())
                   .then(function (r) {
                t.is(r, undefined, 'no handler: undefined (continue)');
            });
        },
        function () {
            return mw2(request('/x', { cookie: '__sess2=' + tok.valid }))
                   .then(function (a) {
                t.is(a.userId, 'user_1', 'custom cookie name');
            });
        },
        function () {
            return mw2(request('/x', cookie(tok.valid))).then(function (a) {
                t.is(a.userId, null, 'default cookie not read then');
            });
        }
    );
});


/* ---- protectRoutes ------------------------------------------------------ */

test('protectRoutes: signed out', function (t) {
    var c = collector();
    var mw = clerk.protectRoutes(options({
        protectedRoutes: ['/dashboard(.*)', '/api/(.*)'],
        publicRoutes: ['/api/webhooks/(.*)'],
        log: c.log
    }));

    function go(path, headers) {
        return mw(request(path, headers), fakeEvent());
    }

    return seq(
        function () {
            return go('/dashboard/settings?tab=a&b=%20').then(function (r) {
                t.is(r.kind, 'redirect', 'protected page: redirect');
                t.is(r.status, 307, '307');
                t.is(r.location, ORIGIN + '/sign-in?redirect_url='
                     + encodeURIComponent(ORIGIN
                                          + '/dashboard/settings?tab=a&b=%20'),
                     'to the sign-in page with redirect_url');
            });
        },
        function () {
            return go('/api/me').then(function (r) {
                t.is(r.kind, 'json', 'API route: JSON');
                t.is(r.status, 401, '401');
                t.is(r.body, '{"error":"unauthorized"}', 'body');
                t.is(r.headers.get('www-authenticate'), 'Bearer',
                     'www-authenticate: Bearer');
            });
        },
        function () {
            c.lines.length = 0;

            return go('/api/me', { authorization: 'Bearer ' + tok.expired })
                   .then(function (r) {
                t.is(r.status, 401, 'expired bearer: 401');
                t.is(r.headers.get('www-authenticate'),
                     'Bearer error="invalid_token"', 'invalid_token');
                t.like(c.lines.join('\n'), /\(expired\)/, 'logged');
            });
        },
        function () {
            return go('/dashboard', cookie(tok.nbfFuture)).then(function (r) {
                t.is(r.kind, 'redirect', 'not-yet-valid cookie: redirect');
            });
        },
        function () {
            return go('/api/webhooks/stripe').then(function (r) {
                t.is(r.kind, 'next', 'public exception inside protected');
            });
        },
        function () {
            return go('/about', { 'x-user-id': 'admin',
                                  'X-Session-Id': 'sess_evil',
                                  accept: 'text/html' })
                   .then(function (r) {
                t.is(r.kind, 'next', 'unprotected page: next');
                t.is(r.requestHeaders.has('x-user-id'), false,
                     'forged x-user-id removed');
                t.is(r.requestHeaders.has('x-session-id'), false,
                     'forged x-session-id removed');
                t.is(r.requestHeaders.get('accept'), 'text/html',
                     'other headers kept');
            });
        }
    );
});


test('protectRoutes: path tricks stay protected', function (t) {
    var mw = clerk.protectRoutes(options({
        protectedRoutes: ['/dashboard(.*)'],
        log: function () {}
    }));
    var mw2 = clerk.protectRoutes(options({
        publicRoutes: ['/', '/public(.*)'],
        log: function () {}
    }));

    function kind(m, path) {
        return m(request(path), fakeEvent()).then(function (r) {
            return r.kind;
        });
    }

    function expect(m, path, want) {
        return function () {
            return kind(m, path).then(function (k) {
                t.is(k, want, path + ' -> ' + want);
            });
        };
    }

    return seq(
        expect(mw, '/DASHBOARD', 'redirect'),
        expect(mw, '//dashboard', 'redirect'),
        expect(mw, '/%64ashboard', 'redirect'),
        expect(mw, '/x/../dashboard', 'redirect'),
        expect(mw, '/./dashboard/', 'redirect'),
        expect(mw, '/dashboardx', 'redirect'),
        expect(mw, '/dash', 'next'),
        expect(mw2, '/', 'next'),
        expect(mw2, '/public/a', 'next'),
        expect(mw2, '/public/..%2fsecret', 'redirect'),
        expect(mw2, '/public/%2e%2e/secret', 'redirect'),
        expect(mw2, '/secret', 'redirect'),
        expect(mw2, '/sign-in', 'next'),
        expect(mw2, '/sign-in/', 'next'),
        expect(mw2, '/api/x', 'json')
    );
});


test('protectRoutes: sign-in URL forms', function (t) {
    function loc(signInUrl, path) {
        var mw = clerk.protectRoutes(options({ signInUrl: signInUrl,
                                               log: function () {} }));

        return mw(request(path), fakeEvent()).then(function (r) {
            return r;
        });
    }

    return seq(
        function () {
            return loc('https://accounts.example/sign-in?x=1', '/a')
                   .then(function (r) {
                t.is(r.location, 'https://accounts.example/sign-in?x=1'
                     + '&redirect_url=' + encodeURIComponent(ORIGIN + '/a'),
                     'absolute sign-in URL with a query: &redirect_url');
            });
        },
        function () {
            return loc('/login', '/login').then(function (r) {
                t.is(r.kind, 'next', 'the sign-in page itself is public');
            });
        },
        function () {
            return loc('/login', '/a').then(function (r) {
                t.is(r.location, ORIGIN + '/login?redirect_url='
                     + encodeURIComponent(ORIGIN + '/a'), 'relative: '
                     + 'made absolute');
            });
        }
    );
});


test('protectRoutes: signed in', function (t) {
    var mw = clerk.protectRoutes(options({
        protectedRoutes: ['/dashboard(.*)'],
        log: function () {}
    }));

    return seq(
        function () {
            return mw(request('/dashboard', {
                cookie: '__session=' + tok.valid,
                'X-User-Id': 'admin', 'x-session-id': 'sess_evil',
                'x-keep': 'yes'
            }), fakeEvent()).then(function (r) {
                var h = r.requestHeaders;

                t.is(r.kind, 'next', 'next');
                t.is(h.get('x-user-id'), 'user_1', 'x-user-id from the token');
                t.is(h.get('x-session-id'), 'sess_1',
                     'x-session-id from the token');
                t.is(h.get('x-keep'), 'yes', 'other headers kept');
                t.ok(h.get('cookie').indexOf('__session=') >= 0,
                     'cookie kept');
            });
        },
        function () {
            return mw(request('/dashboard', {
                authorization: 'Bearer ' + tok.noAzp.replace(/^/, ''),
                'x-session-id': 'sess_evil'
            }), fakeEvent()).then(function (r) {
                t.is(r.requestHeaders.get('x-session-id'), 'sess_1',
                     'bearer: session id');
            });
        },
        function () {
            var m = clerk.protectRoutes(options({ jwks: fx.jwks,
                                                  issuer: undefined,
                                                  log: function () {} }));

            return m(request('/dashboard', {
                cookie: '__session=' + tok.minimal,
                'x-session-id': 'sess_evil'
            }), fakeEvent()).then(function (r) {
                t.is(r.requestHeaders.get('x-user-id'), 'user_min',
                     'token without sid: user id');
                t.is(r.requestHeaders.has('x-session-id'), false,
                     'token without sid: forged x-session-id still removed');
            });
        },
        function () {
            return mw(request('/', cookie(tok.valid)), fakeEvent())
                   .then(function (r) {
                t.is(r.requestHeaders.get('x-user-id'), 'user_1',
                     'identity headers on public pages too');
            });
        }
    );
});


/* ---- background session touch ----------------------------------------- */

test('session touch', function (t) {
    var c = collector(), calls = [], mode = { v: 'ok' };

    function fetch(url, init) {
        calls.push({ url: url, init: init });

        if (mode.v === 'throw') {
            throw new Error('sync boom');
        }

        if (mode.v === 'reject') {
            return Promise.reject(new Error('connection refused'));
        }

        return Promise.resolve({ status: mode.v === '500' ? 500 : 204 });
    }

    var mw = clerk.protectRoutes(options({
        touchUrl: 'http://127.0.0.1:9000/touch', fetch: fetch, log: c.log
    }));

    function go(headers, ev) {
        var e = (ev === undefined) ? fakeEvent() : ev;

        return mw(request('/x', headers), e).then(function (r) {
            return Promise.all((e && e.tasks) ? e.tasks : []).then(function () {
                return { res: r, event: e };
            });
        });
    }

    return seq(
        function () {
            return go(cookie(tok.valid)).then(function (o) {
                t.is(o.event.tasks.length, 1, 'signed in: one waitUntil task');
                t.is(calls.length, 1, 'fetch called');
                t.is(calls[0].url, 'http://127.0.0.1:9000/touch', 'touchUrl');
                t.is(calls[0].init.method, 'POST', 'POST');
                t.deepIs(JSON.parse(calls[0].init.body),
                         { sessionId: 'sess_1', userId: 'user_1' }, 'body');
                t.is(calls[0].init.headers['content-type'],
                     'application/json', 'content-type');
                t.is(o.res.kind, 'next', 'response unaffected');
            });
        },
        function () {
            calls.length = 0;

            return go({}).then(function (o) {
                t.is(o.event.tasks.length, 0, 'signed out: no task');
                t.is(calls.length, 0, 'signed out: no fetch');
            });
        },
        function () {
            calls.length = 0;

            return go(cookie(tok.expired)).then(function (o) {
                t.is(calls.length, 0, 'invalid token: no fetch');
            });
        },
        function () {
            mode.v = 'reject';
            c.lines.length = 0;

            return go(cookie(tok.valid)).then(function (o) {
                t.is(o.res.kind, 'next', 'fetch rejected: response same');
                t.like(c.lines.join('\n'),
                       /touch http:\/\/127.0.0.1:9000\/touch failed \(session sess_1\): connection refused/,
                       'rejection logged');
            });
        },
        function () {
            mode.v = 'throw';
            c.lines.length = 0;

            return go(cookie(tok.valid)).then(function (o) {
                t.is(o.res.kind, 'next', 'fetch threw: response same');
                t.like(c.lines.join('\n'), /sync boom/, 'throw logged');
            });
        },
        function () {
            mode.v = '500';
            c.lines.length = 0;

            return go(cookie(tok.valid)).then(function () {
                t.like(c.lines.join('\n'), /answered 500/, 'status logged');
            });
        },
        function () {
            mode.v = 'ok';

            return go(cookie(tok.valid), null).then(function (o) {
                t.is(o.res.kind, 'next', 'no event: still fine');
            });
        },
        function () {
            return go(cookie(tok.valid), { waitUntil: function () {
                throw new Error('waitUntil after decision');
            } }).then(function (o) {
                t.is(o.res.kind, 'next', 'waitUntil throwing: still fine');
                t.like(c.lines.join('\n'), /waitUntil failed/, 'logged');
            });
        }
    );
});


test('default ngx.log / ngx.fetch', function (t) {
    var had = typeof ngx !== 'undefined', logs = [], fetches = [];

    if (had) {
        t.ok(true, 'ngx exists in this engine: skipped # SKIP');
        return;
    }

    globalThis.ngx = {
        WARN: 5, ERR: 4, INFO: 7,
        log: function (level, msg) { logs.push([level, msg]); },
        fetch: function (url, init) {
            fetches.push(url);
            return Promise.resolve({ status: 200 });
        }
    };

    var mw = clerk.protectRoutes(options({
        touchUrl: 'http://127.0.0.1:9000/t'
    }));
    var ev = fakeEvent();

    return seq(
        function () {
            return mw(request('/x', cookie(tok.wrongIss)), fakeEvent());
        },
        function () {
            t.is(logs.length, 1, 'ngx.log called');
            t.is(logs[0][0], 5, 'at ngx.WARN');
            t.like(logs[0][1], /\(bad-issuer\)/, 'naming the reason');
        },
        function () {
            return mw(request('/x', cookie(tok.valid)), ev);
        },
        function () {
            return Promise.all(ev.tasks);
        },
        function () {
            t.deepIs(fetches, ['http://127.0.0.1:9000/t'], 'ngx.fetch used');
            delete globalThis.ngx;
        }
    ).then(null, function (e) {
        delete globalThis.ngx;
        throw e;
    });
});


tap.run();
