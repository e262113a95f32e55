/*
 * examples/clerk-style/clerk.js: verifyToken / decodeJwt, RS256 with the
 * TEST-ONLY keys of clerk_fixtures.js (examples/clerk-style/gen-fixtures.sh)
 * and HS256 signed here with crypto.subtle.
 *
 *     njs -q t/js/test_clerk_jwt.js        (imports are relative: no -p)
 */

import clerk from '../../examples/clerk-style/clerk.js';
import fx from 'clerk_fixtures.js';
import tap from 'tap.js';
import fs from 'fs';

var test = tap.test;
var tok = fx.tokens;
var enc = clerk._internal.base64urlEncode;
var dec = clerk._internal.base64urlDecode;

var EXP = 4102444800 * 1000;        /* exp of the valid tokens, in ms */
var NBF_FUTURE = 4070908800 * 1000;

var SECRET = 'test-only-hs256-secret-0123456789abcdef';


function opts(extra) {
    var o = { jwks: fx.jwks, issuer: fx.issuer,
              authorizedParties: [fx.azp] }, k;

    for (k in extra) {
        o[k] = extra[k];
    }

    return o;
}


function accepts(t, token, options, name, check) {
    return clerk.verifyToken(token, options).then(function (claims) {
        t.ok(true, name);

        if (check) {
            check(claims);
        }

    }, function (e) {
        t.ok(false, name);
        t.diag('rejected: ' + e.reason + ': ' + e.message);
    });
}


function rejects(t, token, options, reason, name) {
    return clerk.verifyToken(token, options).then(function () {
        t.ok(false, name);
        t.diag('accepted, expected ' + reason);

    }, function (e) {
        t.is(e.reason, reason, name);

        if (e.reason !== reason) {
            t.diag(String(e && e.message));
        }
    });
}


/*
 * seq(f1, f2, ...): run promise-returning functions one after the other.
 * Arguments, not an array: on njs 0.7.9 an array literal holding function
 * expressions turns the number constants 0..n-1 into strings, VM-wide.
 */

function seq() {
    return seqList(Array.prototype.slice.call(arguments));
}


function seqList(fns) {
    return fns.reduce(function (p, f) {
        return p.then(f);
    }, Promise.resolve());
}


function unsigned(header, payload, sig) {
    return enc(JSON.stringify(header)) + '.' + enc(JSON.stringify(payload))
           + '.' + (sig || '');
}


function hs256(secret, header, payload) {
    var input = enc(JSON.stringify(header)) + '.'
                + enc(JSON.stringify(payload));
    var key = (typeof secret === 'string') ? new TextEncoder().encode(secret)
                                           : secret;

    return crypto.subtle.importKey('raw', key,
                                   { name: 'HMAC', hash: 'SHA-256' },
                                   false, ['sign'])
    .then(function (k) {
        return crypto.subtle.sign('HMAC', k, new TextEncoder().encode(input));

    }).then(function (mac) {
        return input + '.' + enc(new Uint8Array(mac));
    });
}


function parts(token) {
    return token.split('.');
}


/* payload of the valid token */
var GOOD = JSON.parse(new TextDecoder().decode(dec(parts(tok.valid)[1])));


test('valid RS256 token', function (t) {
    return seq(
        function () {
            return accepts(t, tok.valid, opts(), 'accepted', function (c) {
                t.is(c.sub, 'user_1', 'sub');
                t.is(c.sid, 'sess_1', 'sid');
                t.is(c.azp, fx.azp, 'azp');
                t.is(c.exp, 4102444800, 'exp');
            });
        },
        function () {
            return accepts(t, tok.valid, opts(), 'again (cached key)');
        },
        function () {
            return accepts(t, tok.validKey2, opts(), 'second JWKS key chosen '
                           + 'by kid', function (c) {
                t.is(c.sub, 'user_2', 'sub of the key-2 token');
            });
        },
        function () {
            return accepts(t, tok.minimal, { jwks: fx.jwks },
                           'only sub + exp, no issuer option');
        },
        function () {
            return accepts(t, tok.valid, { jwks: fx.jwks },
                           'no issuer / authorizedParties: not checked');
        }
    );
});


