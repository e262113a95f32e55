/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * NextRequest (next/dist/server/web/spec-extension/request) built from
 * the njs request object of the detached request.
 *
 * request.url is scheme (of the client connection) + Host header +
 * request target; the query string is re-serialized through
 * URLSearchParams as Next.js does (x=a%20b -> x=a+b); the path stays as
 * sent, bytes above 0x7f percent-encoded.
 */

import util from './util.js';
import headersMod from './headers.js';
import urlMod from './url.js';
import cookiesMod from './cookies.js';


var variable = util.variable;


var Headers = headersMod.Headers;
var URL = urlMod.URL;
var NextURL = urlMod.NextURL;


function normalizeMethod(m) {
    var u;

    if (m === 'GET') {
        return m;
    }

    /* the methods the Fetch standard normalizes (not an array: util.js) */

    m = String(m);
    u = m.toUpperCase();

    switch (u) {
    case 'DELETE':
    case 'GET':
    case 'HEAD':
    case 'OPTIONS':
    case 'POST':
    case 'PUT':
        return u;
    }

    return m;
}


function bodyError() {
    return new Error('request body is not available to middleware: body '
                     + 'exposure is not enabled for this location (add '
                     + '"middleware_request_body on;" to the nginx location)');
}


/*
 * new NextRequest(input, init): input is a URL string, a URL / NextURL or
 * a Request; init has method, headers, body (as the Web Request).
 */

function NextRequest(input, init) {
    if (!nextRequestReady && this instanceof NextRequest) {
        protoNextRequest();
        return new NextRequest(input, init);
    }

    var url;

    if (!(this instanceof NextRequest)) {
        throw new TypeError("Failed to construct 'NextRequest': "
                            + "Please use the 'new' operator");
    }

    init = init || {};

    if (input instanceof NextRequest) {
        url = input.url;
        this._method = input._method;
        this._headers = new Headers(input.headers);
        if (input._body === nginxBody) {
            nginxBody(input);
        }

        this._body = input._body;
        this._ip = input._ip;

    } else {
        url = (input instanceof URL) ? input.href : String(input);
        this._method = 'GET';
        this._headers = new Headers();
        this._body = undefined;          /* undefined: not available */
        this._ip = undefined;
    }

    if (init.method !== undefined) {
        this._method = normalizeMethod(init.method);
    }

    if (init.headers !== undefined) {
        this._headers = new Headers(init.headers);
    }

    if (init.body !== undefined) {
        this._body = init.body;
    }

    if (init.ip !== undefined) {
        this._ip = init.ip;
    }

    this._nextUrl = new NextURL(url, { headers: this._headers });
    this._url = this._nextUrl.href;
    this._cookies = new cookiesMod.RequestCookies(this._headers);
    this._bodyUsed = false;
}


/* --- from nginx ---------------------------------------------------------- */

/* the request target in ASCII: bytes above 0x7f percent-encoded */

function asciiTarget(t) {
    if (util.isAscii(t)) {
        return t;
    }

    return t.replace(/[^\x00-\x7f]/g, function (c) {
        var b = c.charCodeAt(0) & 0xff;
        return '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
    });
}


/*
 * Bytes from nginx.  njs 0.7.9 gives byte strings (one char per byte);
 * njs >= 0.8.5 (njs engine) and QuickJS decode them as UTF-8, invalid
 * bytes becoming U+FFFD (so /caf%E9 for a raw "/café" if the decoded
 * string were taken for bytes).  Where the string is not ASCII the
 * runtime takes the exact bytes from r.rawVariables (a Buffer or
 * Uint8Array on every engine): ASCII costs nothing more, the rest one
 * variable lookup and a byte loop.
 */

function rawVariable(r, name) {
    var v;

    try {
        v = r.rawVariables ? r.rawVariables[name] : undefined;

    } catch (e) {
        v = undefined;
    }

    if (v === undefined || v === null) {
        return undefined;
    }

    return (typeof v === 'string') ? util.fromWire(v) : util.bytesToBinary(v);
}


/* the request target as the client sent it, binary string (char = byte) */

function requestTarget(r) {
    var t = variable(r, 'request_uri') || '/', raw;

    if (util.isAscii(t)) {
        return t;
    }

    raw = rawVariable(r, 'request_uri');

    return (raw !== undefined) ? raw : util.fromWire(t);
}


