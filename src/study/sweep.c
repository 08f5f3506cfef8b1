/* Running a sweep (SPEC 5): every point inside this one process, one after
 * another on each sub-communicator of ranks_per_run ranks, since starting
 * PETSc and MPI costs more than a whole 1D solve. Points are handed out by
 * a shared counter on rank 0 (MPI_Fetch_and_op on a window), so a group
 * that finishes early takes the next point: thin membranes at low rate run
 * in milliseconds, thick ones at high rate longer. Each point is a run like
 * `ionstack run` of its parameters (config/sweep.c makes them), into its
 * own file; a point whose file is final and from the same config is
 * skipped, one killed or interrupted continues from its stored state. A
 * failed point is a row with its reason and the others go on. The summary
 * is rebuilt from the point files at the end (output/summary.c), exactly
 * as `ionstack collect` does. This file solves nothing and writes no file
 * but the sweep directory itself. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ionstack.h"

enum { COUNT_NEXT, COUNT_DONE, COUNT_FAILED, COUNTERS };

typedef struct {
  MPI_Win         win;
  long           *count; /* on rank 0 of comm: the next point, points done, points failed */
  PetscBool       progress, terminal;
  double          start;
  long            total;
  pthread_t       thread; /* the progress line, on rank 0 */
  pthread_mutex_t lock;
  pthread_cond_t  wake;
  int             stop, running;
} Dispenser;

static PetscErrorCode CounterAdd(Dispenser *d, int which, long add, long *old)
{
  long before;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Fetch_and_op(&add, &before, MPI_LONG, 0, which, add ? MPI_SUM : MPI_NO_OP, d->win));
  PetscCallMPI(MPI_Win_flush(0, d->win));
  if (old) *old = before;
  PetscFunctionReturn(0);
}

/* The progress line, printed by a thread of rank 0 from the counters in
 * its own window memory, so that it keeps going while rank 0 solves a long
 * point itself: on a terminal one line rewritten four times a second, in a
 * batch log a plain line every minute, and a last line at the end. The
 * thread makes no MPI call. */
static void PrintProgress(Dispenser *d, PetscBool last)
{
  const long   done = __atomic_load_n(&d->count[COUNT_DONE], __ATOMIC_RELAXED), failed = __atomic_load_n(&d->count[COUNT_FAILED], __ATOMIC_RELAXED);
  const double now = MPI_Wtime(), rate = done / PetscMax(now - d->start, 1e-9), eta = rate > 0 ? (d->total - done) / rate : 0;

  fprintf(stdout, "%s  sweep: %ld/%ld points, %ld failed, %.3g points/s, ETA %dm%02ds%s", d->terminal ? "\r" : "", done, d->total, failed, rate,
          (int)(eta / 60), (int)fmod(eta, 60.0), d->terminal && !last ? "   " : "\n");
  fflush(stdout);
}

static void *ProgressThread(void *ctx)
{
  Dispenser *d = (Dispenser *)ctx;

  pthread_mutex_lock(&d->lock);
  while (!d->stop) {
    struct timespec until;
    const double    wait = d->terminal ? 0.25 : 60.0;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)wait;
    until.tv_nsec += (long)((wait - (time_t)wait) * 1e9);
    if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
    if (pthread_cond_timedwait(&d->wake, &d->lock, &until) && !d->stop) PrintProgress(d, PETSC_FALSE);
  }
  pthread_mutex_unlock(&d->lock);
  return NULL;
}

/* mkdir -p, on one rank. */
static PetscErrorCode MakeDirectories(const char *dir)
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(path, dir, sizeof path));
  for (char *s = path + 1;; s++) {
    if (*s == '/' || !*s) {
      const char c = *s;
      *s           = 0;
      PetscCheck(!mkdir(path, 0777) || errno == EEXIST, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE,
                 "sweep: cannot create the sweep directory %s (output.directory): %s", path, strerror(errno));
      *s = c;
      if (!c) break;
    }
  }
  {
    struct stat st;
    PetscCheck(!stat(dir, &st) && S_ISDIR(st.st_mode), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "sweep: output.directory %s is not a directory; name a directory for the point files and the summary", dir);
  }
  PetscFunctionReturn(0);
}

typedef enum { OUTCOME_RAN, OUTCOME_SKIPPED, OUTCOME_FAILED, OUTCOME_INTERRUPTED } Outcome;

/* The run of one point's parameters, as `ionstack run` does it. */
static PetscErrorCode RunParams(MPI_Comm comm, Params *p, const SweepOptions *o, RunSummary *s)
{
  Simulation     sim = NULL;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  ierr = SimulationCreate(comm, p, o->argc, o->argv, &sim);
  if (!ierr) ierr = SimulationRun(sim, s);
  PetscCall(SimulationDestroy(&sim));
  PetscCall(ierr);
  PetscFunctionReturn(0);
}

