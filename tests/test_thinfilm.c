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
 *    assembled residual, for every phase and interface combination;
 * 4. the voltage 1 ms, 10 ms and 2 s after 1C is applied to the default cell
 *    (Li | 18 um Li6PS5Cl | 3 um NMC811, explicit numbers below), against a
 *    much finer mesh: the observed order on a refinement family of meshes
 *    graded toward the separator, and the error at the default resolution. */
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

/* The default cell's thin film, from explicit numbers (not the material file):
 * lithium 20 um in 10 cells, Li6PS5Cl 2.5 mS/cm 18 um in 20 cells, NMC811 of
 * FixtureThinFilm (c_s,max 63104 mol/m^3, D_s 4e-15 m^2/s, i0 3.4 A/m^2),
 * 3 um in `cells` graded `grading` toward the separator, starting at
 * theta = 0.27 on the steep part of the OCP (dU/dtheta = -3 V, where the
 * early-time error was found). V is read t after 1C is applied. With tight
 * set the time-error control is far below the spatial error, otherwise it
 * has the config defaults (solver.rtol 1e-4, atol 1e-3 mol/m^3, dt_initial
 * 1 ms). */
static PetscErrorCode EarlyVoltage(PetscInt cells, PetscReal grading, PetscReal t, PetscBool tight, double *V, double *widths)
{
  Params      p;
  Simulation  sim;
  RunSummary  s;
  Model      *m;
  Vec         U;
  Observation o;

  PetscFunctionBeginUser;
  FixtureBase(&p);
  FixtureSingleIon(&p, 0.25);
  p.region[REGION_ANODE].layer     = (Layer){20e-6, 10, 1.0};
  p.region[REGION_SEPARATOR].layer = (Layer){18e-6, 20, 1.0};
  FixtureThinFilm(&p, l, cells);
  p.region[REGION_CATHODE].layer.grading        = grading;
  p.region[REGION_CATHODE].active.theta_initial = 0.27;
  if (tight)
    p.rtol = 1e-9, p.atol = 1e-8, p.dt_initial = 1e-8;
  else
    p.rtol = 1e-4, p.atol = 1e-3, p.dt_initial = 1e-3;
  p.steps[0] = FixtureStep(STEP_DISCHARGE, CathodeCapacity(&p) / SECONDS_PER_H, t, PETSC_INFINITY);
  PetscCall(SimulationCreate(PETSC_COMM_WORLD, &p, 0, NULL, &sim));
  PetscCall(SimulationRun(sim, &s));
  PetscCall(SimulationGetModel(sim, &m, &U, NULL));
  PetscCall(ModelObserve(m, s.end_time, U, &o));
  *V = o.voltage;
  if (widths) { /* the cathode cells next to the separator and to the collector */
    widths[0] = m->hx[p.region[REGION_ANODE].layer.cells + p.region[REGION_SEPARATOR].layer.cells];
    widths[1] = m->hx[m->nx - 1];
  }
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
        const PetscInt i = p.region[REGION_ANODE].layer.cells + p.region[REGION_SEPARATOR].layer.cells + k;
        const double   x = m->x_centres[i] - m->x_faces[p.region[REGION_ANODE].layer.cells + p.region[REGION_SEPARATOR].layer.cells];
        err[lev]         = fmax(err[lev], fabs(u[ModelUnknown(m, i, VAR_C_S, 0)] -
                                               p.region[REGION_CATHODE].active.theta_initial * p.region[REGION_CATHODE].active.max_concentration -
                                               Series(x, T, j, p.region[REGION_CATHODE].active.diffusivity)) /
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
      p.region[REGION_SEPARATOR].layer.cells = 8, p.region[REGION_ANODE].layer.cells = 3, p.region[REGION_CATHODE].layer.cells = 3;
      if (cathode) FixtureThinFilm(&p, l, 5);
      p.region[REGION_ANODE].kinetics.concentration_dependent = PETSC_TRUE;
      p.region[REGION_ANODE].kinetics.film_resistance         = 1e-4;
      p.steps[0]                                              = FixtureStep(STEP_DISCHARGE, 5.0, 20.0, PETSC_INFINITY);
      PetscCall(JacobianError(&p, &worst));
      snprintf(name, sizeof name, "assembled_jacobian_%s_%s", kind ? "binary" : "single_ion", cathode ? "thin_film" : "symmetric");
      check(worst < 1e-4, name, "max rel err of an entry against forward differences %.2e, tol %.0e", worst, 1e-4);
    }
  }
  { /* 4. early-time voltage (issue 9, item 6). At 1 ms the diffusion length sqrt(D_s t) is 2 nm, 1/40 of
       the half cell of a uniform 20-cell film, whose surface reconstruction (a linear profile over the half
       cell) then overstates the surface stoichiometry change thirtyfold: 27 mV on this OCP. Cells graded
       geometrically toward the separator put 3 nm there; the collector end has no boundary layer. */
    const double ts[3] = {1e-3, 1e-2, 2.0}, grading = 100;
    const double tol[3] = {1.0e-3, 0.5e-3, 0.4e-3}; /* V, see below */
    const char  *tn[3]  = {"1ms", "10ms", "2s"};
    double       ref[3], err[4][3], widths[2], uniform[3];
    char         name[128];
    for (int k = 0; k < 3; k++)
      PetscCall(EarlyVoltage(640, grading, ts[k], PETSC_TRUE, &ref[k], NULL));
    for (int lev = 0; lev < 4; lev++)
      for (int k = 0; k < 3; k++) {
        double V;
        PetscCall(EarlyVoltage(20 << lev, grading, ts[k], PETSC_TRUE, &V, lev ? NULL : widths));
        err[lev][k] = fabs(V - ref[k]);
      }
    check(fabs(widths[1] / widths[0] - grading) < 1e-9 * grading, "thin_film_cathode_graded_toward_the_separator_only",
          "collector cell / separator cell %.6g, want the grading %g", widths[1] / widths[0], grading);
    for (int k = 0; k < 3; k++) {
      const double order = log2(err[2][k] / err[3][k]);
      char         fmt[256];
      snprintf(name, sizeof name, "thin_film_early_voltage_%s_order", tn[k]);
      snprintf(fmt, sizeof fmt, "errors %.4f %.4f %.4f %.4f mV on 20 40 80 160 cells against 640: observed order %%.3f, want >= %%.1f",
               1e3 * err[0][k], 1e3 * err[1][k], 1e3 * err[2][k], 1e3 * err[3][k]);
      check(order >= 1.7, name, fmt, order, 1.7);
    }
    /* The default resolution with the default time tolerances. The refinement family above puts the spatial
       error of 20 cells at 0.63, 0.23 and 0.18 mV (second order from 40 cells on); the config's time-error
       control adds up to 0.1 mV at 2 s. The tolerances leave a margin of 1.5 to 2 over that sum and are 27,
       50 and 15 times below the errors of the uniform 20-cell film, printed for the record. */
    for (int k = 0; k < 3; k++) {
      double V;
      PetscCall(EarlyVoltage(20, grading, ts[k], PETSC_FALSE, &V, NULL));
      PetscCall(EarlyVoltage(20, 1.0, ts[k], PETSC_FALSE, &uniform[k], NULL));
      snprintf(name, sizeof name, "thin_film_early_voltage_%s_default_resolution", tn[k]);
      check_abs(name, V, ref[k], tol[k]);
      printf("  uniform 20 cells at %s: V %.6f, error %.2f mV\n", tn[k], uniform[k], 1e3 * (uniform[k] - ref[k]));
    }
  }
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
