/* Thin-film cathode checks:
 * 1. planar solid diffusion under the constant flux j = i/F that a
 *    galvanostatic step drives into a dense film of thickness l (insulated at
 *    the collector), against the series solution
 *      c - c_init = j t / l + j (l - x)^2 / (2 D l) - j l / (6 D)
 *                   - (2 j l / D) sum_n cos(n pi x / l) exp(-n^2 pi^2 D t / l^2) / (n pi)^2,
 *    with the observed order on three meshes;
 * 2. lithium conservation over a discharge / rest / charge cycle, in the
 *    electrolyte and the film together, to solver tolerance;
 * 3. the assembled analytic Jacobian against finite differences of the
 *    assembled residual, for every phase and interface combination. */
#include "fixtures.h"
#include "testing.h"

static const double l = 3e-6;

static double Series(double x, double t, double j, double D)
{
  double u = j * t / l + j * (l - x) * (l - x) / (2 * D * l) - j * l / (6 * D);
  for (int n = 1; n < 4000; n++)
    u -= 2 * j * l / D * cos(n * M_PI * x / l) * exp(-n * n * M_PI * M_PI * D * t / (l * l)) / (n * n * M_PI * M_PI);
  return u;
}

static PetscErrorCode JacobianError(Params *p, double *worst)
{
  Simulation   sim;
  RunSummary   s;
  Model       *m;
  Vec          U, Udot, F0, F1, Up, Udp;
  Mat          J;
  TS           ts;
  PetscInt     n;
  const double shift = 3.7;

  PetscFunctionBeginUser;
  PetscCall(SimulationCreate(PETSC_COMM_WORLD, p, 0, NULL, &sim));
  PetscCall(SimulationRun(sim, &s)); /* a state with gradients everywhere */
  PetscCall(SimulationGetModel(sim, &m, &U, &ts));
  PetscCall(VecDuplicate(U, &Udot));
  PetscCall(VecSet(Udot, 0.01));
  PetscCall(VecDuplicate(U, &F0));
  PetscCall(VecDuplicate(U, &F1));
  PetscCall(VecDuplicate(U, &Up));
  PetscCall(VecDuplicate(U, &Udp));
  PetscCall(DMCreateMatrix(m->da, &J));
  PetscCall(ModelIJacobian(NULL, 1.0, U, Udot, shift, J, J, m));
  PetscCall(ModelIFunction(NULL, 1.0, U, Udot, F0, m));
  PetscCall(VecGetSize(U, &n));
  *worst = 0;
  for (PetscInt jcol = 0; jcol < n; jcol++) {
    PetscScalar        uj;
    const PetscScalar *f0, *f1;
    PetscReal          h;
    PetscCall(VecCopy(U, Up));
    PetscCall(VecCopy(Udot, Udp));
    PetscCall(VecGetValues(U, 1, &jcol, &uj));
    h = 1e-7 * (PetscAbsScalar(uj) + 1e-3);
    PetscCall(VecSetValue(Up, jcol, uj + h, INSERT_VALUES));
    PetscCall(VecSetValue(Udp, jcol, 0.01 + shift * h, INSERT_VALUES));
    PetscCall(VecAssemblyBegin(Up));
    PetscCall(VecAssemblyEnd(Up));
    PetscCall(VecAssemblyBegin(Udp));
    PetscCall(VecAssemblyEnd(Udp));
    PetscCall(ModelIFunction(NULL, 1.0, Up, Udp, F1, m));
    PetscCall(VecGetArrayRead(F0, &f0));
    PetscCall(VecGetArrayRead(F1, &f1));
    for (PetscInt i = 0; i < n; i++) {
      PetscScalar a;
      PetscCall(MatGetValues(J, 1, &i, 1, &jcol, &a));
      if (PetscAbsScalar(a) > 0 || PetscAbsScalar(f1[i] - f0[i]) > 0) {
        const double fd = (f1[i] - f0[i]) / h;
        /* forward differences: error ~ h |f''|; compare relative to the entry */
        if (PetscAbsScalar(a) > 1e-12 || PetscAbsReal(fd) > 1e-12)
          *worst = PetscMax(*worst, PetscAbsReal(fd - a) / PetscMax(PetscAbsScalar(a), PetscAbsReal(fd)));
      }
    }
    PetscCall(VecRestoreArrayRead(F0, &f0));
    PetscCall(VecRestoreArrayRead(F1, &f1));
  }
  PetscCall(MatDestroy(&J));
  PetscCall(VecDestroy(&Udot));
  PetscCall(VecDestroy(&F0));
  PetscCall(VecDestroy(&F1));
  PetscCall(VecDestroy(&Up));
  PetscCall(VecDestroy(&Udp));
  PetscCall(SimulationDestroy(&sim));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  { /* 1. solid diffusion */
    const double cur = 1.0, T = 600.0, j = cur / FARADAY;
    double       err[3];
    for (int lev = 0; lev < 3; lev++) {
      Params             p;
      Simulation         sim;
      RunSummary         s;
      Model             *m;
      Vec                U;
      const PetscScalar *u;
      const PetscInt     cells = 10 << lev;
      FixtureBase(&p);
      FixtureSingleIon(&p, 0.3);
      FixtureThinFilm(&p, l, cells);
      p.rtol = p.atol = 1e-8;
      p.steps[0]      = FixtureStep(STEP_DISCHARGE, cur, T, PETSC_INFINITY);
      PetscCall(SimulationCreate(PETSC_COMM_WORLD, &p, 0, NULL, &sim));
      PetscCall(SimulationRun(sim, &s));
      PetscCall(SimulationGetModel(sim, &m, &U, NULL));
      PetscCall(VecGetArrayRead(U, &u));
      err[lev] = 0;
      for (PetscInt k = 0; k < cells; k++) {
        const PetscInt i = p.anode.cells + p.separator.cells + k;
        const double   x = m->x_centres[i] - m->x_faces[p.anode.cells + p.separator.cells];
        err[lev]         = fmax(err[lev], fabs(u[i * FIELD_COUNT + FIELD_C] - p.active.theta_initial * p.active.max_concentration -
                                               Series(x, T, j, p.active.diffusivity)) /
                                              (j * T / l));
      }
      PetscCall(VecRestoreArrayRead(U, &u));
      PetscCall(SimulationDestroy(&sim));
    }
    check(log2(err[1] / err[2]) > 1.8, "thin_film_slab_diffusion_order", "observed order %.3f, want > %.1f", log2(err[1] / err[2]), 1.8);
    check(err[2] < 5e-4, "thin_film_slab_diffusion_finest_error", "max error %.2e of the inserted amount, tol %.0e", err[2], 5e-4);
  }
  { /* 2. conservation over a cycle, binary electrolyte and a film */
    Params       p;
    Simulation   sim;
    RunSummary   s;
    Model       *m;
    Vec          U;
    Observation  o0, o1;
    const double cur = 2.0, T = 300.0;
    FixtureBase(&p);
    FixtureBinary(&p, 1e-11, 3e-11, 1000);
    FixtureThinFilm(&p, l, 10);
    p.nsteps   = 3;
    p.steps[0] = FixtureStep(STEP_DISCHARGE, cur, T, PETSC_INFINITY);
    p.steps[1] = FixtureStep(STEP_REST, 0, 100, PETSC_INFINITY);
    p.steps[2] = FixtureStep(STEP_CHARGE, cur, T, PETSC_INFINITY);
    PetscCall(SimulationCreate(PETSC_COMM_WORLD, &p, 0, NULL, &sim));
    PetscCall(SimulationGetModel(sim, &m, &U, NULL));
    PetscCall(ModelObserve(m, 0, U, &o0));
    PetscCall(SimulationRun(sim, &s));
    PetscCall(ModelObserve(m, s.end_time, U, &o1));
    check(fabs(o1.lithium_inventory - o0.lithium_inventory) < 1e-9 * cur * T / FARADAY, "lithium_conserved_over_cycle",
          "inventory change %.3e mol/m^2 of %.3e moved", o1.lithium_inventory - o0.lithium_inventory, cur * T / FARADAY);
    check_rel("charge_returns_discharge_capacity", s.charge_capacity, s.discharge_capacity, 1e-9);
    PetscCall(SimulationDestroy(&sim));
  }
  for (int kind = 0; kind < 2; kind++) { /* 3. Jacobian */
    for (int cathode = 0; cathode < 2; cathode++) {
      Params p;
      double worst = 0;
      char   name[128];
      FixtureBase(&p);
      if (kind)
        FixtureBinary(&p, 1e-11, 3e-11, 1000);
      else
        FixtureSingleIon(&p, 0.3);
      p.separator.cells = 8, p.anode.cells = 3, p.cathode.cells = 3;
      if (cathode) FixtureThinFilm(&p, l, 5);
      p.anode_kinetics.concentration_dependent = PETSC_TRUE;
      p.anode_kinetics.film_resistance         = 1e-4;
      p.steps[0]                               = FixtureStep(STEP_DISCHARGE, 5.0, 20.0, PETSC_INFINITY);
      PetscCall(JacobianError(&p, &worst));
      snprintf(name, sizeof name, "assembled_jacobian_%s_%s", kind ? "binary" : "single_ion", cathode ? "thin_film" : "symmetric");
      check(worst < 1e-4, name, "max rel err of an entry against forward differences %.2e, tol %.0e", worst, 1e-4);
    }
  }
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
