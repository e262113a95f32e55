/*
 * NextRequest from the njs request object (mock) and constructed directly.
 */

import server from 'next/server.js';
import tap from 'tap.js';

var NextRequest = server.NextRequest;
var test = tap.test;


function seen(req) {
    var s = {}, r = tap.mockRequest(req);

    server.serve(function (request) { s.request = request; }, {}).handle(r);

    return s.request;
}


test('url from scheme, Host header and request target', function (t) {
    var q = seen({ uri: '/a/b?x=a%20b&y', headers: [['Host', 'Ex.com:8080']],
                   variables: { middleware_scheme: 'https' } });

    t.is(q.url, 'https://ex.com:8080/a/b?x=a+b&y=', 'url (query '
         + 're-serialized as Next.js)');
    t.is(q.nextUrl.origin, 'https://ex.com:8080', 'origin');
    t.is(q.nextUrl.port, '8080', 'port');
    t.is(q.nextUrl.searchParams.get('x'), 'a b', 'searchParams');
    t.is(q.nextUrl.basePath, '', 'basePath');
});


test('fallbacks: $scheme, $host, $request_id', function (t) {
    var q = seen({ uri: '/', headers: [], module: false,
                   variables: { scheme: 'https', host: 'fallback.org' } });

    t.is(q.url, 'https://fallback.org/', 'no Host header');
});


test('duplicate and percent-encoded query keys', function (t) {
    var q = seen({ uri: '/s?tag=a&tag=b&%74ag=c&q=1+2%2B3&e=%E2%82%AC' });
    var p = q.nextUrl.searchParams;

    t.deepIs(p.getAll('tag'), ['a', 'b', 'c'], 'all three');
    t.is(p.get('q'), '1 2+3', 'plus and %2B');
    t.is(p.get('e'), '\u20ac', 'UTF-8');
    t.is(q.nextUrl.search, '?tag=a&tag=b&tag=c&q=1+2%2B3&e=%E2%82%AC',
         'search re-serialized');
});


test('unicode paths', function (t) {
    var a = seen({ uri: '/caf%C3%A9' });
    var b = seen({ uri: '/caf\xc3\xa9?x=\xc3\xa9' });

    t.is(a.nextUrl.pathname, '/caf%C3%A9', 'encoded path kept');
    t.is(b.nextUrl.pathname, '/caf%C3%A9', 'raw bytes percent-encoded');
    t.is(b.nextUrl.searchParams.get('x'), '\u00e9', 'raw query bytes');
    t.is(decodeURIComponent(a.nextUrl.pathname), '/caf\u00e9', 'decodes');
});


test('headers: mixed case, duplicates, client order', function (t) {
    var q = seen({ headers: [['Host', 'h.com'], ['X-Forwarded-For', '1.1.1.1'],
                             ['ACCEPT', 'text/html'],
                             ['x-forwarded-for', '2.2.2.2']] });
    var names = [];

    t.is(q.headers.get('x-forwarded-for'), '1.1.1.1, 2.2.2.2', 'joined');
    t.is(q.headers.get('Accept'), 'text/html', 'case-insensitive');
    q.headers.forEach(function (v, k) { names.push(k); });
    t.deepIs(names, ['accept', 'host', 'x-forwarded-for'], 'sorted names');
});


test('cookies of the request', function (t) {
    var q = seen({ headers: [['Host', 'h.com'],
                             ['Cookie', '__session=abc=; theme="dark"'],
                             ['Cookie', 'x=1']] });

    t.is(q.cookies.get('__session').value, 'abc=', "'=' in value");
    t.is(q.cookies.get('theme').value, '"dark"', 'quoted');
    t.is(q.cookies.get('x').value, '1',
         'Cookie lines joined with "; " (HTTP/2 crumbs)');
    t.is(q.headers.get('cookie'), '__session=abc=; theme="dark"; x=1',
         'one cookie header');
    q.cookies.set('added', 'v');
    t.like(q.headers.get('cookie'), /; added=v$/, 'set rewrites header');
});


