/* Config values: diagnostics, number/time/address parsers, memory helpers,
 * lookups and vip_config_free(). Each value parser reports its own error
 * against the token, so keyword handlers stay one line per keyword. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/config_int.h"
#include "vipd/error.h"

/****** Diagnostics ******/

__attribute__((format(printf, 4, 0))) static void cfgp_emit(
    struct cfgp *p,
    bool is_error,
    const struct cfg_where *w,
    const char *fmt,
    va_list ap)
{
    struct cfg_report *r = p->report;
    char msg[1024];
    char line[1400];
    const char *file = (w && w->file) ? w->file : p->main_file;

    if (is_error) {
        r->n_errors++;
    } else {
        r->n_warnings++;
    }
    if (p->n_emitted > CFG_MESSAGES_MAX) {
        return;
    }
    if (p->n_emitted++ == CFG_MESSAGES_MAX) {
        snprintf(line, sizeof line,
                 "%s: error: too many problems, further ones not shown",
                 p->main_file);
        is_error = true;
    } else {
        vsnprintf(msg, sizeof msg, fmt, ap);
        if (w && w->line) {
            snprintf(line, sizeof line, "%s:%u: %s: %s", file, w->line,
                     is_error ? "error" : "warning", msg);
        } else {
            snprintf(line, sizeof line, "%s: %s: %s", file,
                     is_error ? "error" : "warning", msg);
        }
    }
    if (r->emit != NULL) {
        r->emit(r->data, is_error, line);
    } else {
        fprintf(stderr, "%s\n", line);
    }
}

void cfgp_error(struct cfgp *p,
                const struct cfg_where *where,
                const char *fmt,
                ...)
{
    va_list ap;

    va_start(ap, fmt);
    cfgp_emit(p, true, where, fmt, ap);
    va_end(ap);
}

void cfgp_warn(struct cfgp *p,
               const struct cfg_where *where,
               const char *fmt,
               ...)
{
    va_list ap;

    va_start(ap, fmt);
    cfgp_emit(p, false, where, fmt, ap);
    va_end(ap);
}

/****** Memory ******/

char *cfgp_strdup(struct cfgp *p, const char *s)
{
    char *copy = strdup(s);

    if (copy == NULL) {
        p->oom = true;
    }
    return copy;
}

void *cfgp_append(struct cfgp *p, void **array, size_t *n, size_t size)
{
    char *grown = realloc(*array, (*n + 1) * size);

    if (grown == NULL) {
        p->oom = true;
        return NULL;
    }
    *array = grown;
    memset(grown + *n * size, 0, size);
    return grown + (*n)++ * size;
}

char *cfgp_join(struct cfgp *p, const struct cfg_tok *args, size_t n)
{
    size_t len = 1;
    char *s;

    for (size_t i = 0; i < n; i++) {
        len += args[i].len + 1;
    }
    s = malloc(len);
    if (s == NULL) {
        p->oom = true;
        return NULL;
    }
    s[0] = '\0';
    len = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0) {
            s[len++] = ' ';
        }
        memcpy(s + len, args[i].text, args[i].len);
        len += args[i].len;
    }
    s[len] = '\0';
    return s;
}

/****** Numbers and times ******/

static bool all_digits(const char *s, size_t len)
{
    if (len == 0) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
    }
    return true;
}

