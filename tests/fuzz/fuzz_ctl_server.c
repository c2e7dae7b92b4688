/* libFuzzer driver for the control socket server's connection state
 * machine (not part of make check; tests/fuzz/run.sh builds and runs it).
 *
 * The input is a script for one server on a real loop and up to two
 * clients: send the next bytes on a client, read or ignore its replies,
 * hang it up, run the loop, and answer pending requests now or later
 * (reply, error, stream lines, end), in any order, including from the
 * cancel callback. Whatever the order, nothing may crash or leak, every
 * request must be finished exactly once (ASan sees a second finish as a
 * double free), and the loop must close cleanly (uv_loop_close() == 0)
 * after ctl_server_close(). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "src/ctl_server.h"
#include "vipd/log.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PENDING 8

struct fz
{
    uv_loop_t loop;
    struct ctl_server server;
    bool closed;
    struct ctl_request *pending[MAX_PENDING];
    unsigned n_pending;
    bool end_in_cancel;
};

static char sock_path[108];

static void fz_forget(struct fz *f, struct ctl_request *req)
{
    for (unsigned i = 0; i < f->n_pending; i++) {
        if (f->pending[i] == req) {
            f->pending[i] = f->pending[--f->n_pending];
            return;
        }
    }
}

static void on_request(void *data,
                       struct ctl_request *req,
                       enum ctl_cmd cmd,
                       const char *name,
                       json_t *args)
{
    struct fz *f = data;
    (void)name;
    (void)args;
    if (f->n_pending == MAX_PENDING || cmd == CTL_CMD_STATUS) {
        ctl_reply(req, ctl_reply_ok_new()); /* answered at once */
        return;
    }
    f->pending[f->n_pending++] = req;
}

static void on_cancel(void *data, struct ctl_request *req)
{
    struct fz *f = data;
    if (!ctl_request_cancelled(req)) {
        abort();
    }
    if (f->end_in_cancel) {
        fz_forget(f, req);
        ctl_end(req);
    }
}

static void on_closed(struct ctl_server *s)
{
    struct fz *f = s->data;
    f->closed = true;
}

static int client_connect(void)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        abort();
    }
    memcpy(addr.sun_path, sock_path, strlen(sock_path) + 1);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd); /* backlog full (EAGAIN): the loop has not accepted */
        return -1;
    }
    return fd;
}

static void client_drain(int fd)
{
    char buf[4096];
    while (fd >= 0 && recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    }
}

static void run_loop(struct fz *f, int rounds)
{
    for (int i = 0; i < rounds; i++) {
        uv_run(&f->loop, UV_RUN_NOWAIT);
    }
}

/* Finish pending request @i (modulo the count) in way @how. */
static void finish(struct fz *f, unsigned i, unsigned how)
{
    if (f->n_pending == 0) {
        return;
    }
    struct ctl_request *req = f->pending[i % f->n_pending];
    switch (how % 4) {
    case 0:
        fz_forget(f, req);
        ctl_reply(req, ctl_reply_ok_new());
        break;
    case 1:
        fz_forget(f, req);
        ctl_reply_error(req, VIP_EINVAL, "no");
        break;
    case 2: /* a stream line; the request stays pending */
        ctl_stream(req, ctl_reply_ok_new());
        break;
    default:
        fz_forget(f, req);
        ctl_end(req);
        break;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char dir[] = "/tmp/vipd-fuzz-ctl-XXXXXX";
    (void)argc;
    (void)argv;
    if (mkdtemp(dir) == NULL) {
        abort();
    }
    snprintf(sock_path, sizeof sock_path, "%s/ctl.sock", dir);
    vip_log_level = -1; /* silence: refusals and bad lines are expected */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f;
    struct ctl_server_opts opts = {.path = sock_path};
    struct ctl_server_cbs cbs = {
        .data = &f, .request = on_request, .cancel = on_cancel};
    int fds[2] = {-1, -1};
    size_t i = 0;

    memset(&f, 0, sizeof f);
    if (uv_loop_init(&f.loop) != 0 ||
        ctl_server_init(&f.server, &f.loop, &opts, &cbs) != 0 ||
        ctl_server_start(&f.server) != 0) {
        abort();
    }
    f.server.data = &f;
    f.end_in_cancel = size > 0 && (data[0] & 1);
    fds[0] = client_connect();
    while (i < size) {
        uint8_t op = data[i++];
        uint8_t arg = i < size ? data[i] : 0;
        int *fd = &fds[(op >> 3) & 1];
        switch (op & 7) {
        case 0:
        case 1: { /* send up to 64 bytes */
            size_t n = (size_t)(arg & 63) + 1;
            i = i < size ? i + 1 : size; /* past the length byte */
            if (n > size - i) {
                n = size - i;
            }
            if (*fd >= 0 && n > 0) {
                (void)send(*fd, data + i, n, MSG_DONTWAIT | MSG_NOSIGNAL);
            }
            i += n;
            break;
        }
        case 2:
            client_drain(*fd);
            break;
        case 3: /* hang up, or connect again */
            if (*fd >= 0) {
                close(*fd);
                *fd = -1;
            } else {
                *fd = client_connect();
            }
            break;
        case 4:
            run_loop(&f, 1 + (op >> 4));
            break;
        default:
            i = i < size ? i + 1 : size;
            finish(&f, arg, op >> 4);
            break;
        }
    }
    run_loop(&f, 4);
    /* The owner's shutdown: close the server, finish what is left. */
    ctl_server_close(&f.server, on_closed);
    while (f.n_pending > 0) {
        finish(&f, 0, 3);
    }
    for (int k = 0; k < 2; k++) {
        if (fds[k] >= 0) {
            close(fds[k]);
        }
    }
    for (int k = 0; k < 1000 && !f.closed; k++) {
        uv_run(&f.loop, UV_RUN_NOWAIT);
    }
    if (!f.closed || uv_loop_close(&f.loop) != 0) {
        abort();
    }
    return 0;
}
