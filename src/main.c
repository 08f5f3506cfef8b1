/* The ionstack driver: parses the command, loads the configuration, builds
 * and runs the simulation, and reports. It computes nothing itself.
 *   ionstack run CONFIG [-section_key value ...] [-restart FILE] [-quiet] [PETSc options]
 *   ionstack check CONFIG [-section_key value ...]
 *   ionstack sweep CONFIG [-index i] [-list] [-ranks_per_run n] [-section_key value ...] [-quiet]
 *   ionstack collect DIR
 *   ionstack materials [NAME]
 * Every argument is used or refused: config keys and -quiet are read through
 * PETSc's options database like PETSc's own options, and whatever is left
 * unused once the solvers are set up stops the run before any output. */
#include <stdlib.h>
#include <unistd.h>
#include "ionstack.h"

static const char usage[] = "usage: ionstack run CONFIG [-section_key value ...] [-restart FILE] [-quiet] [PETSc options]\n"
                            "       ionstack check CONFIG [-section_key value ...]\n"
                            "       ionstack sweep CONFIG [-index i] [-list] [-ranks_per_run n] [-section_key value ...] [-quiet]\n"
                            "       ionstack collect DIR\n"
                            "       ionstack materials [NAME]\n"
                            "       ionstack version\n"
                            "Config keys given on the command line override the file: -separator_thickness 30um\n"
                            "(see docs/config.md); `ionstack run CONFIG -help` lists them with PETSc's options.\n";

/* Exit statuses, documented in the README. */
typedef enum { EXIT_OK = 0, EXIT_INPUT = 1, EXIT_INTERNAL = 2, EXIT_SOLVER = 3, EXIT_OUTPUT = 4, EXIT_INTERRUPTED = 5 } ExitCode;

static ExitCode ExitFor(PetscErrorCode ierr)
{
  switch (ierr) {
  case PETSC_ERR_USER_INPUT:
  case PETSC_ERR_FILE_OPEN:
  case PETSC_ERR_FILE_READ:
  case PETSC_ERR_FILE_UNEXPECTED:
  case PETSC_ERR_ARG_WRONG:
  case PETSC_ERR_ARG_OUTOFRANGE:
  case PETSC_ERR_ARG_SIZ:
  case PETSC_ERR_ARG_IDN:
  case PETSC_ERR_ARG_INCOMP:
  case PETSC_ERR_ARG_NULL:
  case PETSC_ERR_SUP:
    return EXIT_INPUT;
  case PETSC_ERR_NOT_CONVERGED:
    return EXIT_SOLVER;
  case PETSC_ERR_FILE_WRITE:
    return EXIT_OUTPUT;
  default:
    return EXIT_INTERNAL;
  }
}

/* Reports an error raised with a message as one clean line instead of a
 * PETSc traceback; the message names its file and key itself. */
static int Report(PetscErrorCode ierr)
{
  const char *generic  = NULL;
  char       *specific = NULL;
  PetscErrorMessage(ierr, &generic, &specific);
  fprintf(stderr, "ionstack: %s\n", specific && specific[0] ? specific : (generic ? generic : "unknown error"));
  return ExitFor(ierr);
}

/* A process started without a launcher is an MPI singleton; Open MPI's
 * defaults then probe for fast interconnects and start a helper daemon,
 * which costs about 0.3 s. Under a launcher its settings stand (a cluster
 * needs its interconnect); a user's own settings always stand. */
static void SingletonDefaults(void)
{
  const char *launched[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};

  for (size_t k = 0; k < sizeof launched / sizeof launched[0]; k++)
    if (getenv(launched[k])) return;
  setenv("OMPI_MCA_pml", "ob1", 0);
  setenv("OMPI_MCA_btl", "self,vader", 0);
  setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
}

/* PETSc reads these options only in PetscFinalize (PETSc 3.18's pinit.c),
 * after the unused-option check: they are read here first so that the
 * check sees them used. Every other option must be read by the setup. */
static PetscErrorCode ReadFinalizeOptions(void)
{
  const char *names[] = {"-options_left", "-options_view", "-malloc_dump",     "-malloc_view", "-malloc_info", "-malloc_test", "-memory_view",
                         "-objects_dump", "-citations",    "-get_total_flops", "-mpidump",     "-log_all",     "-log_mpe",     "-saw_options"};
  PetscBool   set;

  PetscFunctionBeginUser;
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
    PetscCall(PetscOptionsHasName(NULL, NULL, names[k], &set));
  PetscFunctionReturn(0);
}

/* What a run or check holds, freed in one place whether the command
 * succeeds or fails. */
typedef struct {
  Params     p;
  PetscInt   n;
  char     **keys, **values;
  Simulation sim;
} Command;

