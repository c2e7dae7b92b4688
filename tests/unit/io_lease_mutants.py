#!/usr/bin/env python3
"""Deliberate breaks of raft/io_lease.c: each must make tests/unit/test_io_lease
or tests/integration/test_io_lease_fixture fail (both are run; the report says
which caught it). Not part of `make check` (it compiles 22 variants x 2 tests, ~12 min); run it after
changing the decorator:
    python3 tests/unit/io_lease_mutants.py [BUILDDIR] [--only NAME,NAME]

Each mutant is a copy of raft/io_lease.c with one literal replacement,
compiled with the unit test into a temporary directory (the tree is never
edited). BUILDDIR (default build/asan) supplies config.h and the flags.
Exit status 1 if a mutant survives or a replacement no longer applies."""
import os, re, subprocess, sys, tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SRC = os.path.join(TOP, 'raft', 'io_lease.c')
TESTS = [os.path.join(TOP, 'tests', 'unit', 'test_io_lease.c'),
         os.path.join(TOP, 'tests', 'integration', 'test_io_lease_fixture.c')]

# name: (what it breaks, original text, replacement)
MUTANTS = {
    'consume_newest': ('a result claims the newest send',
        '    s = slot_at(p, 0);\n    s->live--;',
        '    s = slot_at(p, p->n_slots - 1);\n    while (s->live == 0) s--;\n    s->live--;'),
    'merge_newer_label': ('a merged run keeps the newer time',
        '        b->t = a->t;\n', ''),
    'no_term_reset': ('sends of an older term stay in the queue',
        '    if (term > p->term) {\n        peer_new_term(p, term);\n    }',
        '    if (term > p->term) {\n        p->term = term;\n    }\n    if (0) peer_new_term(p, term);'),
    'count_any_term': ('results of any term are counted',
        '    if (p->term != term) {\n        return;\n    }\n    p->n_results++;',
        '    (void)term;\n    p->n_results++;'),
    'no_R1_leader': ('marked answers are counted',
        '        if (r->rejected == IO_LEASE_STALE) {', '        if (0) {'),
    'no_R1_mark': ('answers in a newer term go out unmarked',
        '        marked.append_entries_result.rejected = IO_LEASE_STALE;', ''),
    'stale_gives_contact': ('a stale request counts as contact',
        '    if (term < l->term) {\n        l->n_stale_requests++;\n    } else {',
        '    if (term < l->term) {\n        l->n_stale_requests++;\n    } {'),
    'no_R2': ('answers go anywhere',
        '    if (!l->answer.active || m->server_id != l->answer.from ||\n',
        '    if ((0 && (!l->answer.active || m->server_id != l->answer.from)) ||\n'),
    'no_R2_async': ('disk-write answers lose their request context',
        '    l->answer = a->answer;\n    a->cb(a->orig, status);',
        '    a->cb(a->orig, status);'),
    'no_restart_window': ('no quiet window after start',
        '    /* R3, restart rule: no vote for T after (re)start. */\n    quiet_extend(l, lease_now(l));', ''),
    'sim_restart_not_quiet': ('io_lease_restart() opens no quiet window',
        '    l->quiet_until_ms = 0; /* a new process remembers no window */\n    quiet_extend(l, lease_now(l));',
        '    l->quiet_until_ms = 0; /* a new process remembers no window */'),
    'no_self_quiet': ('counting itself does not keep the leader quiet',
        '            quiet_extend(l, now);\n            vals[n_vals++] = now;',
        '            vals[n_vals++] = now;'),
    'no_contact_quiet': ('an AppendEntries does not keep a follower quiet',
        '        quiet_extend(l, now);\n    }\n    saved = l->answer;',
        '    }\n    saved = l->answer;'),
    'majority_off_by_one': ('half the voters make a majority',
        '    need = n_voters / 2 + 1;', '    need = (n_voters + 1) / 2;'),
    'fail_ignored_sync': ('a send failing at once stays counted as sent',
        '    if (rv != 0) {\n        peer_fail(p, term, seq);',
        '    if (rv != 0) {\n        (void)seq;'),
    'untracked_sends': ('every other send is not queued',
        '    seq = peer_push(p, lease_now(l));',
        '    seq = (p->n_sent % 2) ? p->next_seq : peer_push(p, lease_now(l));'),
    'probe_echo_newer': ('an echo claims a bit more than the probe time',
        '        p->bound_ms = pr->t;\n', '        p->bound_ms = pr->t + 50;\n'),
    'probe_no_quiet': ('a probed node does not go quiet',
        '    quiet_extend(l, now); /* R3: the echo claims this receipt */\n', ''),
    'probe_stale_echoed': ('a probe of an older leader is echoed',
        '    if (m->request_vote.last_log_term < l->term) {\n        return; /* from a leader',
        '    if (0) {\n        return; /* from a leader'),
    'probe_any_term': ('an echo of an older term counts',
        '    if (seq == 0 || pr->seq != seq || pr->term != p->term) {',
        '    if (seq == 0 || pr->seq != seq) {'),
    'no_probes': ('no probes at all',
        "    if (live < 2 || now < p->probe_next_ms || p->address[0] == '\\0') {",
        '    if (1) {'),
    'transfer_blocked': ('a transfer election is blocked too',
        '        if (!m->request_vote.disrupt_leader && io_lease_is_quiet(l, now)) {',
        '        if (io_lease_is_quiet(l, now)) {'),
}