/*
 * A non-ASCII header value in the binary model.  With one line of that
 * name the exact bytes are in $http_<name> (whatever the engine's string
 * model); the variable joins repeated lines, so for those the string is
 * converted by the engine's model (util.fromWire): exact for UTF-8 and
 * byte strings, invalid UTF-8 on a decoding engine keeps U+FFFD's bytes.
 * Cost: one pass over the header list and a variable lookup, only for
 * values that are not plain ASCII.
 */

function headerValue(r, raw, name, value) {
    var i, key, n, v;

    key = name.toLowerCase().replace(/_/g, '-');
    n = 0;

    for (i = 0; i < raw.length && n < 2; i++) {
        if (String(raw[i][0]).toLowerCase().replace(/_/g, '-') === key) {
            n++;
        }
    }

    if (n === 1) {
        v = rawVariable(r, 'http_' + key.replace(/-/g, '_'));

        if (v !== undefined) {
            return v;
        }
    }

    return util.fromWire(value);
}


/* raw request path (before "?") as the client sent it, binary string */

function rawPath(r) {
    var t = requestTarget(r), q;

    q = t.indexOf('?');

    return (q === -1) ? t : t.slice(0, q);
}


/*
 * a header value from nginx kept as is: ASCII without NUL CR LF (the
 * lookahead: njs 0.7.9's "$" also matches before a final LF)
 */

var PLAIN = /^[\x01-\x09\x0b\x0c\x0e-\x7f]*(?![\s\S])/;
var BAD_VALUE = /[\0\r\n]/;


/* NextURL of a request from what fromNginx() saw */

function nginxUrl(r, host) {
    var target, nurl, url, scheme, fallback;

    scheme = variable(r, 'middleware_scheme') || variable(r, 'scheme')
             || 'http';
    target = variable(r, 'request_uri') || '/';
    fallback = null;

    if (!host) {
        fallback = variable(r, 'host');
        host = fallback || 'localhost';
    }

    /* one test for both (each would cost a regexp test, twice) */

    if (!util.isAscii(target + host)) {
        target = asciiTarget(requestTarget(r));
        host = asciiTarget(host);
    }

    if (target.charAt(0) !== '/') {
        /* absolute-form or "*": keep only path and query */

        try {
            nurl = new URL(target);
            target = nurl.pathname + nurl.search;

        } catch (e) {
            target = '/';
        }
    }

    try {
        url = urlMod.nextURLOf(urlMod.parse(scheme + '://' + host + target,
                                            null));

    } catch (e) {
        if (fallback === null) {
            fallback = variable(r, 'host');
        }

        url = new NextURL(scheme + '://'
                          + asciiTarget(fallback || 'localhost') + target);
    }

    /* Next.js re-serializes the query through URLSearchParams */

    if (url._rec.query !== null) {
        url.searchParams._update();
    }

    return url;
}


/*
 * every line "name,value\n" of a header list with token names and plain
 * values (see PLAIN): one test for the whole list, not two per line
 */

var PLAIN_LINES = /^(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+,[\x01-\x09\x0b\x0c\x0e-\x7f]*\n)*(?![\s\S])/;


/*
 * the request's headers, as the client sent them: one entry per line
 * (several Cookie lines joined), lines with an invalid name or value
 * left out.  Usually every name is a string token and every value plain:
 * the entries are made at once and checked with one regexp test over
 * them all; otherwise line by line.  When the entries are exactly R's
 * lines (none left out or joined), headers._base keeps a copy of the
 * list: a decision can then send only what the middleware changed
 * (protocol.js).
 */

var nginxHost = null, nginxCookie = null;   /* nginxHeaders() found */

