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


var Headers = headersMod.Headers;
var URL = urlMod.URL;
var NextURL = urlMod.NextURL;
var RequestCookies = cookiesMod.RequestCookies;

var METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'];


function normalizeMethod(m) {
    m = String(m);
    return (METHODS.indexOf(m.toUpperCase()) !== -1) ? m.toUpperCase() : m;
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
    var url;

    if (!(this instanceof NextRequest)) {
        throw new TypeError("Failed to construct 'NextRequest': "
                            + "Please use the 'new' operator");
    }

    init = init || {};

    if (input instanceof NextRequest) {
        url = input.url;
        this._method = input._method;
        this._headers = new Headers(input._headers);
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
    this._cookies = new RequestCookies(this._headers);
    this._bodyUsed = false;
}


function getter(name, get) {
    Object.defineProperty(NextRequest.prototype, name, {
        get: get,
        enumerable: true,
        configurable: true
    });
}


getter('method', function () { return this._method; });
getter('url', function () { return this._url; });
getter('nextUrl', function () { return this._nextUrl; });
getter('headers', function () { return this._headers; });
getter('cookies', function () { return this._cookies; });
getter('ip', function () { return this._ip; });
getter('geo', function () { return undefined; });
getter('bodyUsed', function () { return this._bodyUsed; });
getter('redirect', function () { return 'follow'; });
getter('mode', function () { return 'cors'; });
getter('credentials', function () { return 'same-origin'; });
getter('cache', function () { return 'default'; });
getter('signal', function () { return undefined; });

getter('page', function () {
    throw new Error('The request.page has been deprecated in favour of '
                    + '`URLPattern`.\n  Read more: https://nextjs.org/docs/'
                    + 'messages/middleware-request-page');
});

getter('ua', function () {
    throw new Error('The request.ua has been removed in favour of '
                    + '`userAgent` function.\n  Read more: https://nextjs.org/'
                    + 'docs/messages/middleware-parse-user-agent');
});


/* the body: null for GET/HEAD without one, otherwise what nginx gave */

getter('body', function () {
    if (this._body === undefined) {
        if (this._method === 'GET' || this._method === 'HEAD') {
            return null;
        }

        throw bodyError();
    }

    return this._body;
});


NextRequest.prototype._consume = function () {
    if (this._body === undefined) {
        return Promise.reject(bodyError());
    }

    if (this._bodyUsed) {
        return Promise.reject(new TypeError('Body is unusable: Body has '
                                            + 'already been read'));
    }

    this._bodyUsed = true;

    return Promise.resolve(this._body);
};


NextRequest.prototype.text = function () {
    return this._consume().then(function (b) {
        if (b === null) {
            return '';
        }

        if (typeof b === 'string') {
            return b;
        }

        return util.utf8Decode(util.toUint8Array(b));
    });
};


NextRequest.prototype.json = function () {
    return this.text().then(function (t) { return JSON.parse(t); });
};


NextRequest.prototype.arrayBuffer = function () {
    return this._consume().then(function (b) {
        var bytes;

        if (b === null) {
            return new ArrayBuffer(0);
        }

        bytes = (typeof b === 'string') ? util.stringBytes(b)
                                        : util.toUint8Array(b);

        return bytes.buffer.slice(bytes.byteOffset,
                                  bytes.byteOffset + bytes.byteLength);
    });
};


NextRequest.prototype.clone = function () {
    return new NextRequest(this);
};


NextRequest.prototype.toString = function () {
    return '[object NextRequest]';
};


/* --- from nginx ---------------------------------------------------------- */

/* the request target in ASCII: bytes above 0x7f percent-encoded */

function asciiTarget(t) {
    return t.replace(/[^\x00-\x7f]/g, function (c) {
        var b = c.charCodeAt(0) & 0xff;
        return '%' + (b < 16 ? '0' : '') + b.toString(16).toUpperCase();
    });
}


function variable(r, name) {
    var v;

    try {
        v = r.variables[name];

    } catch (e) {
        v = undefined;
    }

    return (v === undefined || v === null) ? undefined : String(v);
}


/* raw request path (before "?") as the client sent it, binary string */

function rawPath(r) {
    var t = util.fromWire(variable(r, 'request_uri') || '/'), q;

    q = t.indexOf('?');

    return (q === -1) ? t : t.slice(0, q);
}


function fromNginx(r) {
    var i, raw, name, value, headers, scheme, host, target, url, req,
        nurl, body, cookie, exposed;

    headers = new Headers();
    raw = r.rawHeadersIn || [];
    cookie = null;

    for (i = 0; i < raw.length; i++) {
        name = util.fromWire(raw[i][0]);
        value = util.fromWire(raw[i][1]);

        if (!headersMod.TOKEN.test(name) || /[\0\r\n]/.test(value)) {
            continue;
        }

        /*
         * several Cookie lines (HTTP/2 sends one per cookie) become one,
         * joined with "; " as Node.js and RFC 9113 8.2.3 do
         */

        if (name.toLowerCase() === 'cookie') {
            if (cookie !== null) {
                cookie.value += '; ' + value;
                continue;
            }

            headers._appendRaw(name, value);
            cookie = headers._list[headers._list.length - 1];
            continue;
        }

        headers._appendRaw(name, value);
    }

    scheme = variable(r, 'middleware_scheme') || variable(r, 'scheme')
             || 'http';
    host = headers.get('host');

    if (host !== null && host.indexOf(',') !== -1) {
        host = host.split(',')[0].trim();
    }

    if (!host) {
        host = variable(r, 'host') || 'localhost';
    }

    target = asciiTarget(util.fromWire(variable(r, 'request_uri') || '/'));

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
        url = new NextURL(scheme + '://' + asciiTarget(host) + target);

    } catch (e) {
        url = new NextURL(scheme + '://'
                          + (variable(r, 'host') || 'localhost') + target);
    }

    /* Next.js re-serializes the query through URLSearchParams */

    if (url._rec.query !== null) {
        url.searchParams._update();
    }

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

    try {
        if (exposed === undefined && variable(r, 'middleware_request_id')
                                     !== undefined)
        {
            /* the module is loaded, exposure is off */

        } else if (typeof r.requestText === 'string') {
            body = r.requestText;

        } else if (r.requestBuffer !== undefined
                   && r.requestBuffer !== null)
        {
            body = r.requestBuffer;
        }

    } catch (e) {
        body = undefined;        /* e.g. the body is in a temporary file */
    }

    req = Object.create(NextRequest.prototype);
    req._method = normalizeMethod(r.method || 'GET');
    req._headers = headers;
    req._body = body;
    req._ip = r.remoteAddress;
    req._nextUrl = url;
    req._url = url.href;
    req._cookies = new RequestCookies(headers);
    req._bodyUsed = false;

    return req;
}


export default {
    NextRequest: NextRequest,
    fromNginx: fromNginx,
    rawPath: rawPath,
    variable: variable
};
