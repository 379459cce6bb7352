/*
 * The restart manager's hooks around a run (the start's part is in start.c):
 *
 *   podgen-unit gate RECORD                 ExecCondition=: the policy's rules at boot
 *   podgen-unit stop RECORD [GRACE SIGNAL]  ExecStop=: a stop of a running container
 *   podgen-unit ended RECORD UNIT           ExecStopPost= (the last): after every run
 *
 * systemd keeps the supervision: the unit's Restart= (always, or on-failure)
 * brings the container back, so a killed podgen process never loses a
 * restart. These hooks decide what systemd's rules cannot: how long to wait
 * (start.c waits it out), when on-failure:N gives up, that a stop by hand
 * (by anyone: systemctl, D-Bus) is neither a failure nor forgotten at boot,
 * and that a container killed from outside is a failure, as Docker counts it.
 */
#include "unit.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define STOP_TIMEOUT_MARGIN_US 5000000LL
#define KILL_WAIT_MS 5000

/*
 * ExecCondition=: the first start of a unit in a new boot, while the system is starting, is
 * the boot's: the policy says whether the container comes back (rules.c). Exit 1 keeps the unit
 * down (systemd: "skipped"), without a restart; anything else goes on.
 */
int cmd_gate(int argc, char **argv) {
  if (argc != 2) return complain("usage: podgen-unit gate RECORD");
  const char *path = argv[1];
  char boot[40] = "";
  read_boot_id(boot);
  int lock = record_lock(path);
  record r;
  int verdict = 0;
  if (record_read(path, &r) == 0 && strcmp(r.boot, boot) != 0) {
    sdbus b;
    char state[32] = "";
    if (sdbus_open(&b) == 0) {
      sdbus_system_state(&b, state, sizeof state);
      sdbus_close(&b);
    }
    policy p = policy_from_env();
    if ((strcmp(state, "initializing") == 0 || strcmp(state, "starting") == 0) && !comes_back_at_boot(p, &r)) {
      char name[32];
      policy_format(p, name, sizeof name);
      complain("not started at boot: RestartPolicy=%s and the container %s before the machine went down", name,
               r.phase == PHASE_STOPPED ? "was stopped by hand" : "had exited cleanly");
      snprintf(r.boot, sizeof r.boot, "%s", boot); /* a start later in this boot is by hand */
      record_write(path, &r, false);
      verdict = 1;
    }
  }
  if (lock >= 0) close(lock);
  return verdict;
}