test('ip, geo, method, page, ua, body', async function (t) {
    var q = seen({ method: 'delete', remoteAddress: '2001:db8::1' });
    var s = {};

    t.is(q.ip, '2001:db8::1', 'ip');
    t.is(q.geo, undefined, 'geo removed');
    t.is(q.method, 'DELETE', 'method normalized');
    t.throws(function () { return q.page; }, /deprecated/, 'page throws');
    t.throws(function () { return q.ua; }, /userAgent/, 'ua throws');
    t.throws(function () { return q.body; }, /body exposure is not enabled/,
             'body throws for DELETE');
    await q.text().then(null, function (e) { s.err = e; });
    t.like(s.err && s.err.message, /body exposure is not enabled/,
           'text() rejects');
    t.is(seen({ method: 'GET' }).body, null, 'GET: body null');
});


test('body when nginx exposes it (r.requestText)', async function (t) {
    var r = tap.mockRequest({ method: 'POST',
                              variables: { middleware_body: '1' } }),
        s = {};

    r.requestText = '{"a":1}';
    server.serve(function (request) { s.request = request; }, {}).handle(r);
    t.is(s.request.bodyUsed, false, 'bodyUsed false before a read');
    s.json = await s.request.json();
    t.is(s.json.a, 1, 'json()');
    t.is(s.request.bodyUsed, true, 'bodyUsed true after it');
    t.is(new NextRequest('http://a.test/').bodyUsed, false,
         'bodyUsed false on a made request');
});


test('geo with none of its variables: undefined, and read once',
     function (t) {
    var r = tap.mockRequest({}), s = {}, reads = 0;

    ['country', 'region', 'city', 'latitude', 'longitude'].forEach(
        function (n) {
            Object.defineProperty(r.variables, 'middleware_geo_' + n, {
                get: function () { reads++; return undefined; }
            });
        });

    server.serve(function (request) {
        s.a = request.geo;
        s.b = request.geo;
    }, {}).handle(r);
    t.is(s.a, undefined, 'undefined');
    t.is(s.b, undefined, 'again undefined');
    t.is(reads, 5, 'its five variables read once');
});


test('the body read from nginx on first use only', function (t) {
    var r = tap.mockRequest({ method: 'POST',
                              variables: { middleware_body: '1',
                                           middleware_matched: '1' } }),
        reads = 0, q;

    Object.defineProperty(r, 'requestText', {
        get: function () { reads++; return 'a=1'; }
    });

    server.serve(function (request) { q = request; }, {}).handle(r);
    t.is(reads, 0, 'a middleware that does not read it: not read');
    t.is(q.body, 'a=1', 'request.body');
    t.is(new NextRequest(q).body, 'a=1', 'new NextRequest(request) too');
    t.is(reads, 1, 'read once');
});


test('body exposure on, empty body', async function (t) {
    var r = tap.mockRequest({ method: 'POST',
                              variables: { middleware_body: '1' } }),
        s = {};

    server.serve(function (request) { s.request = request; }, {}).handle(r);
    s.text = await s.request.text();
    t.is(s.text, '', 'text() is empty');
});


test('module loaded, exposure off: the body is not read', function (t) {
    var r = tap.mockRequest({ method: 'POST' }), s = {};

    r.requestText = 'should not be seen';
    server.serve(function (request) { s.request = request; }, {}).handle(r);
    t.throws(function () { return s.request.body; },
             /middleware_request_body on/, 'body throws with the directive');
});


test('new NextRequest()', function (t) {
    var q = new NextRequest('https://h.com/p?x=1', {
        method: 'post', headers: { 'X-A': '1', cookie: 'a=b' } });
    var c = q.clone();

    t.is(q.url, 'https://h.com/p?x=1', 'url');
    t.is(q.method, 'POST', 'method');
    t.is(q.headers.get('x-a'), '1', 'headers');
    t.is(q.cookies.get('a').value, 'b', 'cookies');
    c.headers.set('x-a', '2');
    t.is(q.headers.get('x-a'), '1', 'clone is independent');
    t.is(new NextRequest(new server.URL('http://x.org/')).url,
         'http://x.org/', 'from URL');
});