def make_var(builddir, name):
    out = subprocess.run(['make', '-s', '-C', builddir, '--no-print-directory',
                          'print-' + name], capture_output=True, text=True)
    if out.returncode == 0:
        return out.stdout.strip()
    # No print- rule: read the generated Makefile.
    with open(os.path.join(builddir, 'Makefile')) as f:
        for line in f:
            m = re.match(r'^%s = (.*)$' % re.escape(name), line)
            if m:
                return m.group(1).strip()
    return ''


def main():
    args = sys.argv[1:]
    only = None
    if '--only' in args:
        k = args.index('--only')
        only = args[k + 1].split(',')
        del args[k:k + 2]
    builddir = os.path.abspath(args[0] if args else
                               os.path.join(TOP, 'build', 'asan'))
    cflags = make_var(builddir, 'VIPD_CFLAGS').split()
    ldflags = make_var(builddir, 'VIPD_LDFLAGS').split()
    libs = (make_var(builddir, 'CMOCKA_LIBS') + ' ' +
            make_var(builddir, 'RAFT_LIBS')).split()
    orig = open(SRC).read()
    survivors = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (what, a, b) in MUTANTS.items():
            if only is not None and name not in only:
                continue
            if orig.count(a) != 1:
                print('%-20s replacement does not apply: update this script' % name)
                survivors.append(name)
                continue
            src = os.path.join(tmp, name + '.c')
            with open(src, 'w') as f:
                f.write(orig.replace(a, b))
            caught = []
            for test in TESTS:
                exe = os.path.join(tmp, name + '-' + os.path.basename(test)[:-2])
                cc = (['cc'] + cflags +
                      ['-include', os.path.join(builddir, 'config.h'),
                       '-I', os.path.join(TOP, 'include'), '-I', TOP, '-o', exe,
                       test, src] + ldflags + libs)
                r = subprocess.run(cc, capture_output=True, text=True)
                if r.returncode != 0:
                    print('%-20s does not compile:\n%s' % (name, r.stderr))
                    caught = None
                    break
                r = subprocess.run([exe], capture_output=True, text=True)
                failed = sorted(set(re.findall(r'\[  FAILED  \] (test_\w+)',
                                               r.stdout)))
                if r.returncode != 0:
                    caught += failed or [os.path.basename(exe) + ' crashed']
            if caught is None:
                survivors.append(name)
            elif not caught:
                print('%-20s SURVIVED (%s)' % (name, what))
                survivors.append(name)
            else:
                print('%-20s caught by %s (%s)' % (name, ' '.join(caught), what))
    print('%d mutants, %d survived' % (len(only or MUTANTS), len(survivors)))
    return 1 if survivors else 0


if __name__ == '__main__':
    sys.exit(main())
