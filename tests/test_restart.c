/* Restart through the library, as the sweep layer uses it: RestartProbe on
 * files that can and cannot be continued (a missing file, text, a cut
 * copy, a file closed before its first output time: no, and no error; a
 * finished run: yes, at its end time), a run continued in-process from a
 * finished file with one more protocol step (the uninterrupted run of the
 * longer protocol, to 1e-9: a restart between steps takes the very same
 * steps), the same into the file it continues, and a changed config
 * refused with PETSC_ERR_USER_INPUT before anything is written. Probing
 * and continuing many times keep the heap flat. The command-line side
 * (kills, SIGTERM, other rank counts) is tests/test_restart.sh. */
#include <malloc.h>
#include <sys/stat.h>
#include <unistd.h>
#include "fixtures.h"
#include "testing.h"

static char dir[PETSC_MAX_PATH_LEN];

/* A thin-film cell discharged for 10 min, then resting; more steps rest on. */
static void Cell(Params *p, PetscInt nsteps, const char *out)
{
  FixtureBase(p);
  FixtureSingleIon(p, 0.3);
  FixtureThinFilm(p, 3e-6, 10);
  p->nsteps   = nsteps;
  p->steps[0] = FixtureStep(STEP_DISCHARGE, CathodeCapacity(p) / SECONDS_PER_H, 600, PETSC_INFINITY);
  for (PetscInt k = 1; k < nsteps; k++)
    p->steps[k] = FixtureStep(k % 2 ? STEP_REST : STEP_CHARGE, k % 2 ? 0 : CathodeCapacity(p) / SECONDS_PER_H, 300, PETSC_INFINITY);
  p->output_interval = 60;
  p->resolved_yaml   = (char *)"cell:\n  temperature: 298.15  # K\nprotocol:\n  - \"fixture\"\n";
  (void)PetscSNPrintf(p->output_file, sizeof p->output_file, "%s/%s", dir, out);
}

static PetscErrorCode Run(Params *p, RunSummary *s, PetscErrorCode *result)
{
  Simulation     sim = NULL;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  ierr = SimulationCreate(PETSC_COMM_WORLD, p, 0, NULL, &sim);
  if (!ierr) ierr = SimulationRun(sim, s);
  PetscCall(SimulationDestroy(&sim));
  *result = ierr;
  PetscFunctionReturn(0);
}

