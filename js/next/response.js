/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * Response (the Fetch standard's, as far as middleware uses it) and
 * Next.js's NextResponse (next/dist/server/web/spec-extension/response):
 * next(), rewrite(), redirect(), json(), cookies.
 *
 * Bodies are kept whole: a string, or bytes (Uint8Array); there are no
 * streams.  text() / json() / arrayBuffer() return Promises as on the
 * Web.
 */

import util from './util.js';
import headersMod from './headers.js';
import urlMod from './url.js';
import cookiesMod from './cookies.js';


var Headers = headersMod.Headers;
var URL = urlMod.URL;
var URLSearchParams = urlMod.URLSearchParams;
var ResponseCookies = cookiesMod.ResponseCookies;

/* sets as functions, not arrays: see util.js (top-level costs) */

function isRedirect(s) {
    return s === 301 || s === 302 || s === 303 || s === 307 || s === 308;
}


function isNullBody(s) {
    return s === 101 || s === 103 || s === 204 || s === 205 || s === 304;
}


/* --- Response ----------------------------------------------------------- */

function Response(body, init) {
    if (!responseReady && this instanceof Response) {
        protoResponse();
        return new Response(body, init);
    }

    if (!(this instanceof Response)) {
        throw new TypeError("Failed to construct 'Response': "
                            + "Please use the 'new' operator");
    }

    responseSetup(this, body, init);
}


Response.json = function (data, init) {
    var body, headers, res;

    body = JSON.stringify(data);

    if (body === undefined) {
        throw new TypeError('Response.json: the data is not JSON '
                            + 'serializable');
    }

    init = init || {};
    headers = new Headers(init.headers);

    if (!headers._has('content-type')) {
        headers._set('content-type', 'content-type', 'application/json');
    }

    res = new Response(body, { status: init.status,
                               statusText: init.statusText,
                               headers: headers });

    return res;
};


Response.redirect = function (url, status) {
    var parsed, res;

    try {
        parsed = new URL(String(url));

    } catch (e) {
        throw new TypeError('Failed to parse URL from ' + String(url));
    }

    status = (status === undefined) ? 302 : status;

    if (!isRedirect(status)) {
        throw new RangeError('Invalid status code ' + status);
    }

    res = new Response(null, { status: status });
    res._headers.set('location', parsed.href);

    return res;
};


Response.error = function () {
    var res = new Response(null, { status: 200 });

    res._status = 0;
    res._type = 'error';

    return res;
};


/* --- NextResponse ------------------------------------------------------- */

function validateURL(url) {
    /*
     * one of our URLs is valid and its href already what parsing it again
     * gives (a parse costs some 30 k instructions on njs 0.7.9)
     */

    if (url instanceof URL) {
        return String(url);
    }

    try {
        return String(new URL(String(url)));

    } catch (e) {
        var err = new Error('URL is malformed "' + String(url) + '". Please '
                            + 'use only absolute URLs - https://nextjs.org/'
                            + 'docs/messages/middleware-relative-urls');
        err.cause = e;
        throw err;
    }
}


/*
 * init.request.headers: Next.js lists every name in
 * x-middleware-override-headers and sends each value as
 * x-middleware-request-<name>.  The response keeps an exact copy of the
 * given Headers (repeated lines included) for the decision, which is
 * encoded from that copy (protocol.js).  The x-middleware-request-* view
 * Next.js shows on response.headers is made only when user code reads
 * response.headers (showOverride()): building it costs a validating set()
 * per request header, and most middleware never looks.
 */

function handleMiddlewareField(init) {
    var req;

    req = init && init.request;

    if (!req || !req.headers) {
        return null;
    }

    if (!(req.headers instanceof Headers)) {
        /* a native Headers (e.g. of an ngx.fetch Response) is copied */

        if (!headersMod.isHeaders(req.headers)) {
            throw new Error('request.headers must be an instance of '
                            + 'Headers');
        }
    }

    /* ours: its entries are never changed in place, a copy shares them */

    if (req.headers instanceof Headers) {
        return headersMod.copyOf(req.headers);
    }

    return new Headers(req.headers);
}


/* the x-middleware-request-* view of res._override, once, on first read */

function showOverride(res) {
    var keys, seen, pairs;

    if (res._view !== true) {
        return;
    }

    res._view = false;

    /* linear in the number of headers: a client chooses that number */

    keys = [];
    seen = {};
    pairs = [];

    res._override.forEach(function (value, key) {
        if (!seen.hasOwnProperty(' ' + key)) {
            seen[' ' + key] = true;
            keys.push(key);
        }

        pairs.push(['x-middleware-request-' + key, value]);
    });

    pairs.push(['x-middleware-override-headers', keys.join(',')]);
    responseHeaders(res)._setMany(pairs);
}


/*
 * a response's Headers.  plainResponse() keeps its entries in _hlist and
 * makes the Headers when something first asks for it: a middleware that
 * returns NextResponse.next() or a redirect and never reads its headers
 * does not make Headers's prototype (~30 k instructions per request on
 * njs 0.7.9, which makes prototypes again in every request's VM); the
 * decision reads the entries (protocol.js)
 */

function responseHeaders(res) {
    if (res._headers === null) {
        res._headers = headersMod.headersOf(res._hlist, undefined);
        res._hlist = null;
    }

    return res._headers;
}


function copyInit(init, headers) {
    var out = {}, k;

    if (init && typeof init === 'object') {
        for (k in init) {
            if (Object.prototype.hasOwnProperty.call(init, k)
                && k !== 'request')
            {
                out[k] = init[k];
            }
        }
    }

    out.headers = headers;
    out._own = true;              /* a new Headers: nothing to copy */

    return out;
}


function NextResponse(body, init) {
    if (!nextResponseReady && this instanceof NextResponse) {
        protoNextResponse();
        return new NextResponse(body, init);
    }

    var override;

    if (!(this instanceof NextResponse)) {
        throw new TypeError("Failed to construct 'NextResponse': "
                            + "Please use the 'new' operator");
    }

    responseSetup(this, body, init);

    override = null;

    if (init && init.request && init.request.headers) {
        override = handleMiddlewareField(init);
    }

    this._override = override;
    this._view = (override !== null);
    /*
     * ResponseCookies parses the set-cookie lines it finds when it is
     * made; without any it is made on first use of res.cookies, seeing
     * none then as well (what it would have parsed now)
     */

    this._cookies = this._headers._has('set-cookie')
                    ? new ResponseCookies(this._headers) : null;
    this._nextUrl = (init && init.url) ? new urlMod.NextURL(init.url)
                                       : undefined;
}


NextResponse.json = function (body, init) {
    var res = Response.json(body, init), out;

    out = new NextResponse(res._body, { status: res._status,
                                        statusText: res._statusText,
                                        headers: res._headers });
    return out;
};


NextResponse.redirect = function (url, init) {
    var status, initObj, headers, location, res;

    status = (typeof init === 'number') ? init
             : ((init && init.status !== undefined && init.status !== null)
                ? init.status : 307);

    if (!isRedirect(status)) {
        throw new RangeError('Failed to execute "redirect" on "response": '
                             + 'Invalid status code');
    }

    location = validateURL(url);

    /*
     * a status only: made at once (a serialized URL is ASCII without
     * controls or surrounding spaces: what headers.set() would check)
     */

    if (init === undefined || init === null || typeof init === 'number') {
        return plainResponse(status, [{ name: 'Location', lname: 'location',
                                        value: location }], null);
    }

    initObj = (typeof init === 'object') ? init : {};
    headers = new Headers(initObj.headers);
    headers.set('Location', location);

    res = new NextResponse(null, copyInit(initObj, headers));
    res._status = status;

    return res;
};


NextResponse.rewrite = function (destination, init) {
    var headers, res, override;

    headers = new Headers(init && init.headers);
    headers.set('x-middleware-rewrite', validateURL(destination));
    override = handleMiddlewareField(init);

    res = new NextResponse(null, copyInit(init, headers));
    res._override = override;
    res._view = (override !== null);

    return res;
};


/*
 * NextResponse.next() without init fields of a Response (status,
 * statusText, headers, url): made at once, with the fields the
 * constructor would set, without copying an init
 */

/* Headers entries are never changed once made: one serves every next() */

var nextEntry = null;


function plainNext(override) {
    if (nextEntry === null) {
        nextEntry = { name: 'x-middleware-next', lname: 'x-middleware-next',
                      value: '1' };
    }

    return plainResponse(200, [nextEntry], override);
}


/*
 * a NextResponse with no body, statusText or cookies, of its header
 * entries (checked), as the constructor would make it: one literal (see
 * request.js fromNginx())
 */

function plainResponse(status, list, override) {
    var res;

    protoNextResponse();

    res = {
        __proto__: NextResponse.prototype,   /* the other fields' defaults */
        _status: status,
        _headers: null,                      /* responseHeaders() */
        _hlist: list,
        _override: override,
        _view: (override !== null)
    };

    return res;
}


NextResponse.next = function (init) {
    var headers, res, override;

    if (init === undefined || init === null) {
        return plainNext(null);
    }

    if (typeof init === 'object' && init.headers === undefined
        && init.status === undefined && init.statusText === undefined
        && init.url === undefined)
    {
        return plainNext(handleMiddlewareField(init));
    }

    headers = new Headers(init && init.headers);
    headers._set('x-middleware-next', 'x-middleware-next', '1');
    override = handleMiddlewareField(init);

    res = new NextResponse(null, copyInit(init, headers));
    res._override = override;
    res._view = (override !== null);

    return res;
};


NextResponse.error = function () {
    var res = new NextResponse(null, { status: 200 });

    res._status = 0;
    res._type = 'error';

    return res;
};


/*
 * Response's internal work, as functions of this module rather than
 * methods (on njs 0.7.9 every method is made again for every request)
 */

function responseSetup(self, body, init) {
    var status, type;

    init = init || {};

    if (typeof init !== 'object') {
        throw new TypeError("Failed to construct 'Response': "
                            + "init must be an object");
    }

    status = (init.status === undefined) ? 200 : Number(init.status);

    if (!(status >= 200 && status <= 599) || Math.floor(status) !== status) {
        throw new RangeError("Failed to construct 'Response': The status "
                             + 'provided (' + init.status + ') is outside '
                             + 'the range [200, 599].');
    }

    self._status = status;
    self._statusText = (init.statusText === undefined) ? ''
                       : String(init.statusText);
    /* copyInit()'s own Headers is taken as it is, others copied */
    self._headers = (init._own === true) ? init.headers
                                         : new Headers(init.headers);
    self._bodyUsed = false;
    self._type = 'default';
    self._url = '';

    type = null;

    if (body === undefined || body === null) {
        self._body = null;

    } else if (typeof body === 'string') {
        self._body = body;
        type = 'text/plain;charset=UTF-8';

    } else if (body instanceof URLSearchParams) {
        self._body = body.toString();
        type = 'application/x-www-form-urlencoded;charset=UTF-8';

    } else if (util.isBytes(body)) {
        self._body = util.toUint8Array(body);

    } else if (body instanceof Response) {
        self._body = body._body;

    } else {
        self._body = String(body);
        type = 'text/plain;charset=UTF-8';
    }

    if (self._body !== null && isNullBody(status)) {
        throw new TypeError("Failed to construct 'Response': Response with "
                            + 'null body status cannot have body');
    }

    if (type && !self._headers._has('content-type')) {
        self._headers.append('content-type', type);
    }
}


function responseConsume(self) {
    if (self._bodyUsed) {
        return Promise.reject(new TypeError('Body is unusable: Body has '
                                            + 'already been read'));
    }

    self._bodyUsed = true;

    return Promise.resolve(self._body);
}


/*
 * Response's prototype, made when the first Response is: njs re-runs a
 * module's top level for every request, and most requests never
 * make one
 */

var responseReady = false;


function protoResponse() {
    if (responseReady) {
        return;
    }

    responseReady = true;

    /* the members under the prototype, as URL's (protoURL() in url.js) */
    Object.setPrototypeOf(Response.prototype, {
        get status() { return this._status; },

        /* plainResponse()'s own fields are few: the rest read as absent */

        get statusText() {
            return (this._statusText === undefined) ? '' : this._statusText;
        },

        get ok() {
            return this._status >= 200 && this._status <= 299;
        },

        get headers() { return responseHeaders(this); },

        get redirected() { return false; },

        get type() { return this._type || 'default'; },

        get url() { return this._url || ''; },

        get bodyUsed() { return this._bodyUsed === true; },

        /* no streams: the body as it was given (string, bytes) or null */
        get body() { return this._body; },

        text: function () {
            return responseConsume(this).then(function (b) {
                if (b === null) {
                    return '';
                }

                return (typeof b === 'string') ? b : util.utf8Decode(b);
            });
        },

        json: function () {
            return this.text().then(function (t) { return JSON.parse(t); });
        },

        arrayBuffer: function () {
            return responseConsume(this).then(function (b) {
                var bytes;

                if (b === null) {
                    return new ArrayBuffer(0);
                }

                bytes = (typeof b === 'string') ? util.stringBytes(b) : b;

                return bytes.buffer.slice(bytes.byteOffset,
                                          bytes.byteOffset + bytes.byteLength);
            });
        },

        bytes: function () {
            return this.arrayBuffer().then(function (ab) {
                return new Uint8Array(ab);
            });
        },

        clone: function () {
            var c;

            if (this._bodyUsed) {
                throw new TypeError('Response.clone: Body has already been consumed.');
            }

            c = Object.create(Object.getPrototypeOf(this));
            c._status = this._status;
            c._statusText = this._statusText;
            c._headers = new Headers(responseHeaders(this));
            c._body = this._body;
            c._bodyUsed = false;
            c._type = this._type;
            c._url = this._url;

            if (this._override) {
                c._override = new Headers(this._override);
                c._view = this._view;
            }

            if (c instanceof NextResponse) {
                c._cookies = new ResponseCookies(c._headers);
            }

            return c;
        }
    });
}


/*
 * NextResponse's prototype, made when the first NextResponse is: njs re-runs a
 * module's top level for every request, and most requests never
 * make one
 */

var nextResponseReady = false;


function protoNextResponse() {
    if (nextResponseReady) {
        return;
    }

    nextResponseReady = true;
    protoResponse();

    Object.setPrototypeOf(NextResponse.prototype, {
        __proto__: Response.prototype,

        /*
         * plainResponse()'s body (the constructor writes its own); its
         * other fields are absent (statusText '', type 'default', url '',
         * not used, no cookies yet): on njs this literal is made per
         * request, each field ~500 instructions
         */
        _body: null,

        get headers() {
            showOverride(this);
            return responseHeaders(this);
        },

        get cookies() {
            if (!this._cookies) {
                this._cookies = new ResponseCookies(responseHeaders(this),
                                                    true);
            }

            return this._cookies;
        }
    });
}



export default {
    Response: Response,
    NextResponse: NextResponse
};
