/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * Polyfills the bundle tool puts in front of middleware built for the njs
 * engine (--target njs-0.7 / njs-0.8).  Plain ES5: each one is installed
 * only where the engine has none, so the same bundle runs on newer njs.
 *
 * Map, Set, WeakMap, WeakSet (insertion order, SameValueZero, iterators
 * that see entries added or deleted while iterating, as ES says; the weak
 * ones are not weak: a request's VM is short-lived), Array.from,
 * Array.of, Array.prototype.flat / flatMap / at / findLast,
 * Object.fromEntries, Object.hasOwn, String.prototype.replaceAll / at.
 */

(function (g) {
    var ITER = (typeof Symbol === 'function' && Symbol.iterator)
               ? Symbol.iterator : '@@iterator';

    function define(obj, name, value) {
        if (typeof obj[name] === 'undefined') {
            Object.defineProperty(obj, name, { value: value, writable: true,
                                               configurable: true,
                                               enumerable: false });
        }
    }

    function iterate(iterable, fn) {
        var it, step, i;

        if (iterable === undefined || iterable === null) {
            return;
        }

        if (Array.isArray(iterable) || typeof iterable === 'string') {
            for (i = 0; i < iterable.length; i++) {
                fn(iterable[i]);
            }

            return;
        }

        if (typeof iterable[ITER] !== 'function') {
            throw new TypeError('object is not iterable');
        }

        it = iterable[ITER]();

        for (step = it.next(); !step.done; step = it.next()) {
            fn(step.value);
        }
    }

    function primitiveKey(k) {
        var t = typeof k;

        if (k === null) {
            return 'l';
        }

        if (t === 'object' || t === 'function' || t === 'symbol') {
            return null;
        }

        if (t === 'number') {
            /* SameValueZero: NaN is NaN, -0 is 0 */
            return (k !== k) ? 'NaN' : 'n' + (k === 0 ? 0 : k);
        }

        return t.charAt(0) + String(k);
    }

    /* an ordered list of entries with an index for primitive keys */

    function Store() {
        this.list = [];
        this.index = {};
        this.objects = [];
        this.size = 0;
    }

    Store.prototype.find = function (k) {
        var p = primitiveKey(k), i, e;

        if (p !== null) {
            return Object.prototype.hasOwnProperty.call(this.index, p)
                   ? this.index[p] : null;
        }

        for (i = 0; i < this.objects.length; i++) {
            e = this.objects[i];

            if (e.key === k) {
                return e;
            }
        }

        return null;
    };

    Store.prototype.add = function (k, v) {
        var e = this.find(k), p;

        if (e) {
            e.value = v;
            return;
        }

        e = { key: k, value: v, dead: false };
        this.list.push(e);
        p = primitiveKey(k);

        if (p !== null) {
            this.index[p] = e;

        } else {
            this.objects.push(e);
        }

        this.size++;
    };

    Store.prototype.remove = function (k) {
        var e = this.find(k), p, i;

        if (!e) {
            return false;
        }

        e.dead = true;
        p = primitiveKey(k);

        if (p !== null) {
            delete this.index[p];

        } else {
            i = this.objects.indexOf(e);
            this.objects.splice(i, 1);
        }

        this.size--;
        return true;
    };

    Store.prototype.clear = function () {
        var i;

        for (i = 0; i < this.list.length; i++) {
            this.list[i].dead = true;
        }

        this.list = [];
        this.index = {};
        this.objects = [];
        this.size = 0;
    };

    /* live iteration: entries appended meanwhile are visited */

    function StoreIterator(store, kind) {
        this.store = store;
        this.list = store.list;
        this.pos = 0;
        this.kind = kind;
    }

    StoreIterator.prototype.next = function () {
        var e;

        if (this.list !== this.store.list) {
            /* cleared: continue with the new list */
            this.list = this.store.list;
            this.pos = 0;
        }

        while (this.pos < this.list.length) {
            e = this.list[this.pos++];

            if (!e.dead) {
                return { value: this.kind === 'keys' ? e.key
                                : this.kind === 'values' ? e.value
                                : [e.key, e.value],
                         done: false };
            }
        }

        return { value: undefined, done: true };
    };

    StoreIterator.prototype[ITER] = function () { return this; };

    function storeForEach(store, fn, thisArg, self, set) {
        var it = new StoreIterator(store, 'entries'), step;

        for (step = it.next(); !step.done; step = it.next()) {
            fn.call(thisArg, set ? step.value[0] : step.value[1],
                    step.value[0], self);
        }
    }

    function MapPolyfill(iterable) {
        var self = this;

        if (!(this instanceof MapPolyfill)) {
            throw new TypeError("Constructor Map requires 'new'");
        }

        this._s = new Store();

        iterate(iterable, function (e) {
            if (e === null || typeof e !== 'object') {
                throw new TypeError('Iterator value ' + e
                                    + ' is not an entry object');
            }

            self.set(e[0], e[1]);
        });
    }

    MapPolyfill.prototype.get = function (k) {
        var e = this._s.find(k);
        return e ? e.value : undefined;
    };

    MapPolyfill.prototype.set = function (k, v) {
        this._s.add(k, v);
        return this;
    };

    MapPolyfill.prototype.has = function (k) { return !!this._s.find(k); };
    MapPolyfill.prototype['delete'] = function (k) {
        return this._s.remove(k);
    };
    MapPolyfill.prototype.clear = function () { this._s.clear(); };
    MapPolyfill.prototype.keys = function () {
        return new StoreIterator(this._s, 'keys');
    };
    MapPolyfill.prototype.values = function () {
        return new StoreIterator(this._s, 'values');
    };
    MapPolyfill.prototype.entries = function () {
        return new StoreIterator(this._s, 'entries');
    };
    MapPolyfill.prototype.forEach = function (fn, thisArg) {
        storeForEach(this._s, fn, thisArg, this, false);
    };
    MapPolyfill.prototype[ITER] = MapPolyfill.prototype.entries;

    Object.defineProperty(MapPolyfill.prototype, 'size', {
        get: function () { return this._s.size; }, configurable: true
    });

    function SetPolyfill(iterable) {
        var self = this;

        if (!(this instanceof SetPolyfill)) {
            throw new TypeError("Constructor Set requires 'new'");
        }

        this._s = new Store();

        iterate(iterable, function (v) { self.add(v); });
    }

    SetPolyfill.prototype.add = function (v) {
        if (!this._s.find(v)) {
            this._s.add(v, v);
        }

        return this;
    };

    SetPolyfill.prototype.has = MapPolyfill.prototype.has;
    SetPolyfill.prototype['delete'] = MapPolyfill.prototype['delete'];
    SetPolyfill.prototype.clear = MapPolyfill.prototype.clear;
    SetPolyfill.prototype.values = MapPolyfill.prototype.keys;
    SetPolyfill.prototype.keys = MapPolyfill.prototype.keys;
    SetPolyfill.prototype.entries = function () {
        var it = new StoreIterator(this._s, 'entries');
        var next = it.next;

        it.next = function () {
            var s = next.call(it);

            if (!s.done) {
                s.value = [s.value[0], s.value[0]];
            }

            return s;
        };

        return it;
    };
    SetPolyfill.prototype.forEach = function (fn, thisArg) {
        storeForEach(this._s, fn, thisArg, this, true);
    };
    SetPolyfill.prototype[ITER] = SetPolyfill.prototype.values;

    Object.defineProperty(SetPolyfill.prototype, 'size', {
        get: function () { return this._s.size; }, configurable: true
    });

    function checkObject(k) {
        if (k === null || (typeof k !== 'object' && typeof k !== 'function')) {
            throw new TypeError('Invalid value used as weak map key');
        }
    }

    function WeakMapPolyfill(iterable) {
        var self = this;

        this._s = new Store();

        iterate(iterable, function (e) { self.set(e[0], e[1]); });
    }

    WeakMapPolyfill.prototype.get = MapPolyfill.prototype.get;
    WeakMapPolyfill.prototype.has = MapPolyfill.prototype.has;
    WeakMapPolyfill.prototype['delete'] = MapPolyfill.prototype['delete'];
    WeakMapPolyfill.prototype.set = function (k, v) {
        checkObject(k);
        this._s.add(k, v);
        return this;
    };

    function WeakSetPolyfill(iterable) {
        var self = this;

        this._s = new Store();

        iterate(iterable, function (v) { self.add(v); });
    }

    WeakSetPolyfill.prototype.has = SetPolyfill.prototype.has;
    WeakSetPolyfill.prototype['delete'] = SetPolyfill.prototype['delete'];
    WeakSetPolyfill.prototype.add = function (v) {
        checkObject(v);
        return SetPolyfill.prototype.add.call(this, v);
    };

    function install(name, ctor) {
        if (typeof g[name] === 'undefined') {
            ctor.prototype.constructor = ctor;
            g[name] = ctor;
        }
    }

    install('Map', MapPolyfill);
    install('Set', SetPolyfill);
    install('WeakMap', WeakMapPolyfill);
    install('WeakSet', WeakSetPolyfill);

    define(Array, 'from', function (items, mapFn, thisArg) {
        var out = [], i = 0, n;

        if (items === undefined || items === null) {
            throw new TypeError('Array.from requires an array-like object');
        }

        if (typeof items[ITER] === 'function' || typeof items === 'string') {
            iterate(items, function (v) {
                out.push(mapFn ? mapFn.call(thisArg, v, i) : v);
                i++;
            });

            return out;
        }

        n = items.length >>> 0;

        for (i = 0; i < n; i++) {
            out.push(mapFn ? mapFn.call(thisArg, items[i], i) : items[i]);
        }

        return out;
    });

    define(Array, 'of', function () {
        return Array.prototype.slice.call(arguments);
    });

    function flatten(out, a, depth) {
        var i;

        for (i = 0; i < a.length; i++) {
            if (!(i in a)) {
                continue;
            }

            if (depth > 0 && Array.isArray(a[i])) {
                flatten(out, a[i], depth - 1);

            } else {
                out.push(a[i]);
            }
        }

        return out;
    }

    define(Array.prototype, 'flat', function (depth) {
        return flatten([], this, depth === undefined ? 1 : Number(depth));
    });

    define(Array.prototype, 'flatMap', function (fn, thisArg) {
        return flatten([], this.map(fn, thisArg), 1);
    });

    function at(i) {
        var n = this.length;

        i = Math.trunc(Number(i)) || 0;

        if (i < 0) {
            i += n;
        }

        return (i < 0 || i >= n) ? undefined : this[i];
    }

    define(Array.prototype, 'at', at);
    define(String.prototype, 'at', function (i) {
        return at.call(String(this), i);
    });

    define(Array.prototype, 'findLast', function (fn, thisArg) {
        var i;

        for (i = this.length - 1; i >= 0; i--) {
            if (fn.call(thisArg, this[i], i, this)) {
                return this[i];
            }
        }

        return undefined;
    });

    define(Object, 'fromEntries', function (iterable) {
        var o = {};

        iterate(iterable, function (e) { o[e[0]] = e[1]; });

        return o;
    });

    define(Object, 'hasOwn', function (o, k) {
        return Object.prototype.hasOwnProperty.call(o, k);
    });

    define(String.prototype, 'replaceAll', function (search, replacement) {
        var s = String(this), re;

        if (search instanceof RegExp) {
            if (search.flags.indexOf('g') < 0) {
                throw new TypeError('replaceAll must be called with a global '
                                    + 'RegExp');
            }

            return s.replace(search, replacement);
        }

        re = new RegExp(String(search).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
                        'g');

        if (typeof replacement === 'function') {
            return s.replace(re, replacement);
        }

        return s.split(String(search)).join(String(replacement));
    });

})(globalThis);