test('key import is cached per kid', function (t) {
    var subtle = crypto.subtle, orig = subtle.importKey, calls = 0;
    var jwks = { keys: [JSON.parse(JSON.stringify(fx.jwks.keys[0]))] };

    jwks.keys[0].kid = 'cache-probe';

    var token = tok.valid.replace(parts(tok.valid)[0],
                                  enc(JSON.stringify({ alg: 'RS256',
                                                       kid: 'cache-probe' })));

    subtle.importKey = function () {
        calls++;
        return orig.apply(subtle, arguments);
    };

    return seq(
        function () { return rejects(t, token, { jwks: jwks },
                                     'bad-signature',
                                     'header changed: signature fails'); },
        function () { return rejects(t, token, { jwks: jwks },
                                     'bad-signature', 'again'); },
        function () {
            subtle.importKey = orig;
            t.is(calls, 1, 'one importKey for two verifications');
        }
    ).then(null, function (e) {
        subtle.importKey = orig;
        throw e;
    });
});


test('exp / nbf / iat and the clock skew', function (t) {
    function at(ms, skew) {
        var o = opts({ now: function () { return ms; } });

        if (skew !== undefined) {
            o.clockSkewInMs = skew;
        }

        return o;
    }

    return seq(
        function () { return rejects(t, tok.expired, opts(), 'expired',
                                     'expired in 2023'); },
        function () { return accepts(t, tok.expired, at(1699999999000),
                                     'valid just before its exp'); },
        function () { return accepts(t, tok.valid, at(EXP + 4999),
                                     'exp + 4999 ms: within the 5 s skew'); },
        function () { return rejects(t, tok.valid, at(EXP + 5000), 'expired',
                                     'exp + 5000 ms: expired'); },
        function () { return accepts(t, tok.valid, at(EXP - 1, 0),
                                     'skew 0: exp - 1 ms accepted'); },
        function () { return rejects(t, tok.valid, at(EXP, 0), 'expired',
                                     'skew 0: at exp expired'); },
        function () { return accepts(t, tok.valid, at(EXP + 59000, 60000),
                                     'clockSkewInMs 60000 honored'); },
        function () { return rejects(t, tok.valid, at(EXP + 5000, -5), 'expired',
                                     'negative skew: default 5 s used'); },
        function () { return rejects(t, tok.nbfFuture, opts(),
                                     'not-yet-valid', 'nbf in 2099'); },
        function () { return accepts(t, tok.nbfFuture, at(NBF_FUTURE - 5000),
                                     'nbf - 5000 ms: within the skew'); },
        function () { return rejects(t, tok.nbfFuture, at(NBF_FUTURE - 5001),
                                     'not-yet-valid',
                                     'nbf - 5001 ms: not yet valid'); },
        function () { return rejects(t, tok.iatFuture, opts(),
                                     'not-yet-valid', 'iat in 2099'); },
        function () { return accepts(t, tok.iatFuture, at(NBF_FUTURE),
                                     'iat reached: accepted'); },
        function () { return rejects(t, tok.noExp, opts(), 'malformed',
                                     'exp is required'); },
        function () { return rejects(t, tok.expString, opts(), 'malformed',
                                     'exp as a string: malformed'); },
        function () { return rejects(t, tok.nbfString, opts(), 'malformed',
                                     'nbf as a string: malformed'); }
    );
});


test('issuer', function (t) {
    return seq(
        function () { return rejects(t, tok.wrongIss, opts(), 'bad-issuer',
                                     'other issuer'); },
        function () { return rejects(t, tok.noIss, opts(), 'bad-issuer',
                                     'no iss claim, issuer required'); },
        function () { return accepts(t, tok.wrongIss,
                                     opts({ issuer: [fx.issuer,
                                                     'https://evil.example'] }),
                                     'issuer array'); },
        function () { return rejects(t, tok.wrongIss,
                                     opts({ issuer: [fx.issuer] }),
                                     'bad-issuer', 'issuer array without it'); },
        function () { return accepts(t, tok.valid,
                                     opts({ issuer: function (iss) {
                                         return /^https:\/\/clerk\./.test(iss);
                                     } }), 'issuer function: true'); },
        function () { return rejects(t, tok.wrongIss,
                                     opts({ issuer: function (iss) {
                                         return /^https:\/\/clerk\./.test(iss);
                                     } }), 'bad-issuer',
                                     'issuer function: false'); }
    );
});


