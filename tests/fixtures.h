/* Hand-built parameter sets for the verification tests: they bypass the
 * config files so each test states every number it depends on. */
#pragma once
#include "model.h"

static inline void FixtureBase(Params *p)
{
  PetscMemzero(p, sizeof *p);
  p->temperature                         = 298.15;
  p->area                                = 1e-4;
  p->dim                                 = 1;
  p->nregions                            = 3;
  p->region[REGION_ANODE].phase          = PHASE_LITHIUM;
  p->region[REGION_SEPARATOR].phase      = PHASE_ELECTROLYTE;
  p->region[REGION_CATHODE].phase        = PHASE_LITHIUM;
  p->region[REGION_ANODE].layer          = (Layer){20e-6, 4, 1.0};
  p->region[REGION_SEPARATOR].layer      = (Layer){100e-6, 40, 1.0};
  p->region[REGION_CATHODE].layer        = (Layer){20e-6, 4, 1.0};
  p->region[REGION_ANODE].conductivity   = 1.1e7;
  p->region[REGION_ANODE].density        = 534;
  p->region[REGION_ANODE].kinetics       = (Kinetics){10.0, 0.5, 0.5, 0.0, PETSC_FALSE};
  p->region[REGION_CATHODE].kinetics     = p->region[REGION_ANODE].kinetics;
  p->region[REGION_CATHODE].conductivity = p->region[REGION_ANODE].conductivity;
  p->region[REGION_CATHODE].density      = p->region[REGION_ANODE].density;
  p->cathode_model                       = CATHODE_LITHIUM;
  p->rtol                                = 1e-6;
  p->atol                                = 1e-6;
  p->dt_initial                          = 1e-3;
  p->dt_max                              = PETSC_INFINITY;
  p->depletion_fraction                  = 1e-3;
  p->newton_potential_tolerance          = 1e-10;
  p->voltage_step                        = 0.01;
  p->max_steps                           = 1000000;
  p->quiet                               = PETSC_TRUE;
  p->nsteps                              = 1;
}

/* A single-ion conductor: sigma in S/m. */
static inline void FixtureSingleIon(Params *p, PetscReal sigma)
{
  p->region[REGION_SEPARATOR].electrolyte = (Electrolyte){"test-single-ion", ELECTROLYTE_SINGLE_ION, 18000.0, sigma, 0.0, 0.0, 1.0, 1.0, 1800.0};
}

/* A dilute binary salt from its ion diffusivities (SPEC 2.2). */
static inline void FixtureBinary(Params *p, PetscReal Dp, PetscReal Dm, PetscReal c0)
{
  const PetscReal kappa = FARADAY * FARADAY * (Dp + Dm) * c0 / (GAS_CONSTANT * p->temperature);
  p->region[REGION_SEPARATOR].electrolyte =
      (Electrolyte){"test-binary", ELECTROLYTE_BINARY, c0, kappa, 1.0, 2 * Dp * Dm / (Dp + Dm), Dp / (Dp + Dm), 1.0, 1200.0};
}

/* A thin-film NMC811 cathode (Chen et al. 2020 values). */
static inline void FixtureThinFilm(Params *p, PetscReal thickness, PetscInt cells)
{
  p->cathode_model                   = CATHODE_ACTIVE;
  p->region[REGION_CATHODE].phase    = PHASE_ACTIVE;
  p->region[REGION_CATHODE].layer    = (Layer){thickness, cells, 1.0};
  p->region[REGION_CATHODE].active   = (ActiveMaterial){"NMC811", 63104.0, 4e-15, 0.18, 0.2661, 0.9084, 0.3, OCP_NMC811, 0, 0, NULL, NULL, 4800};
  p->region[REGION_CATHODE].kinetics = (Kinetics){3.4, 0.5, 0.5, 0.0, PETSC_TRUE};
}

/* A composite cathode of `cells` cells: NMC811 of FixtureThinFilm as
 * particles of radius r in `shells` shells, fractions 0.6 / 0.35 / 0.05,
 * Bruggeman 1.5, the separator's electrolyte in the pores. Call it after
 * the electrolyte fixture. */
static inline void FixtureComposite(Params *p, PetscReal thickness, PetscInt cells, PetscReal r, PetscInt shells)
{
  Region *c = &p->region[REGION_CATHODE];
  FixtureThinFilm(p, thickness, cells);
  p->cathode_model = CATHODE_COMPOSITE;
  c->phase         = PHASE_COMPOSITE;
  c->electrolyte   = p->region[REGION_SEPARATOR].electrolyte;
  c->composite     = (Composite){{0.6, 0.6}, {0.35, 0.35}, {0.05, 0.05}, {r, r}, 1.5, 0.0, 1.0, shells, 1.0, 10.0, 1900.0};
}

/* The largest relative difference between the assembled analytic Jacobian
 * and forward differences of the assembled residual, at the state a short
 * run of p leaves (gradients everywhere). */
static inline PetscErrorCode JacobianError(Params *p, double *worst)
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
  PetscCall(ModelCreateMatrix(m, &J));
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

/* Creates a simulation of p, runs it, and hands back its model and state. */
static inline PetscErrorCode FixtureRun(Params *p, Simulation *sim, RunSummary *s, Model **m, Vec *U)
{
  PetscFunctionBeginUser;
  PetscCall(SimulationCreate(PETSC_COMM_WORLD, p, 0, NULL, sim));
  PetscCall(SimulationRun(*sim, s));
  PetscCall(SimulationGetModel(*sim, m, U, NULL));
  PetscFunctionReturn(0);
}

static inline ProtocolStep FixtureStep(StepKind kind, PetscReal current, PetscReal duration, PetscReal until_voltage)
{
  ProtocolStep s = {kind, current, 0, 0, until_voltage, PETSC_INFINITY, 0, duration, ""};
  snprintf(s.text, sizeof s.text, "%s at %g A/m^2 for %g s", StepKinds[kind], current, duration);
  return s;
}