/* Decimal digits into *out; false on overflow past @max. */
static bool digits_value(const char *s,
                         size_t len,
                         unsigned long max,
                         unsigned long *out)
{
    unsigned long v = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > max || v > (max - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

bool cfgp_uint(struct cfgp *p,
               const struct cfg_tok *t,
               const char *what,
               unsigned long min,
               unsigned long max,
               unsigned long *out)
{
    unsigned long v;

    if (!all_digits(t->text, t->len)) {
        cfgp_error(p, &t->where, "%s: '%.80s' is not a number", what, t->text);
        return false;
    }
    if (!digits_value(t->text, t->len, max, &v) || v < min) {
        cfgp_error(p, &t->where, "%s: %.80s is out of range [%lu, %lu]", what,
                   t->text, min, max);
        return false;
    }
    *out = v;
    return true;
}

bool cfgp_int(struct cfgp *p,
              const struct cfg_tok *t,
              const char *what,
              long min,
              long max,
              long *out)
{
    const char *s = t->text;
    size_t len = t->len;
    bool neg = false;
    unsigned long mag;

    if (len > 0 && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        s++;
        len--;
    }
    if (!all_digits(s, len)) {
        cfgp_error(p, &t->where, "%s: '%.80s' is not a number", what, t->text);
        return false;
    }
    if (!digits_value(s, len, 1000000000UL, &mag) ||
        (neg ? -(long)mag : (long)mag) < min ||
        (neg ? -(long)mag : (long)mag) > max) {
        cfgp_error(p, &t->where, "%s: %.80s is out of range [%ld, %ld]", what,
                   t->text, min, max);
        return false;
    }
    *out = neg ? -(long)mag : (long)mag;
    return true;
}

bool cfgp_seconds(struct cfgp *p,
                  const struct cfg_tok *t,
                  const char *what,
                  uint32_t max_ms,
                  uint32_t *out_ms,
                  bool *fraction)
{
    const char *dot = memchr(t->text, '.', t->len);
    size_t ilen = dot ? (size_t)(dot - t->text) : t->len;
    size_t flen = dot ? t->len - ilen - 1 : 0;
    unsigned long whole = 0, frac = 0;

    if ((ilen == 0 && flen == 0) || (ilen > 0 && !all_digits(t->text, ilen)) ||
        (dot && (flen == 0 || flen > 6 || !all_digits(dot + 1, flen))) ||
        (ilen == 0 && !dot)) {
        cfgp_error(p, &t->where, "%s: '%.80s' is not a number of seconds", what,
                   t->text);
        return false;
    }
    if (ilen > 0 && !digits_value(t->text, ilen, 4000000UL, &whole)) {
        whole = 4000001UL;
    }
    if (flen > 0) {
        digits_value(dot + 1, flen, 999999UL, &frac);
        for (size_t k = flen; k < 6; k++) {
            frac *= 10; /* now in microseconds */
        }
    }
    unsigned long long us = (unsigned long long)whole * 1000000ULL + frac;
    unsigned long long ms = (us + 999) / 1000; /* sub-ms rounds up */
    if (ms > max_ms) {
        cfgp_error(p, &t->where, "%s: %.80s is out of range [0, %u.%03u]", what,
                   t->text, max_ms / 1000, max_ms % 1000);
        return false;
    }
    *out_ms = (uint32_t)ms;
    if (fraction != NULL) {
        *fraction = frac != 0;
    }
    return true;
}

/****** Addresses ******/

static bool parse_ip(const char *s, struct cfg_ip *out)
{
    struct cfg_ip ip;

    memset(&ip, 0, sizeof ip);
    if (inet_pton(AF_INET, s, ip.bytes) == 1) {
        ip.family = AF_INET;
    } else if (inet_pton(AF_INET6, s, ip.bytes) == 1) {
        ip.family = AF_INET6;
    } else {
        return false;
    }
    *out = ip;
    return true;
}

bool cfgp_ip(struct cfgp *p,
             const struct cfg_tok *t,
             const char *what,
             struct cfg_ip *out)
{
    if (t->len >= INET6_ADDRSTRLEN || !parse_ip(t->text, out)) {
        cfgp_error(p, &t->where, "%s: '%.80s' is not an IPv4 or IPv6 address",
                   what, t->text);
        return false;
    }
    return true;
}

bool cfgp_mcast_group(struct cfgp *p,
                      const struct cfg_tok *t,
                      const char *what,
                      int family,
                      struct cfg_ip *out)
{
    struct cfg_ip ip;

    if (!cfgp_ip(p, t, what, &ip)) {
        return false;
    }
    if (family != 0 && ip.family != family) {
        cfgp_error(p, &t->where, "%s: '%.80s' is not an %s address", what,
                   t->text, family == AF_INET ? "IPv4" : "IPv6");
        return false;
    }
    bool mcast = ip.family == AF_INET ? (ip.bytes[0] & 0xf0) == 0xe0
                                      : ip.bytes[0] == 0xff;
    if (!mcast) {
        cfgp_error(p, &t->where, "%s: '%.80s' is not a multicast address",
                   what, t->text);
        return false;
    }
    *out = ip;
    return true;
}

bool cfgp_prefix(struct cfgp *p,
                 const struct cfg_tok *t,
                 const char *what,
                 struct cfg_ip *out,
                 uint8_t *prefix)
{
    char buf[INET6_ADDRSTRLEN + 8];
    const char *slash = memchr(t->text, '/', t->len);
    size_t alen = slash ? (size_t)(slash - t->text) : t->len;
    struct cfg_ip ip;
    unsigned long plen;

    if (alen >= INET6_ADDRSTRLEN) {
        goto bad;
    }
    memcpy(buf, t->text, alen);
    buf[alen] = '\0';
    if (!parse_ip(buf, &ip)) {
        goto bad;
    }
    unsigned long max = ip.family == AF_INET ? 32 : 128;
    plen = max;
    if (slash != NULL) {
        size_t plen_len = t->len - alen - 1;
        if (!all_digits(slash + 1, plen_len) || plen_len > 3 ||
            !digits_value(slash + 1, plen_len, 999, &plen) || plen > max) {
            cfgp_error(p, &t->where, "%s: bad prefix length in '%.80s'", what,
                       t->text);
            return false;
        }
    }
    *out = ip;
    *prefix = (uint8_t)plen;
    return true;
bad:
    cfgp_error(p, &t->where, "%s: '%.80s' is not an IPv4 or IPv6 address", what,
               t->text);
    return false;
}

static bool valid_hostname(const char *s, size_t len)
{
    if (len == 0 || len > 253 || s[0] == '-' || s[0] == '.') {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.')) {
            return false;
        }
    }
    return true;
}

bool cfgp_hostport(struct cfgp *p,
                   const struct cfg_tok *t,
                   const char *what,
                   uint16_t default_port,
                   char *host,
                   size_t host_size,
                   uint16_t *port)
{
    const char *s = t->text;
    const char *h = s, *ps = NULL;
    size_t hlen = t->len;
    char buf[256];
    struct cfg_ip ip;
    unsigned long pv = default_port;

    if (s[0] == '[') {
        const char *close = memchr(s, ']', t->len);
        if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
            goto bad;
        }
        h = s + 1;
        hlen = (size_t)(close - h);
        ps = close[1] == ':' ? close + 2 : NULL;
        if (close[1] == ':' && close[2] == '\0') {
            goto bad;
        }
    } else {
        const char *colon = strchr(s, ':');
        if (colon != NULL && strchr(colon + 1, ':') == NULL) {
            hlen = (size_t)(colon - s);
            ps = colon + 1;
        }
    }
    if (hlen == 0 || hlen >= sizeof buf || hlen >= host_size) {
        goto bad;
    }
    memcpy(buf, h, hlen);
    buf[hlen] = '\0';
    if (!parse_ip(buf, &ip)) {
        if (h != s || memchr(buf, ':', hlen) || !valid_hostname(buf, hlen)) {
            goto bad;
        }
    } else if (ip.family == AF_INET6 && h == s && ps != NULL) {
        goto bad;
    }
    if (ps != NULL) {
        size_t plen = strlen(ps);
        if (!all_digits(ps, plen) || plen > 5 ||
            !digits_value(ps, plen, 65535, &pv) || pv == 0) {
            cfgp_error(p, &t->where, "%s: bad port in '%.80s'", what, s);
            return false;
        }
    }
    memcpy(host, buf, hlen + 1);
    *port = (uint16_t)pv;
    return true;
bad:
    cfgp_error(p, &t->where,
               "%s: '%.80s' is not HOST:PORT (IPv4, [IPv6] or host name)", what,
               s);
    return false;
}

