/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * URL, URLSearchParams (WHATWG URL Standard) and Next.js's NextURL for
 * njs 0.7.9, which has none of them.
 *
 * The parser follows the standard's state machine closely enough for what
 * middleware does with URLs: special schemes (http, https, ws, wss, ftp,
 * file) with authority, dot-segment removal, backslashes, default ports,
 * the standard's percent-encode sets (UTF-8), IPv4 number forms,
 * lower-cased and punycoded (IDNA without the mapping tables) hosts,
 * relative references against a base; non-special schemes with opaque
 * paths (mailto:, data:).  Invalid input throws TypeError "Invalid URL".
 */

import util from './util.js';


var SPECIAL = { 'ftp:': 21, 'file:': null, 'http:': 80, 'https:': 443,
                'ws:': 80, 'wss:': 443 };

var SCHEME_RE = /^([A-Za-z][A-Za-z0-9+\-.]*):/;


/* percent-encode sets, on bytes */

function inC0(b) {
    return b < 0x20 || b > 0x7e;
}

function inFragment(b) {
    return inC0(b) || b === 0x20 || b === 0x22 || b === 0x3c || b === 0x3e
           || b === 0x60;
}

function inQuery(b) {
    return inC0(b) || b === 0x20 || b === 0x22 || b === 0x23 || b === 0x3c
           || b === 0x3e;
}

function inSpecialQuery(b) {
    return inQuery(b) || b === 0x27;
}

function inPath(b) {
    return inQuery(b) || b === 0x3f || b === 0x60 || b === 0x7b
           || b === 0x7d;
}

function inUserinfo(b) {
    return inPath(b) || b === 0x2f || b === 0x3a || b === 0x3b || b === 0x3d
           || b === 0x40 || (b >= 0x5b && b <= 0x5e) || b === 0x7c;
}

function inForm(b) {
    return !((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a)
             || (b >= 0x61 && b <= 0x7a) || b === 0x2a || b === 0x2d
             || b === 0x2e || b === 0x5f);
}

/*
 * the encoders, declared rather than made by a function per set (njs
 * re-runs the top level for every request, and a declaration costs a
 * fraction of a call that makes a closure); each hands its set to
 * percentEncode() as it is, no closure per call
 */

function encodeFragment(s) {
    return util.percentEncode(s, inFragment);
}

function encodeQuery(s) {
    return util.percentEncode(s, inQuery);
}

function encodeSpecialQuery(s) {
    return util.percentEncode(s, inSpecialQuery);
}

function encodePath(s) {
    return util.percentEncode(s, inPath);
}

function encodeUserinfo(s) {
    return util.percentEncode(s, inUserinfo);
}

function encodeC0(s) {
    return util.percentEncode(s, inC0);
}


function invalid(input) {
    return new TypeError('Invalid URL: "' + input + '"');
}


/* --- punycode (RFC 3492), for non-ASCII host labels -------------------- */

function punycodeEncode(label) {
    var i, n, delta, bias, h, b, m, q, k, t, c, cps, out, base, tmin, tmax;

    base = 36; tmin = 1; tmax = 26;
    cps = [];
    util.forEachCodePoint(label, function (cp) { cps.push(cp); });

    function digit(d) {
        return String.fromCharCode(d + 22 + 75 * (d < 26));
    }

    function adapt(delta, numPoints, first) {
        var k = 0;

        delta = first ? Math.floor(delta / 700) : delta >> 1;
        delta += Math.floor(delta / numPoints);

        while (delta > ((base - tmin) * tmax) >> 1) {
            delta = Math.floor(delta / (base - tmin));
            k += base;
        }

        return k + Math.floor((base - tmin + 1) * delta / (delta + 38));
    }

    out = '';

    for (i = 0; i < cps.length; i++) {
        if (cps[i] < 0x80) {
            out += String.fromCharCode(cps[i]);
        }
    }

    h = b = out.length;

    if (b > 0) {
        out += '-';
    }

    n = 128; delta = 0; bias = 72;

    while (h < cps.length) {
        m = 0x7fffffff;

        for (i = 0; i < cps.length; i++) {
            if (cps[i] >= n && cps[i] < m) {
                m = cps[i];
            }
        }

        delta += (m - n) * (h + 1);
        n = m;

        for (i = 0; i < cps.length; i++) {
            c = cps[i];

            if (c < n) {
                delta++;
            }

            if (c === n) {
                q = delta;

                for (k = base; ; k += base) {
                    t = k <= bias ? tmin : (k >= bias + tmax ? tmax
                                                             : k - bias);
                    if (q < t) {
                        break;
                    }

                    out += digit(t + (q - t) % (base - t));
                    q = Math.floor((q - t) / (base - t));
                }

                out += digit(q);
                bias = adapt(delta, h + 1, h === b);
                delta = 0;
                h++;
            }
        }

        delta++;
        n++;
    }

    return out;
}


/* --- hosts -------------------------------------------------------------- */

