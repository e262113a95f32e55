/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * The decision protocol, runtime side (docs/PROTOCOL.md, version 1):
 *
 *     "MW1 " status LF *( name ":" value LF ) LF body
 *
 * names lower case; in names and values % CR LF NUL are escaped as
 * %25 %0D %0A %00, in names also ":" as %3A.  Header values are
 * ByteStrings (one char per byte), the body is bytes: a string body is
 * sent as UTF-8.
 */

import util from './util.js';
import headersMod from './headers.js';


var Headers = headersMod.Headers;

/* nothing to escape (see util.js on "$" and the cost of regexps) */

var PLAIN_VALUE = /^[^%\r\n\0]*(?![\s\S])/;
var PLAIN_NAME = /^[^%\r\n\0:]*(?![\s\S])/;

/* the same for all names (values) joined with LF: one test for a head */

var PLAIN_NAMES = /^[^%\r\0:]*(?![\s\S])/;
var PLAIN_VALUES = /^[^%\r\0]*(?![\s\S])/;


function escapeValue(s) {
    s = String(s);

    if (PLAIN_VALUE.test(s)) {
        return s;
    }

    return s.replace(/[%\r\n\0]/g, function (c) {
        return c === '%' ? '%25' : c === '\r' ? '%0D'
               : c === '\n' ? '%0A' : '%00';
    });
}


function escapeName(s) {
    s = String(s).toLowerCase();

    if (PLAIN_NAME.test(s)) {
        return s;
    }

    return escapeValue(s).replace(/:/g, '%3A');
}


/*
 * fields of a decision from a Response (ours or a foreign one with
 * headers.forEach): [[name, value]] in this order: x-middleware-next /
 * x-middleware-rewrite, the request-header override, the response's own
 * headers (set-cookie included) in the order they were set
 */

/* sets as functions, not arrays: see util.js (top-level costs) */

function isHop(n) {
    switch (n) {
    case 'connection':
    case 'keep-alive':
    case 'proxy-connection':
    case 'te':
    case 'trailer':
    case 'transfer-encoding':
    case 'upgrade':
        return true;
    }

    return false;
}


function isOwn(n) {
    switch (n) {
    case 'x-middleware-override-headers':
    case 'x-middleware-override-changed':
    case 'x-middleware-error':
    case 'x-middleware-pass-through':
    case 'x-middleware-set-cookie':
    case 'content-length':
        return true;
    }

    return false;
}


/*
 * the header entries of one of our Responses, not through its getter
 * (which would make the request view): a plain one's (response.js) when
 * its Headers is not made
 */

function ownEntries(res) {
    return (res._headers !== null) ? headersMod.entriesOf(res._headers)
                                   : res._hlist;
}


function responseFields(res, base) {
    var lines, first, rest, fields, i, n, override;

    if (res._headers === null || res._headers instanceof Headers) {
        lines = ownEntries(res).map(function (e) {
            return [e.name, e.value];
        });

    } else if (res.headers instanceof Headers) {
        lines = res.headers._lines();

    } else {
        /*
         * a native Response (ngx.fetch's): its body is sent whole, so the
         * framing of the hop it came over is dropped
         */

        lines = headersMod.foreignLines(res.headers).filter(function (l) {
            return !isHop(String(l[0]).toLowerCase());
        });
    }

    override = res._override || null;
    first = [];
    rest = [];

    for (i = 0; i < lines.length; i++) {
        n = String(lines[i][0]).toLowerCase();

        if (n === 'x-middleware-next' || n === 'x-middleware-rewrite') {
            first.push([n, lines[i][1]]);
            continue;
        }

        if (override !== null
            && (isOwn(n)
                || n.indexOf('x-middleware-request-') === 0))
        {
            continue;
        }

        if (n === 'x-middleware-error' || n === 'x-middleware-pass-through'
            || n === 'content-length')
        {
            continue;
        }

        rest.push([n, lines[i][1]]);
    }

    fields = first;

    if (override !== null) {
        fields = fields.concat(changedFields(override, base)
                               || overrideFields(override));
    }

    return fields.concat(rest);
}


/*
 * Only what the middleware changed, when the override h is a copy of the
 * request's headers (h._src is src, the lines nginx has for R, whose
 * entries are src.list once made, see headers.js headersFrom()): the
 * names whose lines differ in x-middleware-override-changed, the new
 * lines of those names as x-middleware-request-* fields; the module
 * removes every line of a listed name and appends the fields, keeping
 * the other lines as they are (docs/PROTOCOL.md).  That gives exactly
 * the lines of h when they are base's lines of the unlisted names, in
 * base's order, followed by the lines of the listed names, which is
 * checked here; otherwise (and without base) null: the complete set is
 * sent.  Base and h share their unchanged entries (Headers copies do),
 * so a line is the client's own when it is the same object.
 */