test('authorized parties (azp)', function (t) {
    return seq(
        function () { return rejects(t, tok.wrongAzp, opts(), 'bad-azp',
                                     'azp not in the list'); },
        function () { return accepts(t, tok.wrongAzp,
                                     opts({ authorizedParties: [] }),
                                     'empty list: azp not checked'); },
        function () { return accepts(t, tok.wrongAzp,
                                     opts({ authorizedParties: undefined }),
                                     'no list: azp not checked'); },
        function () { return accepts(t, tok.noAzp, opts(),
                                     'no azp claim: accepted'); },
        function () { return accepts(t, tok.valid,
                                     opts({ authorizedParties: ['https://x',
                                                                fx.azp] }),
                                     'azp in a longer list'); }
    );
});


test('key selection (kid)', function (t) {
    var k1 = fx.jwks.keys[0];

    function jwksWith(changes) {
        var k = JSON.parse(JSON.stringify(k1)), n;

        for (n in changes) {
            if (changes[n] === undefined) {
                delete k[n];

            } else {
                k[n] = changes[n];
            }
        }

        return { keys: [k] };
    }

    return seq(
        function () { return rejects(t, tok.unknownKid, opts(), 'unknown-kid',
                                     'kid not in the JWKS'); },
        function () { return rejects(t, tok.noKid, opts(), 'unknown-kid',
                                     'no kid in the header'); },
        function () { return rejects(t, tok.valid,
                                     { jwks: jwksWith({ use: 'enc' }) },
                                     'unknown-kid', 'use "enc" key skipped'); },
        function () { return rejects(t, tok.valid,
                                     { jwks: jwksWith({ alg: 'RS512' }) },
                                     'unknown-kid', 'alg RS512 key skipped'); },
        function () { return rejects(t, tok.valid,
                                     { jwks: jwksWith({ kty: 'EC' }) },
                                     'unknown-kid', 'kty EC skipped'); },
        function () { return rejects(t, tok.valid,
                                     { jwks: jwksWith({ key_ops: ['sign'] }) },
                                     'unknown-kid', 'key_ops without verify'); },
        function () { return accepts(t, tok.valid,
                                     { jwks: jwksWith({ use: undefined,
                                                        alg: undefined,
                                                        key_ops: ['verify'] }) },
                                     'no use / alg, key_ops verify: used'); },
        function () { return rejects(t, tok.valid,
                                     { jwks: jwksWith({ n: k1.n + '=' }) },
                                     'unknown-kid', 'n not base64url'); },
        function () { return rejects(t, tok.valid,
                                     { jwks: jwksWith({ e: 'AAE' }) },
                                     'unknown-kid', 'exponent 1 refused'); },
        function () { return rejects(t, tok.smallKey, opts(), 'unknown-kid',
                                     'RSA 1024-bit key refused'); },
        function () { return rejects(t, tok.valid, { jwks: { keys: 'x' } },
                                     'unknown-kid', 'keys not an array'); },
        function () { return accepts(t, tok.valid,
                                     { jwks: function () { return fx.jwks; } },
                                     'jwks as a function'); },
        function () { return accepts(t, tok.valid,
                                     { jwks: JSON.stringify(fx.jwks) },
                                     'jwks as JSON text'); },
        function () { return rejects(t, tok.valid, { jwks: '{' },
                                     'unknown-kid', 'jwks: bad JSON text'); }
    );
});