static PetscErrorCode RunCommand_Private(Command *cmd, const char *command, int argc, char **argv, int *status)
{
  MPI_Comm   comm  = PETSC_COMM_WORLD;
  Params    *p     = &cmd->p;
  PetscBool  quiet = PETSC_FALSE, help;
  RunSummary s;

  PetscFunctionBeginUser;
  PetscCall(ConfigArgumentsCheck(argc, argv, 3));
  PetscCall(ReadFinalizeOptions());
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-quiet", &quiet, NULL));
  PetscCall(PetscOptionsHasHelp(NULL, &help));
  PetscCall(ConfigOptionsCollect(comm, NULL, &cmd->n, &cmd->keys, &cmd->values));
  PetscCall(ParamsLoad(comm, argv[2], cmd->n, cmd->keys, cmd->values, p));
  PetscCall(ConfigOptionsCheckUnused(comm, NULL, PETSC_TRUE)); /* a mistyped config key, before any work */
  p->quiet = quiet;                                            /* the progress line also needs a terminal */
  if (!strcmp(command, "run")) PetscCall(PetscOptionsGetString(NULL, NULL, "-restart", p->restart_file, sizeof p->restart_file, NULL));
  if (!strcmp(command, "check")) {
    PetscCall(ParamsView(p, stdout));
    PetscCall(StackView(p, stdout)); /* the output layer's mass model: the config layer does not know it */
  }
  PetscCall(SimulationCreate(comm, p, argc, argv, &cmd->sim));
  PetscCall(SimulationSetUp(cmd->sim));
  PetscCall(ConfigOptionsCheckUnused(comm, NULL, PETSC_FALSE)); /* every other option, once the solvers have read theirs */
  if (help) PetscFunctionReturn(0);                             /* -help printed every option as it was read; nothing runs */
  if (!strcmp(command, "check")) {
    PetscCall(PetscPrintf(comm, "%s: configuration is valid\n", argv[2]));
    PetscFunctionReturn(0);
  }
  if (!quiet) PetscCall(PetscPrintf(comm, "ionstack %s: %s, %" PetscInt_FMT " protocol steps\n", IONSTACK_VERSION, argv[2], p->nsteps));
  PetscCall(SimulationRun(cmd->sim, &s));
  if (!quiet) {
    PetscCall(RunSummaryView(comm, p, &s, stdout));
    if (p->output_file[0]) {
      char base[PETSC_MAX_PATH_LEN];
      PetscCall(PetscStrncpy(base, p->output_file, sizeof base));
      if (strlen(base) > 3 && !strcmp(base + strlen(base) - 3, ".h5")) base[strlen(base) - 3] = 0;
      PetscCall(PetscPrintf(comm, "  output: %s.h5, %s.xmf, %s.csv\n", base, base, base));
    }
  }
  if (s.status != RUN_COMPLETE) {
    PetscCall(PetscFPrintf(comm, stderr, "ionstack: run %s: %s\n", s.status == RUN_INTERRUPTED ? "interrupted" : "stopped", s.end_reason));
    *status = s.status == RUN_INTERRUPTED ? EXIT_INTERRUPTED : EXIT_SOLVER;
  }
  PetscFunctionReturn(0);
}

/* `ionstack sweep`: the points of the config's sweep section, in this
 * process. Point `index` (or 0) is set up once without output first, so
 * that a mistyped PETSc option stops the sweep before any point runs. */
static PetscErrorCode SweepCommand_Private(Command *cmd, Sweep *sw, int argc, char **argv, int *status)
{
  MPI_Comm     comm = PETSC_COMM_WORLD;
  PetscBool    list = PETSC_FALSE, help;
  SweepOptions o    = {1, -1, PETSC_FALSE, argc, argv};
  SweepTally   t;

  PetscFunctionBeginUser;
  PetscCall(ConfigArgumentsCheck(argc, argv, 3));
  PetscCall(ReadFinalizeOptions());
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-quiet", &o.quiet, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-list", &list, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-index", &o.index, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-ranks_per_run", &o.ranks_per_run, NULL));
  PetscCall(PetscOptionsHasHelp(NULL, &help));
  PetscCall(ConfigOptionsCollect(comm, NULL, &cmd->n, &cmd->keys, &cmd->values));
  PetscCall(SweepLoad(comm, argv[2], cmd->n, cmd->keys, cmd->values, sw));
  PetscCall(ConfigOptionsCheckUnused(comm, NULL, PETSC_TRUE));
  PetscCheck(o.index >= -1 && o.index < sw->npoints, comm, PETSC_ERR_USER_INPUT, "-index %d: %s has points 0 to %d (ionstack sweep %s -list)",
             (int)o.index, argv[2], (int)sw->npoints - 1, argv[2]);
  if (list) {
    PetscCall(ConfigOptionsCheckUnused(comm, NULL, PETSC_FALSE));
    PetscCall(SweepList(comm, sw, stdout));
    PetscFunctionReturn(0);
  }
  PetscCall(SweepPointParams(comm, sw, PetscMax(o.index, 0), &cmd->p));
  cmd->p.output_file[0] = 0; /* the check writes nothing */
  cmd->p.quiet          = PETSC_TRUE;
  PetscCall(SimulationCreate(comm, &cmd->p, argc, argv, &cmd->sim));
  PetscCall(SimulationSetUp(cmd->sim));
  PetscCall(ConfigOptionsCheckUnused(comm, NULL, PETSC_FALSE));
  PetscCall(SimulationDestroy(&cmd->sim));
  if (help) PetscFunctionReturn(0);
  if (!o.quiet)
    PetscCall(PetscPrintf(comm, "ionstack %s sweep: %s, %" PetscInt_FMT " points into %s/\n", IONSTACK_VERSION, argv[2],
                          o.index >= 0 ? (PetscInt)1 : sw->npoints, sw->directory));
  PetscCall(SweepRun(comm, sw, &o, &t));
  if (!o.quiet) {
    PetscCall(PetscPrintf(comm,
                          "  %" PetscInt_FMT " ran, %" PetscInt_FMT " skipped (complete), %" PetscInt_FMT " failed, %" PetscInt_FMT
                          " interrupted in %.3f s (solves %.3f s)\n",
                          t.ran, t.skipped, t.failed, t.interrupted, (double)t.wall_seconds, (double)t.solve_seconds));
    if (o.index < 0) PetscCall(PetscPrintf(comm, "  summary: %s/summary.h5, %s/summary.csv\n", sw->directory, sw->directory));
  }
  if (t.interrupted || InterruptPending())
    *status = EXIT_INTERRUPTED;
  else if (t.failed)
    *status = EXIT_SOLVER;
  PetscFunctionReturn(0);
}

