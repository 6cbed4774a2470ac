/* daemon.c: the shared skeleton of tandem's daemons (see daemon.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build-config.h"
#include "daemon.h"
#include "log.h"
#include "util.h"

static void usage(const struct daemon_options *o, FILE *f) {
        fprintf(f,
                "Usage: %s [OPTIONS]\n"
                "%s Runs in the foreground.\n\n"
                "  -c, --config PATH     configuration (default %s)\n"
                "  -s, --socket PATH     control socket (default %s)\n"
                "  -l, --log-level LEVEL err, warning, notice, info or debug (default info)\n"
                "%s%s"
                "  -h, --help            this text\n"
                "      --version         print the version\n",
                o->name, o->summary, o->config_path ? o->config_path : "none",
                o->socket_path, o->extra_help ? o->extra_help : "", o->extra_help ? "\n" : "");
}

int daemon_parse_options(struct daemon_options *o, int argc, char **argv) {
        struct option opts[] = {
                { "config", required_argument, NULL, 'c' },
                { "socket", required_argument, NULL, 's' },
                { "log-level", required_argument, NULL, 'l' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                /* NULL when unused: then this entry ends the table */
                { o->extra_option, required_argument, NULL, 'X' },
                {}
        };
        int c, r;

        log_set_ident(o->name);
        while ((c = getopt_long(argc, argv, "c:s:l:h", opts, NULL)) >= 0) {
                switch (c) {
                case 'c': o->config_path = optarg; break;
                case 's': o->socket_path = optarg; break;
                case 'l':
                        r = log_level_from_string(optarg);
                        if (r < 0)
                                return log_error_errno(r, "invalid --log-level '%s'", optarg);
                        log_set_max_level(r);
                        break;
                case 'h': usage(o, stdout); return 0;
                case 'V': printf("%s %s\n", o->name, TANDEM_VERSION); return 0;
                case 'X':
                        if (!o->extra_option)
                                return -EINVAL;
                        o->extra_value = optarg;
                        break;
                default: usage(o, stderr); return -EINVAL;
                }
        }
        if (optind < argc)
                return log_error_errno(-EINVAL, "unexpected argument '%s'", argv[optind]);
        return 1;
}

int daemon_start(const struct daemon_options *o, ctl_handler_t handler, void *userdata,
                 sd_event **ret_loop, struct ctl_server **ret_ctl) {
        _cleanup_free_ char *dir = strdup(o->socket_path);
        sd_event *loop = NULL;
        char *slash;
        int r;

        if (!dir)
                return log_error_errno(-ENOMEM, "out of memory");
        slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                r = mkdir_p(dir, 0755);
                if (r < 0)
                        return log_error_errno(r, "cannot create %s: %m", dir);
        }
        r = event_new_daemon_loop_with_stop(&loop, o->on_stop, o->stop_userdata);
        if (r < 0)
                return log_error_errno(r, "cannot set up the event loop: %m");
        r = ctl_server_new(loop, o->socket_path, handler, userdata, ret_ctl);
        if (r < 0) {
                sd_event_unref(loop);
                if (r == -EADDRINUSE)
                        return log_error_errno(r, "another %s answers on %s", o->name, o->socket_path);
                return log_error_errno(r, "cannot listen on %s: %m", o->socket_path);
        }
        *ret_loop = loop;
        log_info("listening on %s", o->socket_path);
        return 0;
}

int daemon_run(const struct daemon_options *o, sd_event *loop, struct ctl_server *ctl) {
        int r = sd_event_loop(loop);

        ctl_server_free(ctl);
        sd_event_unref(loop);
        if (r < 0) {
                log_error_errno(r, "event loop failed: %m");
                return 1;
        }
        log_info("stopped");
        return 0;
}

json_t *daemon_ping_reply(const struct daemon_options *o) {
        return json_pack("{s:b,s:s,s:s,s:i}", "ok", 1, "output", "", "daemon", o->name,
                         "pid", (int) getpid());
}