test('event: sourcePage, request, waitUntil', async function (t) {
    var r = tap.mockRequest({}), s = {};

    server.serve(function (request, event) {
        s.page = event.sourcePage;
        s.same = (event.request === request);
        s.respondWith = event.respondWith;
    }, {}).handle(r);

    t.is(s.page, '/middleware', 'sourcePage');
    t.ok(s.same, 'event.request');
    t.throws(function () { s.respondWith.call({ sourcePage: '/m' }); },
             /accepts an async API directly/, 'respondWith throws');

    var ev = new server.NextFetchEvent({ request: null, page: '/x' });
    ev.waitUntil(Promise.resolve(1));
    t.is(ev._waitUntil.length, 1, 'standalone event keeps its promises');
});

/*
 * url / nextUrl / cookies of a request from nginx are built on first use:
 * they must be what they were when the request was made
 */

test('lazy url, nextUrl, cookies: as at construction', function (t) {
    var q = seen({ uri: '/a?x=1', headers: [['Host', 'ex.com'],
                                            ['Cookie', 'a=1; b=2']] });

    q.headers.set('host', 'evil.org');
    q.headers.set('cookie', 'c=3');

    t.is(q.nextUrl.host, 'ex.com', 'Host changed before nextUrl is read');
    t.is(q.url, 'http://ex.com/a?x=1', 'url as well');
    t.is(q.cookies.get('a').value, '1',
         'Cookie changed before cookies are read');
    t.is(q.cookies.has('c'), false, 'later Cookie header not parsed');
    t.is(q.cookies.size, 2, 'size');
    t.is(q.cookies, q.cookies, 'one RequestCookies');
    t.is(q.nextUrl, q.nextUrl, 'one NextURL');

    q.cookies.set('d', '4');
    t.is(q.headers.get('cookie'), 'a=1; b=2; d=4',
         'cookies write back to the headers');
});


test('lazy url: read after nextUrl changes', function (t) {
    var q = seen({ uri: '/p?b=1', headers: [['Host', 'h.com']] });

    q.nextUrl.pathname = '/q';
    q.nextUrl.searchParams.set('b', '2');

    t.is(q.url, 'http://h.com/p?b=1', 'url is the request URL');
    t.is(q.nextUrl.href, 'http://h.com/q?b=2', 'nextUrl changed');
});


test('new URL against request.url and nextUrl, before and after a change',
     function (t) {
    var q = seen({ uri: '/a/b?x=1', headers: [['Host', 'h.com']] });

    t.is(new URL('c?y', q.url).href, 'http://h.com/a/c?y', 'request.url');
    t.is(new URL('/s', q.nextUrl).href, 'http://h.com/s', 'nextUrl');

    q.nextUrl.pathname = '/q/r';

    t.is(new URL('c', q.url).href, 'http://h.com/a/c',
         'request.url: the URL requested');
    t.is(new URL('c', q.nextUrl).href, 'http://h.com/q/c',
         'nextUrl: as changed');
    t.is(new URL('c', String(q.nextUrl)).href, 'http://h.com/q/c',
         'nextUrl as a string');
    t.is(q.nextUrl.href, 'http://h.com/q/r?x=1', 'nextUrl itself kept');
});