test('signatures', function (t) {
    var p = parts(tok.valid), sig = dec(p[2]), flipped, last;

    flipped = new Uint8Array(sig);
    flipped[100] ^= 0x01;
    last = new Uint8Array(sig);
    last[last.length - 1] ^= 0x80;

    return seq(
        function () { return rejects(t, tok.wrongKey, opts(), 'bad-signature',
                                     'signed by another key, same kid'); },
        function () { return rejects(t, tok.tamperedPayload, opts(),
                                     'bad-signature', 'tampered payload'); },
        function () { return rejects(t, p[0] + '.' + p[1] + '.' + enc(flipped),
                                     opts(), 'bad-signature',
                                     'one bit of the signature flipped'); },
        function () { return rejects(t, p[0] + '.' + p[1] + '.' + enc(last),
                                     opts(), 'bad-signature',
                                     'last signature byte changed'); },
        function () { return rejects(t, p[0] + '.' + p[1] + '.'
                                        + enc(sig.subarray(0, 255)),
                                     opts(), 'bad-signature',
                                     'signature one byte short'); },
        function () { return rejects(t, p[0] + '.' + p[1] + '.', opts(),
                                     'bad-signature', 'empty signature'); },
        function () { return rejects(t, tok.validKey2.split('.')[0] + '.'
                                        + p[1] + '.' + p[2],
                                     opts(), 'bad-signature',
                                     'header swapped for another kid'); }
    );
});


test('algorithms: none and others refused', function (t) {
    var h = { typ: 'JWT', kid: 'test-key-1' };

    function withAlg(alg, sig) {
        var hh = JSON.parse(JSON.stringify(h));

        if (alg !== undefined) {
            hh.alg = alg;
        }

        return unsigned(hh, GOOD, sig);
    }

    return seq(
        function () { return rejects(t, withAlg('none'), opts(),
                                     'alg-not-allowed', 'alg none'); },
        function () { return rejects(t, withAlg('none', parts(tok.valid)[2]),
                                     opts(), 'alg-not-allowed',
                                     'alg none with a signature'); },
        function () { return rejects(t, withAlg('None'), opts(),
                                     'alg-not-allowed', 'alg None'); },
        function () { return rejects(t, withAlg('NONE'),
                                     opts({ secret: SECRET }),
                                     'alg-not-allowed',
                                     'alg NONE, secret configured'); },
        function () { return rejects(t, withAlg('rs256', parts(tok.valid)[2]),
                                     opts(), 'alg-not-allowed',
                                     'alg rs256 (case matters)'); },
        function () { return rejects(t, withAlg('RS512', parts(tok.valid)[2]),
                                     opts(), 'alg-not-allowed', 'alg RS512'); },
        function () { return rejects(t, withAlg('PS256', parts(tok.valid)[2]),
                                     opts(), 'alg-not-allowed', 'alg PS256'); },
        function () { return rejects(t, withAlg('ES256', 'AAAA'), opts(),
                                     'alg-not-allowed', 'alg ES256'); },
        function () { return rejects(t, withAlg('HS512', 'AAAA'),
                                     opts({ secret: SECRET }),
                                     'alg-not-allowed', 'alg HS512'); },
        function () { return rejects(t, withAlg(undefined, 'AAAA'), opts(),
                                     'alg-not-allowed', 'no alg'); },
        function () { return rejects(t, withAlg(['RS256'], 'AAAA'), opts(),
                                     'alg-not-allowed', 'alg not a string'); },
        function () { return rejects(t, withAlg('constructor', 'AAAA'),
                                     opts(), 'alg-not-allowed',
                                     'alg "constructor"'); }
    );
});


