/* Checks of a configuration against the host it runs on: the interfaces
 * exist, the cluster key file is readable, well-formed, private and owned
 * by root or by vipd's user, and the data dir is (or can be made)
 * writable, and an https:// http_check's tls_ca_file is readable.
 * `vipd -t` and the daemon both run these before starting, so
 * what -t accepts, the daemon starts with; `vipd -t --no-host-checks`
 * skips them to validate a file written for another host. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "raft/keyfile.h"
#include "src/config_int.h"
#include "vipd/error.h"

#define HOST_HINT "(vipd -t --no-host-checks skips host checks)"

static void check_ifname(struct cfgp *p,
                         const char *name,
                         const char *what,
                         const struct cfg_where *where)
{
    if (name[0] != '\0' && if_nametoindex(name) == 0) {
        cfgp_error(p, where, "%s: no interface '%s' on this host %s", what,
                   name, HOST_HINT);
    }
}

static void check_interfaces(struct cfgp *p)
{
    const struct vip_config *cfg = p->cfg;

    for (size_t i = 0; i < cfg->n_instances; i++) {
        const struct cfg_instance *in = &cfg->instances[i];
        check_ifname(p, in->interface, "interface", &in->where);
        for (size_t k = 0; k < in->n_vips; k++) {
            check_ifname(p, in->vips[k].dev, "virtual_ipaddress dev",
                         &in->vips[k].where);
        }
        for (size_t k = 0; k < in->n_vips_excluded; k++) {
            check_ifname(p, in->vips_excluded[k].dev,
                         "virtual_ipaddress_excluded dev",
                         &in->vips_excluded[k].where);
        }
        for (size_t k = 0; k < in->n_track_interfaces; k++) {
            check_ifname(p, in->track_interfaces[k].name, "track_interface",
                         &in->track_interfaces[k].where);
        }
    }
}

/* The loader of raft/keyfile.c decides what a usable key is (a regular
 * file, not a link, owned by root or by vipd's user, mode 0600, a valid
 * key): -t runs exactly what the daemon runs at start. */
static void check_key(struct cfgp *p, const struct cfg_cluster *c)
{
    uint8_t key[KEYFILE_KEY_SIZE];
    char errmsg[VIP_ERRMSG_SIZE];

    errmsg[0] = '\0';
    int rv = keyfile_load(c->secret_file, key, errmsg);
    sodium_memzero(key, sizeof key);
    if (rv != 0) {
        cfgp_error(p, &c->where, "secret_file: %s", errmsg);
    }
}

/* The data dir, or its closest existing ancestor if the daemon will create
 * it, must be a directory vipd can write to. */
static void check_data_dir(struct cfgp *p, const struct cfg_cluster *c)
{
    char *dir = strdup(c->data_dir);
    struct stat st;

    if (dir == NULL) {
        p->oom = true;
        return;
    }
    while (stat(dir, &st) != 0) {
        char *slash = strrchr(dir, '/');
        if (errno != ENOENT || slash == NULL) {
            cfgp_error(p, &c->where, "data_dir: %s: %s %s", dir,
                       strerror(errno), HOST_HINT);
            goto out;
        }
        if (slash == dir) {
            slash[1] = '\0';
        } else {
            *slash = '\0';
        }
    }
    if (!S_ISDIR(st.st_mode)) {
        cfgp_error(p, &c->where, "data_dir: %s is not a directory", dir);
    } else if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0) {
        cfgp_error(p, &c->where, "data_dir: %s is not writable by vipd: %s %s",
                   dir, strerror(errno), HOST_HINT);
    }
out:
    free(dir);
}

/* A CA file libcurl cannot read would fail every probe of that check. */
static void check_ca_files(struct cfgp *p)
{
    const struct vip_config *cfg = p->cfg;

    for (size_t i = 0; i < cfg->n_scripts; i++) {
        const struct cfg_script *sc = &cfg->scripts[i];
        if (sc->tls_ca_file != NULL &&
            faccessat(AT_FDCWD, sc->tls_ca_file, R_OK, AT_EACCESS) != 0) {
            cfgp_error(p, &sc->tls_where, "tls_ca_file: %s: %s %s",
                       sc->tls_ca_file, strerror(errno), HOST_HINT);
        }
    }
}

int vip_config_check_host(const struct vip_config *cfg,
                          struct cfg_report *report)
{
    struct cfg_report local = {0};
    struct cfgp p;

    memset(&p, 0, sizeof p);
    p.cfg = (struct vip_config *)cfg;
    p.report = report ? report : &local;
    p.main_file = cfg->n_files > 0 ? cfg->files[0] : "(config)";
    unsigned before = p.report->n_errors;
    check_interfaces(&p);
    check_ca_files(&p);
    if (cfg->cluster.present) {
        check_key(&p, &cfg->cluster);
        check_data_dir(&p, &cfg->cluster);
    }
    if (p.oom) {
        return VIP_ENOMEM;
    }
    return p.report->n_errors > before ? VIP_ECONFIG : 0;
}
