/* check.h: the unit tests' one assertion: CHECK(cond) reports a failed condition with its line and goes on;
 * checks_done() ends main with the count. */
#ifndef SSHM_CHECK_H
#define SSHM_CHECK_H

#include <stdio.h>

static int failures;

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                                   \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

static inline int checks_done(const char *test)
{
    if (failures) {
        fprintf(stderr, "%s: %d checks failed\n", test, failures);
        return 1;
    }
    printf("%s: all checks passed\n", test);
    return 0;
}

#endif
