/*
 * Just enough D-Bus to ask systemd three things from a hook, without spawning
 * systemctl (~8 ms here, on a restart's path): is a job pending for this unit
 * and of which type (a stop by hand, a restart), is the system shutting down,
 * and "stop this unit" (an on-failure:N budget spent). Like systemctl, it
 * talks to the manager's private socket (/run/systemd/private; a user
 * manager's under $XDG_RUNTIME_DIR), a direct connection: EXTERNAL auth, no
 * Hello, no bus daemon. Health checks also queue restarts and stops through it. Messages are little-endian (x86, arm64), as systemd
 * sends them there. The D-Bus specification, "Message Protocol", has the layout.
 */
#include "unit.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUS_TIMEOUT_MS 5000

struct buf {
  unsigned char data[2048];
  size_t len;
  bool overflow;
};

static void put(struct buf *b, const void *p, size_t n) {
  if (b->len + n > sizeof b->data) {
    b->overflow = true;
    return;
  }
  memcpy(b->data + b->len, p, n);
  b->len += n;
}
static void align(struct buf *b, size_t a) {
  static const unsigned char zeros[8] = {0};
  size_t pad = (a - b->len % a) % a;
  put(b, zeros, pad);
}
static void put_u8(struct buf *b, uint8_t v) { put(b, &v, 1); }
static void put_u32(struct buf *b, uint32_t v) {
  align(b, 4);
  put(b, &v, 4);
}
static void put_str(struct buf *b, const char *s) {
  put_u32(b, (uint32_t)strlen(s));
  put(b, s, strlen(s) + 1);
}
static void put_sig(struct buf *b, const char *s) {
  put_u8(b, (uint8_t)strlen(s));
  put(b, s, strlen(s) + 1);
}
static void field(struct buf *b, uint8_t code, const char *sig, const char *value) {
  align(b, 8);
  put_u8(b, code);
  put_sig(b, sig);
  if (strcmp(sig, "g") == 0) put_sig(b, value);
  else put_str(b, value);
}

static int write_all(int fd, const void *p, size_t n) {
  const unsigned char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    c += w;
    n -= (size_t)w;
  }
  return 0;
}

static int read_all(int fd, void *p, size_t n) {
  unsigned char *c = p;
  while (n > 0) {
    struct pollfd pf = {.fd = fd, .events = POLLIN};
    int r = poll(&pf, 1, BUS_TIMEOUT_MS);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      errno = r == 0 ? ETIMEDOUT : errno;
      return -1;
    }
    ssize_t got = read(fd, c, n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      errno = got == 0 ? ECONNRESET : errno;
      return -1;
    }
    c += got;
    n -= (size_t)got;
  }
  return 0;
}

int sdbus_open(sdbus *b) {
  b->fd = -1;
  b->serial = 0;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  const char *runtime = getenv("XDG_RUNTIME_DIR");
  /* $MANAGERPID is set for the services of user managers only. */
  if (getenv("MANAGERPID") && runtime) snprintf(sa.sun_path, sizeof sa.sun_path, "%s/systemd/private", runtime);
  else snprintf(sa.sun_path, sizeof sa.sun_path, "/run/systemd/private");
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    close(fd);
    return -1;
  }
  char auth[128], hex[32], uid[16];
  snprintf(uid, sizeof uid, "%u", (unsigned)geteuid());
  for (size_t i = 0; uid[i]; i++) sprintf(hex + 2 * i, "%02x", (unsigned char)uid[i]);
  /* AUTH and BEGIN in one write, then the OK, as sd-bus clients do: systemd's side leaves bytes
   * that came in right behind BEGIN in its buffer until the next socket event, so a call sent
   * straight after BEGIN can sit there unanswered. */
  int n = snprintf(auth, sizeof auth, "%cAUTH EXTERNAL %s\r\nBEGIN\r\n", 0, hex);
  char reply[256];
  size_t got = 0;
  if (write_all(fd, auth, (size_t)n) < 0) goto broken;
  /* One line back: "OK <guid>\r\n". */
  while (got < sizeof reply - 1) {
    if (read_all(fd, reply + got, 1) < 0) goto broken;
    if (reply[got++] == '\n') break;
  }
  reply[got] = 0;
  if (strncmp(reply, "OK ", 3) != 0) goto broken;
  b->fd = fd;
  return 0;