function nginxHeaders(r, raw) {
    var i, e, name, lname, value, headers, list, cookie, check, exact, host;

    list = [];
    check = '';
    cookie = null;
    host = null;

    for (i = 0; i < raw.length; i++) {
        e = raw[i];
        name = e[0];
        value = e[1];

        if (typeof name !== 'string' || typeof value !== 'string') {
            check = null;
            break;
        }

        check += name + ',' + value + '\n';
        lname = name.toLowerCase();

        if (lname === 'cookie') {
            if (cookie !== null) {
                cookie = null;
                check = null;
                break;
            }

            cookie = value;

        } else if (lname === 'host' && host === null) {
            host = value;
        }

        list.push({ name: name, lname: lname, value: value });
    }

    if (check !== null && PLAIN_LINES.test(check)) {
        nginxHost = host;
        nginxCookie = cookie;
        return headersMod.headersOf(list, { list: list.slice() });
    }

    headers = new Headers();
    list = headers._list;
    cookie = null;
    exact = true;

    for (i = 0; i < raw.length; i++) {
        name = raw[i][0];
        value = raw[i][1];

        /* a token is ASCII: fromWire() would not change it */

        if (typeof name !== 'string') {
            name = util.fromWire(name);
        }

        if (!headersMod.TOKEN.test(name)) {
            exact = false;
            continue;
        }

        if (typeof value !== 'string' || !PLAIN.test(value)) {
            value = headerValue(r, raw, name, value);

            if (BAD_VALUE.test(value)) {
                exact = false;
                continue;
            }
        }

        lname = name.toLowerCase();

        /*
         * several Cookie lines (HTTP/2 sends one per cookie) become one,
         * joined with "; " as Node.js and RFC 9113 8.2.3 do
         */

        if (lname === 'cookie') {
            if (cookie !== null) {
                cookie.value += '; ' + value;
                exact = false;
                continue;
            }

            cookie = { name: name, lname: lname, value: value };
            list.push(cookie);
            continue;
        }

        list.push({ name: name, lname: lname, value: value });
    }

    if (exact) {
        headers._src = { list: list.slice() };
    }

    /* the first Host and the (joined) Cookie line */

    host = null;

    for (i = 0; i < list.length; i++) {
        if (list[i].lname === 'host' && host === null) {
            host = list[i].value;
        }
    }

    nginxHost = host;
    nginxCookie = (cookie !== null) ? cookie.value : null;

    return headers;
}


/* the host of a Host line's value (null: none), the first of a list */

function hostOf(value) {
    if (value !== null && value.indexOf(',') !== -1) {
        return value.split(',')[0].trim();
    }

    return value;
}


/*
 * the value of the first line of lname of a request's headers h made from
 * the C module's lines (headersFrom()), as the client sent it, or null
 */

function firstLine(h, lname) {
    var i, all;

    headersMod.entriesOf(h);
    all = h._src.list;

    for (i = 0; i < all.length; i++) {
        if (all[i].lname === lname) {
            return all[i].value;
        }
    }

    return null;
}


/*
 * the Cookie line of a request whose headers are the C module's lines
 * (at most one Cookie line there): $middleware_cookie, which saves making
 * the entries of every line for it; else the line's in them
 */

function requestCookie(req) {
    var v = variable(req._r, 'middleware_cookie');

    if (v !== undefined) {
        return (v !== '') ? v : null;
    }

    return firstLine(req._headers, 'cookie');
}


/* a request from fromNginx(): its headers, Host and Cookie, on first use */

function nginxRequest(req) {
    var lines;

    /*
     * the module's checked lines when it gives them: on QuickJS the check
     * of r.rawHeadersIn costs ~150 instructions per byte; on the njs
     * engine its PCRE test costs a few, but r.rawHeadersIn's arrays, the
     * string the test runs on and the lower-casing cost more than the
     * variable and its split (P 889 k -> 885 k on njs 0.7.9, 743 k ->
     * 736 k on njs 1.0, bench/RESULTS.md ninth round)
     */

    lines = variable(req._r, 'middleware_headers');

    if (lines !== undefined) {
        /* entries, Host and Cookie made on first use (headersFrom()) */
        req._headers = headersMod.headersFrom(lines, req._r);
        return;
    }

    req._headers = nginxHeaders(req._r, req._r.rawHeadersIn || []);
    req._srcHost = hostOf(nginxHost);
    req._cookieHeader = nginxCookie;
}


/*
 * The request from nginx.  Its headers (and what comes from them: cookies,
 * url, nextUrl) are made on first use, from R's header lines, which do not
 * change while the middleware runs: a middleware that reads none of them
 * does not pay for them.  module: whether the C module is loaded
 * ($middleware_scheme is defined), when the caller knows (else it is
 * read here).  What only request.url / nextUrl need (scheme, request
 * target, $host) is read from nginx on first use of those.
 */

