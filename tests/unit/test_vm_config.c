/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the vm agent's pure parts: the QEMU command line built
 * from a configuration (escaping, disks, accelerator, extra arguments,
 * the incoming side) and the OCF code of each QMP run state. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "buf.h"
#include "vm.h"

static char *disks_plain[] = { "/images/a,b.img", "r0", NULL };
static char *disks_none[] = { NULL };

static struct vm_config base(void) {
        return (struct vm_config) {
                .name = "vm1",
                .memory_mib = 128,
                .cpus = 1,
                .disks = disks_none,
                .qemu = "qemu-system-x86_64",
                .accelerator = "tcg",
                .run_dir = "/run/tandem",
                .vm_dir = "/run/tandem/vm",
                .qmp_path = "/run/tandem/vm/vm1.qmp",
                .pid_path = "/run/tandem/vm/vm1.pid",
                .console_path = "/run/tandem/vm/vm1.console",
        };
}

/* The argument vector as one line, words separated by '|'. */
static char *joined(const struct vm_config *c, bool incoming) {
        _cleanup_buf_ struct buf b = BUF_INIT;
        char **argv = NULL, why[256];

        assert_int_equal(vm_qemu_argv(c, incoming, &argv, why, sizeof(why)), 0);
        for (char **p = argv; *p; p++)
                assert_int_equal(buf_printf(&b, "%s%s", p == argv ? "" : "|", *p), 0);
        vm_argv_free(argv);
        return buf_steal(&b);
}

static void test_kernel_boot(void **state) {
        struct vm_config c = base();
        _cleanup_free_ char *s = NULL;

        c.kernel = "/boot/vmlinuz";
        c.initrd = "/boot/initrd.img";
        c.append = "console=ttyS0 quiet";
        s = joined(&c, false);
        assert_string_equal(s,
                "qemu-system-x86_64|-name|guest=vm1|-nodefaults|-no-user-config|-display|none|-daemonize"
                "|-pidfile|/run/tandem/vm/vm1.pid|-accel|tcg|-m|128|-smp|1"
                "|-qmp|unix:/run/tandem/vm/vm1.qmp,server=on,wait=off"
                "|-chardev|file,id=serial0,append=on,path=/run/tandem/vm/vm1.console|-serial|chardev:serial0"
                "|-kernel|/boot/vmlinuz|-initrd|/boot/initrd.img|-append|console=ttyS0 quiet");
}

static void test_disks_and_extras(void **state) {
        struct vm_config c = base();
        _cleanup_free_ char *s = NULL;

        c.disks = disks_plain;
        c.accelerator = "auto";
        c.qemu_args = "-machine q35 -device 'virtio-rng-pci,id=rng 0'";
        c.memory_mib = 512;
        c.cpus = 2;
        s = joined(&c, true);
        assert_non_null(strstr(s, "|-accel|kvm|-accel|tcg|-m|512|-smp|2|"));
        /* A comma in a path is doubled; boot from the first disk. */
        assert_non_null(strstr(s, "|-blockdev|driver=raw,node-name=disk0,cache.direct=on,"
                                  "file.driver=file,file.filename=/images/a,,b.img"
                                  "|-device|virtio-blk-pci,drive=disk0,id=vd0,bootindex=0|"));
        /* A resource is volume 0 of its NBD socket in the run directory. */
        assert_non_null(strstr(s, "|-blockdev|driver=raw,node-name=disk1,cache.direct=on,file.driver=nbd,"
                                  "file.export=0,file.server.type=unix,file.server.path=/run/tandem/r0.nbd"
                                  "|-device|virtio-blk-pci,drive=disk1,id=vd1,bootindex=1|"));
        assert_non_null(strstr(s, "|-machine|q35|-device|virtio-rng-pci,id=rng 0|-incoming|defer"));
        assert_null(strstr(s, "-kernel"));
}

static void test_bad_extra_args(void **state) {
        struct vm_config c = base();
        const char *bad[] = { "-foo 'unbalanced", "-foo $(reboot)", "-foo $TANDEM_SURELY_UNSET_VARIABLE" };
        char **argv = NULL, why[256];

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                c.qemu_args = bad[i];
                why[0] = '\0';
                assert_int_equal(vm_qemu_argv(&c, false, &argv, why, sizeof(why)), -EINVAL);
                assert_null(argv);
                assert_non_null(strstr(why, "qemu_args"));
        }
}

static void test_status_to_ocf(void **state) {
        static const struct {
                const char *status;
                int ocf;
        } cases[] = {
                { "running", OCF_SUCCESS },         { "finish-migrate", OCF_SUCCESS },
                { "inmigrate", OCF_NOT_RUNNING },   { "postmigrate", OCF_NOT_RUNNING },
                { "shutdown", OCF_NOT_RUNNING },    { "prelaunch", OCF_NOT_RUNNING },
                { "paused", OCF_ERR_GENERIC },      { "guest-panicked", OCF_ERR_GENERIC },
                { "io-error", OCF_ERR_GENERIC },    { "internal-error", OCF_ERR_GENERIC },
                { "suspended", OCF_ERR_GENERIC },   { "something-new", OCF_ERR_GENERIC },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (vm_status_to_ocf(cases[i].status) != cases[i].ocf)
                        fail_msg("%s: %d, not %d", cases[i].status, vm_status_to_ocf(cases[i].status),
                                 cases[i].ocf);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_kernel_boot),
                cmocka_unit_test(test_disks_and_extras),
                cmocka_unit_test(test_bad_extra_args),
                cmocka_unit_test(test_status_to_ocf),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