broken:
  close(fd);
  return -1;
}

void sdbus_close(sdbus *b) {
  if (b->fd >= 0) close(b->fd);
  b->fd = -1;
}

/* One method call with string arguments, and its reply's body (malloc'd) and signature. */
static int call(sdbus *b, const char *path, const char *iface, const char *member, const char *sig, const char *const args[], unsigned char **body, size_t *body_len, char reply_sig[32]) {
  if (b->fd < 0) return -1;
  struct buf payload = {.len = 0};
  for (size_t i = 0; sig[i]; i++) put_str(&payload, args[i]);
  struct buf m = {.len = 0};
  uint32_t serial = ++b->serial;
  uint32_t body_size = (uint32_t)payload.len;
  put(&m, "l\1\0\1", 4);
  put(&m, &body_size, 4);
  put(&m, &serial, 4);
  size_t fields_at = m.len;
  put_u32(&m, 0); /* the header fields' length, filled in below */
  size_t fields_start = m.len;
  field(&m, 1, "o", path);
  field(&m, 2, "s", iface);
  field(&m, 3, "s", member);
  field(&m, 6, "s", "org.freedesktop.systemd1");
  if (*sig) field(&m, 8, "g", sig);
  uint32_t fields_len = (uint32_t)(m.len - fields_start);
  memcpy(m.data + fields_at, &fields_len, 4);
  align(&m, 8);
  put(&m, payload.data, payload.len);
  if (m.overflow || payload.overflow) return -1;
  if (write_all(b->fd, m.data, m.len) < 0) return -1;
  for (;;) {
    unsigned char head[16];
    if (read_all(b->fd, head, 16) < 0) return -1;
    if (head[0] != 'l') return -1;
    uint32_t blen, flen;
    memcpy(&blen, head + 4, 4);
    memcpy(&flen, head + 12, 4);
    size_t fsize = (flen + 7) & ~(size_t)7;
    if (fsize > 65536 || blen > 1 << 20) return -1;
    unsigned char *rest = malloc(fsize + blen + 1);
    if (!rest || read_all(b->fd, rest, fsize + blen) < 0) {
      free(rest);
      return -1;
    }
    /* Header fields: find REPLY_SERIAL (5) and SIGNATURE (8). */
    uint32_t reply_to = 0;
    reply_sig[0] = 0;
    for (size_t at = 0; at < flen;) {
      at = (at + 7) & ~(size_t)7; /* offsets from the message start: 16 is a multiple of 8 */
      if (at + 2 > flen) break;
      uint8_t code = rest[at], slen = rest[at + 1];
      const char *vsig = (const char *)rest + at + 2;
      at += 2 + slen + 1;
      if (vsig[0] == 'u' || vsig[0] == 's' || vsig[0] == 'o') {
        at = (at + 3) & ~(size_t)3;
        uint32_t v;
        memcpy(&v, rest + at, 4);
        at += 4;
        if (vsig[0] == 'u') {
          if (code == 5) reply_to = v;
        } else at += v + 1;
      } else if (vsig[0] == 'g') {
        uint8_t glen = rest[at];
        if (code == 8 && glen < 32) {
          memcpy(reply_sig, rest + at + 1, glen);
          reply_sig[glen] = 0;
        }
        at += 1 + glen + 1;
      } else break;
    }
    if (reply_to != serial || (head[1] != 2 && head[1] != 3)) {
      free(rest); /* a signal or another reply: not ours */
      continue;
    }
    if (head[1] == 3) {
      free(rest);
      errno = EPROTO;
      return -1;
    }
    memmove(rest, rest + fsize, blen);
    rest[blen] = 0;
    *body = rest;
    *body_len = blen;
    return 0;
  }
}

static int read_u32(const unsigned char *body, size_t len, size_t *at, uint32_t *v) {
  *at = (*at + 3) & ~(size_t)3;
  if (*at + 4 > len) return -1;
  memcpy(v, body + *at, 4);
  *at += 4;
  return 0;
}

