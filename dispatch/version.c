/* dispatch/version.c - the version of the library actually linked. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include "lossopt.h"

#define LOSSOPT_STRINGIFY_(x) #x
#define LOSSOPT_STRINGIFY(x) LOSSOPT_STRINGIFY_(x)

const char *lossopt_version_string(void)
{
    return LOSSOPT_STRINGIFY(LOSSOPT_VERSION_MAJOR) "." LOSSOPT_STRINGIFY(
        LOSSOPT_VERSION_MINOR) "." LOSSOPT_STRINGIFY(LOSSOPT_VERSION_PATCH);
}
