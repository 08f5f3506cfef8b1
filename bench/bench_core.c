/* make bench: in-process solve time of the 1D core cells (start-up, config
 * parsing and output excluded), the median of repeated runs, with the work
 * done. Prints figures next to their targets (SPEC section 8); not a test. */
#include <sys/resource.h>
#include "ionstack.h"

static PetscErrorCode Bench(const char *label, const char *config, PetscInt noverride, char **keys, char **values, double target_ms)
{
  double     best[15];
  RunSummary s;
  const int  repeats = 15;

  PetscFunctionBeginUser;
  for (int r = 0; r < repeats; r++) {
    Params     p;
    Simulation sim;
    PetscCall(ParamsLoad(PETSC_COMM_WORLD, config, noverride, keys, values, &p));
    p.output_file[0] = 0;
    p.quiet          = PETSC_TRUE;
    PetscCall(SimulationCreate(PETSC_COMM_WORLD, &p, 0, NULL, &sim));
    PetscCall(SimulationRun(sim, &s));
    best[r] = s.solve_seconds * 1e3;
    PetscCall(SimulationDestroy(&sim));
    PetscCall(ParamsDestroy(&p));
  }
  for (int i = 0; i < repeats; i++)
    for (int j = i + 1; j < repeats; j++)
      if (best[j] < best[i]) {
        double t = best[i];
        best[i] = best[j], best[j] = t;
      }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD,
                        "%-44s %8.2f ms (median of %d; target <= %.0f ms)  %4" PetscInt_FMT " steps, %4" PetscInt_FMT " Newton, %4" PetscInt_FMT
                        " linear, %.1f us/step  [%s]\n",
                        label, best[repeats / 2], repeats, target_ms, s.steps, s.newton, s.linear, 1e3 * best[repeats / 2] / (s.steps ? s.steps : 1),
                        s.end_reason));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  char *k1[] = {"protocol"}, *v1[] = {"[discharge at 1C until 3.0 V]"};
  char *k2[] = {"protocol", "output.file"}, *v2[] = {"[discharge at 1 mA/cm^2 for 1 h]", "x.h5"};

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "ionstack 1D core benchmark (in-process solve, output off)\n"));
  PetscCall(Bench("default cell, full protocol", IONSTACK_SOURCE_DIR "/configs/default.yaml", 0, NULL, NULL, 10));
  PetscCall(Bench("thin-film NMC811, 1C discharge to 3.0 V", IONSTACK_SOURCE_DIR "/configs/default.yaml", 1, k1, v1, 5));
  PetscCall(Bench("Li|LPSCl|Li symmetric, 1 mA/cm^2 for 1 h", IONSTACK_SOURCE_DIR "/configs/symmetric.yaml", 1, k2, v2, 5));
  PetscCall(Bench("Li|PEO-LiTFSI|Li, configs/polymer_symmetric", IONSTACK_SOURCE_DIR "/configs/polymer_symmetric.yaml", 0, NULL, NULL, 5));
  {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-44s %8.1f MiB (target <= 50 MiB; resident set, PETSc, MPI and shared libraries included)\n",
                          "peak memory of the 1D runs above", ru.ru_maxrss / 1024.0));
  }
  PetscCall(PetscFinalize());
  return 0;
}
