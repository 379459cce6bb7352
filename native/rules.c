/*
 * Docker's restart rules, as moby's restartmanager and daemon apply them, over
 * podgen's record. Pure: no I/O. docs/restart-policies.md states each rule and
 * where podgen follows Docker's documentation rather than moby's code.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_FIRST_MS 100   /* moby: defaultTimeout */
#define BACKOFF_MAX_MS 60000   /* moby: maxRestartTimeout */
#define BACKOFF_RESET_US 10000000LL /* a run of 10 s or more resets the back-off */

/* "no", "always", "unless-stopped", "on-failure", "on-failure:N", or "systemd" (the unit's own Restart=). */
int policy_parse(const char *text, policy *p) {
  p->max_retries = 0;
  if (!text || strcmp(text, "systemd") == 0 || !*text) p->kind = POLICY_SYSTEMD;
  else if (strcmp(text, "no") == 0) p->kind = POLICY_NO;
  else if (strcmp(text, "always") == 0) p->kind = POLICY_ALWAYS;
  else if (strcmp(text, "unless-stopped") == 0) p->kind = POLICY_UNLESS_STOPPED;
  else if (strcmp(text, "on-failure") == 0) p->kind = POLICY_ON_FAILURE;
  else if (strncmp(text, "on-failure:", 11) == 0 && text[11]) {
    char *end;
    long n = strtol(text + 11, &end, 10);
    if (*end || n < 0) return -1;
    p->kind = POLICY_ON_FAILURE;
    p->max_retries = n;
  } else return -1;
  return 0;
}

/* The unit's policy: $PODGEN_RESTART_POLICY (the unit file sets it; `podgen update --restart` overrides it in a drop-in). */
policy policy_from_env(void) {
  policy p;
  const char *text = getenv("PODGEN_RESTART_POLICY");
  if (policy_parse(text, &p) < 0) {
    complain("PODGEN_RESTART_POLICY=%s is not a restart policy; acting as \"no\"", text);
    p.kind = POLICY_NO;
    p.max_retries = 0;
  }
  return p;
}

void policy_format(policy p, char *out, size_t len) {
  switch (p.kind) {
    case POLICY_NO: snprintf(out, len, "no"); break;
    case POLICY_ALWAYS: snprintf(out, len, "always"); break;
    case POLICY_UNLESS_STOPPED: snprintf(out, len, "unless-stopped"); break;
    case POLICY_ON_FAILURE:
      if (p.max_retries > 0) snprintf(out, len, "on-failure:%ld", p.max_retries);
      else snprintf(out, len, "on-failure");
      break;
    case POLICY_SYSTEMD: snprintf(out, len, "systemd"); break;
  }
}

static const char *const PHASES[] = {"", "starting", "running", "waiting", "exited", "gave-up", "stopped", "shutdown"};

const char *phase_name(phase_kind p) { return PHASES[p]; }

phase_kind phase_parse(const char *s) {
  for (size_t i = 1; i < sizeof PHASES / sizeof *PHASES; i++)
    if (strcmp(PHASES[i], s) == 0) return (phase_kind)i;
  return PHASE_NONE;
}

/*
 * Docker's exit code for how the main process ended (systemd's $EXIT_CODE and $EXIT_STATUS):
 * its status when it exited, 128+n when signal n killed it (137 for SIGKILL). Without them (the
 * main process never ran: a failed prepare before it), 1 when systemd saw a failure, else 0.
 */
int docker_exit_code(const char *exit_code, const char *exit_status, const char *service_result) {
  if (exit_code && exit_status && strcmp(exit_code, "exited") == 0) return atoi(exit_status);
  if (exit_code && exit_status && (strcmp(exit_code, "killed") == 0 || strcmp(exit_code, "dumped") == 0)) {
    int sig = signal_number(exit_status);
    return sig > 0 ? 128 + sig : 255;
  }
  return service_result && *service_result && strcmp(service_result, "success") != 0 ? 1 : 0;
}

/*
 * moby restartmanager.ShouldRestart, for a run that ended by itself (a stop by hand never gets
 * here): a run of 10 s or more resets the back-off; then the back-off is 100 ms, doubled after
 * each end, at most 1 min (updated whether or not the container restarts, as moby does); the
 * restart count grows with each restart. on-failure:N gives up once N restarts are used.
 */
bool should_restart(policy p, record *r, int exit_code, int64_t ran_us) {
  if (ran_us >= BACKOFF_RESET_US) r->backoff_ms = 0;
  if (r->backoff_ms == 0) r->backoff_ms = BACKOFF_FIRST_MS;
  else if (r->backoff_ms < BACKOFF_MAX_MS) r->backoff_ms *= 2;
  if (r->backoff_ms > BACKOFF_MAX_MS) r->backoff_ms = BACKOFF_MAX_MS;
  bool restart = false;
  switch (p.kind) {
    case POLICY_ALWAYS:
    case POLICY_UNLESS_STOPPED: restart = true; break;
    case POLICY_ON_FAILURE: restart = exit_code != 0 && (p.max_retries == 0 || r->count < p.max_retries); break;
    case POLICY_NO:
    case POLICY_SYSTEMD: restart = false; break;
  }
  if (restart) r->count++;
  return restart;
}

/*
 * At boot (the first start of a unit in a new boot, while the system is starting):
 *   always          - comes back, even when stopped by hand before (Docker);
 *   unless-stopped  - comes back unless its last stop was by hand;
 *   on-failure[:N]  - comes back when its last run ended in failure (a non-zero exit, given up
 *                     or not) or it was running, starting or waiting to restart when the machine
 *                     went down; not after a clean exit or a stop by hand (Docker's
 *                     documentation; moby's code also restarts after `docker stop`);
 *   no, systemd     - whatever the unit's [Install] says: podgen does not interfere.
 */
bool comes_back_at_boot(policy p, const record *r) {
  switch (p.kind) {
    case POLICY_ALWAYS:
    case POLICY_NO:
    case POLICY_SYSTEMD: return true;
    case POLICY_UNLESS_STOPPED: return r->phase != PHASE_STOPPED;
    case POLICY_ON_FAILURE:
      switch (r->phase) {
        case PHASE_STOPPED: return false;
        case PHASE_EXITED: return r->exit_code != 0;
        case PHASE_NONE:
        case PHASE_STARTING:
        case PHASE_RUNNING:
        case PHASE_WAITING:
        case PHASE_GAVE_UP:
        case PHASE_SHUTDOWN: return true;
      }
  }
  return true;
}

/*
 * What the unit's own Restart= does with this end (podgen writes Restart=always for always and
 * unless-stopped, Restart=on-failure for on-failure, Restart=no for no): the hooks make the
 * difference, never systemd's rules alone.
 */
bool systemd_restarts(policy p, const char *service_result) {
  bool skipped = service_result && strcmp(service_result, "exec-condition") == 0;
  bool success = !service_result || !*service_result || strcmp(service_result, "success") == 0;
  switch (p.kind) {
    case POLICY_ALWAYS:
    case POLICY_UNLESS_STOPPED: return !skipped;
    case POLICY_ON_FAILURE: return !skipped && !success;
    case POLICY_NO:
    case POLICY_SYSTEMD: return false;
  }
  return false;
}
