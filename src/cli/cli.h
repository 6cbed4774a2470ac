/* cli.h: the subcommand groups of the `tandem` command. Each takes the
 * arguments after its own name (argv[0] is the group's name) and returns
 * the process exit status. */
#pragma once

int cli_lab(int argc, char **argv);
int cli_disk(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_configure(int argc, char **argv);
int cli_simulate(int argc, char **argv);

/* Path of a daemon's control socket: $TANDEM_RUN_DIR (default /run/tandem)
 * followed by `name`. */
const char *cli_socket_path(const char *name, char *buf, size_t size);

/* Send one command to a daemon and print its answer. Returns an exit
 * status: 0 on success, 1 when the daemon reported an error, 3 when the
 * daemon is not running. */
int cli_call_daemon(const char *socket_name, const char *daemon, const char *command,
                    int argc, char **argv);