bool cfgp_name(struct cfgp *p,
               const struct cfg_tok *t,
               const char *what,
               char *out,
               size_t size)
{
    if (t->len == 0 || t->len >= size) {
        cfgp_error(p, &t->where,
                   "%s: name '%.80s' must have 1 to %zu characters", what,
                   t->text, size - 1);
        return false;
    }
    memcpy(out, t->text, t->len + 1);
    return true;
}

bool cfgp_ifname(struct cfgp *p,
                 const struct cfg_tok *t,
                 const char *what,
                 char *out)
{
    /* The kernel's dev_valid_name(): 1..15 bytes, no '/', ':' or blank. */
    if (t->len == 0 || t->len >= IF_NAMESIZE || strpbrk(t->text, "/: ") ||
        strcmp(t->text, ".") == 0 || strcmp(t->text, "..") == 0) {
        cfgp_error(p, &t->where, "%s: '%.80s' is not a valid interface name",
                   what, t->text);
        return false;
    }
    memcpy(out, t->text, t->len + 1);
    return true;
}

const char *cfg_ip_str(const struct cfg_ip *ip, char *buf, size_t size)
{
    if (ip->family != AF_INET && ip->family != AF_INET6) {
        snprintf(buf, size, "(none)");
    } else if (inet_ntop(ip->family, ip->bytes, buf, (socklen_t)size) == NULL) {
        snprintf(buf, size, "(?)");
    }
    return buf;
}