test('HS256 and algorithm confusion', function (t) {
    var s = {};
    var hdr = { alg: 'HS256', typ: 'JWT' };
    var hdrKid = { alg: 'HS256', typ: 'JWT', kid: 'test-key-1' };

    return Promise.all([
        hs256(SECRET, hdr, GOOD),
        hs256('another secret', hdr, GOOD),
        hs256(fx.publicPem, hdrKid, GOOD),
        hs256(fx.jwks.keys[0].n, hdrKid, GOOD),
        hs256(dec(fx.jwks.keys[0].n), hdrKid, GOOD),
        hs256(new Uint8Array([1, 2, 3, 250]), hdr, GOOD)
    ]).then(function (a) {
        s.good = a[0];
        s.wrong = a[1];
        s.pem = a[2];
        s.nstr = a[3];
        s.nbytes = a[4];
        s.binary = a[5];

        return seq(
            function () { return accepts(t, s.good, opts({ secret: SECRET }),
                                         'HS256 with the secret'); },
            function () { return accepts(t, s.good, { secret: SECRET },
                                         'HS256, secret only'); },
            function () { return accepts(t, s.good,
                                         { secret: function () {
                                             return SECRET; } },
                                         'secret as a function'); },
            function () { return accepts(t, s.binary,
                                         { secret: new Uint8Array([1, 2, 3,
                                                                   250]) },
                                         'secret as bytes'); },
            function () { return rejects(t, s.wrong, opts({ secret: SECRET }),
                                         'bad-signature',
                                         'HS256 with another secret'); },
            function () { return rejects(t, s.good, opts(), 'alg-not-allowed',
                                         'HS256 without a secret configured'); },
            function () { return rejects(t, s.pem, opts(), 'alg-not-allowed',
                                         'confusion: HMAC keyed with the PEM '
                                         + 'public key, JWKS only'); },
            function () { return rejects(t, s.nstr, opts(), 'alg-not-allowed',
                                         'confusion: HMAC keyed with n, '
                                         + 'JWKS only'); },
            function () { return rejects(t, s.nbytes, opts(),
                                         'alg-not-allowed',
                                         'confusion: HMAC keyed with the '
                                         + 'modulus bytes, JWKS only'); },
            function () { return rejects(t, s.pem, opts({ secret: SECRET }),
                                         'bad-signature',
                                         'confusion: PEM-keyed HMAC, '
                                         + 'JWKS + secret'); },
            function () { return rejects(t, s.nstr, opts({ secret: SECRET }),
                                         'bad-signature',
                                         'confusion: n-keyed HMAC, '
                                         + 'JWKS + secret'); },
            function () { return rejects(t, tok.valid, { secret: SECRET },
                                         'alg-not-allowed',
                                         'RS256 token, secret only'); },
            function () {
                /* RS256 signature under a header that says HS256 */
                var p = parts(tok.valid);
                var h = enc(JSON.stringify({ alg: 'HS256',
                                             kid: 'test-key-1' }));

                return rejects(t, h + '.' + p[1] + '.' + p[2],
                               opts({ secret: SECRET }), 'bad-signature',
                               'RSA signature relabelled HS256');
            },
            function () {
                var p = parts(s.good);

                return rejects(t, p[0] + '.' + p[1] + '.'
                                  + enc(dec(p[2]).subarray(0, 31)),
                               { secret: SECRET }, 'bad-signature',
                               'HMAC one byte short');
            },
            function () {
                var p = parts(s.good), mac = new Uint8Array(dec(p[2]));

                mac[31] ^= 1;

                return rejects(t, p[0] + '.' + p[1] + '.' + enc(mac),
                               { secret: SECRET }, 'bad-signature',
                               'HMAC last bit flipped');
            },
            function () {
                return hs256(SECRET, hdr, { sub: 'u', exp: 1700000000 })
                       .then(function (x) {
                    return rejects(t, x, { secret: SECRET }, 'expired',
                                   'HS256 claims checked too');
                });
            },
            function () {
                return hs256(SECRET, hdr, { exp: 4102444800, azp: 'https://e' })
                       .then(function (x) {
                    return rejects(t, x, { secret: SECRET,
                                           authorizedParties: [fx.azp] },
                                   'bad-azp', 'HS256 azp checked');
                });
            }
        );
    });
});