test('lazy headers: nginx\'s lines read only when the middleware needs them',
     function (t) {
    var reads = 0, r, q, res, lines;

    lines = [['Host', 'ex.com'], ['Cookie', 'a=1'], ['X-Y', 'z']];
    /* the C module has matched config.matcher (else it reads them) */
    r = tap.mockRequest({ uri: '/p', headers: lines,
                          variables: { middleware_matched: '1' } });
    Object.defineProperty(r, 'rawHeadersIn', {
        get: function () { reads++; return lines; }
    });

    server.serve(function (request) {
        q = request;
        return server.NextResponse.next();
    }, {}).handle(r);

    t.is(reads, 0, 'a middleware that reads no header: the lines unread');
    t.is(r.payload(), 'MW1 200\nx-middleware-next:1\n\n', 'next()');

    t.is(q.cookies.get('a').value, '1', 'cookies read them');
    t.is(reads, 1, 'once');
    t.is(q.headers.get('x-y'), 'z', 'headers: the same lines');
    t.is(q.nextUrl.host, 'ex.com', 'nextUrl: the Host line');
    t.is(reads, 1, 'still once');

    res = new NextRequest(q);
    t.is(res.headers.get('x-y'), 'z', 'new NextRequest(request) copies them');

    r = tap.mockRequest({ uri: '/p', headers: lines,
                          variables: { middleware_matched: '1' } });
    Object.defineProperty(r, 'rawHeadersIn', {
        get: function () { reads++; return lines; }
    });
    reads = 0;

    server.serve(function (request) {
        var h = new Headers(request.headers);

        h.set('x-y', 'w');

        return server.NextResponse.next({ request: { headers: h } });
    }, {}).handle(r);

    t.is(reads, 1, 'a copy of request.headers reads them once');
    t.is(r.payload(), 'MW1 200\nx-middleware-next:1\n'
         + 'x-middleware-override-changed:x-y\nx-middleware-request-x-y:w\n\n',
         'the decision sends only the change (the lines were kept)');
});


function headerLines(h) {
    var out = [];

    h.forEach(function (value, name) { out.push(name + ': ' + value); });

    return out;
}


test('$middleware_headers: the same request as r.rawHeadersIn',
     function (t) {
    var lines, plain, a, b, r;

    lines = [['Host', 'Ex.com'], ['Cookie', 'a=1; b=%41'], ['X-Y', 'z'],
             ['x-y', 'w']];
    plain = ',host,cookie,x-y,x-y,\n'
            + 'Host\nhost\nEx.com\nCookie\ncookie\na=1; b=%41\nX-Y\nx-y\nz\n'
            + 'x-y\nx-y\nw\n';

    a = seen({ uri: '/p?q=1', headers: lines });

    /* the variable's lines win, on every engine */
    b = seen({ uri: '/p?q=1', headers: [['Host', 'other']],
               variables: { middleware_headers: plain } });

    t.deepIs(headerLines(b.headers), headerLines(a.headers), 'header lines');
    t.is(b.headers.get('x-y'), 'z, w', 'a repeated name');
    t.is(b.cookies.get('b').value, 'A', 'cookies from the Cookie line');
    t.is(b.url, 'http://ex.com/p?q=1', 'url from the Host line');

    /* kept as the request's own lines: a decision sends only a change */
    r = tap.mockRequest({ uri: '/p', headers: [],
                          variables: { middleware_matched: '1',
                                       middleware_headers: plain } });

    server.serve(function (request) {
        var h = new Headers(request.headers);

        h.set('x-user-id', 'u');

        return server.NextResponse.next({ request: { headers: h } });
    }, {}).handle(r);

    t.is(r.payload(), 'MW1 200\nx-middleware-next:1\n'
         + 'x-middleware-override-changed:x-user-id\n'
         + 'x-middleware-request-x-user-id:u\n\n', 'only the change sent');

    b = seen({ uri: '/', headers: [['Host', 'h.org']],
               variables: { middleware_headers: '' } });
    t.is(headerLines(b.headers).length, 0, 'an empty variable: no lines');
    b = seen({ uri: '/', headers: [['Host', 'h.org']],
               variables: { middleware_headers: ',\n' } });
    t.is(headerLines(b.headers).length, 0, 'no lines');
});


