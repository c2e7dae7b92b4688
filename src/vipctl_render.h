/* vipctl's human output: the status model and events as tables that fit
 * VIPCTL_COLUMNS columns, with ANSI colours only when asked to. */
#ifndef VIPD_SRC_VIPCTL_RENDER_H
#define VIPD_SRC_VIPCTL_RENDER_H

#include <stdbool.h>
#include <stdio.h>

#include "vipd/status.h"

#define VIPCTL_COLUMNS 100

/* Whether to colour output written to @fd: a terminal, NO_COLOR unset or
 * empty (https://no-color.org), and TERM not "dumb". */
bool vipctl_use_colour(int fd);

/* Print the cluster table for @st. Long names, addresses and reasons are
 * cut (ending in '~') so that no line exceeds VIPCTL_COLUMNS. */
void vipctl_render_status(FILE *out, const struct vip_status *st, bool colour);

/* Print the header line of the events table. */
void vipctl_render_events_header(FILE *out, bool colour);

/* Print one event as a table row. Its text is cut to fit the line width
 * set by vipctl_render_set_event_columns() (VIPCTL_COLUMNS by default). */
void vipctl_render_event(FILE *out, const struct vip_event *ev, bool colour);

/* Line width for event rows: the terminal's width, or 0 for no limit (when
 * the output goes to a pipe or a file, nothing is cut). */
void vipctl_render_set_event_columns(int columns);

/* The width to use for @fd: its terminal's columns (VIPCTL_COLUMNS if
 * unknown), or 0 when @fd is not a terminal. */
int vipctl_output_columns(int fd);

/* Format wall time @ms as "YYYY-MM-DD HH:MM:SS" (local time), or "-" when
 * 0. @buf must hold 32 bytes. Returns @buf. */
const char *vipctl_format_time(int64_t ms, char *buf, size_t size);

#endif /* VIPD_SRC_VIPCTL_RENDER_H */
