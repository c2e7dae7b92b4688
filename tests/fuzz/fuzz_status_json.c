/* libFuzzer driver for the status/events JSON decoder and vipctl's table
 * rendering (not part of make check; tests/fuzz/run.sh builds and runs it).
 *
 * The input is parsed as JSON. An object goes to status_json_decode(), an
 * array to status_json_events_decode(). Whatever decodes must encode and
 * decode again to the same JSON (the decoder accepts exactly what the
 * encoder can say), and must render as tables whose lines fit
 * VIPCTL_COLUMNS. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/status_json.h"
#include "src/vipctl_render.h"
#include "vipd/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* No line of @text may be wider than the terminal we promise to fit. */
static void check_width(char *text, size_t len)
{
    size_t col = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            col = 0;
        } else if (((unsigned char)text[i] & 0xc0) != 0x80 &&
                   ++col > VIPCTL_COLUMNS) {
            abort();
        }
    }
    free(text);
}

static void fuzz_status(const json_t *obj)
{
    char errmsg[VIP_ERRMSG_SIZE] = "";
    struct vip_status st;
    struct vip_status st2;

    if (status_json_decode(obj, &st, errmsg) != 0) {
        if (st.nodes != NULL || st.instances != NULL || errmsg[0] == '\0') {
            abort(); /* on error nothing is left to free */
        }
        return;
    }
    json_t *enc = status_json_encode(&st);
    if (enc == NULL || status_json_decode(enc, &st2, errmsg) != 0) {
        abort();
    }
    json_t *enc2 = status_json_encode(&st2);
    if (enc2 == NULL || !json_equal(enc, enc2)) {
        abort();
    }
    char *text;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    if (out != NULL) {
        vipctl_render_status(out, &st, false);
        fclose(out);
        check_width(text, len);
    }
    json_decref(enc2);
    json_decref(enc);
    vip_status_free(&st2);
    vip_status_free(&st);
}

static void fuzz_events(const json_t *arr)
{
    char errmsg[VIP_ERRMSG_SIZE] = "";
    struct vip_event_list list;
    struct vip_event_list list2;

    vip_event_list_init(&list);
    vip_event_list_init(&list2);
    if (status_json_events_decode(arr, &list, errmsg) != 0) {
        if (list.n_events != 0) {
            abort(); /* the list keeps what it had: nothing */
        }
        vip_event_list_free(&list);
        return;
    }
    json_t *enc = status_json_events_encode(list.events, list.n_events);
    if (enc == NULL || status_json_events_decode(enc, &list2, errmsg) != 0 ||
        list2.n_events != list.n_events) {
        abort();
    }
    json_t *enc2 = status_json_events_encode(list2.events, list2.n_events);
    if (enc2 == NULL || !json_equal(enc, enc2)) {
        abort();
    }
    char *text;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    if (out != NULL) {
        vipctl_render_events_header(out, false);
        for (size_t i = 0; i < list.n_events; i++) {
            vipctl_render_event(out, &list.events[i], false);
        }
        fclose(out);
        check_width(text, len);
    }
    json_decref(enc2);
    json_decref(enc);
    vip_event_list_free(&list2);
    vip_event_list_free(&list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, size, 0, &jerr);

    if (root == NULL) {
        return 0;
    }
    if (json_is_object(root)) {
        fuzz_status(root);
    } else if (json_is_array(root)) {
        fuzz_events(root);
    }
    json_decref(root);
    return 0;
}
