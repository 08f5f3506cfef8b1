/* The ionstack driver: parses the command, loads the configuration, builds
 * and runs the simulation, and reports. It computes nothing itself.
 *   ionstack run CONFIG [-section_key value ...] [-quiet] [PETSc options]
 *   ionstack check CONFIG [-section_key value ...]
 *   ionstack materials [NAME]                                          */
#include <unistd.h>
#include "ionstack.h"

#define MAX_OVERRIDES 256

static const char usage[] = "usage: ionstack run CONFIG [-section_key value ...] [-quiet] [PETSc options]\n"
                            "       ionstack check CONFIG [-section_key value ...]\n"
                            "       ionstack materials [NAME]\n"
                            "       ionstack version\n"
                            "Config keys given on the command line override the file: -separator_thickness 30um\n"
                            "(see docs/config.md). PETSc options such as -ts_monitor pass through.\n";

typedef enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_SOLVER = 3 } ExitCode;

/* Reports an error raised with a message (bad input, unwritable output)
 * as one clean line instead of a PETSc traceback. */
static int Report(PetscErrorCode ierr, const char *what)
{
  const char *generic  = NULL;
  char       *specific = NULL;
  PetscErrorMessage(ierr, &generic, &specific);
  fprintf(stderr, "ionstack: %s: %s\n", what, specific && specific[0] ? specific : (generic ? generic : "unknown error"));
  return EXIT_INPUT;
}

/* Splits argv after the config file into config overrides and PETSc options. */
static PetscErrorCode ParseOverrides(int argc, char **argv, int first, PetscInt *n, char **keys, char **values, PetscBool *quiet)
{
  PetscFunctionBeginUser;
  *n = 0;
  for (int a = first; a < argc; a++) {
    char      key[256];
    PetscBool is_config;
    if (!strcmp(argv[a], "-quiet")) {
      *quiet = PETSC_TRUE;
      continue;
    }
    if (argv[a][0] != '-') continue;
    PetscCall(ConfigOptionKey(argv[a], key, sizeof key, &is_config));
    if (!is_config) continue;
    PetscCheck(a + 1 < argc, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "command-line option %s needs a value, e.g. %s 30um", argv[a], argv[a]);
    PetscCheck(*n < MAX_OVERRIDES, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "more than %d config overrides on the command line", MAX_OVERRIDES);
    PetscCall(PetscStrallocpy(key, &keys[*n]));
    PetscCall(PetscStrallocpy(argv[a + 1], &values[*n]));
    (*n)++;
    PetscCall(PetscOptionsClearValue(NULL, argv[a])); /* ours, not PETSc's */
    a++;
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode RunCommand(const char *command, int argc, char **argv, int *status)
{
  Params     p;
  PetscInt   n = 0;
  char      *keys[MAX_OVERRIDES], *values[MAX_OVERRIDES];
  PetscBool  quiet = PETSC_FALSE;
  Simulation sim   = NULL;
  RunSummary s;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(&p, sizeof p));
  PetscCall(ParseOverrides(argc, argv, 3, &n, keys, values, &quiet));
  PetscCall(ParamsLoad(PETSC_COMM_WORLD, argv[2], n, keys, values, &p));
  for (PetscInt k = 0; k < n; k++) {
    PetscCall(PetscFree(keys[k]));
    PetscCall(PetscFree(values[k]));
  }
  p.quiet = quiet; /* the progress line also needs a terminal */
  if (!strcmp(command, "check")) {
    PetscCall(ParamsView(&p, stdout));
    PetscCall(SimulationCreate(PETSC_COMM_WORLD, &p, argc, argv, &sim)); /* the mesh checks (short circuits) */
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: configuration is valid\n", argv[2]));
  } else {
    PetscCall(SimulationCreate(PETSC_COMM_WORLD, &p, argc, argv, &sim));
    if (!quiet) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "ionstack %s: %s, %" PetscInt_FMT " protocol steps\n", IONSTACK_VERSION, argv[2], p.nsteps));
    PetscCall(SimulationRun(sim, &s));
    if (!quiet) {
      PetscCall(RunSummaryView(PETSC_COMM_WORLD, &p, &s, stdout));
      if (p.output_file[0]) {
        char base[PETSC_MAX_PATH_LEN];
        PetscCall(PetscStrncpy(base, p.output_file, sizeof base));
        if (strlen(base) > 3 && !strcmp(base + strlen(base) - 3, ".h5")) base[strlen(base) - 3] = 0;
        PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  output: %s.h5, %s.xmf, %s.csv\n", base, base, base));
      }
    }
    if (s.status != RUN_COMPLETE) {
      PetscCall(PetscFPrintf(PETSC_COMM_WORLD, stderr, "ionstack: run stopped: %s\n", s.end_reason));
      *status = EXIT_SOLVER;
    }
  }
  PetscCall(SimulationDestroy(&sim));
  PetscCall(ParamsDestroy(&p));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscErrorCode ierr;
  int            status  = EXIT_OK;
  const char    *command = argc > 1 ? argv[1] : "";

  if (argc < 2 || !strcmp(command, "-h") || !strcmp(command, "--help") || !strcmp(command, "help")) {
    fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_INPUT : EXIT_OK;
  }
  if (!strcmp(command, "version") || !strcmp(command, "--version")) {
    printf("ionstack %s (%s)\n", IONSTACK_VERSION, IONSTACK_GIT);
    return EXIT_OK;
  }
  if (strcmp(command, "run") && strcmp(command, "check") && strcmp(command, "materials")) {
    fprintf(stderr, "ionstack: unknown command '%s'; the commands are run, check, materials, version\n%s", command, usage);
    return EXIT_INPUT;
  }
  if ((!strcmp(command, "run") || !strcmp(command, "check")) && (argc < 3 || argv[2][0] == '-')) {
    fprintf(stderr, "ionstack: '%s' needs a config file\n%s", command, usage);
    return EXIT_INPUT;
  }
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  if (!strcmp(command, "materials")) {
    ierr = argc > 2 && argv[2][0] != '-' ? MaterialsShow(PETSC_COMM_WORLD, argv[2], stdout) : MaterialsList(PETSC_COMM_WORLD, stdout);
    if (ierr) status = Report(ierr, "materials");
  } else {
    ierr = RunCommand(command, argc, argv, &status);
    if (ierr) status = Report(ierr, argv[2]);
  }
  PetscCall(PetscPopErrorHandler());
  PetscCall(PetscFinalize());
  return status;
}
