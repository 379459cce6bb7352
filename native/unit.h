/*
 * podgen-unit: the parts of a podgen-engine unit that systemd runs and that
 * must be quick (every exec here sits on a container's start or restart path,
 * where Node's ~100 ms start-up would dominate). One binary, one subcommand per
 * Exec line:
 *
 *   start    ExecStart: runc create, hand the container to systemd, let it run
 *   wait     ExecStart (before Node's prepare): the restart back-off, then exec
 *   gate     ExecCondition: the restart policy's rules at boot
 *   stop     ExecStop: note a stop by hand (or a shutdown), stop gracefully
 *   ended    ExecStopPost (last): Docker's restart rules, the record, the verdict
 *   cleanup  ExecStopPost: the Node-free cleanup of host/none-network containers
 *   notify   sd_notify with a barrier
 *   health   a health check (UNIT-health.timer), or checks until healthy (Notify=healthy)
 *
 * The record (record.c) is the restart manager's memory: one small file per
 * unit under %S/podgen/state, written only here (podgen's CLI reads it).
 * docs/restart-policies.md explains the rules; docs/architecture.md the shape.
 */
#ifndef PODGEN_UNIT_H
#define PODGEN_UNIT_H

#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/* ---- util.c ---- */
int fail(const char *what);
int complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t now_us(int clock_id);
int read_boot_id(char out[40]);
char *read_text(const char *path, size_t max);
int write_atomic(const char *path, const char *text, bool durable);
int rm_rf(const char *path);
int signal_number(const char *name);
int run_wait(char *const argv[], bool pass_listen_fds);

/* ---- notify.c: sd_notify, with the barrier systemd needs before a sender may go ---- */
struct notifier {
  int fd;
  struct sockaddr_un sa;
  socklen_t len;
};
int notifier_open(struct notifier *n);
int notify_send(struct notifier *n, const char *state);
int notify_barrier(struct notifier *n);
void notify_best_effort(const char *state);

/* ---- bus.c: systemd's manager over its private socket, as systemctl talks to it ---- */
typedef struct {
  int fd;
  uint32_t serial;
} sdbus;
int sdbus_open(sdbus *b);
void sdbus_close(sdbus *b);
int sdbus_unit_job(sdbus *b, const char *unit, char *type, size_t len);
int sdbus_system_state(sdbus *b, char *state, size_t len);
int sdbus_stop_unit(sdbus *b, const char *unit);
int sdbus_unit_action(sdbus *b, const char *method, const char *unit);
bool system_stopping(void);

/* ---- rules.c: Docker's restart rules (moby restartmanager), pure ---- */
typedef enum { POLICY_NO, POLICY_ALWAYS, POLICY_UNLESS_STOPPED, POLICY_ON_FAILURE, POLICY_SYSTEMD } policy_kind;
typedef struct {
  policy_kind kind;
  long max_retries; /* on-failure:N; 0 = unlimited */
} policy;
int policy_parse(const char *text, policy *p);
policy policy_from_env(void);
void policy_format(policy p, char *out, size_t len);

typedef enum { PHASE_NONE, PHASE_STARTING, PHASE_RUNNING, PHASE_WAITING, PHASE_EXITED, PHASE_GAVE_UP, PHASE_STOPPED, PHASE_SHUTDOWN } phase_kind;
const char *phase_name(phase_kind p);
phase_kind phase_parse(const char *s);

/* ---- record.c ---- */
typedef struct {
  char boot[40];        /* boot ID when last written */
  phase_kind phase;
  long count;           /* Docker's RestartCount: automatic restarts since the last start by hand */
  long backoff_ms;      /* Docker's current back-off step; 0 before the first */
  int64_t started_bt;   /* CLOCK_BOOTTIME µs of the current (or last) start */
  int64_t started_rt;   /* the same, CLOCK_REALTIME µs (for people) */
  int64_t ended_rt;     /* when the last run ended, CLOCK_REALTIME µs */
  int64_t not_before_bt;/* waiting: restart at this CLOCK_BOOTTIME µs */
  int64_t not_before_rt;
  int exit_code;        /* the last run's exit code, Docker's way (128+n for signal n); -1 unknown */
  long pid;             /* the running container's init, when podgen-unit start started it */
  char stop[12];        /* "hand" or "shutdown" while a stop of the current run is under way */
  char policy[32];      /* the policy in force when last written */
} record;
void record_init(record *r);
int record_lock(const char *path);
int record_read(const char *path, record *r);
int record_write(const char *path, const record *r, bool durable);

/* Docker's rules over the record. */
int docker_exit_code(const char *exit_code, const char *exit_status, const char *service_result);
bool should_restart(policy p, record *r, int exit_code, int64_t ran_us);
bool comes_back_at_boot(policy p, const record *r);
bool systemd_restarts(policy p, const char *service_result);

/* ---- subcommands ---- */
int cmd_start(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_gate(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_ended(int argc, char **argv);
int cmd_cleanup(int argc, char **argv);
int cmd_notify(int argc, char **argv);
int cmd_health(int argc, char **argv);

/* begin a start (start.c and wait): the back-off wait of an automatic restart, or the reset of a start by hand. */
int begin_start(const char *record_path);

#endif