test('malformed tokens', function (t) {
    var p = parts(tok.valid);
    var h = p[0], pl = p[1], sg = p[2];
    var cases = [
        [undefined, 'undefined'],
        [null, 'null'],
        [42, 'a number'],
        ['', 'empty string'],
        ['abc', 'one part'],
        [h + '.' + pl, 'two parts'],
        [h + '.' + pl + '.' + sg + '.x', 'four parts'],
        ['.' + pl + '.' + sg, 'empty header'],
        [h + '..' + sg, 'empty payload'],
        [h + '=.' + pl + '.' + sg, 'padding in the header'],
        [h + '.' + pl + '.' + sg + '=', 'padding in the signature'],
        [h + '.' + pl + '.' + sg.replace(/-/g, '+').replace(/_/g, '/')
            + (/[-_]/.test(sg) ? '' : '+'), 'standard base64 alphabet'],
        [h + '.' + pl + ' .' + sg, 'space in the payload'],
        [h + '.' + pl + '.' + sg + 'AAA', 'signature length % 4 == 1'],
        [h + '.' + pl + '.' + sg.slice(0, -1) + 'R',
            'non-canonical last signature char'],
        [enc('not json') + '.' + pl + '.' + sg, 'header not JSON'],
        [enc('[1]') + '.' + pl + '.' + sg, 'header an array'],
        [enc('null') + '.' + pl + '.' + sg, 'header null'],
        [h + '.' + enc(new Uint8Array([0x7b, 0xff, 0x7d])) + '.' + sg,
            'payload not UTF-8'],
        [h + '.' + pl + '.' + sg + new Array(17000).join('A'), 'too long'],
        [h + '.' + pl + '.\u00e9' + sg, 'non-ASCII in the signature']
    ];

    return seqList(cases.map(function (c) {
        return function () {
            return rejects(t, c[0], opts(), 'malformed', 'malformed: ' + c[1]);
        };
    })).then(function () {
        return seq(
            function () { return rejects(t, tok.payloadArray, opts(),
                                         'malformed',
                                         'signed payload that is an array'); },
            function () { return rejects(t, tok.payloadNotJson, opts(),
                                         'malformed',
                                         'signed payload not JSON'); },
            function () { return rejects(t, tok.crit, opts(), 'malformed',
                                         '"crit" header refused'); }
        );
    });
});


test('error objects', function (t) {
    return clerk.verifyToken(tok.expired, opts()).then(function () {
        t.ok(false, 'rejected');

    }, function (e) {
        t.ok(e instanceof Error, 'an Error');
        t.is(e.name, 'TokenVerificationError', 'name');
        t.is(e.reason, 'expired', 'reason');
        t.like(e.message, /expired at 2023-11-14T22:13:20/, 'message says when');
        t.ok(clerk.REASONS.indexOf(e.reason) >= 0, 'reason in REASONS');
        t.is(clerk.REASONS.join(','), 'malformed,alg-not-allowed,unknown-kid,'
             + 'bad-signature,expired,not-yet-valid,bad-issuer,bad-azp',
             'REASONS');
    }).then(function () {
        var r = clerk.verifyToken('x', opts());

        t.ok(r && typeof r.then === 'function',
             'a malformed token still gives a promise (no throw)');

        return r.then(null, function () {});
    });
});


test('decodeJwt', function (t) {
    var d = clerk.decodeJwt(tok.valid);

    t.deepIs(d.header, { alg: 'RS256', typ: 'JWT', kid: 'test-key-1' },
             'header');
    t.is(d.payload.sub, 'user_1', 'payload');
    t.is(d.signature.length, 256, 'signature bytes');
    t.is(d.signingInput, parts(tok.valid)[0] + '.' + parts(tok.valid)[1],
         'signing input');
    t.throws(function () { clerk.decodeJwt('a.b'); }, function (e) {
        return e.reason === 'malformed';
    }, 'throws malformed');
});


