/* https:// probes: libcurl's multi-socket API on the caller's libuv loop.
 * curl tells us which sockets to watch (sock_cb) and when to wake it
 * (timer_cb); we tell it what happened with curl_multi_socket_action(). */
/* The calls go through pointers bound at run time (src/dl_lib.h); curl's
 * compile-time option type checks are macros around the same names. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "src/check_https.h"
#include "src/dl_lib.h"

/* libcurl, loaded by the first https check (a daemon without one never
 * maps it and its TLS, Kerberos and LDAP libraries). */
static struct
{
    __typeof__(&curl_global_init) global_init;
    __typeof__(&curl_easy_init) easy_init;
    __typeof__(&curl_easy_setopt) easy_setopt;
    __typeof__(&curl_easy_getinfo) easy_getinfo;
    __typeof__(&curl_easy_strerror) easy_strerror;
    __typeof__(&curl_easy_cleanup) easy_cleanup;
    __typeof__(&curl_multi_init) multi_init;
    __typeof__(&curl_multi_setopt) multi_setopt;
    __typeof__(&curl_multi_assign) multi_assign;
    __typeof__(&curl_multi_add_handle) multi_add_handle;
    __typeof__(&curl_multi_remove_handle) multi_remove_handle;
    __typeof__(&curl_multi_socket_action) multi_socket_action;
    __typeof__(&curl_multi_info_read) multi_info_read;
    __typeof__(&curl_multi_cleanup) multi_cleanup;
} cu;

#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init (*cu.global_init)
#define curl_easy_init (*cu.easy_init)
#define curl_easy_setopt (*cu.easy_setopt)
#define curl_easy_getinfo (*cu.easy_getinfo)
#define curl_easy_strerror (*cu.easy_strerror)
#define curl_easy_cleanup (*cu.easy_cleanup)
#define curl_multi_init (*cu.multi_init)
#define curl_multi_setopt (*cu.multi_setopt)
#define curl_multi_assign (*cu.multi_assign)
#define curl_multi_add_handle (*cu.multi_add_handle)
#define curl_multi_remove_handle (*cu.multi_remove_handle)
#define curl_multi_socket_action (*cu.multi_socket_action)
#define curl_multi_info_read (*cu.multi_info_read)
#define curl_multi_cleanup (*cu.multi_cleanup)

static int curl_load(char *errmsg)
{
    static bool is_loaded;
    const struct dl_sym syms[] = {
        {"curl_global_init", &cu.global_init},
        {"curl_easy_init", &cu.easy_init},
        {"curl_easy_setopt", &cu.easy_setopt},
        {"curl_easy_getinfo", &cu.easy_getinfo},
        {"curl_easy_strerror", &cu.easy_strerror},
        {"curl_easy_cleanup", &cu.easy_cleanup},
        {"curl_multi_init", &cu.multi_init},
        {"curl_multi_setopt", &cu.multi_setopt},
        {"curl_multi_assign", &cu.multi_assign},
        {"curl_multi_add_handle", &cu.multi_add_handle},
        {"curl_multi_remove_handle", &cu.multi_remove_handle},
        {"curl_multi_socket_action", &cu.multi_socket_action},
        {"curl_multi_info_read", &cu.multi_info_read},
        {"curl_multi_cleanup", &cu.multi_cleanup},
    };
    int rv;

    if (is_loaded) {
        return 0;
    }
    /* The ABI of <curl/curl.h> (soname major 4, Debian 12's libcurl4). */
    rv = dl_lib_load("libcurl.so.4", "libcurl4", syms,
                     sizeof syms / sizeof syms[0], errmsg);
    is_loaded = rv == 0;
    return rv;
}

/* One socket curl asked us to watch. */
struct sock_ctx
{
    uv_poll_t poll;
    curl_socket_t fd;
    struct check_https *t;
    struct sock_ctx *next; /* in t->socks while curl uses it */
};

struct check_https
{
    uv_loop_t *loop;
    CURLM *multi;
    CURL *easy;
    uv_timer_t timer;
    struct sock_ctx *socks;
    unsigned n_polls_open; /* poll handles not yet closed */
    bool is_timer_closed;
    bool is_running; /* easy handle added, cb due */
    bool is_closing;
    check_https_cb cb;
    void *data;
    check_https_close_cb close_cb;
    void *close_data;
    char curl_err[CURL_ERROR_SIZE];
};

static void maybe_freed(struct check_https *t)
{
    if (t->is_closing && t->is_timer_closed && t->n_polls_open == 0) {
        check_https_close_cb cb = t->close_cb;
        void *data = t->close_data;
        free(t);
        if (cb != NULL) {
            cb(data);
        }
    }
}