/****** Lookups and release ******/

const struct cfg_script *vip_config_script(const struct vip_config *cfg,
                                           const char *name)
{
    for (size_t i = 0; i < cfg->n_scripts; i++) {
        if (strcmp(cfg->scripts[i].name, name) == 0) {
            return &cfg->scripts[i];
        }
    }
    return NULL;
}

const struct cfg_instance *vip_config_instance(const struct vip_config *cfg,
                                               const char *name)
{
    for (size_t i = 0; i < cfg->n_instances; i++) {
        if (strcmp(cfg->instances[i].name, name) == 0) {
            return &cfg->instances[i];
        }
    }
    return NULL;
}

const struct cfg_track_file *vip_config_track_file(const struct vip_config *cfg,
                                                   const char *name)
{
    for (size_t i = 0; i < cfg->n_track_files; i++) {
        if (strcmp(cfg->track_files[i].name, name) == 0) {
            return &cfg->track_files[i];
        }
    }
    return NULL;
}

const struct cfg_track_process *vip_config_track_process(
    const struct vip_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_track_processes; i++) {
        if (strcmp(cfg->track_processes[i].name, name) == 0) {
            return &cfg->track_processes[i];
        }
    }
    return NULL;
}

void cfg_argv_free(char **argv)
{
    for (size_t i = 0; argv != NULL && argv[i] != NULL; i++) {
        free(argv[i]);
    }
    free(argv);
}

static void notify_free(struct cfg_notify *n)
{
    free(n->master);
    free(n->backup);
    free(n->fault);
    free(n->stop);
    free(n->any);
}

void vip_config_free(struct vip_config *cfg)
{
    for (size_t i = 0; i < cfg->n_scripts; i++) {
        free(cfg->scripts[i].command);
        free(cfg->scripts[i].target);
        free(cfg->scripts[i].http_path);
        free(cfg->scripts[i].tls_ca_file);
    }
    free(cfg->scripts);
    for (size_t i = 0; i < cfg->n_track_files; i++) {
        free(cfg->track_files[i].path);
    }
    free(cfg->track_files);
    for (size_t i = 0; i < cfg->n_track_processes; i++) {
        cfg_argv_free(cfg->track_processes[i].argv);
    }
    free(cfg->track_processes);
    for (size_t i = 0; i < cfg->n_instances; i++) {
        struct cfg_instance *in = &cfg->instances[i];
        free(in->vips);
        free(in->vips_excluded);
        free(in->track_scripts);
        free(in->track_interfaces);
        free(in->track_files);
        free(in->track_processes);
        free(in->unicast_peers);
        notify_free(&in->notify);
    }
    free(cfg->instances);
    for (size_t i = 0; i < cfg->n_groups; i++) {
        free(cfg->groups[i].instances);
        notify_free(&cfg->groups[i].notify);
    }
    free(cfg->groups);
    free(cfg->cluster.data_dir);
    free(cfg->cluster.secret_file);
    free(cfg->cluster.control_socket);
    for (size_t i = 0; i < cfg->n_files; i++) {
        free(cfg->files[i]);
    }
    free(cfg->files);
    free(cfg->config_id);
    for (size_t i = 0; i < 2; i++) {
        free(cfg->global.fifos[i].path);
        free(cfg->global.fifos[i].script);
    }
    memset(cfg, 0, sizeof *cfg);
}