/* Where a point stands: skip it, continue it from a stored state, or run it. */
static PetscErrorCode PointStart(MPI_Comm comm, Params *p, PetscBool *skip)
{
  PetscMPIInt rank;
  int         state;
  char        part[PETSC_MAX_PATH_LEN + 8];
  PetscBool   usable = PETSC_FALSE;
  PetscReal   t;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscSNPrintf(part, sizeof part, "%s.part", p->output_file));
  if (!rank) {
    PointState ps;
    PetscCall(SummaryPointState(p->output_file, p->resolved_yaml, &ps));
    state = (int)ps;
  }
  PetscCallMPI(MPI_Bcast(&state, 1, MPI_INT, 0, comm));
  *skip = (PetscBool)(state == POINT_DONE);
  if (state == POINT_PARTIAL || state == POINT_INTERRUPTED) {
    const char *from = state == POINT_PARTIAL ? part : p->output_file;
    PetscCall(RestartProbe(comm, from, &usable, &t));
    if (usable) PetscCall(PetscStrncpy(p->restart_file, from, sizeof p->restart_file));
  }
  if (state == POINT_PARTIAL && !usable && !rank) (void)unlink(part); /* killed before its first output: nothing to keep */
  PetscFunctionReturn(0);
}

static PetscErrorCode RunPoint(MPI_Comm comm, const Sweep *sw, const SweepOptions *o, PetscInt index, Outcome *outcome, PetscReal *solve)
{
  const double   start = MPI_Wtime();
  Params         p;
  RunSummary     s;
  PetscBool      skip = PETSC_FALSE;
  PetscMPIInt    rank;
  PetscErrorCode ierr;
  struct stat    st;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  *solve = 0;
  PetscCall(SweepPointParams(comm, sw, index, &p)); /* loaded once already: it cannot be refused now but by a changed input file */
  p.quiet = PETSC_TRUE;
  ierr    = PointStart(comm, &p, &skip);
  if (!ierr && skip) {
    *outcome = OUTCOME_SKIPPED;
    PetscCall(ParamsDestroy(&p));
    PetscFunctionReturn(0);
  }
  PetscCall(PetscMemzero(&s, sizeof s));
  if (!ierr) ierr = RunParams(comm, &p, o, &s);
  if (ierr) { /* refused once built (a mesh too large, an output interval too short) or an output error: a row with its reason */
    const char *generic  = NULL;
    char       *specific = NULL;
    PetscErrorMessage(ierr, &generic, &specific);
    if (!rank && stat(p.output_file, &st))
      PetscCall(SummaryWritePointFailure(p.output_file, &p, specific && specific[0] ? specific : (generic ? generic : "error")));
    if (!rank && !o->quiet)
      fprintf(stderr, "ionstack: sweep point %d failed: %s\n", (int)index, specific && specific[0] ? specific : (generic ? generic : "error"));
    *outcome = OUTCOME_FAILED;
  } else {
    *solve   = s.solve_seconds;
    *outcome = s.status == RUN_COMPLETE ? OUTCOME_RAN : (s.status == RUN_INTERRUPTED ? OUTCOME_INTERRUPTED : OUTCOME_FAILED);
  }
  if (!rank && !stat(p.output_file, &st)) PetscCall(SummaryStampWallTime(p.output_file, MPI_Wtime() - start));
  PetscCall(ParamsDestroy(&p));
  PetscFunctionReturn(0);
}

static PetscErrorCode SweepRun_Private(const Sweep *sw, const SweepOptions *o, Dispenser *d, MPI_Comm group, PetscInt tally[5], PetscReal *solve)
{
  PetscMPIInt grank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(group, &grank));
  for (;;) {
    long      index = -1;
    Outcome   outcome;
    PetscReal t;
    if (!grank) {
      if (!InterruptPending()) PetscCall(CounterAdd(d, COUNT_NEXT, 1, &index));
      if (o->index >= 0) index = index == 0 ? o->index : -1; /* one point, on the whole communicator */
    }
    PetscCallMPI(MPI_Bcast(&index, 1, MPI_LONG, 0, group));
    if (index < 0 || index >= sw->npoints) break;
    PetscCall(RunPoint(group, sw, o, (PetscInt)index, &outcome, &t));
    tally[outcome]++;
    *solve += t;
    if (!grank) {
      PetscCall(CounterAdd(d, COUNT_DONE, 1, NULL));
      if (outcome == OUTCOME_FAILED) PetscCall(CounterAdd(d, COUNT_FAILED, 1, NULL));
    }
  }
  PetscFunctionReturn(0);
}

