/* Error code descriptions and the errmsg helpers. */
#include <stdio.h>
#include <string.h>

#include "vipd/error.h"

const char *vip_strerror(int rv)
{
    switch (rv) {
#define VIP_ERROR_CASE(name, value, text) \
    case name:                            \
        return text;
        VIP_ERROR_MAP(VIP_ERROR_CASE)
#undef VIP_ERROR_CASE
    case 0:
        return "success";
    default:
        break;
    }
    if (rv < 0 && rv > -4000) {
        return strerror(-rv);
    }
    return "unknown error";
}

void errmsg_printf(char *errmsg, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(errmsg, VIP_ERRMSG_SIZE, fmt, ap);
    va_end(ap);
}

void errmsg_wrapf(char *errmsg, const char *fmt, ...)
{
    char prefix[VIP_ERRMSG_SIZE];
    char old[VIP_ERRMSG_SIZE];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, errmsg, sizeof old);
    old[sizeof old - 1] = '\0';
    /* Truncation is intended: the newest context matters most. */
    size_t n = strlen(prefix);
    memcpy(errmsg, prefix, n);
    if (n + 2 < VIP_ERRMSG_SIZE) {
        memcpy(errmsg + n, ": ", 2);
        n += 2;
    }
    size_t rest = strlen(old);
    if (rest > VIP_ERRMSG_SIZE - 1 - n) {
        rest = VIP_ERRMSG_SIZE - 1 - n;
    }
    memcpy(errmsg + n, old, rest);
    errmsg[n + rest] = '\0';
}
