/* podgen-unit SUBCOMMAND ...: see unit.h for what each one is for. */
#include "unit.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  static const struct {
    const char *name;
    int (*run)(int, char **);
  } commands[] = {
      {"start", cmd_start}, {"wait", cmd_wait}, {"gate", cmd_gate}, {"stop", cmd_stop}, {"ended", cmd_ended}, {"cleanup", cmd_cleanup}, {"notify", cmd_notify}, {"health", cmd_health},
  };
  if (argc >= 2)
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
      if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "usage: podgen-unit start|wait|gate|stop|ended|cleanup|notify|health ... (systemd runs these from podgen's units)\n");
  return 2;
}
