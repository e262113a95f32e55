
/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * Helpers shared by the Check unit tests (t/unit/test_*.c): a malloc-backed
 * mw_alloc_t that counts its calls, can be told to fail after N of them and
 * frees everything in the fixture's teardown, and exact-size copies of test
 * inputs so that valgrind sees any read past their end.
 *
 * Everything is static inline: a test file that uses only part of it still
 * compiles with -Wall -Wextra -Werror.
 */


#ifndef _MW_TEST_H_INCLUDED_
#define _MW_TEST_H_INCLUDED_


#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <mw_common.h>


typedef struct {
    void      **ptrs;           /* every block handed out, freed at the end */
    size_t      n;
    size_t      cap;
    size_t      calls;          /* calls through mw_alloc_t */
    size_t      bytes;          /* bytes handed out through mw_alloc_t */
    long        fail_after;     /* calls that succeed; -1: all of them */
} t_heap_t;


static t_heap_t    t_heap;
static mw_alloc_t  t_alloc;


static inline void *
t_track(void *p)
{
    void  **np;

    ck_assert_ptr_nonnull(p);

    if (t_heap.n == t_heap.cap) {
        t_heap.cap = t_heap.cap ? 2 * t_heap.cap : 64;
        np = realloc(t_heap.ptrs, t_heap.cap * sizeof(void *));
        ck_assert_ptr_nonnull(np);
        t_heap.ptrs = np;
    }

    t_heap.ptrs[t_heap.n++] = p;

    return p;
}


static inline void *
t_heap_alloc(void *data, size_t size)
{
    t_heap_t  *h;

    h = data;

    ck_assert_ptr_eq(h, &t_heap);
    ck_assert_uint_gt(size, 0);

    if (h->fail_after >= 0 && h->calls >= (size_t) h->fail_after) {
        h->calls++;
        return NULL;
    }

    h->calls++;
    h->bytes += size;

    /* exact size: valgrind reports any write past the end */
    return t_track(malloc(size));
}


/* a tracked copy of exactly len bytes (1 byte is allocated for len 0) */

static inline unsigned char *
t_dup(const void *s, size_t len)
{
    unsigned char  *p;

    p = t_track(malloc(len ? len : 1));
    memcpy(p, s, len);

    return p;
}


/* a tracked buffer of len bytes filled with c */

static inline unsigned char *
t_fill(size_t len, int c)
{
    unsigned char  *p;

    p = t_track(malloc(len ? len : 1));
    memset(p, c, len);

    return p;
}


static inline void
t_heap_setup(void)
{
    memset(&t_heap, 0, sizeof(t_heap_t));
    t_heap.fail_after = -1;

    t_alloc.alloc = t_heap_alloc;
    t_alloc.data = &t_heap;
}


static inline void
t_heap_teardown(void)
{
    size_t  i;

    for (i = 0; i < t_heap.n; i++) {
        free(t_heap.ptrs[i]);
    }

    free(t_heap.ptrs);
    memset(&t_heap, 0, sizeof(t_heap_t));
}


/* a counted string equals a literal; sizeof keeps embedded NULs */

#define t_str_eq(s, lit)                                                      \
    t_str_eq_n((s), (const unsigned char *) (lit), sizeof(lit) - 1)

#define t_str_eq_n(s, p, n)                                                   \
    do {                                                                      \
        mw_str_t  s_ = (s);                                                   \
        size_t    n_ = (n);                                                   \
        ck_assert_uint_eq(s_.len, n_);                                        \
        if (n_ > 0) {                                                         \
            ck_assert_mem_eq(s_.data, (p), n_);                               \
        }                                                                     \
    } while (0)

#define t_header_eq(h, n, v)                                                  \
    do {                                                                      \
        t_str_eq((h).name, n);                                                \
        t_str_eq((h).value, v);                                               \
    } while (0)


/* an SRunner over one suite; the exit status of main() */

static inline int
t_run(Suite *s)
{
    int       failed;
    SRunner  *sr;

    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);

    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}


#endif /* _MW_TEST_H_INCLUDED_ */