static PetscErrorCode SweepCommand(int argc, char **argv, int *status)
{
  Command        cmd;
  Sweep          sw;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(&cmd, sizeof cmd));
  PetscCall(PetscMemzero(&sw, sizeof sw));
  ierr = SweepCommand_Private(&cmd, &sw, argc, argv, status);
  PetscCall(SimulationDestroy(&cmd.sim));
  PetscCall(ParamsDestroy(&cmd.p));
  PetscCall(SweepDestroy(&sw));
  PetscCall(ConfigOptionsFree(cmd.n, &cmd.keys, &cmd.values));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

/* `ionstack collect DIR`: the summary from whatever point files DIR holds. */
static PetscErrorCode CollectCommand(int argc, char **argv)
{
  PetscInt rows, files;

  PetscFunctionBeginUser;
  PetscCall(ConfigArgumentsCheck(argc, argv, 3));
  PetscCall(ReadFinalizeOptions());
  PetscCall(ConfigOptionsCheckUnused(PETSC_COMM_WORLD, NULL, PETSC_FALSE));
  PetscCall(SummaryCollect(PETSC_COMM_WORLD, argv[2], &rows, &files));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s/summary.h5, %s/summary.csv: %" PetscInt_FMT " points, %" PetscInt_FMT " point files\n", argv[2],
                        argv[2], rows, files));
  PetscFunctionReturn(0);
}

static PetscErrorCode RunCommand(const char *command, int argc, char **argv, int *status)
{
  Command        cmd;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(&cmd, sizeof cmd));
  ierr = RunCommand_Private(&cmd, command, argc, argv, status);
  /* freed on failure as on success: a run refused by its options holds a whole simulation */
  PetscCall(SimulationDestroy(&cmd.sim));
  PetscCall(ParamsDestroy(&cmd.p));
  PetscCall(ConfigOptionsFree(cmd.n, &cmd.keys, &cmd.values));
  PetscCall(ierr);
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
  if (strcmp(command, "run") && strcmp(command, "check") && strcmp(command, "materials") && strcmp(command, "sweep") && strcmp(command, "collect")) {
    fprintf(stderr, "ionstack: unknown command '%s'; the commands are run, check, sweep, collect, materials, version\n%s", command, usage);
    return EXIT_INPUT;
  }
  if (strcmp(command, "materials") && (argc < 3 || argv[2][0] == '-')) {
    fprintf(stderr, "ionstack: '%s' needs a %s\n%s", command, strcmp(command, "collect") ? "config file" : "sweep directory", usage);
    return EXIT_INPUT;
  }
  SingletonDefaults();
  ierr = PetscInitialize(&argc, &argv, NULL, NULL);
  if (ierr) return EXIT_INTERNAL;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = InterruptInstall();
  if (!ierr && !strcmp(command, "materials")) {
    ierr = argc > 2 && argv[2][0] != '-' ? MaterialsShow(PETSC_COMM_WORLD, argv[2], stdout) : MaterialsList(PETSC_COMM_WORLD, stdout);
  } else if (!ierr && !strcmp(command, "sweep"))
    ierr = SweepCommand(argc, argv, &status);
  else if (!ierr && !strcmp(command, "collect"))
    ierr = CollectCommand(argc, argv);
  else if (!ierr)
    ierr = RunCommand(command, argc, argv, &status);
  if (ierr) status = Report(ierr);
  PetscCall(PetscPopErrorHandler());
  PetscCall(PetscFinalize());
  return status;
}
