/* Membership RPC bodies (raft/vm_member.h): round trips, every
 * truncation, trailing bytes, and junk in each field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "raft/vm_member.h"

/* A request decodes to what was encoded. */
static void test_req_roundtrip(void **state)
{
    struct vm_member_req in = {0}, out;
    uint8_t buf[VM_REQ_FIXED + VR_RPC_ADDR_MAX];
    size_t len;
    (void)state;

    in.flags = VM_F_FORCE | VM_F_LEAVE;
    in.target = 0x0102030405060708ull;
    strcpy(in.address, "[fd00::1]:5405");
    assert_int_equal(vm_member_req_encode(&in, buf, sizeof buf, &len), 0);
    assert_int_equal(len, VM_REQ_FIXED + strlen(in.address));
    assert_int_equal(vm_member_req_decode(buf, len, &out), 0);
    assert_int_equal(out.flags, in.flags);
    assert_true(out.target == in.target);
    assert_string_equal(out.address, in.address);
}

/* Every truncation and a trailing byte are malformed. */
static void test_req_truncated(void **state)
{
    struct vm_member_req in = {0}, out;
    uint8_t buf[VM_REQ_FIXED + VR_RPC_ADDR_MAX + 1];
    size_t len;
    (void)state;

    strcpy(in.address, "10.0.0.1:5405");
    assert_int_equal(vm_member_req_encode(&in, buf, sizeof buf, &len), 0);
    for (size_t n = 0; n < len; n++) {
        assert_int_equal(vm_member_req_decode(buf, n, &out), VIP_EPROTO);
    }
    buf[len] = 'x';
    assert_int_equal(vm_member_req_decode(buf, len + 1, &out), VIP_EPROTO);
    assert_int_equal(vm_member_req_encode(&in, buf, len - 1, &len),
                     VIP_ERANGE);
}

/* Unknown flags, a space or control byte in the address, an overlong
 * length: rejected on both sides. */
static void test_req_junk(void **state)
{
    struct vm_member_req in = {0}, out;
    uint8_t buf[VM_REQ_FIXED + VR_RPC_ADDR_MAX];
    size_t len;
    (void)state;

    strcpy(in.address, "a:1");
    assert_int_equal(vm_member_req_encode(&in, buf, sizeof buf, &len), 0);
    buf[0] = 0x80;
    assert_int_equal(vm_member_req_decode(buf, len, &out), VIP_EPROTO);
    buf[0] = 0;
    buf[VM_REQ_FIXED] = ' ';
    assert_int_equal(vm_member_req_decode(buf, len, &out), VIP_EPROTO);
    buf[VM_REQ_FIXED] = 0x01;
    assert_int_equal(vm_member_req_decode(buf, len, &out), VIP_EPROTO);
    buf[VM_REQ_FIXED] = 'a';
    buf[9] = 0xff;
    buf[10] = 0xff;
    assert_int_equal(vm_member_req_decode(buf, len, &out), VIP_EPROTO);

    in.flags = 0x10;
    assert_int_equal(vm_member_req_encode(&in, buf, sizeof buf, &len),
                     VIP_EINVAL);
    in.flags = 0;
    strcpy(in.address, "a b:1");
    assert_int_equal(vm_member_req_encode(&in, buf, sizeof buf, &len),
                     VIP_EINVAL);
}

/* A reply round-trips, including a negative status and text with spaces. */
static void test_reply_roundtrip(void **state)
{
    struct vm_member_reply in = {0}, out;
    uint8_t buf[VM_REPLY_FIXED + VM_TEXT_MAX];
    size_t len;
    (void)state;

    in.status = -4001;
    in.stage = VM_STAGE_ADDED;
    in.id = 4;
    in.leader_id = 2;
    strcpy(in.text, "added as spare");
    assert_int_equal(vm_member_reply_encode(&in, buf, sizeof buf, &len), 0);
    assert_int_equal(vm_member_reply_decode(buf, len, &out), 0);
    assert_int_equal(out.status, in.status);
    assert_int_equal(out.stage, in.stage);
    assert_true(out.id == 4 && out.leader_id == 2);
    assert_string_equal(out.text, in.text);
}

/* Truncations, trailing bytes, a positive status, an unknown stage and a
 * control byte in the text are malformed. */
static void test_reply_junk(void **state)
{
    struct vm_member_reply in = {0}, out;
    uint8_t buf[VM_REPLY_FIXED + VM_TEXT_MAX + 1];
    size_t len;
    (void)state;

    strcpy(in.text, "ok");
    assert_int_equal(vm_member_reply_encode(&in, buf, sizeof buf, &len), 0);
    for (size_t n = 0; n < len; n++) {
        assert_int_equal(vm_member_reply_decode(buf, n, &out), VIP_EPROTO);
    }
    buf[len] = 'x';
    assert_int_equal(vm_member_reply_decode(buf, len + 1, &out), VIP_EPROTO);
    buf[0] = 1; /* status +1 */
    assert_int_equal(vm_member_reply_decode(buf, len, &out), VIP_EPROTO);
    buf[0] = 0;
    buf[4] = 3; /* stage */
    assert_int_equal(vm_member_reply_decode(buf, len, &out), VIP_EPROTO);
    buf[4] = 0;
    buf[VM_REPLY_FIXED] = '\n';
    assert_int_equal(vm_member_reply_decode(buf, len, &out), VIP_EPROTO);

    in.status = 5;
    assert_int_equal(vm_member_reply_encode(&in, buf, sizeof buf, &len),
                     VIP_EINVAL);
    in.status = 0;
    in.stage = 9;
    assert_int_equal(vm_member_reply_encode(&in, buf, sizeof buf, &len),
                     VIP_EINVAL);
}

/* Random bytes never crash the decoders and only decode when valid. */
static void test_fuzz(void **state)
{
    uint8_t buf[64];
    struct vm_member_req rq;
    struct vm_member_reply rp;
    unsigned seed = 12345;
    (void)state;

    for (int i = 0; i < 20000; i++) {
        size_t n = (size_t)(rand_r(&seed) % (int)sizeof buf);
        for (size_t k = 0; k < n; k++) {
            buf[k] = (uint8_t)rand_r(&seed);
        }
        if (vm_member_req_decode(buf, n, &rq) == 0) {
            assert_true((rq.flags & ~VM_F_ALL) == 0);
        }
        if (vm_member_reply_decode(buf, n, &rp) == 0) {
            assert_true(rp.status <= 0 && rp.stage <= VM_STAGE_VOTER);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_req_roundtrip),
        cmocka_unit_test(test_req_truncated),
        cmocka_unit_test(test_req_junk),
        cmocka_unit_test(test_reply_roundtrip),
        cmocka_unit_test(test_reply_junk),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
