/* The status and events model (include/vipd/status.h) as JSON, with the
 * stable field names of docs/control-protocol.md. Encoding is used by the
 * daemon, decoding (fully validated) by vipctl and tests. Pure. */
#ifndef VIPD_SRC_STATUS_JSON_H
#define VIPD_SRC_STATUS_JSON_H

#include <jansson.h>

#include "vipd/status.h"

/* Largest integer that JSON carries exactly through every parser (2^53):
 * ids, terms and indexes above it are refused by the decoder. */
#define STATUS_JSON_INT_MAX 9007199254740992LL

/* Build the "status" object for @st. Returns a new reference, or NULL when
 * out of memory. */
json_t *status_json_encode(const struct vip_status *st);

/* Fill @st (which the caller provides; it is initialised here) from the
 * "status" object @obj. Unknown members are ignored (fields may be added);
 * missing required members, wrong types, out-of-range numbers, unknown
 * enumeration names and strings too long for the model are refused.
 * Returns 0, VIP_EPROTO (message in @errmsg, VIP_ERRMSG_SIZE) or
 * VIP_ENOMEM. On error @st is left empty (nothing to free). */
int status_json_decode(const json_t *obj, struct vip_status *st, char *errmsg);

/* One event as an object; NULL when out of memory. */
json_t *status_json_event_encode(const struct vip_event *ev);

/* An array of @n events from @events; NULL when out of memory. */
json_t *status_json_events_encode(const struct vip_event *events, size_t n);

/* Append the events of the array @arr to @list (validated as for
 * status_json_decode). Returns 0, VIP_EPROTO or VIP_ENOMEM; on error
 * @list keeps the events it had before the call. */
int status_json_events_decode(const json_t *arr,
                              struct vip_event_list *list,
                              char *errmsg);

#endif /* VIPD_SRC_STATUS_JSON_H */
