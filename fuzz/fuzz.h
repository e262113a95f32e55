
/*
 * Copyright (C) ngx_http_middleware_module authors
 *
 * the mw_alloc_t of the fuzz targets: an arena reset for every input, so
 * that nothing leaks between runs (the core frees nothing piecewise)
 */


#ifndef _MW_FUZZ_H_INCLUDED_
#define _MW_FUZZ_H_INCLUDED_


#include <stdlib.h>


#define FUZZ_ARENA_MAX  4096


static void    *fuzz_arena[FUZZ_ARENA_MAX];
static size_t   fuzz_arena_n;


static void
fuzz_arena_reset(void)
{
    size_t  i;

    for (i = 0; i < fuzz_arena_n; i++) {
        free(fuzz_arena[i]);
    }

    fuzz_arena_n = 0;
}


static void *
fuzz_alloc(void *data, size_t size)
{
    void  *p;

    (void) data;

    if (fuzz_arena_n == FUZZ_ARENA_MAX) {
        return NULL;
    }

    p = malloc(size ? size : 1);
    if (p == NULL) {
        return NULL;
    }

    fuzz_arena[fuzz_arena_n++] = p;

    return p;
}


#endif /* _MW_FUZZ_H_INCLUDED_ */