static void poll_closed_cb(uv_handle_t *handle)
{
    struct sock_ctx *s = handle->data;
    struct check_https *t = s->t;
    free(s);
    t->n_polls_open--;
    maybe_freed(t);
}

static void sock_release(struct check_https *t, struct sock_ctx *s)
{
    for (struct sock_ctx **pp = &t->socks; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    /* Closing stops the watch at once, before curl closes the fd. */
    uv_close((uv_handle_t *)&s->poll, poll_closed_cb);
}

/* curl's verdict, in the terms of check_https_cb. */
static int map_result(CURLcode res, long code)
{
    switch (res) {
    case CURLE_OK:
        return 0;
    case CURLE_WRITE_ERROR: /* our cut at the first body byte */
        return code > 0 ? 0 : VIP_EPROTO;
    case CURLE_OPERATION_TIMEDOUT:
        return VIP_ETIMEDOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
        return VIP_EAUTH;
    case CURLE_COULDNT_CONNECT:
        return UV_ECONNREFUSED;
    case CURLE_COULDNT_RESOLVE_HOST:
        return UV_EAI_NONAME;
    default:
        return VIP_EPROTO;
    }
}

/* Collect finished transfers (at most ours) after curl ran. */
static void check_done(struct check_https *t)
{
    CURLMsg *msg;
    int left;

    while (t->multi != NULL &&
           (msg = curl_multi_info_read(t->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE || !t->is_running) {
            continue;
        }
        CURLcode res = msg->data.result;
        long code = 0;
        curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
        t->is_running = false;
        curl_multi_remove_handle(t->multi, t->easy);
        int status = map_result(res, code);
        const char *detail =
            t->curl_err[0] != '\0' ? t->curl_err : curl_easy_strerror(res);
        /* The cb may close us; nothing of @t is used after it. */
        t->cb(t->data, status, status == 0 ? (int)code : 0, detail);
        return;
    }
}

static void poll_cb(uv_poll_t *poll, int status, int events)
{
    struct sock_ctx *s = poll->data;
    struct check_https *t = s->t;
    int flags = 0;
    int running;

    if (t->is_closing || t->multi == NULL) {
        return;
    }
    if (status < 0) {
        flags = CURL_CSELECT_ERR;
    } else {
        flags |= (events & UV_READABLE) ? CURL_CSELECT_IN : 0;
        flags |= (events & UV_WRITABLE) ? CURL_CSELECT_OUT : 0;
    }
    curl_multi_socket_action(t->multi, s->fd, flags, &running);
    check_done(t);
}

static void timer_cb(uv_timer_t *timer)
{
    struct check_https *t = timer->data;
    int running;

    if (t->is_closing || t->multi == NULL) {
        return;
    }
    curl_multi_socket_action(t->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(t);
}

/* CURLMOPT_TIMERFUNCTION: -1 stops the timer; 0 means "soon", which must
 * not be acted on from inside this callback. */
static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct check_https *t = userp;
    (void)multi;
    if (t->is_closing) {
        return 0; /* curl is being torn down: nothing more to wake */
    }
    if (timeout_ms < 0) {
        uv_timer_stop(&t->timer);
    } else {
        uv_timer_start(&t->timer, timer_cb, (uint64_t)timeout_ms, 0);
    }
    return 0;
}

/* CURLMOPT_SOCKETFUNCTION: watch @fd for @what, or stop watching it. */
static int curl_sock_cb(CURL *easy,
                        curl_socket_t fd,
                        int what,
                        void *userp,
                        void *socketp)
{
    struct check_https *t = userp;
    struct sock_ctx *s = socketp;
    (void)easy;

    if (what == CURL_POLL_REMOVE) {
        if (s != NULL) {
            if (t->multi != NULL) {
                curl_multi_assign(t->multi, fd, NULL);
            }
            sock_release(t, s);
        }
        return 0;
    }
    if (s == NULL) {
        s = calloc(1, sizeof *s);
        if (s == NULL) {
            return -1; /* curl fails the transfer */
        }
        if (uv_poll_init_socket(t->loop, &s->poll, fd) != 0) {
            free(s);
            return -1;
        }
        s->fd = fd;
        s->t = t;
        s->poll.data = s;
        s->next = t->socks;
        t->socks = s;
        t->n_polls_open++;
        curl_multi_assign(t->multi, fd, s);
    }
    int events = 0;
    events |= (what & CURL_POLL_IN) ? UV_READABLE : 0;
    events |= (what & CURL_POLL_OUT) ? UV_WRITABLE : 0;
    return uv_poll_start(&s->poll, events, poll_cb) == 0 ? 0 : -1;
}

/* The body is not wanted: stop at its first byte (curl then ends the
 * transfer with CURLE_WRITE_ERROR, the status code already known). */
static size_t discard_body(char *ptr, size_t size, size_t n, void *userp)
{
    (void)ptr;
    (void)size;
    (void)n;
    (void)userp;
    return 0;
}

static bool global_init(void)
{
    static bool is_done;
    if (!is_done) {
        /* Once per process, from the loop thread, before any handle. */
        is_done = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
    }
    return is_done;
}

int check_https_new(struct check_https **out,
                    uv_loop_t *loop,
                    const char *url,
                    const char *ca_file,
                    bool verify,
                    char *errmsg)
{
    struct check_https *t;
    CURLcode rc = CURLE_OK;

    if (curl_load(errmsg) != 0) {
        return VIP_ENOENT;
    }
    if (!global_init()) {
        errmsg_printf(errmsg, "libcurl initialisation failed");
        return VIP_ENOMEM;
    }
    t = calloc(1, sizeof *t);
    if (t == NULL) {
        errmsg_printf(errmsg, "out of memory");
        return VIP_ENOMEM;
    }
    t->loop = loop;
    t->multi = curl_multi_init();
    t->easy = curl_easy_init();
    if (t->multi == NULL || t->easy == NULL) {
        goto err_nomem;
    }
    curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, curl_sock_cb);
    curl_multi_setopt(t->multi, CURLMOPT_SOCKETDATA, t);
    curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
    curl_multi_setopt(t->multi, CURLMOPT_TIMERDATA, t);

    CURL *e = t->easy;
#define SET(opt, val)                               \
    do {                                            \
        if (rc == CURLE_OK) {                       \
            rc = curl_easy_setopt(e, (opt), (val)); \
        }                                           \
    } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "https");
    SET(CURLOPT_PROXY, ""); /* never a proxy from the environment */
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_FORBID_REUSE, 1L);
    SET(CURLOPT_FRESH_CONNECT, 1L);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_USERAGENT, "vipd-http-check");
    SET(CURLOPT_WRITEFUNCTION, discard_body);
    SET(CURLOPT_ERRORBUFFER, t->curl_err);
    SET(CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
    SET(CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
    if (ca_file != NULL) {
        SET(CURLOPT_CAINFO, ca_file);
        SET(CURLOPT_CAPATH, (char *)NULL); /* only that file */
    }
#undef SET
    if (rc != CURLE_OK) {
        errmsg_printf(errmsg, "libcurl: %s", curl_easy_strerror(rc));
        curl_easy_cleanup(t->easy);
        curl_multi_cleanup(t->multi);
        free(t);
        return rc == CURLE_OUT_OF_MEMORY ? VIP_ENOMEM : VIP_EINVAL;
    }
    uv_timer_init(loop, &t->timer);
    t->timer.data = t;
    *out = t;
    return 0;

err_nomem:
    curl_easy_cleanup(t->easy);
    curl_multi_cleanup(t->multi);
    free(t);
    errmsg_printf(errmsg, "out of memory");
    return VIP_ENOMEM;
}

int check_https_start(struct check_https *t,
                      uint32_t timeout_ms,
                      check_https_cb cb,
                      void *data)
{
    if (t->is_closing) {
        return VIP_EINVAL;
    }
    if (t->is_running) {
        return -EBUSY;
    }
    long ms = timeout_ms == 0 ? 1L : (long)timeout_ms;
    curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS, ms);
    curl_easy_setopt(t->easy, CURLOPT_CONNECTTIMEOUT_MS, ms);
    t->curl_err[0] = '\0';
    t->cb = cb;
    t->data = data;
    /* Adding arms our timer through curl_timer_cb: the work starts from
     * the loop, never inside this call. */
    CURLMcode mc = curl_multi_add_handle(t->multi, t->easy);
    if (mc != CURLM_OK) {
        return mc == CURLM_OUT_OF_MEMORY ? VIP_ENOMEM : VIP_EINVAL;
    }
    t->is_running = true;
    return 0;
}

static void timer_closed_cb(uv_handle_t *handle)
{
    struct check_https *t = handle->data;
    t->is_timer_closed = true;
    maybe_freed(t);
}

void check_https_close(struct check_https *t,
                       check_https_close_cb cb,
                       void *data)
{
    t->is_closing = true;
    t->close_cb = cb;
    t->close_data = data;
    if (t->is_running) {
        t->is_running = false;
        curl_multi_remove_handle(t->multi, t->easy);
    }
    curl_easy_cleanup(t->easy);
    t->easy = NULL;
    curl_multi_cleanup(t->multi);
    t->multi = NULL;
    /* Sockets curl did not hand back (it closed them itself). */
    while (t->socks != NULL) {
        sock_release(t, t->socks);
    }
    uv_close((uv_handle_t *)&t->timer, timer_closed_cb);
}
