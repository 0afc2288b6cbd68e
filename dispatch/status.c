/* dispatch/status.c - names of the status codes. */
#include "baseline_only.h" /* first: no vector-ISA flags here */
#include "lossopt.h"

const char *lossopt_status_string(lossopt_status s)
{
    switch (s) {
    case LOSSOPT_OK: return "ok";
    case LOSSOPT_ERR_NULL: return "a required pointer is NULL";
    case LOSSOPT_ERR_SIZE: return "a size is invalid or overflows";
    case LOSSOPT_ERR_ARG: return "a scalar argument is outside its domain";
    case LOSSOPT_ERR_DOMAIN: return "a data value is outside its domain";
    case LOSSOPT_ERR_ISA: return "the requested ISA is not built or not supported";
    case LOSSOPT_ERR_RESOURCE: return "a thread or memory could not be had";
    default: return "unknown status";
    }
}
