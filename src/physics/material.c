/* Material laws with their derivatives: electrolyte transport properties as
 * functions of concentration, open-circuit potentials U(theta) (the built-in
 * fits and their names, tables), the temperature laws of material parameters
 * (Arrhenius, Vogel-Fulcher-Tammann, the linear resistivity of a metal), the
 * effective conductivity of a two-phase membrane, and the derived cell figures
 * that several layers quote (capacity, limiting current). Pointwise only: no
 * grid, no Vec. Which law a parameter follows, and over which temperatures its
 * source holds, is the materials library's business (src/config/library.c). */
#include "ionstack.h"
#include <strings.h>

const char *const PhaseNames[]       = {"void", "lithium", "electrolyte", "active", "composite", "collector", "PhaseType", "PHASE_", NULL};
const char *const ElectrolyteKinds[] = {"single_ion", "binary", "ElectrolyteKind", "ELECTROLYTE_", NULL};
const char *const OcpModels[]        = {"constant", "NMC811", "LCO", "NMC532", "LFP", "table", "OcpModel", "OCP_", NULL};
const char *const GeneratorKinds[]   = {"none", "flat", "sinusoidal", "rough", "voids", "particles", "GeneratorKind", "GENERATOR_", NULL};
const char *const CathodeModels[]    = {"active", "lithium", "composite", "CathodeModel", "CATHODE_", NULL};
const char *const StepKinds[]        = {"discharge", "charge", "rest", "hold", "StepKind", "STEP_", NULL};

const char *const EffectiveMedia[] = {"maxwell_garnett", "bruggeman", "EffectiveMedium", "MEDIUM_", NULL};

/* Maxwell-Garnett: sigma_m (sf + 2 sm + 2 phi (sf - sm)) / (sf + 2 sm - phi (sf - sm)).
 * Bruggeman: phi (sf - s)/(sf + 2 s) + (1 - phi)(sm - s)/(sm + 2 s) = 0, the
 * positive root of 2 s^2 - b s - sm sf = 0 with b = (3 phi - 1) sf + (2 - 3 phi) sm. */
PetscReal EffectiveMediumConductivity(EffectiveMedium model, PetscReal sigma_m, PetscReal sigma_f, PetscReal phi)
{
  if (model == MEDIUM_MAXWELL_GARNETT) {
    const PetscReal d = sigma_f - sigma_m;
    return sigma_m * (sigma_f + 2 * sigma_m + 2 * phi * d) / (sigma_f + 2 * sigma_m - phi * d);
  } else {
    const PetscReal b = (3 * phi - 1) * sigma_f + (2 - 3 * phi) * sigma_m, q = PetscSqrtReal(b * b + 8 * sigma_m * sigma_f);
    /* the root without cancellation: (b + q)/4, or 2 sm sf / (q - b) when b < 0 */
    return b >= 0 ? 0.25 * (b + q) : 2 * sigma_m * sigma_f / (q - b);
  }
}

PetscReal Arrhenius(PetscReal value_ref, PetscReal activation_energy, PetscReal T_ref, PetscReal T)
{
  return value_ref * PetscExpReal(-activation_energy / GAS_CONSTANT * (1.0 / T - 1.0 / T_ref));
}

/* p = p0 exp(-B/(T - T0)) with B = E_B/R (E_B the pseudo-activation energy),
 * written through the value at T_ref so that p(T_ref) = value_ref exactly. At
 * and below T0 the segmental motion behind the law is frozen: 0. */
PetscReal VogelFulcherTammann(PetscReal value_ref, PetscReal pseudo_activation_energy, PetscReal T0, PetscReal T_ref, PetscReal T)
{
  const PetscReal B = pseudo_activation_energy / GAS_CONSTANT;

  if (!(T > T0)) return 0.0;
  return value_ref * PetscExpReal(-B / (T - T0) + B / (T_ref - T0));
}

/* A metal's resistivity rises about linearly with T above a fraction of its
 * Debye temperature: rho = rho_ref (1 + alpha (T - T_ref)), so
 * sigma = sigma_ref / (1 + alpha (T - T_ref)). Returns 0 where the line
 * would give a resistivity <= 0, far outside any range it was taken from. */
