/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * A tiny TAP producer for the njs CLI tests, plus a mock of the njs
 * request object the runtime gets on the detached request.
 *
 *     import tap from 'tap.js';
 *     tap.test('name', function (t) { t.is(1, 1, 'one'); });
 *     tap.run();
 *
 * Test functions may return a Promise; they run one after another.  The
 * njs CLI has no timers, so asynchronous progress is made with
 * tap.ticks(n): n turns of the microtask queue.
 */


import util from 'next/util.js';


var tests = [];
var count = 0;
var failed = 0;


function show(v) {
    if (typeof v === 'string') {
        return JSON.stringify(v);
    }

    if (v instanceof Uint8Array) {
        return 'Uint8Array ' + JSON.stringify(binary(v));
    }

    try {
        return JSON.stringify(v);

    } catch (e) {
        return String(v);
    }
}


function diag(msg) {
    console.log(String(msg).split('\n').map(function (l) {
        return '# ' + l;
    }).join('\n'));
}


function ok(cond, name) {
    count++;

    if (cond) {
        console.log('ok ' + count + ' - ' + name);

    } else {
        failed++;
        console.log('not ok ' + count + ' - ' + name);
    }

    return !!cond;
}


function is(got, want, name) {
    if (!ok(got === want, name)) {
        diag('     got: ' + show(got) + '\nexpected: ' + show(want));
    }
}


function deepIs(got, want, name) {
    var g = show(got), w = show(want);

    if (!ok(g === w, name)) {
        diag('     got: ' + g + '\nexpected: ' + w);
    }
}


function like(got, re, name) {
    if (!ok(re.test(String(got)), name)) {
        diag('     got: ' + show(got) + '\n    like: ' + re);
    }
}


function throws(fn, check, name) {
    var threw = false, err;

    try {
        fn();

    } catch (e) {
        threw = true;
        err = e;
    }

    if (!threw) {
        ok(false, name);
        diag('did not throw');
        return;
    }

    if (typeof check === 'function' && !/^[A-Z]/.test(check.name || '')) {
        ok(check(err), name);

    } else if (check instanceof RegExp) {
        if (!ok(check.test(String(err && err.message)), name)) {
            diag('message: ' + (err && err.message));
        }

    } else if (typeof check === 'function') {
        if (!ok(err instanceof check, name)) {
            diag('threw: ' + String(err));
        }

    } else {
        ok(true, name);
    }
}


var t = { ok: ok, is: is, deepIs: deepIs, like: like, throws: throws,
          diag: diag };


function test(name, fn) {
    tests.push({ name: name, fn: fn });
}


async function run() {
    var i, res;

    for (i = 0; i < tests.length; i++) {
        try {
            res = tests[i].fn(t);

            if (res && typeof res.then === 'function') {
                await res;
            }

        } catch (e) {
            ok(false, tests[i].name + ': exception');
            diag(e && e.stack ? e.stack : String(e));
        }
    }

    console.log('1..' + count);
}


/* n turns of the microtask queue */

function ticks(n) {
    var p = Promise.resolve();

    n = n || 20;

    while (n-- > 0) {
        p = p.then(function () {});
    }

    return p;
}


/* a promise with its resolve / reject outside */

function deferred() {
    var d = {};

    d.promise = new Promise(function (resolve, reject) {
        d.resolve = resolve;
        d.reject = reject;
    });

    return d;
}


/* bytes or string -> binary string (one char per byte) */

function binary(v) {
    var i, out = '', bytes;

    if (typeof v === 'string') {
        if (!/[^\x00-\x7f]/.test(v)) {
            return v;
        }

        bytes = new TextEncoder().encode(v);

    } else {
        bytes = v;
    }

    for (i = 0; i < bytes.length; i++) {
        out += String.fromCharCode(bytes[i]);
    }

    return out;
}


/*
 * the njs request object of the detached request F:
 * mockRequest({ uri, headers: [[name, value]], method, variables })
 *
 * uri and header values are the bytes on the wire (binary strings, one
 * char per byte); the mock shows them as the running engine's nginx
 * module does: byte strings on njs 0.7.9, decoded UTF-8 (invalid bytes
 * as U+FFFD) where util.DECODED, exact bytes in r.rawVariables
 * (request_uri, http_<name>: repeated lines joined with ", ").
 * o.decoded overrides the engine's model.
 */

function wireBytes(s) {
    var i, b = new Uint8Array(s.length);

    for (i = 0; i < s.length; i++) {
        b[i] = s.charCodeAt(i) & 0xff;
    }

    return b;
}


function asEngine(s, decoded) {
    if (!decoded || util.isAscii(s)) {
        return s;
    }

    return util.utf8Decode(wireBytes(s));
}


/*
 * an object's fields: its own and those its prototypes hold as defaults
 * for it (data properties named _x), as the runtime's literals leave the
 * constant ones to their prototype
 */

function fieldsOf(o) {
    var out = Object.keys(o), p, k, d, i, names;

    for (p = Object.getPrototypeOf(o); p !== null && p !== Object.prototype;
         p = Object.getPrototypeOf(p))
    {
        names = Object.getOwnPropertyNames(p);

        for (i = 0; i < names.length; i++) {
            k = names[i];
            d = Object.getOwnPropertyDescriptor(p, k);

            if (k.charAt(0) === '_' && 'value' in d
                && typeof d.value !== 'function' && out.indexOf(k) === -1)
            {
                out.push(k);
            }
        }
    }

    return out.sort();
}


function mockRequest(o) {
    var k, vars, raw, uri, decoded, headers, key;

    o = o || {};
    decoded = (o.decoded === undefined) ? util.DECODED : o.decoded;
    uri = o.uri || '/';
    vars = { request_uri: asEngine(uri, decoded), request_id: 'req-1' };
    raw = { request_uri: wireBytes(uri) };
    headers = [];

    (o.headers || [['Host', 'example.com']]).forEach(function (h) {
        var v = (typeof h[1] === 'string') ? h[1] : String(h[1]);

        key = 'http_' + String(h[0]).toLowerCase().replace(/-/g, '_');
        raw[key] = raw[key] ? wireBytes(binary(raw[key]) + ', ' + v)
                            : wireBytes(v);
        headers.push([h[0], asEngine(v, decoded)]);
    });

    if (o.module !== false) {
        vars.middleware_request_id = 'req-1';
        vars.middleware_scheme = 'http';
    }

    if (o.variables) {
        for (k in o.variables) {
            vars[k] = o.variables[k];
        }
    }

    return {
        method: o.method || 'GET',
        variables: vars,
        rawVariables: raw,
        rawHeadersIn: headers,
        remoteAddress: o.remoteAddress || '192.0.2.1',
        returns: [],
        errors: [],
        warns: [],
        'return': function (status, body) {
            this.returns.push({ status: status, body: body });
        },
        error: function (m) { this.errors.push(m); },
        warn: function (m) { this.warns.push(m); },
        payload: function () {
            return this.returns.length ? binary(this.returns[0].body)
                                       : undefined;
        }
    };
}


export default {
    test: test,
    run: run,
    ticks: ticks,
    deferred: deferred,
    binary: binary,
    mockRequest: mockRequest,
    fieldsOf: fieldsOf,
    t: t,
    failed: function () { return failed; }
};