/*
 * The body of a request from nginx, read on first use (most middleware
 * never reads it: a variable read and r.requestText cost more than the
 * request's other fields together).  Until then the request's _body is
 * this function.
 */

function nginxBody(req) {
    var r, body, exposed, module, text;

    r = req._r;
    module = req._module;
    body = undefined;

    /*
     * with the module, $middleware_body is "1" when the location has
     * middleware_request_body on (then an absent body is an empty one);
     * otherwise F never carries a body
     */

    exposed = variable(r, 'middleware_body');

    if (exposed === '1') {
        body = '';
    }

    if (module === undefined && exposed === undefined) {
        module = (variable(r, 'middleware_scheme') !== undefined);
    }

    try {
        if (exposed === undefined && module) {
            /* the module is loaded, exposure is off */

        } else {
            /* read once: each read copies the body */
            text = r.requestText;

            if (typeof text === 'string') {
                body = text;

            } else if (r.requestBuffer !== undefined
                       && r.requestBuffer !== null)
            {
                body = r.requestBuffer;
            }
        }

    } catch (e) {
        body = undefined;        /* e.g. the body is in a temporary file */
    }

    req._body = body;
}


function fromNginx(r, module) {
    var req;

    protoNextRequest();

    /*
     * one literal: on njs 0.7.9 a property of a literal costs half of a
     * property assigned to an object (Object.create() and a write each)
     */

    req = {
        __proto__: NextRequest.prototype,
        _method: normalizeMethod(r.method || 'GET'),
        _module: module,
        _ip: r.remoteAddress,
        _r: r              /* headers, body, url and geo from it on first use */
    };

    return req;
}


/*
 * NextRequest's internal work, as functions of this module rather than
 * methods (on njs 0.7.9 every method is made again for every request)
 */

function buildUrl(self) {
    var url, parts;

    /*
     * the module's parts of the URL when it gives them (a plain host and
     * target: see $middleware_url in the README): "href", "scheme:",
     * host, port, the path without its "/", and the query if there is
     * one, then an empty part if URLSearchParams would write the query
     * otherwise.  The record the parser would make of it, without its
     * two regexp tests, and without request.headers for the Host line.
     */

    parts = variable(self._r, 'middleware_url');

    if (parts !== undefined) {
        parts = parts.split('\n');

        url = urlMod.nextURLOf({
            scheme: parts[1],
            username: '',
            password: '',
            host: parts[2],
            port: (parts[3] !== '') ? parts[3] : null,
            path: parts[4].split('/'),
            query: (parts.length > 5) ? parts[5] : null,
            fragment: null
        });

        if (parts.length > 6) {
            url.searchParams._update();
            self._url = url.href;

        } else {
            self._url = parts[0];
        }

        self._nextUrl = url;
        return;
    }

    if (self._headers === undefined) {
        nginxRequest(self);
    }

    if (self._srcHost === undefined) {
        self._srcHost = hostOf(firstLine(self._headers, 'host'));
    }

    url = nginxUrl(self._r, self._srcHost);

    self._nextUrl = url;
    self._url = url.href;
}


function consumeBody(self) {
    if (self._body === nginxBody) {
        nginxBody(self);
    }

    if (self._body === undefined) {
        return Promise.reject(bodyError());
    }

    if (self._bodyUsed) {
        return Promise.reject(new TypeError('Body is unusable: Body has '
                                            + 'already been read'));
    }

    self._bodyUsed = true;

    return Promise.resolve(self._body);
}


/*
 * NextRequest's prototype, made when the first NextRequest is: njs re-runs a
 * module's top level for every request, and most requests never
 * make one
 */

var nextRequestReady = false;