static size_t HeapInUse(void)
{
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

static PetscBool Exists(const char *path)
{
  struct stat st;
  return (PetscBool)!stat(path, &st);
}

int main(int argc, char **argv)
{
  Params         p, q;
  RunSummary     a, b, c;
  PetscErrorCode ierr;
  PetscBool      usable;
  PetscReal      t;
  char           path[PETSC_MAX_PATH_LEN], other[PETSC_MAX_PATH_LEN + 16];

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  PetscCall(PetscSNPrintf(dir, sizeof dir, "/tmp/ionstack-restart-XXXXXX"));
  PetscCheck(mkdtemp(dir), PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot make a temporary directory");

  /* the finished run, and the uninterrupted run of a longer protocol */
  Cell(&p, 2, "two.h5");
  PetscCall(Run(&p, &a, &ierr));
  check(!ierr && a.status == RUN_COMPLETE, "two_step_run_completes", NULL, 0, 0);
  Cell(&p, 3, "three.h5");
  PetscCall(Run(&p, &c, &ierr));
  check(!ierr && c.status == RUN_COMPLETE, "three_step_run_completes", NULL, 0, 0);

  /* probes */
  PetscCall(PetscSNPrintf(path, sizeof path, "%s/two.h5", dir));
  ierr = RestartProbe(PETSC_COMM_WORLD, path, &usable, &t);
  check(!ierr && usable, "probe_finished_run_usable", NULL, 0, 0);
  check_abs("probe_finished_run_time_is_its_end", t, a.end_time, 1e-12 * a.end_time);
  PetscCall(PetscSNPrintf(other, sizeof other, "%s/none.h5", dir));
  ierr = RestartProbe(PETSC_COMM_WORLD, other, &usable, &t);
  check(!ierr && !usable, "probe_missing_file_unusable_no_error", NULL, 0, 0);
  WriteTestFile(dir, "text.h5", "not an HDF5 file\n", other);
  ierr = RestartProbe(PETSC_COMM_WORLD, other, &usable, &t);
  check(!ierr && !usable, "probe_text_file_unusable_no_error", NULL, 0, 0);
  {
    char cmd[3 * PETSC_MAX_PATH_LEN];
    PetscCall(PetscSNPrintf(other, sizeof other, "%s/cut.h5", dir));
    PetscCall(PetscSNPrintf(cmd, sizeof cmd, "head -c 3000 %s > %s", path, other));
    check(!system(cmd), "cut_copy_made", NULL, 0, 0);
    ierr = RestartProbe(PETSC_COMM_WORLD, other, &usable, &t);
    check(!ierr && !usable, "probe_cut_file_unusable_no_error", NULL, 0, 0);
  }
  {
    /* a file closed before its first output time: no state stored */
    Output     out;
    PetscReal  xf[3] = {0, 1e-6, 2e-6}, xc[2] = {5e-7, 1.5e-6};
    PetscInt   ph[2] = {PHASE_LITHIUM, PHASE_ELECTROLYTE};
    OutputMesh mesh  = {.ncells = 2, .x_faces = xf, .x_centres = xc, .phase = ph};
    PetscCall(PetscSNPrintf(other, sizeof other, "%s/nostate.h5", dir));
    Cell(&q, 1, "nostate.h5");
    ierr = OutputCreate(PETSC_COMM_WORLD, other, &q, 0, NULL, &mesh, &out);
    if (!ierr) ierr = OutputClose(&out, "closed at once", OUTPUT_FAILED);
    check(!ierr && Exists(other), "file_without_state_written", NULL, 0, 0);
    ierr = RestartProbe(PETSC_COMM_WORLD, other, &usable, &t);
    check(!ierr && !usable, "probe_file_without_state_unusable_no_error", NULL, 0, 0);
  }

  /* continued in-process with one more step, into another file */
  Cell(&q, 3, "continued.h5");
  PetscCall(PetscStrncpy(q.restart_file, path, sizeof q.restart_file));
  PetscCall(Run(&q, &b, &ierr));
  check(!ierr && b.status == RUN_COMPLETE, "continued_run_completes", NULL, 0, 0);
  check_rel("continued_end_time", b.end_time, c.end_time, 1e-9);
  check_rel("continued_discharge_capacity", b.discharge_capacity, c.discharge_capacity, 1e-9);
  check_rel("continued_charge_capacity", b.charge_capacity, c.charge_capacity, 1e-9);
  check(b.steps == c.steps && b.steps_completed == 3, "continued_counts_every_step", "%g time steps, want %g", (double)b.steps, (double)c.steps);

  /* a changed config: refused, nothing written */
  Cell(&q, 3, "refused.h5");
  q.resolved_yaml = (char *)"cell:\n  temperature: 310  # K\nprotocol:\n  - \"fixture\"\n";
  PetscCall(PetscStrncpy(q.restart_file, path, sizeof q.restart_file));
  PetscCall(Run(&q, &b, &ierr));
  check(ierr == PETSC_ERR_USER_INPUT && strstr(ErrorText(ierr), "cell.temperature (298.15 in the file, 310 now)") && !Exists(q.output_file),
        "changed_config_refused_before_output", NULL, 0, 0);
  if (ierr != PETSC_ERR_USER_INPUT) printf("# %s\n", ErrorText(ierr));

  /* probing and continuing into its own file, many times: the heap stays flat */
  {
    size_t heap[2] = {0, 0};
    int    ok      = 1;
    for (int k = 0; k < 30; k++) {
      Cell(&q, 3, "own.h5");
      if (k == 0) {
        char cmd[3 * PETSC_MAX_PATH_LEN];
        PetscCall(PetscSNPrintf(cmd, sizeof cmd, "cp %s %s", path, q.output_file));
        ok = ok && !system(cmd);
      }
      PetscCall(PetscStrncpy(q.restart_file, q.output_file, sizeof q.restart_file));
      ierr = RestartProbe(PETSC_COMM_WORLD, q.restart_file, &usable, &t);
      ok   = ok && !ierr && usable;
      PetscCall(Run(&q, &b, &ierr));
      ok = ok && !ierr && PetscAbsReal(b.end_time - c.end_time) <= 1e-9 * c.end_time;
      if (k == 9) heap[0] = HeapInUse();
      if (k == 29) heap[1] = HeapInUse();
    }
    PetscCall(PetscSNPrintf(other, sizeof other, "%s.part", q.output_file));
    check(ok && Exists(q.output_file) && !Exists(other), "continued_into_its_own_file_30_times", NULL, 0, 0);
    check((double)heap[1] - (double)heap[0] < 16 * 1024, "thirty_restarts_keep_the_heap_flat",
          "heap grew by %.0f bytes over restarts 10-30 (limit %.0f)", (double)heap[1] - (double)heap[0], 16.0 * 1024);
  }
  {
    char cmd[PETSC_MAX_PATH_LEN + 16];
    PetscCall(PetscSNPrintf(cmd, sizeof cmd, "rm -rf %s", dir));
    if (system(cmd)) fprintf(stderr, "could not remove %s\n", dir);
  }
  PetscCall(PetscPopErrorHandler());
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