/*
 * the C module's lines are made into entries only when something needs
 * them; whatever a middleware does, its headers, cookies and decision are
 * those of the entries made at once (r.rawHeadersIn)
 */

test('$middleware_headers: entries on first use, the same results',
     function (t) {
    var raw, plain, steps, i, lazy, eager, q;

    raw = [['Host', 'h.com'], ['X-A', 'x-user-id'], ['Cookie', 'a=1'],
           ['x-b', '1'], ['X-B', '2']];
    plain = ',host,x-a,cookie,x-b,x-b,\n'
            + 'Host\nhost\nh.com\nX-A\nx-a\nx-user-id\nCookie\ncookie\na=1\n'
            + 'x-b\nx-b\n1\nX-B\nx-b\n2\n';

    function run(vars, step) {
        var r, out = {};

        /* the C module has matched config.matcher (else it reads them) */
        vars.middleware_matched = '1';
        r = tap.mockRequest({ uri: '/p', headers: raw, variables: vars });

        server.serve(function (request) {
            var res = step(request, out);

            out.request = request;
            return res;
        }, {}).handle(r);

        out.payload = r.payload();

        return out;
    }

    function next(h) {
        return server.NextResponse.next({ request: { headers: h } });
    }

    steps = {
        'copy, delete and set of names not sent': function (request, o) {
            var h = new Headers(request.headers);

            h.delete('x-user-id');
            h.set('x-user-id', 'u1');
            h.append('x-c', 'c');
            h.set('X-C', 'd');
            o.has = [h.has('x-user-id'), h.has('x-a'), h.has('X-C')];
            o.get = [h.get('x-user-id'), h.get('x-c'), h.get('nope')];
            return next(h);
        },
        'set of a name sent': function (request, o) {
            var h = new Headers(request.headers);

            h.set('x-b', '3');
            h.append('x-new', 'n');
            return next(h);
        },
        'delete of a name sent': function (request, o) {
            var h = new Headers(request.headers);

            h.delete('X-B');
            return next(h);
        },
        'append to a name sent': function (request, o) {
            var h = new Headers(request.headers);

            h.append('x-new', 'n');
            h.append('x-a', 'more');
            return next(h);
        },
        'delete of one set, then nothing changed': function (request, o) {
            var h = new Headers(request.headers);

            h.set('x-t', '1');
            h.delete('x-t');
            return next(h);
        },
        'a copy of a copy, the first changed after': function (request, o) {
            var h = new Headers(request.headers), c;

            h.set('x-t', '1');
            c = new Headers(h);
            h.set('x-u', '2');
            c.delete('x-b');
            o.lines = headerLines(h);
            return next(c);
        },
        'read: get, has, forEach, getSetCookie': function (request, o) {
            o.get = [request.headers.get('x-b'), request.headers.get('x-z')];
            o.has = [request.headers.has('x-a'), request.headers.has('x-z')];
            o.lines = headerLines(request.headers);
            o.sc = request.headers.getSetCookie();
            return server.NextResponse.next();
        },
        'the request\'s own headers as the override': function (request, o) {
            request.headers.set('x-own', '1');
            return next(request.headers);
        },
        'as a response\'s headers': function (request, o) {
            return new server.NextResponse('b', { headers: request.headers });
        },
        'cookies, then a copy': function (request, o) {
            o.cookie = request.cookies.get('a').value;
            o.lines = headerLines(new Headers(request.headers));
            return server.NextResponse.next();
        }
    };

    for (i in steps) {
        eager = run({}, steps[i]);
        lazy = run({ middleware_headers: plain }, steps[i]);
        t.is(lazy.payload, eager.payload, i + ': the decision');
        t.deepIs(headerLines(lazy.request.headers),
                 headerLines(eager.request.headers), i + ': request.headers');
        t.deepIs([lazy.has, lazy.get, lazy.lines, lazy.sc, lazy.cookie],
                 [eager.has, eager.get, eager.lines, eager.sc, eager.cookie],
                 i + ': what it read');
    }

    /* names not sent: no entries made, only the change sent */

    lazy = run({ middleware_headers: plain }, function (request, o) {
        var h = new Headers(request.headers);

        h.delete('x-user-id');
        h.set('x-user-id', 'u1');
        h.append('x-c', 'c');
        h.set('X-C', 'd');
        o.has = [h.has('x-user-id'), h.has('x-c'), h.has('X-C')];
        o.get = [h.get('x-user-id'), h.get('x-c'), h.get('nope')];
        return next(h);
    });
    t.is(lazy.request.headers._src.list, null,
         'names not sent: no entries made');
    t.is(lazy.payload, 'MW1 200\nx-middleware-next:1\n'
         + 'x-middleware-override-changed:x-user-id,x-c\n'
         + 'x-middleware-request-x-user-id:u1\nx-middleware-request-x-c:d\n\n',
         'only the change');
    t.deepIs(lazy.has, [true, true, true], 'has()');
    t.deepIs(lazy.get, ['u1', 'd', null], 'get()');

    lazy = run({ middleware_headers: plain }, steps[
        'set of a name sent']);
    t.ok(lazy.request.headers._src.list !== null, 'a name sent: entries made');

    /*
     * a name sent: get() from $middleware_header_<name> (a value the lines
     * do not have, to tell), has() from the names; no entries made
     */

    q = run({ middleware_headers: plain, 'middleware_header_x-b': 'via C' },
            function (request, o) {
        o.get = [request.headers.get('X-B'),
                 new Headers(request.headers).get('x-b'),
                 request.headers.get('x-z')];
        o.has = [request.headers.has('x-a'), request.headers.has('x-z')];
        return server.NextResponse.next();
    });
    t.deepIs(q.get, ['via C', 'via C', null],
             'get() of a name sent: $middleware_header_<name>');
    t.deepIs(q.has, [true, false], 'has(): the names');
    t.is(q.request.headers._src.list, null, 'no entries made for either');

    q = run({ middleware_headers: plain }, function (request, o) {
        o.get = [request.headers.get('x-b')];
        return server.NextResponse.next();
    });
    t.is(q.get[0], '1, 2', 'without the variable: from the entries');
    t.ok(q.request.headers._src.list !== null, 'made for it');

    /* the Cookie line: $middleware_cookie, else the lines' own */

    q = run({ middleware_headers: plain, middleware_cookie: 'a=2' },
            function (request, o) {
        o.cookie = request.cookies.get('a').value;
        return server.NextResponse.next();
    });
    t.is(q.cookie, '2', '$middleware_cookie');
    t.is(q.request.headers._src.list, null, 'no entries made for it');

    q = run({ middleware_headers: plain, middleware_cookie: '' },
            function (request, o) {
        o.cookie = request.cookies.getAll().length;
        return server.NextResponse.next();
    });
    t.is(q.cookie, 0, 'an empty $middleware_cookie: no cookies');
});