test('base64url, SPKI, comparison helpers', function (t) {
    var i, all = new Uint8Array(256), spki, hex = '';

    for (i = 0; i < 256; i++) {
        all[i] = i;
    }

    t.is(enc(all.subarray(0, 0)), '', 'encode empty');
    t.is(enc(new Uint8Array([0xfb, 0xff])), '-_8', 'encode url alphabet');
    t.is(enc('\u00e9'), 'w6k', 'encode string as UTF-8');
    t.is(tap.binary(dec(enc(all))), tap.binary(all), 'round trip 0..255');

    for (i = 0; i < 4; i++) {
        t.is(dec(enc(all.subarray(0, i))).length, i, 'round trip ' + i
             + ' bytes');
    }

    t.is(dec('-_8').length, 2, 'decode url alphabet');
    t.is(dec('-_9'), null, 'unused bits set: refused');
    t.is(dec('AB=='), null, 'padding refused');
    t.is(dec('A'), null, 'length % 4 == 1 refused');
    t.is(dec('A+'), null, '+ refused');
    t.is(dec('A/'), null, '/ refused');
    t.is(dec('AA\n'), null, 'newline refused');
    t.is(dec(5), null, 'non-string refused');

    spki = clerk._internal.jwkToSpki(fx.jwks.keys[0]);

    for (i = 0; i < spki.length; i++) {
        hex += (spki[i] < 16 ? '0' : '') + spki[i].toString(16);
    }

    t.is(hex, fx.spkiHex, 'SPKI DER from the JWK == openssl\'s');
    t.is(spki[32], 0x00, 'leading 0x00 before a modulus with the high bit');

    /* n with explicit leading zero bytes: same DER */
    t.is(tap.binary(clerk._internal.jwkToSpki({
            n: enc(new Uint8Array([0, 0].concat(
                   Array.prototype.slice.call(dec(fx.jwks.keys[0].n))))),
            e: 'AAEAAQ' })), tap.binary(spki),
         'leading zeros of n and e stripped');

    t.throws(function () {
        clerk._internal.jwkToSpki({ n: 'AQAB', e: 'AQAB' });
    }, /bits/, 'tiny modulus refused');

    t.ok(clerk._internal.timingSafeEqual(new Uint8Array([1, 2]),
                                         new Uint8Array([1, 2])), 'equal');
    t.ok(!clerk._internal.timingSafeEqual(new Uint8Array([1, 2]),
                                          new Uint8Array([1, 3])), 'differ');
    t.ok(!clerk._internal.timingSafeEqual(new Uint8Array([1, 2]),
                                          new Uint8Array([1])), 'lengths');
});


test('jwksFromFile: read at first use, cached, fails closed', function (t) {
    var path = '/tmp/mw-test-jwks-' + Math.random().toString(36).slice(2)
               + '.json';
    var missing = clerk.jwksFromFile(path + '.missing');
    var bad = path + '.bad', jwks, one;

    fs.writeFileSync(path, JSON.stringify(fx.jwks));
    fs.writeFileSync(bad, '{"keys": 1}');
    jwks = clerk.jwksFromFile(path);
    one = { keys: [fx.jwks.keys[1]] };

    t.throws(function () { clerk.jwksFromFile(''); }, TypeError,
             'a path is required');

    return accepts(t, tok.valid, opts({ jwks: jwks }), 'key from the file')
        .then(function () {
            /* rotated on disk: this context keeps what it read */
            fs.writeFileSync(path, JSON.stringify(one));
            return accepts(t, tok.valid, opts({ jwks: jwks }),
                           'cached: the file is read once');
        })
        .then(function () {
            return rejects(t, tok.valid, opts({ jwks: missing }),
                           'unknown-kid', 'missing file: rejected');
        })
        .then(function () {
            return clerk.verifyToken(tok.valid, opts({ jwks: missing }))
                .then(null, function (e) {
                    t.like(e.message, /cannot load the JWKS file ".*missing"/,
                           'the message names the file');
                });
        })
        .then(function () {
            return rejects(t, tok.valid, opts({ jwks:
                                                clerk.jwksFromFile(bad) }),
                           'unknown-kid', 'no keys array: rejected');
        })
        .then(function () {
            /* a failure is not cached: the file appears, it is used */
            fs.writeFileSync(path + '.missing', JSON.stringify(fx.jwks));
            return accepts(t, tok.valid, opts({ jwks: missing }),
                           'read again after a failure');
        })
        .then(function () {
            fs.unlinkSync(path);
            fs.unlinkSync(bad);
            fs.unlinkSync(path + '.missing');
        });
});


tap.run();
