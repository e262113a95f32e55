/*
 * The runtime built as one file (MW_JS=build/js): a class's static
 * called before the runtime is made (at a module's top level, say) is a
 * shell that makes it and calls the real one (tools/runtime lazy()).
 * t/js/test_lazy.js covers a constructor first; each test file is its
 * own njs process, so this one starts with the runtime not made.
 */

import server from 'next/server.js';

var count = 0;


function ok(cond, name) {
    count++;
    console.log((cond ? 'ok ' : 'not ok ') + count + ' - ' + name);
}


if (typeof server.__part !== 'function') {
    console.log('1..0 # SKIP not the built runtime');

} else {
    var shell = server.URL.canParse, res;

    ok(typeof URLSearchParams === 'undefined'
       || URLSearchParams !== server.URLSearchParams,
       'before: the runtime\'s globals are not installed');
    ok(server.URL.canParse('http://h/a') === true
       && server.URL.canParse('nope') === false,
       'URL.canParse() first: the real one\'s answers');
    ok(server.URL.canParse !== shell, 'the real static replaced its shell');
    ok(URLSearchParams === server.URLSearchParams,
       'the runtime was made: its globals are installed');

    res = server.NextResponse.json({ a: 1 }, { status: 201 });
    ok(res instanceof server.NextResponse && res.status === 201
       && res.headers.get('content-type') === 'application/json',
       'NextResponse.json() after: a NextResponse');

    console.log('1..' + count);
}