test('$middleware_url: the URL the parser makes, without the header lines',
     function (t) {
    var cases, i, c, a, b, r, reads, q, headers;

    /* [scheme, Host, target, the variable as the C module writes it] */
    cases = [
        ['http', 'Ex.com:8080', '/a/b',
         'http://ex.com:8080/a/b\nhttp:\nex.com\n8080\na/b'],
        ['https', 'h.org:443', '/',
         'https://h.org/\nhttps:\nh.org\n\n'],
        ['http', 'h', '/a//b/?x=1&y=%2F',
         'http://h/a//b/?x=1&y=%2F\nhttp:\nh\n\na//b/\nx=1&y=%2F'],
        /* a query URLSearchParams writes otherwise: the last part empty */
        ['http', 'h', '/s?b&a=%41+c', 'http://h/s?b&a=%41+c\nhttp:\nh\n\ns'
         + '\nb&a=%41+c\n'],
        ['http', 'h', '/s?', 'http://h/s\nhttp:\nh\n\ns']
    ];

    for (i = 0; i < cases.length; i++) {
        c = cases[i];
        headers = [['Host', c[1]]];
        a = seen({ uri: c[2], headers: headers,
                   variables: { middleware_scheme: c[0] } });
        b = seen({ uri: '/elsewhere', headers: [['Host', 'other']],
                   variables: { middleware_scheme: 'http',
                                middleware_url: c[3] } });

        t.is(b.url, a.url, c[2] + ': url ' + a.url);
        t.is(b.nextUrl.href, a.nextUrl.href, c[2] + ': nextUrl');
        t.deepIs(b.nextUrl._rec, a.nextUrl._rec, c[2] + ': its record');
        t.is(b.nextUrl.search, a.nextUrl.search, c[2] + ': search');
        t.deepIs(Object.keys(b.nextUrl).sort(), Object.keys(a.nextUrl).sort(),
                 c[2] + ': its fields');
    }

    t.is(b.url, 'http://h/s', 'an empty query: none');
    t.is(a.url, 'http://h/s', 'as the parser makes it');

    /* the Host line comes with it: request.headers is not made */
    function redirect(request) {
        q = request;
        return server.NextResponse.redirect(new URL('/in?x='
            + encodeURIComponent(request.nextUrl.pathname), request.url));
    }

    a = tap.mockRequest({ uri: '/a/b', headers: [['Host', 'Ex.com:8080']],
                          variables: { middleware_matched: '1' } });
    server.serve(redirect, {}).handle(a);

    reads = 0;
    r = tap.mockRequest({ uri: '/p', headers: [['Host', 'h']],
                          variables: { middleware_matched: '1',
                                       middleware_url: cases[0][3] } });
    Object.defineProperty(r, 'rawHeadersIn', {
        get: function () { reads++; return [['Host', 'h']]; }
    });
    server.serve(redirect, {}).handle(r);

    t.is(reads, 0, 'url, nextUrl and a URL on request.url: no line read');
    t.is(r.payload(), a.payload(), 'the redirect the parser\'s URL makes');
    t.ok(r.payload().indexOf('http://ex.com:8080/in?x=') !== -1,
         'to the URL requested');

    q.nextUrl.pathname = '/changed';
    t.is(q.url, 'http://ex.com:8080/a/b', 'request.url: the URL requested');
    t.is(new URL('c', q.url).href, 'http://ex.com:8080/a/c', 'a URL on it');
    t.is(q.headers.get('host'), 'h', 'request.headers still from the lines');
});