function protoNextRequest() {
    if (nextRequestReady) {
        return;
    }

    nextRequestReady = true;

    /*
     * The accessors as one object literal, far cheaper to set up than
     * Object.defineProperty per member (njs re-runs this for every
     * request: the VM is cloned per request), enumerable and configurable
     * as defineProperty made them, put under the prototype, which keeps
     * its identity: njs 0.7.9 goes on making instances of a replaced one.
     *
     * A request made by fromNginx() builds url / nextUrl and cookies on
     * first use, from what the request had when it was made (R's header
     * lines and variables, which do not change, and the Cookie header
     * value): the result is the same as building them at once, whatever
     * the middleware changes in the meantime.
     */
    Object.setPrototypeOf(NextRequest.prototype, {
        /*
         * where fromNginx()'s request starts (the constructor sets its
         * own): its body read on first use (nginxBody()).  Its other
         * fields are absent until made (_headers, _url, _nextUrl,
         * _cookies, _geo, _srcHost, _cookieHeader: undefined): on njs
         * this literal is made per request, each field ~500 instructions
         */
        _body: nginxBody,

        get method() { return this._method; },

        get url() {
            if (this._url === undefined) {
                buildUrl(this);
            }

            return this._url;
        },

        get nextUrl() {
            if (this._nextUrl === undefined) {
                buildUrl(this);
            }

            return this._nextUrl;
        },

        get headers() {
            if (this._headers === undefined) {
                nginxRequest(this);
            }

            return this._headers;
        },

        get cookies() {
            if (this._cookies === undefined) {
                if (this._headers === undefined) {
                    nginxRequest(this);
                }

                if (this._cookieHeader === undefined) {
                    this._cookieHeader = requestCookie(this);
                }

                this._cookies = cookiesMod.requestCookies(this._headers,
                                                          this._cookieHeader);
            }

            return this._cookies;
        },

        get ip() { return this._ip; },
        /*
         * Next.js 15 removed geo; here it is filled honestly when the nginx
         * configuration defines $middleware_geo_country / _region / _city /
         * _latitude / _longitude (map, geo, geoip2 on $remote_addr), else
         * undefined as in Next.js 15+
         */
        get geo() {
            var g, k, v, any, names;

            /* undefined: not read yet; null: read, none */

            if (this._geo !== undefined) {
                return this._geo || undefined;
            }

            if (!this._r) {
                return undefined;
            }

            g = {};
            any = false;
            names = ['country', 'region', 'city', 'latitude', 'longitude'];

            for (k = 0; k < names.length; k++) {
                v = variable(this._r, 'middleware_geo_' + names[k]);

                if (v !== undefined && v !== '') {
                    g[names[k]] = v;
                    any = true;
                }
            }

            this._geo = any ? g : null;

            return this._geo || undefined;
        },
        get bodyUsed() { return this._bodyUsed === true; },
        get redirect() { return 'follow'; },
        get mode() { return 'cors'; },
        get credentials() { return 'same-origin'; },
        get cache() { return 'default'; },
        get signal() { return undefined; },

        get page() {
            throw new Error('The request.page has been deprecated in favour of '
                            + '`URLPattern`.\n  Read more: https://nextjs.org/'
                            + 'docs/messages/middleware-request-page');
        },

        get ua() {
            throw new Error('The request.ua has been removed in favour of '
                            + '`userAgent` function.\n  Read more: https://'
                            + 'nextjs.org/docs/messages/middleware-parse-user-'
                            + 'agent');
        },

        /* the body: null for GET/HEAD without one, otherwise what nginx gave */

        get body() {
            if (this._body === nginxBody) {
                nginxBody(this);
            }

            if (this._body === undefined) {
                if (this._method === 'GET' || this._method === 'HEAD') {
                    return null;
                }

                throw bodyError();
            }

            return this._body;
        },

        text: function () {
            return consumeBody(this).then(function (b) {
                if (b === null) {
                    return '';
                }

                if (typeof b === 'string') {
                    return b;
                }

                return util.utf8Decode(util.toUint8Array(b));
            });
        },

        json: function () {
            return this.text().then(function (t) { return JSON.parse(t); });
        },

        arrayBuffer: function () {
            return consumeBody(this).then(function (b) {
                var bytes;

                if (b === null) {
                    return new ArrayBuffer(0);
                }

                bytes = (typeof b === 'string') ? util.stringBytes(b)
                                                : util.toUint8Array(b);

                return bytes.buffer.slice(bytes.byteOffset,
                                          bytes.byteOffset + bytes.byteLength);
            });
        },

        clone: function () {
            return new NextRequest(this);
        },

        toString: function () {
            return '[object NextRequest]';
        }
    });
}


export default {
    NextRequest: NextRequest,
    fromNginx: fromNginx,
    rawPath: rawPath
};