PetscReal LinearResistivity(PetscReal conductivity_ref, PetscReal alpha, PetscReal T_ref, PetscReal T)
{
  const PetscReal d = 1.0 + alpha * (T - T_ref);

  return d > 0 ? conductivity_ref / d : 0.0;
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

/* NMC811 against lithium. The body is the fit of Chen et al., J. Electrochem.
 * Soc. 167 (2020) 080534, doi:10.1149/1945-7111/ab9050, to GITT on NMC811 |
 * Li half cells; on its own it levels off near 3.49 V as theta -> 1 and never
 * reaches a 3.0 V cutoff, because the relaxed GITT points miss the steep end
 * of lithiation. That end is closed with the exponential term of the layered
 * oxide (NMC532) fit of Mohtat et al., J. Electrochem. Soc. 167 (2020)
 * 110561, doi:10.1149/1945-7111/aba5d1, which is below 3 mV for theta < 0.95
 * and so leaves the measured part unchanged. U = 4.2 V at theta = 0.304628,
 * U = 3.0 V at theta = 0.996600 (docs/materials.md). */
static void OcpNMC811(PetscReal x, PetscReal *U, PetscReal *dU)
{
  const PetscReal t1 = PetscTanhReal(18.5138 * (x - 0.5542)), t2 = PetscTanhReal(15.7890 * (x - 0.3117)), t3 = PetscTanhReal(15.9308 * (x - 0.3120));
  const PetscReal e = 0.5623e-4 * PetscExpReal(109.451 * x - 100.006);

  *U  = -0.8090 * x + 4.4875 - 0.0428 * t1 - 17.7326 * t2 + 17.5842 * t3 - e;
  *dU = -0.8090 - 0.0428 * 18.5138 * (1 - t1 * t1) - 17.7326 * 15.7890 * (1 - t2 * t2) + 17.5842 * 15.9308 * (1 - t3 * t3) - 109.451 * e;
}

/* LiCoO2: Ramadass et al., J. Electrochem. Soc. 151 (2004) A196,
 * doi:10.1149/1.1634273, with the 1.062 stoichiometry stretch used in its
 * common parameterization. The rational fit has poles at theta = 0.3980 and
 * 0.9457, so it holds only between them: on [0.41, 0.94] it is used as is,
 * and outside it continues with its end slopes (monotonic and C1), so a
 * Newton iterate that strays past the window never meets a pole. The window
 * 4.2 V .. 3.0 V is theta = 0.486622 .. 0.938503. */
#define LCO_THETA_LO 0.41
#define LCO_THETA_HI 0.94

static void OcpLCOFit(PetscReal x, PetscReal *U, PetscReal *dU)
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

static void OcpLCO(PetscReal x, PetscReal *U, PetscReal *dU)
{
  const PetscReal end = x < LCO_THETA_LO ? LCO_THETA_LO : (x > LCO_THETA_HI ? LCO_THETA_HI : x);

  OcpLCOFit(end, U, dU);
  *U += *dU * (x - end);
}

/* NMC532 (LiNi0.5Mn0.3Co0.2O2) against lithium: the fit of Mohtat et al.,
 * J. Electrochem. Soc. 167 (2020) 110561, doi:10.1149/1945-7111/aba5d1 (the
 * NMC_ocp_PeymanMPM of PyBaMM's Mohtat2020 set), a quintic in theta closed at
 * full lithiation by an exponential. It falls on all of [-1, 2] (dU/dtheta <=
 * -0.28 V there, flattest near theta = 0.7), so it needs no guard. U = 4.2 V
 * at theta = 0.096012, 4.3 V at 0.028114, 3.0 V at 0.997384. */
static void OcpNMC532(PetscReal x, PetscReal *U, PetscReal *dU)
{
  const PetscReal e = 0.5623e-4 * PetscExpReal(109.451 * x - 100.006);

  *U  = 4.3452 + x * (-1.6518 + x * (1.6225 + x * (-2.0843 + x * (3.5146 + x * -2.2166)))) - e;
  *dU = -1.6518 + x * (2 * 1.6225 + x * (3 * -2.0843 + x * (4 * 3.5146 + x * 5 * -2.2166))) - 109.451 * e;
}

/* LiFePO4 against lithium: the fit of Safari and Delacourt, J. Electrochem.
 * Soc. 158 (2011) A562, doi:10.1149/1.3567007, in y = 1 - theta:
 *   U = 3.4323 - 0.8428 exp(-80.2493 y^1.3198) - 3.2474e-6 exp(20.2645 y^3.8003)
 *       + 3.2482e-6 exp(20.2646 y^3.7995).
 * The two-phase plateau is nearly flat (|dU/dtheta| down to 4e-8 V near
 * theta = 1/2, but negative on all of [0, 1)); the last two terms nearly
 * cancel and make the end-of-charge rise to 4.14 V at theta = 0, the first
 * the drop to 2.59 V at theta = 1. Outside [0, 1] the powers of y have no
 * real value (theta > 1) or the cancellation loses every digit (theta < 0),
 * so there the fit continues with its end slopes, like LCO's. U = 4.0 V at
 * theta = 0.006121, 2.7 V at 0.991847; it never reaches 2.5 V. */
static void OcpLFPFit(PetscReal x, PetscReal *U, PetscReal *dU)
{
  const PetscReal y = 1 - x, e1 = 0.8428 * PetscExpReal(-80.2493 * PetscPowReal(y, 1.3198));
  const PetscReal e2 = 3.2474e-6 * PetscExpReal(20.2645 * PetscPowReal(y, 3.8003)), e3 = 3.2482e-6 * PetscExpReal(20.2646 * PetscPowReal(y, 3.7995));

  *U  = 3.4323 - e1 - e2 + e3;
  *dU = -80.2493 * 1.3198 * PetscPowReal(y, 0.3198) * e1 + 20.2645 * 3.8003 * PetscPowReal(y, 2.8003) * e2 -
        20.2646 * 3.7995 * PetscPowReal(y, 2.7995) * e3;
}

static void OcpLFP(PetscReal x, PetscReal *U, PetscReal *dU)
{
  const PetscReal end = x < 0 ? 0 : (x > 1 ? 1 : x);

  OcpLFPFit(end, U, dU);
  *U += *dU * (x - end);
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
  case OCP_NMC532:
    OcpNMC532(theta, U, dU);
    break;
  case OCP_LFP:
    OcpLFP(theta, U, dU);
    break;
  case OCP_TABLE:
    OcpTable(a, theta, U, dU);
    break;
  default:
    *U  = a->ocp_value;
    *dU = 0.0;
  }
}