function changedFields(h, src) {
    var list, i, j, n, m, e, changed, names, fields, base;

    if (!src || h._src !== src) {
        return null;
    }

    /*
     * entries not made from the lines: the lines are all there, the tail
     * (of names they do not have) is what changed
     */

    if (h._list === null) {
        return tailFields(h._tail);
    }

    base = src.list;
    list = h._list;
    n = base.length;
    m = list.length;
    changed = {};
    names = [];
    i = 0;

    /* the lines of h that are base's, in order; base's others changed */

    for (j = 0; j < m; j++) {
        e = list[j];

        while (i < n && base[i] !== e) {
            if (changed[' ' + base[i].lname] !== true) {
                changed[' ' + base[i].lname] = true;
                names.push(base[i].lname);
            }

            i++;
        }

        if (i === n) {
            break;
        }

        i++;
    }

    for ( /* void */ ; i < n; i++) {
        if (changed[' ' + base[i].lname] !== true) {
            changed[' ' + base[i].lname] = true;
            names.push(base[i].lname);
        }
    }

    /* from the first line that is not base's on, every name changed */

    fields = [];

    for (i = j; i < m; i++) {
        if (changed[' ' + list[i].lname] !== true) {
            changed[' ' + list[i].lname] = true;
            names.push(list[i].lname);
        }

        fields.push(['x-middleware-request-' + list[i].lname, list[i].value]);
    }

    if (names.length === 0) {
        return fields;
    }

    /*
     * the kept lines must not be of a changed name: compared with the
     * name when there is one (the usual case), cheaper than a lookup
     */

    if (names.length === 1) {
        e = names[0];

        for (i = 0; i < j; i++) {
            if (list[i].lname === e) {
                return null;
            }
        }

    } else {
        for (i = 0; i < j; i++) {
            if (changed[' ' + list[i].lname] === true) {
                return null;
            }
        }
    }

    fields.unshift(['x-middleware-override-changed', names.join(',')]);

    return fields;
}


/*
 * changedFields() of lines the client sent and the tail's after them, of
 * names none of those lines has
 */

function tailFields(tail) {
    var i, seen, names, fields, e;

    if (tail.length === 0) {
        return [];
    }

    /*
     * one header set (the usual x-user-id): no set of names, no join; and
     * no unshift below (on QuickJS an array method costs ~2.5 k)
     */

    if (tail.length === 1) {
        e = tail[0];

        return [['x-middleware-override-changed', e.lname],
                ['x-middleware-request-' + e.lname, e.value]];
    }

    seen = {};
    names = [];
    fields = [null];

    for (i = 0; i < tail.length; i++) {
        if (seen[' ' + tail[i].lname] !== true) {
            seen[' ' + tail[i].lname] = true;
            names.push(tail[i].lname);
        }

        fields.push(['x-middleware-request-' + tail[i].lname, tail[i].value]);
    }

    fields[0] = ['x-middleware-override-changed', names.join(',')];

    return fields;
}


/* x-middleware-override-headers + one x-middleware-request-* per value */

function overrideFields(h) {
    var names = h._names(), fields, lines, i;

    fields = [['x-middleware-override-headers', names.join(',')]];
    lines = headersMod.entriesOf(h);

    for (i = 0; i < lines.length; i++) {
        fields.push(['x-middleware-request-' + lines[i].lname,
                     lines[i].value]);
    }

    return fields;
}


/*
 * "MW1 <status>" and the fields.  A regexp test costs as much as a few
 * dozen string operations on njs 0.7.9, so when no name or value needs
 * escaping (the usual case) that is found with two tests over all of
 * them joined with LF (the line counts show that no value holds an LF),
 * not two per field.
 */

function encodeHead(status, fields) {
    var i, n, names, values, ln, lv, head;

    /* one join: repeated += copies the head once per field */

    n = fields.length;
    head = ['MW1 ' + status + '\n'];

    if (n >= 4) {
        names = [];
        values = [];

        for (i = 0; i < n; i++) {
            names.push(String(fields[i][0]));
            values.push(String(fields[i][1]));
        }

        ln = names.join('\n').toLowerCase();
        lv = values.join('\n');

        if (PLAIN_NAMES.test(ln) && PLAIN_VALUES.test(lv)) {
            names = ln.split('\n');

            if (names.length === n && lv.split('\n').length === n) {
                for (i = 0; i < n; i++) {
                    head.push(names[i] + ':' + values[i] + '\n');
                }

                head.push('\n');
                return head.join('');
            }
        }
    }

    /* below 4 fields the joins and splits cost more than they save */

    for (i = 0; i < n; i++) {
        head.push(escapeName(fields[i][0]) + ':' + escapeValue(fields[i][1])
                  + '\n');
    }

    head.push('\n');
    return head.join('');
}