test('made as literals: the same objects as their constructors make',
     function (t) {
    var q = seen({ uri: '/a?b=1', headers: [['Host', 'h.com']] }), n, ev;

    n = new server.NextURL(q.nextUrl.href);
    t.ok(q.nextUrl instanceof server.NextURL
         && q.nextUrl instanceof server.URL, 'request.nextUrl: a NextURL');
    t.deepIs(Object.keys(q.nextUrl).sort(), Object.keys(n).sort(),
             'request.nextUrl: the fields of new NextURL()');
    t.is(q.nextUrl.clone().href, 'http://h.com/a?b=1', 'clone()');

    q = seen({ uri: '/', headers: [['Host', 'h.com'], ['Cookie', 'a=1; b=2']] });
    n = new server.RequestCookies(q.headers);
    t.ok(q.cookies instanceof server.RequestCookies, 'cookies: RequestCookies');
    t.deepIs(Object.keys(q.cookies).sort(), Object.keys(n).sort(),
             'cookies: the fields of new RequestCookies()');
    t.deepIs(Object.keys(q.cookies._parsed).sort(),
             Object.keys(n._parsed).sort(), 'their bag too');
    t.deepIs(q.cookies.getAll(), n.getAll(), 'the same cookies');

    server.serve(function (request, event) { ev = event; }, {})
          .handle(tap.mockRequest({ uri: '/' }));
    n = new server.NextFetchEvent({ request: ev.request, page: '/middleware',
                                    context: { waitUntil: function () {} } });
    t.ok(ev instanceof server.NextFetchEvent, 'the event: a NextFetchEvent');
    t.deepIs(tap.fieldsOf(ev), Object.keys(n).sort(),
             'the event: the fields of new NextFetchEvent(), own or defaults');
    t.is(ev._waitUntil, null, 'its task list: the context\'s');
    t.is(ev.sourcePage, n.sourcePage, 'sourcePage');
});