/* The built-in fits are the names between OCP_CONSTANT and OCP_TABLE. */
PetscBool OcpModelFind(const char *name, OcpModel *model)
{
  if (!name) return PETSC_FALSE;
  for (int k = OCP_CONSTANT + 1; k < OCP_TABLE; k++)
    if (!strcasecmp(name, OcpModels[k])) {
      if (model) *model = (OcpModel)k;
      return PETSC_TRUE;
    }
  return PETSC_FALSE;
}

/* Lithium the cathode solids take up between their stoichiometry limits:
 * F c_s,max (theta_max - theta_min) times the active volume per area, the
 * thickness times the mean active fraction (exact for a linear profile). */
PetscReal CathodeCapacity(const Params *p)
{
  PetscReal Q = 0.0;

  for (PetscInt r = 0; r < p->nregions; r++) {
    const Region         *g = &p->region[r];
    const ActiveMaterial *a = &g->active;
    PetscReal             eps;
    if (g->phase == PHASE_ACTIVE)
      eps = 1.0;
    else if (g->phase == PHASE_COMPOSITE)
      eps = 0.5 * (g->composite.active_fraction.separator_side + g->composite.active_fraction.collector_side);
    else
      continue;
    Q += FARADAY * a->max_concentration * (a->theta_max - a->theta_min) * eps * g->layer.thickness;
  }
  return Q;
}

PetscReal LimitingCurrent(const Electrolyte *e, PetscReal thickness)
{
  if (e->kind != ELECTROLYTE_BINARY) return PETSC_INFINITY;
  return 2.0 * FARADAY * e->diffusivity * e->concentration / ((1.0 - e->transference) * thickness);
}