PetscErrorCode SweepRun(MPI_Comm comm, const Sweep *sw, const SweepOptions *o, SweepTally *t)
{
  PetscMPIInt    size, rank;
  MPI_Comm       group = MPI_COMM_NULL;
  Dispenser      d;
  PetscInt       tally[5] = {0, 0, 0, 0, 0};
  PetscReal      solve    = 0;
  PetscErrorCode ierr     = 0;
  int            mk       = 0;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCheck(o->ranks_per_run >= 1 && size % o->ranks_per_run == 0, comm, PETSC_ERR_USER_INPUT,
             "-ranks_per_run %d must divide the %d ranks of the sweep into equal groups", (int)o->ranks_per_run, (int)size);
  PetscCall(PetscMemzero(&d, sizeof d));
  d.start = MPI_Wtime();
  d.total = o->index >= 0 ? 1 : sw->npoints;
  /* mpiexec gives its ranks a pseudo-terminal even in a batch job, whose log wants plain lines */
  d.terminal = (PetscBool)(isatty(STDOUT_FILENO) && !getenv("SLURM_JOB_ID") && !getenv("PBS_JOBID"));
  d.progress = (PetscBool)(!rank && !o->quiet);
  if (!rank) mk = MakeDirectories(sw->directory);
  PetscCallMPI(MPI_Bcast(&mk, 1, MPI_INT, 0, comm));
  if (!rank) PetscCall(mk);
  PetscCheck(!mk, comm, (PetscErrorCode)mk, "sweep: rank 0 could not use the sweep directory %s (output.directory)", sw->directory);
  /* with -index one point runs on every rank; otherwise groups of ranks_per_run */
  PetscCallMPI(MPI_Comm_split(comm, o->index >= 0 ? 0 : rank / (PetscMPIInt)o->ranks_per_run, rank, &group));
  PetscCallMPI(MPI_Win_allocate(rank ? 0 : COUNTERS * sizeof(long), sizeof(long), MPI_INFO_NULL, comm, &d.count, &d.win));
  if (!rank)
    for (int k = 0; k < COUNTERS; k++)
      d.count[k] = 0;
  PetscCallMPI(MPI_Barrier(comm));
  PetscCallMPI(MPI_Win_lock_all(0, d.win));
  if (d.progress) {
    pthread_mutex_init(&d.lock, NULL);
    pthread_cond_init(&d.wake, NULL);
    d.running = !pthread_create(&d.thread, NULL, ProgressThread, &d);
  }
  ierr = SweepRun_Private(sw, o, &d, group, tally, &solve);
  /* rank 0 waits for the other groups in a loop of its own: where RMA needs the target's progress, its calls give it */
  if (!ierr && !rank) {
    long done = 0;
    for (;;) {
      PetscCall(CounterAdd(&d, COUNT_DONE, 0, &done));
      if (done >= d.total || InterruptPending()) break;
      usleep(20000);
    }
  }
  if (d.running) {
    pthread_mutex_lock(&d.lock);
    d.stop = 1;
    pthread_cond_signal(&d.wake);
    pthread_mutex_unlock(&d.lock);
    pthread_join(d.thread, NULL);
    pthread_cond_destroy(&d.wake);
    pthread_mutex_destroy(&d.lock);
    if (!ierr) PrintProgress(&d, PETSC_TRUE);
  }
  PetscCallMPI(MPI_Win_unlock_all(d.win));
  PetscCallMPI(MPI_Barrier(comm));
  PetscCallMPI(MPI_Win_free(&d.win));
  PetscCallMPI(MPI_Comm_free(&group));
  PetscCall(ierr);
  {
    PetscInt  sum[5];
    PetscReal total;
    PetscCallMPI(MPIU_Allreduce(tally, sum, 5, MPIU_INT, MPI_SUM, comm));
    PetscCallMPI(MPIU_Allreduce(&solve, &total, 1, MPIU_REAL, MPI_SUM, comm));
    /* a point on a group of several ranks counted once per rank */
    t->points        = d.total;
    t->ran           = (sum[OUTCOME_RAN]) / (o->index >= 0 ? size : o->ranks_per_run);
    t->skipped       = (sum[OUTCOME_SKIPPED]) / (o->index >= 0 ? size : o->ranks_per_run);
    t->failed        = (sum[OUTCOME_FAILED]) / (o->index >= 0 ? size : o->ranks_per_run);
    t->interrupted   = (sum[OUTCOME_INTERRUPTED]) / (o->index >= 0 ? size : o->ranks_per_run);
    t->solve_seconds = total / (o->index >= 0 ? size : o->ranks_per_run);
  }
  if (o->index < 0) {
    PetscInt rows, files;
    PetscCall(SummaryCollect(comm, sw->directory, &rows, &files));
  }
  t->wall_seconds = MPI_Wtime() - d.start;
  PetscFunctionReturn(0);
}