var FORBIDDEN_HOST = /[\0\t\n\r #\/:<>?@[\\\]^|]/;
var FORBIDDEN_DOMAIN = /[\0-\x1f #%\/:<>?@[\\\]^|\x7f]/;


function parseIPv4Number(s) {
    var radix = 10;

    if (s === '') {
        return NaN;
    }

    if (s.length >= 2 && (s.slice(0, 2) === '0x' || s.slice(0, 2) === '0X'))
    {
        s = s.slice(2);
        radix = 16;

    } else if (s.length >= 2 && s.charAt(0) === '0') {
        s = s.slice(1);
        radix = 8;
    }

    if (s === '') {
        return 0;
    }

    if ((radix === 10 && !/^[0-9]+$/.test(s))
        || (radix === 16 && !/^[0-9A-Fa-f]+$/.test(s))
        || (radix === 8 && !/^[0-7]+$/.test(s)))
    {
        return NaN;
    }

    return parseInt(s, radix);
}


function endsInNumber(host) {
    var parts = host.split('.'), last;

    if (parts[parts.length - 1] === '') {
        if (parts.length === 1) {
            return false;
        }

        parts.pop();
    }

    last = parts[parts.length - 1];

    if (/^[0-9]+$/.test(last)) {
        return true;
    }

    return !isNaN(parseIPv4Number(last)) && /^0[xX]/.test(last);
}


function parseIPv4(host, input) {
    var i, n, parts, numbers, ipv4, out;

    parts = host.split('.');

    if (parts[parts.length - 1] === '' && parts.length > 1) {
        parts.pop();
    }

    if (parts.length > 4) {
        throw invalid(input);
    }

    numbers = [];

    for (i = 0; i < parts.length; i++) {
        n = parseIPv4Number(parts[i]);

        if (isNaN(n)) {
            throw invalid(input);
        }

        numbers.push(n);
    }

    for (i = 0; i < numbers.length - 1; i++) {
        if (numbers[i] > 255) {
            throw invalid(input);
        }
    }

    if (numbers[numbers.length - 1] >= Math.pow(256, 5 - numbers.length)) {
        throw invalid(input);
    }

    ipv4 = numbers[numbers.length - 1];

    for (i = 0; i < numbers.length - 1; i++) {
        ipv4 += numbers[i] * Math.pow(256, 3 - i);
    }

    out = [];

    for (i = 0; i < 4; i++) {
        out.unshift(String(ipv4 % 256));
        ipv4 = Math.floor(ipv4 / 256);
    }

    return out.join('.');
}


function parseHost(input, special, whole) {
    var domain, labels, i;

    if (input.charAt(0) === '[') {
        if (input.charAt(input.length - 1) !== ']'
            || !/^\[[0-9A-Fa-f:.]+\]$/.test(input))
        {
            throw invalid(whole);
        }

        return input.toLowerCase();
    }

    if (!special) {
        if (FORBIDDEN_HOST.test(input)) {
            throw invalid(whole);
        }

        return encodeC0(input);
    }

    domain = util.percentDecode(input);

    if (domain === '' || FORBIDDEN_DOMAIN.test(domain)) {
        throw invalid(whole);
    }

    domain = domain.toLowerCase();

    if (/[^\x00-\x7f]/.test(domain)) {
        labels = domain.replace(/[\u3002\uff0e\uff61]/g, '.').split('.');

        for (i = 0; i < labels.length; i++) {
            if (/[^\x00-\x7f]/.test(labels[i])) {
                labels[i] = 'xn--' + punycodeEncode(labels[i]);
            }
        }

        domain = labels.join('.');
    }

    if (endsInNumber(domain)) {
        return parseIPv4(domain, whole);
    }

    return domain;
}


/* --- paths -------------------------------------------------------------- */

function isSingleDot(s) {
    return s === '.' || s.toLowerCase() === '%2e';
}

function isDoubleDot(s) {
    s = s.toLowerCase();
    return s === '..' || s === '.%2e' || s === '%2e.' || s === '%2e%2e';
}


/* segments of input appended to base segments, dot segments resolved */

function parsePath(input, special, baseSegments) {
    var i, seg, segs, out, last;

    segs = special ? input.split(/[\/\\]/) : input.split('/');
    out = baseSegments ? baseSegments.slice() : [];

    for (i = 0; i < segs.length; i++) {
        seg = segs[i];
        last = (i === segs.length - 1);

        if (isDoubleDot(seg)) {
            if (out.length) {
                out.pop();
            }

            if (last) {
                out.push('');
            }

        } else if (isSingleDot(seg)) {
            if (last) {
                out.push('');
            }

        } else {
            out.push(encodePath(seg));
        }
    }

    return out;
}


/* --- the parser --------------------------------------------------------- */

/* a literal: cheaper than a constructor's assignments on njs 0.7.9 */

function newRecord() {
    return {
        scheme: '',               /* with ":" as URL.protocol */
        username: '',
        password: '',
        host: null,               /* serialized host or null */
        port: null,               /* string or null */
        path: [],                 /* segments, or a string: opaque path */
        query: null,
        fragment: null
    };
}


function copyRecord(r) {
    return {
        scheme: r.scheme,
        username: r.username,
        password: r.password,
        host: r.host,
        port: r.port,
        path: (typeof r.path === 'string') ? r.path : r.path.slice(),
        query: r.query,
        fragment: r.fragment
    };
}


function setQueryFragment(rec, rest) {
    var h, q;

    h = rest.indexOf('#');

    if (h !== -1) {
        rec.fragment = encodeFragment(rest.slice(h + 1));
        rest = rest.slice(0, h);
    }

    q = rest.indexOf('?');

    if (q !== -1) {
        rec.query = (rec.scheme in SPECIAL ? encodeSpecialQuery
                                            : encodeQuery)(rest.slice(q + 1));
        rest = rest.slice(0, q);
    }

    return rest;
}


function parseAuthority(rec, auth, whole) {
    var at, colon, hostport, host, port, i, bracket;

    at = auth.lastIndexOf('@');

    if (at !== -1) {
        colon = auth.slice(0, at).indexOf(':');

        if (colon === -1) {
            rec.username = encodeUserinfo(auth.slice(0, at));

        } else {
            rec.username = encodeUserinfo(auth.slice(0, colon));
            rec.password = encodeUserinfo(auth.slice(colon + 1, at));
        }

        hostport = auth.slice(at + 1);

    } else {
        hostport = auth;
    }

    host = hostport;
    port = null;
    bracket = false;

    for (i = 0; i < hostport.length; i++) {
        if (hostport.charAt(i) === '[') {
            bracket = true;

        } else if (hostport.charAt(i) === ']') {
            bracket = false;

        } else if (hostport.charAt(i) === ':' && !bracket) {
            host = hostport.slice(0, i);
            port = hostport.slice(i + 1);
            break;
        }
    }

    if (host === '') {
        if (rec.scheme in SPECIAL && rec.scheme !== 'file:') {
            throw invalid(whole);
        }

        if (at !== -1 || port !== null) {
            throw invalid(whole);
        }

        rec.host = '';

    } else {
        rec.host = (rec.scheme === 'file:' && host.toLowerCase()
                    === 'localhost')
                   ? '' : parseHost(host, rec.scheme in SPECIAL, whole);
    }

    if (port !== null && port !== '') {
        if (!/^[0-9]+$/.test(port) || parseInt(port, 10) > 65535) {
            throw invalid(whole);
        }

        port = String(parseInt(port, 10));

        if (SPECIAL[rec.scheme] === parseInt(port, 10)) {
            port = null;
        }

    } else {
        port = null;
    }

    rec.port = port;
}


/* split "//authority/rest" (slashes already removed) into its parts */

function parseAfterScheme(rec, rest, whole) {
    var special, end, m;

    special = rec.scheme in SPECIAL;

    m = special ? /[\/\\?#]/.exec(rest) : /[\/?#]/.exec(rest);
    end = m ? m.index : rest.length;

    parseAuthority(rec, rest.slice(0, end), whole);

    rest = setQueryFragment(rec, rest.slice(end));

    if (rest === '' && !special) {
        rec.path = [];

    } else {
        rec.path = parsePath(rest.replace(/^[\/\\]/, ''), special, []);
    }
}


/*
 * The fast path: an http(s)/ws(s) URL, or a path-absolute reference
 * against such a base, that the parser would keep as it is (nothing to
 * percent-encode, trim or lower-case but an ASCII host, no dot segment,
 * no fragment, a domain that does not end in a number, or a dotted IPv4
 * address already in its canonical form): one anchored
 * regexp instead of the general parser (a segment that starts with "."
 * or "%2e" is refused by it too).  null: take the general one.
 */

var FAST_ABS = null, FAST_REL, FAST_NUMERIC, FAST_IPV4;


function fastParse(input, base) {
    var m, host, port, path;

    if (FAST_ABS === null) {
        FAST_ABS = /^(https?:|wss?:)\/\/([A-Za-z0-9\-.]+)(?::([0-9]{1,5}))?((?:\/(?!\.|%2[eE])[\x21\x24-\x2e\x30-\x3b\x3d\x40-\x5b\x5d-\x5f\x61-\x7a\x7c\x7e]*)+)?(?:\?([\x21\x24-\x26\x28-\x3b\x3d\x3f-\x7e]*))?(?![\s\S])/;
        FAST_REL = /^((?:\/(?!\.|%2[eE])[\x21\x24-\x2e\x30-\x3b\x3d\x40-\x5b\x5d-\x5f\x61-\x7a\x7c\x7e]*)+)(?:\?([\x21\x24-\x26\x28-\x3b\x3d\x3f-\x7e]*))?(?![\s\S])/;
        FAST_NUMERIC = /(?:^|\.)(?:[0-9]+|0[xX][0-9A-Fa-f]*)\.?(?![\s\S])/;
        FAST_IPV4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?![\s\S])/;
    }

    if (input.charAt(0) === '/') {
        if (base === null || base === undefined || input.charAt(1) === '/'
            || typeof base.path === 'string'
            || !(base.scheme === 'http:' || base.scheme === 'https:'
                 || base.scheme === 'ws:' || base.scheme === 'wss:'))
        {
            return null;
        }

        m = FAST_REL.exec(input);

        if (m === null) {
            return null;
        }

        return {
            scheme: base.scheme,
            username: base.username,
            password: base.password,
            host: base.host,
            port: base.port,
            path: m[1].slice(1).split('/'),
            query: (m[2] !== undefined) ? m[2] : null,
            fragment: null
        };
    }

    m = FAST_ABS.exec(input);

    if (m === null) {
        return null;
    }

    host = m[2].toLowerCase();
    path = m[4];

    if (mayBeNumeric(host)
        && (isDigit(host) ? !FAST_IPV4.test(host) && FAST_NUMERIC.test(host)
                          : FAST_NUMERIC.test(host)))
    {
        return null;
    }

    port = null;

    if (m[3] !== undefined) {
        port = parseInt(m[3], 10);

        if (port > 65535) {
            return null;
        }

        port = (port === SPECIAL[m[1]]) ? null : String(port);
    }

    return {
        scheme: m[1],
        username: '',
        password: '',
        host: host,
        port: port,
        path: path ? path.slice(1).split('/') : [''],
        query: (m[5] !== undefined) ? m[5] : null,
        fragment: null
    };
}


/*
 * a host whose last label (before a final ".") could be a number: it
 * ends in a digit, a hex digit or x; otherwise FAST_NUMERIC (a 13 k
 * regexp test on njs 0.7.9) cannot match.  isDigit: it ends in a digit,
 * then a canonical IPv4 address (the usual numeric host) is tested first
 */

function lastHostChar(host) {
    var c = host.charCodeAt(host.length - 1);

    return (c === 0x2e) ? host.charCodeAt(host.length - 2) : c;
}


function isDigit(host) {
    var c = lastHostChar(host);

    return c >= 0x30 && c <= 0x39;
}


function mayBeNumeric(host) {
    var c = lastHostChar(host) | 0x20;

    return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || c === 0x78;
}


function parse(input, base) {
    var rec, m, rest, special, whole, baseSegs, slashes;

    whole = String(input);
    rec = fastParse(whole, base);

    if (rec !== null) {
        return rec;
    }

    input = whole.replace(/^[\0-\x20]+/, '').replace(/[\0-\x20]+$/, '')
                 .replace(/[\t\n\r]/g, '');

    m = SCHEME_RE.exec(input);

    if (m) {
        rec = newRecord();
        rec.scheme = m[1].toLowerCase() + ':';
        rest = input.slice(m[0].length);
        special = rec.scheme in SPECIAL;

        if (special) {
            if (base && base.scheme === rec.scheme && !/^[\/\\]/.test(rest))
            {
                return relative(rest, base, whole);
            }

            if (rec.scheme === 'file:') {
                rest = rest.replace(/^[\/\\]{0,2}/, '');

            } else {
                rest = rest.replace(/^[\/\\]+/, '');
            }

            parseAfterScheme(rec, rest, whole);
            return rec;
        }

        if (rest.slice(0, 2) === '//') {
            parseAfterScheme(rec, rest.slice(2), whole);
            return rec;
        }

        rest = setQueryFragment(rec, rest);

        if (rest.charAt(0) === '/') {
            rec.path = parsePath(rest.slice(1), false, []);

        } else {
            rec.path = encodeC0(rest);      /* opaque path */
        }

        return rec;
    }

    if (!base) {
        throw invalid(whole);
    }

    return relative(input, base, whole);

    function relative(input, base, whole) {
        var rec = copyRecord(base);

        special = base.scheme in SPECIAL;
        rec.fragment = null;

        if (typeof base.path === 'string') {
            if (input.charAt(0) !== '#') {
                throw invalid(whole);
            }

            rec.fragment = encodeFragment(input.slice(1));
            return rec;
        }

        slashes = special ? /^[\/\\]{2}/ : /^\/\//;

        if (slashes.test(input)) {
            rec.username = '';
            rec.password = '';
            rec.query = null;
            rest = special ? input.replace(/^[\/\\]+/, '')
                           : input.slice(2);
            parseAfterScheme(rec, rest, whole);
            return rec;
        }

        if (input === '') {
            return rec;
        }

        if (input.charAt(0) === '#') {
            rec.fragment = encodeFragment(input.slice(1));
            return rec;
        }

        if (input.charAt(0) === '?') {
            rec.query = null;
            setQueryFragment(rec, input);
            return rec;
        }

        rec.query = null;
        rest = setQueryFragment(rec, input);

        if (/^[\/\\]/.test(rest) && (special || rest.charAt(0) === '/')) {
            rec.path = parsePath(rest.slice(1), special, []);
            return rec;
        }

        baseSegs = base.path.slice(0, Math.max(base.path.length - 1, 0));
        rec.path = parsePath(rest, special, baseSegs);

        return rec;
    }
}


function serializeHost(rec) {
    return rec.host + (rec.port !== null ? ':' + rec.port : '');
}


function serializePath(rec) {
    if (typeof rec.path === 'string') {
        return rec.path;
    }

    if (rec.host === null && rec.path.length > 1 && rec.path[0] === '') {
        return '/.' + '/' + rec.path.join('/');
    }

    return rec.path.length ? '/' + rec.path.join('/') : '';
}


function serialize(rec, excludeFragment) {
    var out = rec.scheme;

    if (rec.host !== null) {
        out += '//';

        if (rec.username !== '' || rec.password !== '') {
            out += rec.username
                   + (rec.password !== '' ? ':' + rec.password : '') + '@';
        }

        out += serializeHost(rec);
    }

    out += serializePath(rec);

    if (rec.query !== null) {
        out += '?' + rec.query;
    }

    if (!excludeFragment && rec.fragment !== null) {
        out += '#' + rec.fragment;
    }

    return out;
}


/* --- URLSearchParams ---------------------------------------------------- */

function formDecode(s) {
    return util.percentDecode(s.replace(/\+/g, ' '));
}


function formEncode(s) {
    return util.percentEncode(String(s), function (b) {
        return inForm(b) && b !== 0x20;
    }).replace(/ /g, '+');
}


function parseForm(s) {
    var i, eq, pair, pairs, out = [];

    if (s === '') {
        return out;
    }

    pairs = s.split('&');

    for (i = 0; i < pairs.length; i++) {
        pair = pairs[i];

        if (pair === '') {
            continue;
        }

        eq = pair.indexOf('=');

        if (eq === -1) {
            out.push([formDecode(pair), '']);

        } else {
            out.push([formDecode(pair.slice(0, eq)),
                      formDecode(pair.slice(eq + 1))]);
        }
    }

    return out;
}


function toUSVString(v) {
    var out = '';

    v = String(v);

    if (!/[\ud800-\udfff]/.test(v)) {
        return v;
    }

    util.forEachCodePoint(v, function (c) { out += String.fromCodePoint(c); });

    return out;
}


function URLSearchParams(init) {
    if (!urlSearchParamsReady && this instanceof URLSearchParams) {
        protoURLSearchParams();
        return new URLSearchParams(init);
    }

    var i, keys, pair;

    if (!(this instanceof URLSearchParams)) {
        throw new TypeError("Failed to construct 'URLSearchParams': "
                            + "Please use the 'new' operator");
    }

    this._list = [];
    this._url = null;

    if (init === undefined || init === null) {
        return;
    }

    if (init instanceof URLSearchParams) {
        this._list = init._list.map(function (p) { return [p[0], p[1]]; });
        return;
    }

    if (typeof init === 'object' || typeof init === 'function') {
        if (Array.isArray(init)) {
            for (i = 0; i < init.length; i++) {
                pair = init[i];

                if (pair === null || typeof pair !== 'object'
                    || pair.length !== 2)
                {
                    throw new TypeError("Failed to construct "
                                        + "'URLSearchParams': every pair "
                                        + "must be [name, value]");
                }

                this._list.push([toUSVString(pair[0]), toUSVString(pair[1])]);
            }

            return;
        }

        if (typeof init.forEach === 'function'
            && typeof init.getAll === 'function')
        {
            var self = this;

            init.forEach(function (v, k) {
                self._list.push([toUSVString(k), toUSVString(v)]);
            });

            return;
        }

        keys = Object.keys(init);

        for (i = 0; i < keys.length; i++) {
            this._list.push([toUSVString(keys[i]), toUSVString(init[keys[i]])]);
        }

        return;
    }

    init = toUSVString(init);

    if (init.charAt(0) === '?') {
        init = init.slice(1);
    }

    this._list = parseForm(init);
}


function liveIterator(params, kind) {
    var i = 0;
    var it = {
        next: function () {
            var p;

            if (i >= params._list.length) {
                return { value: undefined, done: true };
            }

            p = params._list[i++];

            return { value: (kind === 0) ? [p[0], p[1]]
                            : (kind === 1) ? p[0] : p[1],
                     done: false };
        }
    };

    if (typeof Symbol === 'function' && Symbol.iterator) {
        it[Symbol.iterator] = function () { return it; };
    }

    return it;
}


/* --- URL ---------------------------------------------------------------- */

/*
 * The record of the request's URL (nextURLOf(), which makes
 * request.nextUrl): new URL(path, request.url) is the usual redirect and
 * rewrite, and request.url is that record serialized, so the base is
 * that record as long as it still serializes to the string given (the
 * middleware may have changed nextUrl since).  Bases are only read.
 * Saves a parse (on QuickJS some 15 k instructions) for 1-2 k.
 */

var requestRec = null;


function baseRecord(base) {
    var s;

    if (base === undefined) {
        return null;
    }

    if (base instanceof URL) {
        return base._rec;
    }

    s = String(base);

    if (requestRec !== null && serialize(requestRec, false) === s) {
        return requestRec;
    }

    return parse(s, null);
}


function URL(input, base) {
    if (!urlReady && this instanceof URL) {
        protoURL();
        return new URL(input, base);
    }

    if (!(this instanceof URL)) {
        throw new TypeError("Failed to construct 'URL': "
                            + "Please use the 'new' operator");
    }

    if (input instanceof URL && base === undefined) {
        input = input.href;
    }

    urlInit(this, parse(String(input), baseRecord(base)));
}


URL.canParse = function (input, base) {
    try {
        parse(String(input), baseRecord(base));
        return true;

    } catch (e) {
        return false;
    }
};


URL.parse = function (input, base) {
    try {
        return new URL(input, base);

    } catch (e) {
        return null;
    }
};


/* --- NextURL ------------------------------------------------------------ */

/*
 * Next.js's NextURL (next/dist/server/web/next-url): a URL plus basePath,
 * locale and buildId.  This runtime has no basePath or i18n
 * configuration, so those are "" / undefined as in a Next.js app without
 * them; setting basePath prefixes the serialized pathname as Next does.
 */

function NextURL(input, baseOrOpts, opts) {
    if (!nextURLReady && this instanceof NextURL) {
        protoNextURL();
        return new NextURL(input, baseOrOpts, opts);
    }

    var base, options;

    if (!(this instanceof NextURL)) {
        throw new TypeError("Failed to construct 'NextURL': "
                            + "Please use the 'new' operator");
    }

    if ((baseOrOpts && typeof baseOrOpts === 'object'
         && !(baseOrOpts instanceof URL))
        || typeof baseOrOpts === 'undefined')
    {
        base = undefined;
        options = opts || baseOrOpts || {};

    } else {
        base = baseOrOpts;
        options = opts || {};
    }

    URL.call(this, String(input), base);

    this._options = options;
    this._basePath = '';
    this._buildId = undefined;
    this._locale = '';
}


/*
 * URLSearchParams's prototype, made when the first URLSearchParams is: njs re-runs a
 * module's top level for every request, and most requests never
 * make one
 */

var urlSearchParamsReady = false;


function protoURLSearchParams() {
    if (urlSearchParamsReady) {
        return;
    }

    urlSearchParamsReady = true;

    /* the members under the prototype, as URL's (see protoURL()) */
    Object.setPrototypeOf(URLSearchParams.prototype, {
        get size() { return this._list.length; },

        _update: function () {
            var s;

            if (this._url) {
                s = this.toString();
                this._url._rec.query = (s === '') ? null : s;
            }
        },

        append: function (name, value) {
            this._list.push([toUSVString(name), toUSVString(value)]);
            this._update();
        },

        'delete': function (name, value) {
            name = toUSVString(name);

            if (value !== undefined) {
                value = toUSVString(value);
            }

            this._list = this._list.filter(function (p) {
                return !(p[0] === name
                         && (value === undefined || p[1] === value));
            });

            this._update();
        },

        get: function (name) {
            var i;

            name = toUSVString(name);

            for (i = 0; i < this._list.length; i++) {
                if (this._list[i][0] === name) {
                    return this._list[i][1];
                }
            }

            return null;
        },

        getAll: function (name) {
            name = toUSVString(name);

            return this._list.filter(function (p) { return p[0] === name; })
                             .map(function (p) { return p[1]; });
        },

        has: function (name, value) {
            var i;

            name = toUSVString(name);

            for (i = 0; i < this._list.length; i++) {
                if (this._list[i][0] === name
                    && (value === undefined
                        || this._list[i][1] === String(value)))
                {
                    return true;
                }
            }

            return false;
        },

        set: function (name, value) {
            var i, found, list;

            name = toUSVString(name);
            value = toUSVString(value);
            list = [];
            found = false;

            for (i = 0; i < this._list.length; i++) {
                if (this._list[i][0] !== name) {
                    list.push(this._list[i]);

                } else if (!found) {
                    found = true;
                    list.push([name, value]);
                }
            }

            if (!found) {
                list.push([name, value]);
            }

            this._list = list;
            this._update();
        },

        /* stable sort by name in UTF-16 code units, as the standard says */
        sort: function () {
            var indexed = this._list.map(function (p, i) { return [p, i]; });

            indexed.sort(function (a, b) {
                if (a[0][0] < b[0][0]) {
                    return -1;
                }

                if (a[0][0] > b[0][0]) {
                    return 1;
                }

                return a[1] - b[1];
            });

            this._list = indexed.map(function (e) { return e[0]; });
            this._update();
        },

        /*
         * forEach and the iterators walk the live list by index, as WHATWG
         * says: an entry deleted meanwhile is not visited (delete() may
         * replace this._list, so it is read at each step)
         */
        forEach: function (callback, thisArg) {
            var i, e;

            for (i = 0; i < this._list.length; i++) {
                e = this._list[i];
                callback.call(thisArg, e[1], e[0], this);
            }
        },

        entries: function () {
            return liveIterator(this, 0);
        },

        keys: function () {
            return liveIterator(this, 1);
        },

        values: function () {
            return liveIterator(this, 2);
        },

        toString: function () {
            return this._list.map(function (p) {
                return formEncode(p[0]) + '=' + formEncode(p[1]);
            }).join('&');
        }
    });

    if (typeof Symbol === 'function' && Symbol.iterator) {
        URLSearchParams.prototype[Symbol.iterator] =
            URLSearchParams.prototype.entries;
    }
}


/*
 * URL's internal work, as functions of this module rather than methods
 * (on njs 0.7.9 every method is made again for every request)
 */

function urlInit(self, rec) {
    self._rec = rec;
    self._params = null;          /* searchParams, made on first use */
}


function urlQueryChanged(self) {
    if (self._params !== null) {
        self._params._list = parseForm(self._rec.query || '');
    }
}


function urlSetHost(self, v, withPort) {
    var rec, m, end;

    if (typeof self._rec.path === 'string') {
        return;
    }

    m = /[\/\\?#]/.exec(v);
    end = m ? m.index : v.length;
    v = v.slice(0, end);

    if (v === '' && self._rec.scheme in SPECIAL) {
        return;
    }

    rec = copyRecord(self._rec);

    try {
        if (withPort) {
            parseAuthority(rec, v.replace(/@/g, '%40'), v);

            if (!/:[0-9]+$|:$/.test(v.replace(/^\[.*\]/, ''))) {
                rec.port = self._rec.port;
            }

        } else {
            if (/:/.test(v.replace(/^\[.*\]/, ''))) {
                return;
            }

            rec.host = parseHost(v, rec.scheme in SPECIAL, v);
        }

    } catch (e) {
        return;
    }

    rec.username = self._rec.username;
    rec.password = self._rec.password;
    self._rec.host = rec.host;
    self._rec.port = rec.port;
}


/*
 * URL's prototype, made when the first URL is: njs re-runs a
 * module's top level for every request, and most requests never
 * make one
 */

var urlReady = false;


function protoURL() {
    if (urlReady) {
        return;
    }

    urlReady = true;

    /*
     * The members, accessors and methods, as one object literal, far
     * cheaper to set up than Object.defineProperty per accessor and an
     * assignment per method (njs re-runs this for every request;
     * accessors enumerable and configurable, as before), put under the
     * prototype, which keeps its identity: njs 0.7.9 goes on making
     * instances of the replaced one (see util.js).  Lookups through the
     * chain find them as before (URL.prototype.toString, 'href' in u);
     * only Object.getOwnPropertyNames(URL.prototype) no longer lists
     * them.  The other classes' prototypes are made the same way.
     */
    Object.setPrototypeOf(URL.prototype, {
        get href() {
            return serialize(this._rec, false);
        },

        set href(v) {
            urlInit(this, parse(String(v), null));
        },

        get origin() {
            var s = this._rec.scheme;

            if (s in SPECIAL && s !== 'file:') {
                return s + '//' + serializeHost(this._rec);
            }

            if (s === 'blob:') {
                try {
                    return new URL(serializePath(this._rec)).origin;

                } catch (e) {
                    return 'null';
                }
            }

            return 'null';
        },

        set origin(v) {},

        get protocol() {
            return this._rec.scheme;
        },

        set protocol(v) {
            var m = SCHEME_RE.exec(String(v) + ':');

            if (!m) {
                return;
            }

            v = m[1].toLowerCase() + ':';

            if ((v in SPECIAL) !== (this._rec.scheme in SPECIAL)) {
                return;
            }

            if (v === 'file:' && (this._rec.username || this._rec.password
                                  || this._rec.port !== null))
            {
                return;
            }

            this._rec.scheme = v;

            if (this._rec.port !== null && SPECIAL[v] === parseInt(this._rec.port,
                                                                    10))
            {
                this._rec.port = null;
            }
        },

        get username() {
            return this._rec.username;
        },

        set username(v) {
            if (this._rec.host === null || this._rec.host === ''
                || this._rec.scheme === 'file:')
            {
                return;
            }

            this._rec.username = encodeUserinfo(String(v));
        },

        get password() {
            return this._rec.password;
        },

        set password(v) {
            if (this._rec.host === null || this._rec.host === ''
                || this._rec.scheme === 'file:')
            {
                return;
            }

            this._rec.password = encodeUserinfo(String(v));
        },

        get host() {
            return this._rec.host === null ? '' : serializeHost(this._rec);
        },

        set host(v) {
            urlSetHost(this, String(v), true);
        },

        get hostname() {
            return this._rec.host === null ? '' : this._rec.host;
        },

        set hostname(v) {
            urlSetHost(this, String(v), false);
        },

        get port() {
            return this._rec.port === null ? '' : this._rec.port;
        },

        set port(v) {
            var m;

            if (this._rec.host === null || this._rec.host === ''
                || this._rec.scheme === 'file:')
            {
                return;
            }

            v = String(v);

            if (v === '') {
                this._rec.port = null;
                return;
            }

            m = /^[0-9]+/.exec(v);

            if (!m || parseInt(m[0], 10) > 65535) {
                return;
            }

            v = String(parseInt(m[0], 10));
            this._rec.port = (SPECIAL[this._rec.scheme] === parseInt(v, 10)) ? null
                                                                             : v;
        },

        get pathname() {
            return serializePath(this._rec);
        },

        set pathname(v) {
            var special = this._rec.scheme in SPECIAL;

            if (typeof this._rec.path === 'string') {
                return;
            }

            v = String(v);

            if (special || v.charAt(0) === '/') {
                v = v.replace(special ? /^[\/\\]/ : /^\//, '');
                this._rec.path = parsePath(v, special, []);

            } else if (v === '') {
                this._rec.path = [];

            } else {
                this._rec.path = parsePath(v, special, []);
            }
        },

        get search() {
            return (this._rec.query === null || this._rec.query === '')
                   ? '' : '?' + this._rec.query;
        },

        set search(v) {
            v = String(v);

            if (v === '') {
                this._rec.query = null;
                urlQueryChanged(this);
                return;
            }

            if (v.charAt(0) === '?') {
                v = v.slice(1);
            }

            this._rec.query = (this._rec.scheme in SPECIAL ? encodeSpecialQuery
                                                           : encodeQuery)(v);
            urlQueryChanged(this);
        },

        get searchParams() {
            if (this._params === null) {
                this._params = new URLSearchParams(this._rec.query || '');
                this._params._url = this;
            }

            return this._params;
        },

        set searchParams(v) {},

        get hash() {
            return (this._rec.fragment === null || this._rec.fragment === '')
                   ? '' : '#' + this._rec.fragment;
        },

        set hash(v) {
            v = String(v);

            if (v === '') {
                this._rec.fragment = null;
                return;
            }

            if (v.charAt(0) === '#') {
                v = v.slice(1);
            }

            this._rec.fragment = encodeFragment(v);
        },

        toString: function () {
            return this.href;
        },

        toJSON: function () {
            return this.href;
        }
    });
}


/*
 * NextURL's prototype, made when the first NextURL is: njs re-runs a
 * module's top level for every request, and most requests never
 * make one
 */

var nextURLReady = false;


function protoNextURL() {
    if (nextURLReady) {
        return;
    }

    nextURLReady = true;

    /* as URL's, the members under the prototype (see protoURL()) */
    Object.setPrototypeOf(NextURL.prototype, {
        __proto__: URL.prototype,

        get basePath() {
            return this._basePath;
        },

        set basePath(v) {
            v = String(v);
            this._basePath = (v === '' || v === '/') ? ''
                             : (v.charAt(0) === '/' ? v : '/' + v);
        },

        get buildId() {
            return this._buildId;
        },

        set buildId(v) {
            this._buildId = v;
        },

        get locale() {
            return this._locale;
        },

        set locale(v) {
            this._locale = String(v);
        },

        get defaultLocale() {
            return undefined;
        },

        set defaultLocale(v) {},

        get domainLocale() {
            return undefined;
        },

        set domainLocale(v) {},

        /* href with basePath in front of the pathname, as NextURL#href */

        get href() {
            var rec, path;

            if (this._basePath === '') {
                return serialize(this._rec, false);
            }

            rec = copyRecord(this._rec);
            path = serializePath(rec);
            rec.path = (this._basePath + (path === '/' ? '' : path))
                       .slice(1).split('/');

            return serialize(rec, false);
        },

        set href(v) {
            urlInit(this, parse(String(v), null));
        },

        clone: function () {
            var c = new NextURL(serialize(this._rec, false), this._options);

            c._basePath = this._basePath;
            c._buildId = this._buildId;
            c._locale = this._locale;

            return c;
        },

        toString: function () {
            return this.href;
        },

        toJSON: function () {
            return this.href;
        }
    });

    protoURL();
}


/*
 * internal: new NextURL(href) of an href already parsed into rec, as one
 * literal (request.js; half the cost of the constructor's assignments on
 * njs 0.7.9)
 */

function nextURLOf(rec) {
    protoNextURL();

    requestRec = rec;

    return {
        __proto__: NextURL.prototype,
        _rec: rec,
        _params: null,            /* searchParams, made on first use */
        _options: {},
        _basePath: '',
        _buildId: undefined,
        _locale: ''
    };
}


export default {
    URL: URL,
    URLSearchParams: URLSearchParams,
    NextURL: NextURL,
    nextURLOf: nextURLOf,
    parse: parse
};