test('lazy url: url first, then nextUrl', function (t) {
    var q = seen({ uri: '/x?a=b%20c', headers: [['Host', 'h.com']] });

    t.is(q.url, 'http://h.com/x?a=b+c', 'url');
    t.is(q.nextUrl.search, '?a=b+c', 'nextUrl');
});


test('no Cookie header: empty cookies, Host from $host', function (t) {
    var q = seen({ uri: '/', headers: [['X', '1']],
                   variables: { host: 'fallback.org' } });

    t.is(q.cookies.size, 0, 'no cookies');
    t.is(q.cookies.get('a'), undefined, 'get');
    t.is(q.url, 'http://fallback.org/', 'url');
});


test('header values from nginx: CR LF NUL dropped, bytes kept',
     function (t) {
    var q = seen({ uri: '/', headers: [['Host', 'h.com'], ['A', 'x\ny'],
                                       ['B', 'x\u0000'], ['C', 'v\n'],
                                       ['D', 'caf\u00e9'], ['E', ' s ']] });

    t.is(q.headers.has('a'), false, 'LF');
    t.is(q.headers.has('b'), false, 'NUL');
    t.is(q.headers.has('c'), false, 'final LF');
    t.is(q.headers.get('d'), 'caf\u00e9', 'non-ASCII kept');
    t.is(q.headers.get('e'), ' s ', 'kept as sent');
});


test('Headers values: trimmed, final LF rejected', function (t) {
    var h = new server.Headers();

    h.set('a', ' x\t');
    t.is(h.get('a'), 'x', 'trimmed');
    t.throws(function () { h.set('b', 'x\ny'); }, TypeError, 'inner LF');
    h.set('c', 'v\n');
    t.is(h.get('c'), 'v', 'a final LF is whitespace: trimmed');
    t.throws(function () { h.set('d', 'x\u0100'); }, TypeError,
             'above U+00FF');
});


test('geo from nginx variables, else undefined', function (t) {
    var s = {};
    var r = tap.mockRequest({ variables: { middleware_geo_country: 'NL',
                                           middleware_geo_city: 'Amsterdam',
                                           middleware_geo_region: '' } });

    server.serve(function (request) { s.a = request.geo; }, {}).handle(r);
    t.deepIs(s.a, { country: 'NL', city: 'Amsterdam' }, 'defined ones');

    server.serve(function (request) { s.b = request.geo; }, {})
        .handle(tap.mockRequest({}));
    t.is(s.b, undefined, 'none configured');
});


test('geo first, then headers, url, cookies (from the same nginx request)',
     function (t) {
    var s = {};
    var r = tap.mockRequest({ uri: '/g?x=1',
                              headers: [['Host', 'g.com'],
                                        ['Cookie', 'a=1']],
                              variables: { middleware_geo_country: 'NL',
                                           middleware_matched: '1' } });

    server.serve(function (request) {
        s.geo = request.geo;
        s.again = request.geo;
        s.host = request.headers.get('host');
        s.url = request.url;
        s.cookie = request.cookies.get('a').value;
    }, {}).handle(r);

    t.deepIs(s.geo, { country: 'NL' }, 'geo');
    t.is(s.again, s.geo, 'read once');
    t.is(s.host, 'g.com', 'headers after geo');
    t.is(s.url, 'http://g.com/g?x=1', 'url after geo');
    t.is(s.cookie, '1', 'cookies after geo');
});


tap.run();
