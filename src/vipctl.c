/* vipctl: the operator's command line. A table of commands, iproute2-style. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


struct vipctl_cmd
{
    const char *name;
    const char *synopsis;
    const char *help;
};

static const struct vipctl_cmd commands[] = {
    {"status", "status [--json]", "show the cluster: nodes, health, holders"},
    {"join", "join PEER", "add this node to the cluster PEER belongs to"},
    {"leave", "leave [--force]", "remove this node from its cluster"},
    {"remove", "remove NODE [--force]", "remove a dead node from the cluster"},
    {"transfer", "transfer [NODE]", "planned switchover of the VIPs"},
    {"maintenance", "maintenance on|off", "drain this node / make it eligible"},
    {"events", "events [--follow] [--json]", "show the replicated history"},
};
#define N_COMMANDS (sizeof commands / sizeof *commands)

static void usage(FILE *out)
{
    fprintf(out, "Usage: vipctl [-s SOCKET] COMMAND [ARGS]\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        fprintf(out, "  %-28s %s\n", commands[i].synopsis, commands[i].help);
    }
    fprintf(out,
            "\nOptions:\n"
            "  -s, --socket PATH  control socket (default /run/vipd/vipd.sock)\n"
            "  -h, --help         show this help (or COMMAND --help)\n"
            "  -v, --version      show the version\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("vipctl %s\n", PACKAGE_VERSION);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) != 0) {
            continue;
        }
        if (argc > 2 && strcmp(argv[2], "--help") == 0) {
            printf("Usage: vipctl %s\n%s\n", commands[i].synopsis,
                   commands[i].help);
            return 0;
        }
        fprintf(stderr, "vipctl: %s: not implemented yet\n", argv[1]);
        return 2;
    }
    fprintf(stderr, "vipctl: unknown command '%s' (see vipctl --help)\n",
            argv[1]);
    return 2;
}
