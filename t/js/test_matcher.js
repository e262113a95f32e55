/*
 * config.matcher: path-to-regexp 6 as Next.js compiles it, has/missing,
 * and the report for the C module.
 */

import server from 'next/server.js';
import tap from 'tap.js';

var Headers = server.Headers;
var URLSearchParams = server.URLSearchParams;
var test = tap.test;


/* run the whole serve() path: did the middleware run? */

function runs(matcher, uri, headers) {
    var r = tap.mockRequest({ uri: uri,
                              headers: headers || [['Host', 'example.com']] });
    var s = { ran: false };

    server.serve(function () { s.ran = true; },
                 { matcher: matcher }).handle(r);

    return s.ran;
}


function table(t, matcher, cases) {
    cases.forEach(function (c) {
        t.is(runs(matcher, c[0], c[2]), c[1],
             JSON.stringify(matcher) + ' ' + c[0] + (c[1] ? ' runs'
                                                           : ' skipped'));
    });
}


test('no matcher: everything', function (t) {
    table(t, undefined, [['/', true], ['/_next/static/x.js', true],
                         ['/favicon.ico', true], ['/.env', true]]);
});


test(':path*', function (t) {
    table(t, '/dashboard/:path*', [
        ['/dashboard', true], ['/dashboard/', true], ['/dashboard/a', true],
        ['/dashboard/a/b/c?x=1', true], ['/Dashboard', false],
        ['/dashboardx', false], ['/other', false],
        ['/dashboard.json', true], ['/_next/data/build1/dashboard/a.json',
                                    true]
    ]);
});


test(':param, :param?, :param+', function (t) {
    table(t, '/user/:id', [['/user/1', true], ['/user', false],
                           ['/user/1/2', false]]);
    table(t, '/user/:id?', [['/user', true], ['/user/1', true],
                            ['/user/1/2', false]]);
    table(t, '/docs/:slug+', [['/docs', false], ['/docs/a', true],
                              ['/docs/a/b', true]]);
    table(t, '/post/:id(\\d+)', [['/post/12', true], ['/post/ab', false]]);
    table(t, '/files/:name.pdf', [['/files/a.pdf', true],
                                  ['/files/a.txt', false]]);
});


test('free regex and negative lookahead', function (t) {
    var m = '/((?!api|_next/static|_next/image|favicon.ico).*)';

    table(t, m, [['/', true], ['/about', true], ['/api/x', false],
                 ['/apix', false], ['/_next/static/a.js', false],
                 ['/favicon.ico', false], ['/images/a.png', true]]);
    table(t, '/(.*)', [['/', true], ['/a/b', true]]);
    table(t, '/', [['/', true], ['/index', true], ['/a', false]]);
});


test('arrays and percent-decoded paths', function (t) {
    table(t, ['/about/:path*', '/admin'], [
        ['/about/team', true], ['/admin', true], ['/admin/x', false],
        ['/%61dmin', true], ['/caf%C3%A9', false]
    ]);
    table(t, '/caf\u00e9', [['/caf%C3%A9', true]]);
});


test('has / missing', function (t) {
    var m = [{
        source: '/api/:path*',
        has: [{ type: 'header', key: 'Authorization',
                value: 'Bearer (?<token>.*)' },
              { type: 'query', key: 'v', value: '2' }],
        missing: [{ type: 'cookie', key: 'skip' }]
    }];
    var auth = [['Host', 'h.com'], ['authorization', 'Bearer x']];

    table(t, m, [
        ['/api/a?v=2', true, auth],
        ['/api/a?v=1&v=2', true, auth],
        ['/api/a?v=2&v=1', false, auth],
        ['/api/a?v=2', false, [['Host', 'h.com']]],
        ['/api/a?v=2', false, auth.concat([['Cookie', 'skip=1']])],
        ['/api/a?v=2', true, auth.concat([['Cookie', 'skip=']])]
    ]);

    table(t, [{ source: '/(.*)', has: [{ type: 'host',
                                         value: 'shop\\.example\\.com' }] }],
          [['/', true, [['Host', 'Shop.Example.com:8080']]],
           ['/', false, [['Host', 'example.com']]]]);

    table(t, [{ source: '/(.*)', has: [{ type: 'cookie', key: 'flag',
                                         value: 'on|yes' }] }],
          [['/', true, [['Host', 'h'], ['Cookie', 'flag=onward']]],
           ['/', true, [['Host', 'h'], ['Cookie', 'flag="yes"']]],
           ['/', false, [['Host', 'h'], ['Cookie', 'flag=no']]]]);

    table(t, [{ source: '/(.*)', missing: [
                  { type: 'header', key: 'next-router-prefetch' },
                  { type: 'header', key: 'purpose', value: 'prefetch' }] }],
          [['/', true], ['/', false, [['Host', 'h'],
                                      ['Next-Router-Prefetch', '1']]],
           ['/', false, [['Host', 'h'], ['Purpose', 'prefetch']]]]);
});


test('compile() and the report', function (t) {
    var c = server.compileMatcher([
        '/about/:path*',
        { source: '/api', has: [{ type: 'header', key: 'X-Key',
                                  value: 'a b%' }],
          missing: [{ type: 'host' , value: 'h' }, { type: 'query', key: 'q' }] }
    ]);

    t.is(c.regexes.length, 2, 'regexes');
    t.is(c.conditions[1].has[0].key, 'x-key', 'header key lower case');
    t.is(server.matcherReport(c),
         'MATCH1\n'
         + 'path - ^(?:\\/(_next/data/[^/]{1,}))?\\/about(?:\\/((?:[^\\/#\\?]'
         + '+?)(?:\\/(?:[^\\/#\\?]+?))*))?(\\.json)?[\\/#\\?]?$\n'
         + 'path - ^(?:\\/(_next/data/[^/]{1,}))?\\/api(\\.json)?[\\/#\\?]?$'
         + '\thas header x-key - ^a%20b%25$\tmissing host  - ^h$'
         + '\tmissing query q\n', 'report');
    t.is(server.matcherReport(server.compileMatcher()), 'MATCH1 all\n',
         'no matcher');
    t.is(server.matcherReport(server.compileMatcher([])), 'MATCH1\n',
         'empty array: nothing matches');
});


test('invalid matchers', function (t) {
    [['about', /must start with/],
     ['/a/:', /Missing parameter name/],
     ['/a/((x)', /Unbalanced|Capturing/],
     ['/a/(?x)', /Pattern cannot start/],
     ['/a*', /Unexpected MODIFIER/],
     [{ source: '/a', has: [{ type: 'bogus', key: 'x' }] }, /needs a type/],
     [{ source: '/a', has: [{ type: 'header' }] }, /string key/],
     [{ nosource: 1 }, /must be a string or an object/]
    ].forEach(function (c) {
        t.throws(function () { server.compileMatcher(c[0]); }, c[1],
                 'invalid ' + JSON.stringify(c[0]));
    });
});


tap.run();
