/* Material laws with their derivatives: electrolyte transport properties as
 * functions of concentration, open-circuit potentials U(theta), Arrhenius
 * temperature dependence, and the derived cell figures that several layers
 * quote (capacity, limiting current). Pointwise only: no grid, no Vec. */
#include "ionstack.h"

const char *const PhaseNames[]       = {"void", "lithium", "electrolyte", "active", "composite", "collector", "PhaseType", "PHASE_", NULL};
const char *const ElectrolyteKinds[] = {"single_ion", "binary", "ElectrolyteKind", "ELECTROLYTE_", NULL};
const char *const OcpModels[]        = {"constant", "NMC811", "LCO", "table", "OcpModel", "OCP_", NULL};
const char *const CathodeModels[]    = {"active", "lithium", "CathodeModel", "CATHODE_", NULL};
const char *const StepKinds[]        = {"discharge", "charge", "rest", "hold", "StepKind", "STEP_", NULL};

PetscReal Arrhenius(PetscReal value_ref, PetscReal activation_energy, PetscReal T_ref, PetscReal T)
{
  return value_ref * PetscExpReal(-activation_energy / GAS_CONSTANT * (1.0 / T - 1.0 / T_ref));
}

/* kappa = kappa_ref (c/c_ref)^n covers both the dilute Nernst-Planck limit
 * (n = 1, kappa = F^2 (D+ + D-) c / RT) and constant-property polymers (n = 0). */
void ElectrolyteEvaluate(const Electrolyte *e, PetscReal c, ElectrolyteState *s)
{
  const PetscReal n = e->conductivity_exponent, ratio = c / e->concentration;

  s->kappa     = n == 0.0 ? e->conductivity : (n == 1.0 ? e->conductivity * ratio : e->conductivity * PetscPowReal(ratio, n));
  s->dkappa_dc = n == 0.0 ? 0.0 : n * s->kappa / c;
  s->D         = e->diffusivity;
  s->dD_dc     = 0.0;
  s->tplus     = e->transference;
  s->chi       = e->thermodynamic_factor;
}

/* NMC811 of the LG M50 cell: Chen et al., J. Electrochem. Soc. 167 (2020) 080534. */
static void OcpNMC811(PetscReal x, PetscReal *U, PetscReal *dU)
{
  const PetscReal t1 = PetscTanhReal(18.5138 * (x - 0.5542)), t2 = PetscTanhReal(15.7890 * (x - 0.3117)), t3 = PetscTanhReal(15.9308 * (x - 0.3120));

  *U  = -0.8090 * x + 4.4875 - 0.0428 * t1 - 17.7326 * t2 + 17.5842 * t3;
  *dU = -0.8090 - 0.0428 * 18.5138 * (1 - t1 * t1) - 17.7326 * 15.7890 * (1 - t2 * t2) + 17.5842 * 15.9308 * (1 - t3 * t3);
}

/* LiCoO2: Ramadass et al., J. Power Sources 126 (2004) 159, with the 1.062
 * stoichiometry stretch used in its common parameterization. */
static void OcpLCO(PetscReal x, PetscReal *U, PetscReal *dU)
{
  const PetscReal stretch = 1.062, s = stretch * x, s2 = s * s;
  const PetscReal a[6] = {-4.656, 88.669, -401.119, 342.909, -462.471, 433.434};
  const PetscReal b[6] = {-1.0, 18.933, -79.532, 37.311, -73.083, 95.96};
  PetscReal       num = 0, den = 0, dnum = 0, dden = 0, p = 1, dp = 0; /* p = s^(2k), dp = d p / d s */

  for (int k = 0; k < 6; k++) {
    num += a[k] * p;
    den += b[k] * p;
    dnum += a[k] * dp;
    dden += b[k] * dp;
    dp = (2 * k + 2) * p * s;
    p *= s2;
  }
  *U  = num / den;
  *dU = stretch * (dnum * den - num * dden) / (den * den);
}

/* Piecewise-linear interpolation, constant extrapolation of the end slopes. */
static void OcpTable(const ActiveMaterial *a, PetscReal x, PetscReal *U, PetscReal *dU)
{
  const PetscReal *t = a->ocp_theta, *v = a->ocp_voltage;
  PetscInt         lo = 0, hi = a->ocp_points - 1;

  while (hi - lo > 1) {
    PetscInt mid = (lo + hi) / 2;
    if (x < t[mid])
      hi = mid;
    else
      lo = mid;
  }
  *dU = (v[hi] - v[lo]) / (t[hi] - t[lo]);
  *U  = v[lo] + *dU * (x - t[lo]);
}

void ActiveOcp(const ActiveMaterial *a, PetscReal theta, PetscReal *U, PetscReal *dU)
{
  switch (a->ocp) {
  case OCP_NMC811:
    OcpNMC811(theta, U, dU);
    break;
  case OCP_LCO:
    OcpLCO(theta, U, dU);
    break;
  case OCP_TABLE:
    OcpTable(a, theta, U, dU);
    break;
  default:
    *U  = a->ocp_value;
    *dU = 0.0;
  }
}

PetscReal CathodeCapacity(const Params *p)
{
  if (p->cathode_model != CATHODE_ACTIVE) return 0.0;
  return FARADAY * p->active.max_concentration * (p->active.theta_max - p->active.theta_min) * p->cathode.thickness;
}

PetscReal LimitingCurrent(const Electrolyte *e, PetscReal thickness)
{
  if (e->kind != ELECTROLYTE_BINARY) return PETSC_INFINITY;
  return 2.0 * FARADAY * e->diffusivity * e->concentration / ((1.0 - e->transference) * thickness);
}
