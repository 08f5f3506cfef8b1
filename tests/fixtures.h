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

static inline ProtocolStep FixtureStep(StepKind kind, PetscReal current, PetscReal duration, PetscReal until_voltage)
{
  ProtocolStep s = {kind, current, 0, 0, until_voltage, PETSC_INFINITY, 0, duration, ""};
  snprintf(s.text, sizeof s.text, "%s at %g A/m^2 for %g s", StepKinds[kind], current, duration);
  return s;
}