/* The string (s or o) at AT, copied into OUT. */
static int read_string(const unsigned char *body, size_t len, size_t *at, char *out, size_t out_len) {
  uint32_t n;
  if (read_u32(body, len, at, &n) < 0 || *at + n + 1 > len) return -1;
  snprintf(out, out_len, "%.*s", (int)n, (const char *)body + *at);
  *at += n + 1;
  return 0;
}

/* org.freedesktop.DBus.Properties.Get: the variant's signature and where its value starts. */
static int get_property(sdbus *b, const char *path, const char *iface, const char *name, unsigned char **body, size_t *len, size_t *value_at, char vsig[16]) {
  const char *args[] = {iface, name};
  char sig[32];
  if (call(b, path, "org.freedesktop.DBus.Properties", "Get", "ss", args, body, len, sig) < 0) return -1;
  if (strcmp(sig, "v") != 0 || *len < 2) {
    free(*body);
    return -1;
  }
  uint8_t slen = (*body)[0];
  if (slen >= 16 || (size_t)slen + 2 > *len) {
    free(*body);
    return -1;
  }
  memcpy(vsig, *body + 1, slen);
  vsig[slen] = 0;
  *value_at = (size_t)slen + 2;
  return 0;
}

/* /org/freedesktop/systemd1/unit/<name, escaped as sd-bus does: all but [A-Za-z0-9] (no leading digit) as _xx>. */
static void unit_path(const char *unit, char *out, size_t len) {
  size_t at = (size_t)snprintf(out, len, "/org/freedesktop/systemd1/unit/");
  for (size_t i = 0; unit[i] && at + 4 < len; i++) {
    unsigned char c = (unsigned char)unit[i];
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
    at += (size_t)(plain ? snprintf(out + at, len - at, "%c", c) : snprintf(out + at, len - at, "_%02x", c));
  }
}

/* The type of the job pending for UNIT ("stop", "restart", "start", ...; "" when none). */
int sdbus_unit_job(sdbus *b, const char *unit, char *type, size_t len) {
  type[0] = 0;
  char path[512], vsig[16], job[256];
  unit_path(unit, path, sizeof path);
  unsigned char *body;
  size_t blen, at;
  if (get_property(b, path, "org.freedesktop.systemd1.Unit", "Job", &body, &blen, &at, vsig) < 0) return -1;
  uint32_t id = 0;
  int r = strcmp(vsig, "(uo)") == 0 ? 0 : -1;
  at = (at + 7) & ~(size_t)7;
  if (r == 0) r = read_u32(body, blen, &at, &id);
  if (r == 0) r = read_string(body, blen, &at, job, sizeof job);
  free(body);
  if (r < 0 || id == 0) return r;
  if (get_property(b, job, "org.freedesktop.systemd1.Job", "JobType", &body, &blen, &at, vsig) < 0) return -1;
  r = strcmp(vsig, "s") == 0 ? read_string(body, blen, &at, type, len) : -1;
  free(body);
  return r;
}

/* The manager's SystemState: "running", "degraded", "starting", "stopping", ... */
int sdbus_system_state(sdbus *b, char *state, size_t len) {
  char vsig[16];
  unsigned char *body;
  size_t blen, at;
  state[0] = 0;
  if (get_property(b, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", "SystemState", &body, &blen, &at, vsig) < 0) return -1;
  int r = strcmp(vsig, "s") == 0 ? read_string(body, blen, &at, state, len) : -1;
  free(body);
  return r;
}

/* Queue a job for UNIT (METHOD: StopUnit, RestartUnit, StartUnit; mode "replace"); its completion is not awaited. */
int sdbus_unit_action(sdbus *b, const char *method, const char *unit) {
  const char *args[] = {unit, "replace"};
  unsigned char *body;
  size_t blen;
  char sig[32];
  if (call(b, "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager", method, "ss", args, &body, &blen, sig) < 0) return -1;
  free(body);
  return 0;
}

int sdbus_stop_unit(sdbus *b, const char *unit) { return sdbus_unit_action(b, "StopUnit", unit); }

/* Whether the manager is shutting down (a stop now is the machine's, not somebody's by hand). */
bool system_stopping(void) {
  sdbus b;
  char state[32] = "";
  if (sdbus_open(&b) == 0) {
    sdbus_system_state(&b, state, sizeof state);
    sdbus_close(&b);
  }
  return strcmp(state, "stopping") == 0;
}