static int pidfd_open_(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

/* Wait up to MS for PID to go (pidfd: readable when it exits); whether it went. */
static bool gone_within(int pidfd, pid_t pid, int ms) {
  if (pidfd >= 0) {
    struct pollfd p = {.fd = pidfd, .events = POLLIN};
    int64_t until = now_us(CLOCK_MONOTONIC) + (int64_t)ms * 1000;
    for (;;) {
      int64_t left = until - now_us(CLOCK_MONOTONIC);
      int r = poll(&p, 1, left > 0 ? (int)(left / 1000) : 0);
      if (r > 0) return true;
      if (r == 0) return false;
      if (errno != EINTR) break;
    }
  }
  for (int waited = 0; waited <= ms; waited += 10) {
    if (kill(pid, 0) < 0 && errno == ESRCH) return true;
    struct timespec t = {0, 10000000};
    nanosleep(&t, NULL);
  }
  return false;
}

/*
 * ExecStop=: systemd runs it for a stop (or restart) of a running container, with $MAINPID the
 * container's init; also after a clean exit, without $MAINPID (then there is nothing to do).
 * It notes the stop in the record (by hand, or the machine's shutdown), then stops the
 * container as `docker stop -t GRACE` does: SIGNAL, GRACE seconds, SIGKILL. Doing the SIGKILL
 * here, not at systemd's TimeoutStopSec=, keeps a stop by hand from ending the unit "failed
 * (timeout)": the unit's SuccessExitStatus=SIGKILL makes that end clean, and `ended` turns a
 * SIGKILL that nobody asked for back into the failure it is. `podgen stop -t N` leaves N in
 * RECORD.stop-timeout for this one stop. Without GRACE and SIGNAL it only notes the stop (the
 * podman engine: podman's own ExecStop= stops the container).
 */
int cmd_stop(int argc, char **argv) {
  if (argc != 2 && argc != 4) return complain("usage: podgen-unit stop RECORD [GRACE SIGNAL]");
  const char *path = argv[1];
  const char *main_pid = getenv("MAINPID");
  pid_t pid = main_pid ? (pid_t)strtol(main_pid, NULL, 10) : 0;
  if (pid <= 0) return 0;
  int lock = record_lock(path);
  record r;
  record_read(path, &r);
  snprintf(r.stop, sizeof r.stop, "%s", system_stopping() ? "shutdown" : "hand");
  record_write(path, &r, true);
  if (lock >= 0) close(lock);
  if (argc == 2) return 0;

  char override[4096];
  snprintf(override, sizeof override, "%s.stop-timeout", path);
  char *text = read_text(override, 32);
  double grace = strtod(text ? text : argv[2], NULL);
  free(text);
  unlink(override);
  if (grace < 0) grace = 0;
  int sig = signal_number(argv[3]);
  if (sig <= 0) sig = SIGTERM;
  char extend[64];
  snprintf(extend, sizeof extend, "EXTEND_TIMEOUT_USEC=%lld", (long long)(grace * 1e6) + STOP_TIMEOUT_MARGIN_US);
  notify_best_effort(extend);

  int pidfd = pidfd_open_(pid);
  if (kill(pid, sig) < 0) return errno == ESRCH ? 0 : fail("kill");
  if (gone_within(pidfd, pid, (int)(grace * 1000))) return 0;
  fprintf(stderr, "podgen-unit: the container did not stop within %g s of signal %d: SIGKILL\n", grace, sig);
  if (kill(pid, SIGKILL) < 0 && errno != ESRCH) return fail("kill");
  gone_within(pidfd, pid, KILL_WAIT_MS);
  return 0;
}

/* A stop or restart job pending for UNIT means somebody stopped it (or the machine is going down). */
static const char *stop_by_job(const char *unit) {
  sdbus b;
  if (sdbus_open(&b) < 0) return "";
  char job[32] = "", state[32] = "";
  sdbus_unit_job(&b, unit, job, sizeof job);
  const char *kind = "";
  if (strcmp(job, "stop") == 0 || strcmp(job, "restart") == 0) {
    sdbus_system_state(&b, state, sizeof state);
    kind = strcmp(state, "stopping") == 0 ? "shutdown" : "hand";
  }
  sdbus_close(&b);
  return kind;
}

/*
 * ExecStopPost= (the last line: systemd skips the lines after one that fails, and this one may
 * fail on purpose). Decides with Docker's rules what follows the run that just ended, writes it
 * to the record, and makes systemd's own Restart= agree:
 *   - a stop (by hand, or the shutdown): recorded; nothing restarts;
 *   - a restart: "waiting" with its back-off (start.c waits it out); if systemd would not
 *     restart this end by itself (on-failure, and a signal systemd counts as clean), fail;
 *   - no restart: "exited" or "gave-up"; if systemd would restart it anyway (on-failure:N
 *     spent), queue a stop first, so it does not;
 *   - a non-zero exit systemd counts as clean (SIGTERM, or SIGKILL made clean for stops by
 *     hand) fails, so the unit shows failed, as it ended.
 */
int cmd_ended(int argc, char **argv) {
  if (argc != 3) return complain("usage: podgen-unit ended RECORD UNIT");
  const char *path = argv[1], *unit = argv[2];
  const char *result = getenv("SERVICE_RESULT");
  if (result && strcmp(result, "exec-condition") == 0) return 0; /* the gate kept it down */
  policy p = policy_from_env();
  int code = docker_exit_code(getenv("EXIT_CODE"), getenv("EXIT_STATUS"), result);
  bool clean_to_systemd = !result || !*result || strcmp(result, "success") == 0;

  int lock = record_lock(path);
  record r;
  record_read(path, &r);
  int64_t now_bt = now_us(CLOCK_BOOTTIME), now_rt = now_us(CLOCK_REALTIME);
  bool ran = r.phase == PHASE_STARTING || r.phase == PHASE_RUNNING;
  char stop[12];
  snprintf(stop, sizeof stop, "%s", r.stop);
  /* ExecStop notes the stops of a running container; a stop job says the rest (waiting, starting, cleaning up). */
  if (!stop[0]) snprintf(stop, sizeof stop, "%s", stop_by_job(unit));
  char name[32];
  policy_format(p, name, sizeof name);
  snprintf(r.policy, sizeof r.policy, "%s", name);

  if (stop[0]) {
    if (ran) {
      r.exit_code = code;
      r.ended_rt = now_rt;
    }
    r.pid = 0;
    r.phase = strcmp(stop, "shutdown") == 0 ? PHASE_SHUTDOWN : PHASE_STOPPED;
    r.stop[0] = 0;
    record_write(path, &r, true);
    if (lock >= 0) close(lock);
    return 0; /* a stop is not a failure */
  }
  if (r.phase == PHASE_WAITING) {
    /* The back-off wait ended without a stop (the waiter was killed): systemd must come back to it. */
    if (lock >= 0) close(lock);
    if (systemd_restarts(p, result)) return 0;
    complain("the restart back-off was interrupted; failing so that systemd resumes it");
    return 1;
  }

  r.exit_code = code;
  r.ended_rt = now_rt;
  r.pid = 0;
  bool restart = false;
  if (p.kind == POLICY_SYSTEMD) {
    r.phase = PHASE_EXITED;
  } else {
    int64_t ran_us = ran && r.started_bt > 0 ? now_bt - r.started_bt : 0;
    restart = should_restart(p, &r, code, ran_us);
    if (restart) {
      r.phase = PHASE_WAITING;
      r.not_before_bt = now_bt + (int64_t)r.backoff_ms * 1000;
      r.not_before_rt = now_rt + (int64_t)r.backoff_ms * 1000;
    } else {
      r.phase = p.kind == POLICY_ON_FAILURE && code != 0 ? PHASE_GAVE_UP : PHASE_EXITED;
    }
  }
  record_write(path, &r, !restart);
  if (lock >= 0) close(lock);

  bool native = systemd_restarts(p, result);
  if (p.kind != POLICY_SYSTEMD && !restart && native) {
    sdbus b;
    if (sdbus_open(&b) < 0 || sdbus_stop_unit(&b, unit) < 0) complain("could not stop %s from restarting (%s)", unit, strerror(errno));
    else fprintf(stderr, "podgen-unit: RestartPolicy=%s: giving up after %ld restarts\n", name, r.count);
    sdbus_close(&b);
  }
  if (restart && !native) {
    fprintf(stderr, "podgen-unit: exit code %d is a failure for RestartPolicy=%s: restarting\n", code, name);
    return 1;
  }
  /* Under systemd's own Restart=, only the SIGKILL that podgen made clean is put right. */
  bool wrong_clean = p.kind == POLICY_SYSTEMD ? code == 128 + SIGKILL : code != 0;
  if (wrong_clean && clean_to_systemd) {
    fprintf(stderr, "podgen-unit: the container ended with exit code %d without a stop: a failure\n", code);
    return 1;
  }
  return 0;
}