/*
 * The payload of one of our Responses (a Response or NextResponse of
 * this runtime): its Headers hold valid names (tokens, kept in lower
 * case too) and values without CR, LF or NUL, so the head is written at
 * once; an ASCII head (a string payload) has its "%" escaped, if it
 * holds any; only a head with other bytes (or a body of bytes) goes
 * through encode().  The fields are those of responseFields(), read
 * from the entries (their lower-case names) without copying the lines.
 */

function encodeOurs(res, base) {
    var list, i, e, n, override, first, rest, fields, head, body;

    list = ownEntries(res);
    override = res._override || null;

    /* NextResponse.next() as it was made: the constant */

    if (override === null && list.length === 1 && res._status === 200
        && res._body === null && list[0].lname === 'x-middleware-next'
        && list[0].value === '1')
    {
        return NEXT;
    }
    first = [];
    rest = [];

    for (i = 0; i < list.length; i++) {
        e = list[i];
        n = e.lname;

        if (n === 'x-middleware-next' || n === 'x-middleware-rewrite') {
            first.push(n + ':' + e.value + '\n');
            continue;
        }

        if (override !== null
            && (isOwn(n)
                || n.indexOf('x-middleware-request-') === 0))
        {
            continue;
        }

        if (n === 'x-middleware-error' || n === 'x-middleware-pass-through'
            || n === 'content-length')
        {
            continue;
        }

        rest.push(n + ':' + e.value + '\n');
    }

    if (override !== null) {
        fields = changedFields(override, base) || overrideFields(override);

        for (i = 0; i < fields.length; i++) {
            first.push(fields[i][0] + ':' + fields[i][1] + '\n');
        }
    }

    head = 'MW1 ' + res._status + '\n' + first.join('') + rest.join('')
           + '\n';
    body = res._body;

    if (body !== null && body !== undefined && typeof body !== 'string') {
        return encode(res._status, responseFields(res, base), body);
    }

    if (!util.isAscii(head)) {
        return encode(res._status, responseFields(res, base), body);
    }

    /*
     * "%" is the only escape an ASCII name or value of ours needs; split
     * and join cost a third of replace(/%/g) on both engines
     */

    if (head.indexOf('%') !== -1) {
        head = head.split('%').join('%25');
    }

    return (typeof body === 'string') ? head + body : head;
}


/*
 * the payload: a string when it is all text (header part ASCII, string
 * body), else a Uint8Array with exact bytes
 */

function encode(status, fields, body) {
    var head, i, bytes, hb, out;

    head = encodeHead(status, fields);

    if (body === null || body === undefined) {
        body = '';
    }

    if (typeof body === 'string' && util.isAscii(head)) {
        return head + body;
    }

    bytes = (typeof body === 'string') ? util.stringBytes(body)
                                       : util.toUint8Array(body);
    hb = util.binaryToBytes(head);

    out = new Uint8Array(hb.length + bytes.length);
    out.set(hb, 0);
    out.set(bytes, hb.length);

    return out;
}


/* encode(200, [['x-middleware-next', '1']], '') */

var NEXT = 'MW1 200\nx-middleware-next:1\n\n';


function next() {
    return NEXT;
}


/*
 * a message may quote the very bytes a header check refused: CR, LF, NUL
 * and the other controls are written as \r \n \0 \xHH (and \ as \\),
 * so that the message is one valid field and one log line
 */

var CONTROL = /[\\\x00-\x08\x0a-\x1f\x7f]/g;


function escapeMessage(s) {
    return s.replace(CONTROL, function (c) {
        var n = c.charCodeAt(0);

        return c === '\\' ? '\\\\' : c === '\r' ? '\\r' : c === '\n' ? '\\n'
               : n === 0 ? '\\0'
               : '\\x' + (n < 16 ? '0' : '') + n.toString(16);
    });
}


function error(message, passThrough) {
    var fields;

    /* a message is Unicode text: send its UTF-8 bytes */

    message = util.bytesToBinary(util.utf8Encode(
                  escapeMessage(String(message))));
    fields = [['x-middleware-error', message]];

    if (passThrough) {
        fields.push(['x-middleware-pass-through', '1']);
    }

    return encode(500, fields, '');
}


export default {
    encode: encode,
    encodeOurs: encodeOurs,
    next: next,
    error: error,
    responseFields: responseFields
};
