#!/usr/bin/env node
/*
 * decode.js FILE...: checks that each file is a valid OTLP/HTTP JSON
 * ExportTraceServiceRequest, with the official OpenTelemetry protocol
 * definitions (the protobufjs module that @opentelemetry/otlp-transformer
 * generates from opentelemetry-proto), and prints the decoded requests as
 * one JSON array.
 *
 * Valid means: the OTLP JSON rules hold (trace and span ids are hex of 16
 * and 8 bytes, not base64), the message converts to protobuf, and
 * encoding it to the binary wire format and decoding it again gives back
 * exactly the input: an unknown or misspelt field, a wrong type or a
 * number that does not fit would be lost on the way and fail the check.
 *
 * Used by t/example_telemetry.t; install with "npm ci" in this directory.
 */

'use strict';

const fs = require('fs');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const Request = root.opentelemetry.proto.collector.trace.v1
    .ExportTraceServiceRequest;

const IDS = { traceId: 16, spanId: 8, parentSpanId: 8 };

function fail(file, msg) {
    process.stderr.write(file + ': ' + msg + '\n');
    process.exit(1);
}

/* hex ids of the JSON mapping <-> protobuf bytes (base64 for protobufjs) */

function ids(v, file, toBytes) {
    if (Array.isArray(v)) {
        return v.map((x) => ids(x, file, toBytes));
    }

    if (v === null || typeof v !== 'object') {
        return v;
    }

    const out = {};

    for (const k of Object.keys(v)) {
        if (k in IDS && typeof v[k] === 'string') {
            if (toBytes) {
                if (!new RegExp('^[0-9a-f]{' + 2 * IDS[k] + '}$').test(v[k])) {
                    fail(file, k + ' is not ' + IDS[k] + ' bytes of hex: '
                         + JSON.stringify(v[k]));
                }
                out[k] = Buffer.from(v[k], 'hex').toString('base64');

            } else {
                out[k] = Buffer.from(v[k], 'base64').toString('hex');
            }

        } else {
            out[k] = ids(v[k], file, toBytes);
        }
    }

    return out;
}

function canonical(v) {
    if (Array.isArray(v)) {
        return v.map(canonical);
    }

    if (v === null || typeof v !== 'object') {
        return v;
    }

    const out = {};

    for (const k of Object.keys(v).sort()) {
        out[k] = canonical(v[k]);
    }

    return out;
}

const decoded = [];

for (const file of process.argv.slice(2)) {
    let json;

    try {
        json = JSON.parse(fs.readFileSync(file, 'utf8'));

    } catch (e) {
        fail(file, 'not JSON: ' + e.message);
    }

    const err = Request.verify(ids(json, file, true));

    /* int64 as decimal strings is the JSON mapping; verify() wants Long */
    if (err && !/integer\|Long expected/.test(err)) {
        fail(file, err);
    }

    const msg = Request.fromObject(ids(json, file, true));
    const wire = Request.encode(msg).finish();
    const back = Request.toObject(Request.decode(wire),
                                  { longs: String, enums: Number,
                                    bytes: String });
    const hex = ids(back, file, false);

    const a = JSON.stringify(canonical(json));
    const b = JSON.stringify(canonical(hex));

    if (a !== b) {
        fail(file, 'does not survive the protobuf round trip:\n  sent    '
             + a + '\n  decoded ' + b);
    }

    decoded.push(hex);
}

process.stdout.write(JSON.stringify(decoded) + '\n');
