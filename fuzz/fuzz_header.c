
/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * libFuzzer target: the header predicates of mw_header.h on any name or
 * value, and mw_header_override() on a request and an override made of
 * the input's lines ("name:value", the first empty line separates them).
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mw_decision.h>
#include <mw_header.h>

#include "fuzz.h"


#define FUZZ_MAX_HEADERS  256


static size_t
fuzz_lines(unsigned char **pp, unsigned char *last, mw_header_t *h)
{
    size_t          n;
    unsigned char  *p, *lf, *colon;

    n = 0;
    p = *pp;

    while (p < last && n < FUZZ_MAX_HEADERS) {
        lf = memchr(p, '\n', last - p);
        if (lf == NULL) {
            lf = last;
        }

        if (lf == p) {
            p++;
            break;
        }

        colon = memchr(p, ':', lf - p);
        if (colon == NULL) {
            colon = lf;
        }

        h[n].name.data = p;
        h[n].name.len = colon - p;
        h[n].value.data = colon < lf ? colon + 1 : lf;
        h[n].value.len = colon < lf ? (size_t) (lf - colon - 1) : 0;
        n++;

        p = lf < last ? lf + 1 : last;
    }

    *pp = p;

    return n;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i, k, protected;
    mw_alloc_t      a;
    mw_header_t     orig[FUZZ_MAX_HEADERS], req[FUZZ_MAX_HEADERS];
    mw_headers_t    in, out;
    mw_decision_t   d;
    unsigned char  *p, *q, *last;

    fuzz_arena_reset();

    a.alloc = fuzz_alloc;
    a.data = NULL;

    p = malloc(size ? size : 1);
    if (p == NULL) {
        return 0;
    }

    memcpy(p, data, size);
    last = p + size;

    /* every predicate on the whole input */

    (void) mw_header_name_valid(p, size);
    (void) mw_header_value_valid(p, size);
    (void) mw_header_name_eq(p, size, "set-cookie");
    (void) mw_header_is_protocol(p, size);
    (void) mw_header_is_internal_request(p, size);
    (void) mw_header_is_protected_request(p, size);
    (void) mw_header_is_skipped_response(p, size);

    q = p;
    memset(&d, 0, sizeof(mw_decision_t));

    in.elts = orig;
    in.nelts = fuzz_lines(&q, last, orig);

    d.override = (q < last);
    d.request.elts = req;
    d.request.nelts = fuzz_lines(&q, last, req);

    if (mw_header_override(&in, &d, &out, &a) == MW_OK) {

        protected = 0;

        for (i = 0; i < in.nelts; i++) {
            protected += mw_header_is_protected_request(orig[i].name.data,
                                                        orig[i].name.len);
        }

        if (d.override) {
            /* protected headers of the client survive, in their order */

            for (i = 0, k = 0; i < out.nelts && k < protected; i++) {
                if (!mw_header_is_protected_request(out.elts[i].name.data,
                                                    out.elts[i].name.len))
                {
                    abort();
                }

                k++;
            }

            for ( /* void */ ; i < out.nelts; i++) {
                if (mw_header_is_protected_request(out.elts[i].name.data,
                                                   out.elts[i].name.len))
                {
                    abort();
                }
            }

        } else if (out.nelts != in.nelts) {
            abort();
        }
    }

    free(p);

    return 0;
}
