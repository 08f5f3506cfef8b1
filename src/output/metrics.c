/* The stack mass and volume model (docs/stack.md) and the energy metrics
 * that follow from it. The stack per unit area, in order from the anode
 * end: the anode collector foil, the lithium foil, the membrane, the
 * cathode and the cathode collector foil. Each part's areal mass is its
 * thickness times its density; a composite's is the thickness times the
 * mean of eps_am rho_am + eps_el rho_el + eps_cb rho_cb over the layer
 * (exact for the linear profiles, each term being linear). Packaging and
 * tabs are left out: the figures are the stack's, not a packaged cell's.
 * A density of 0 means unknown: the figures that need it are NaN, never a
 * number that looks right. */
#include "ionstack.h"

#define LITHIUM_MOLAR_MASS 6.94e-3 /* kg/mol, IUPAC conventional atomic weight */

static PetscReal Mean(const Profile *q)
{
  return 0.5 * (q->separator_side + q->collector_side);
}

/* Areal mass of region r, kg/m^2 (NaN when a density it needs is unknown),
 * and of its active material alone. */
static void RegionMass(const Region *r, PetscReal *mass, PetscReal *active)
{
  const PetscReal L = r->layer.thickness;
  PetscReal       rho;

  *active = 0.0;
  switch (r->phase) {
  case PHASE_ELECTROLYTE:
    rho = r->electrolyte.density;
    break;
  case PHASE_ACTIVE:
    rho = r->active.density, *active = r->active.density * L;
    break;
  case PHASE_COMPOSITE: {
    const Composite *q  = &r->composite;
    const PetscReal  am = Mean(&q->active_fraction), el = Mean(&q->electrolyte_fraction), cb = Mean(&q->carbon_fraction);
    const PetscBool  known = (PetscBool)(r->active.density > 0 && (el == 0 || r->electrolyte.density > 0) && (cb == 0 || q->carbon_density > 0));
    rho                    = known ? am * r->active.density + el * r->electrolyte.density + cb * q->carbon_density : 0.0;
    *active                = am * r->active.density * L;
  } break;
  default:
    rho = r->density;
  }
  *mass = rho > 0 ? rho * L : NAN;
  if (!(*active > 0)) *active = NAN;
}

void StackModel(const Params *p, StackPart parts[STACK_PARTS], PetscReal *thickness, PetscReal *areal_mass)
{
  const Region *anode = &p->region[0], *cathode = ParamsCathode(p), *membrane = ParamsMembrane(p);
  PetscReal     active;

  PetscMemzero(parts, STACK_PARTS * sizeof parts[0]);
  snprintf(parts[0].name, sizeof parts[0].name, "anode_collector");
  snprintf(parts[0].material, sizeof parts[0].material, "%s", p->anode_collector.thickness > 0 ? p->anode_collector.material : "none");
  parts[0].thickness  = p->anode_collector.thickness;
  parts[0].areal_mass = p->anode_collector.thickness * p->anode_collector.density;
  snprintf(parts[1].name, sizeof parts[1].name, "anode");
  snprintf(parts[1].material, sizeof parts[1].material, "lithium");
  parts[1].thickness = anode->layer.thickness;
  RegionMass(anode, &parts[1].areal_mass, &active);
  snprintf(parts[2].name, sizeof parts[2].name, "membrane");
  snprintf(parts[2].material, sizeof parts[2].material, "%s", membrane->electrolyte.name);
  parts[2].thickness = membrane->layer.thickness;
  RegionMass(membrane, &parts[2].areal_mass, &active);
  snprintf(parts[3].name, sizeof parts[3].name, "cathode");
  if (cathode->phase == PHASE_COMPOSITE)
    snprintf(parts[3].material, sizeof parts[3].material, "%s + %s + carbon", cathode->active.name, cathode->electrolyte.name);
  else
    snprintf(parts[3].material, sizeof parts[3].material, "%s", cathode->phase == PHASE_LITHIUM ? "lithium" : cathode->active.name);
  parts[3].thickness = cathode->layer.thickness;
  RegionMass(cathode, &parts[3].areal_mass, &active);
  snprintf(parts[4].name, sizeof parts[4].name, "cathode_collector");
  snprintf(parts[4].material, sizeof parts[4].material, "%s", p->cathode_collector.thickness > 0 ? p->cathode_collector.material : "none");
  parts[4].thickness  = p->cathode_collector.thickness;
  parts[4].areal_mass = p->cathode_collector.thickness * p->cathode_collector.density;
  *thickness = *areal_mass = 0.0;
  for (int k = 0; k < STACK_PARTS; k++)
    *thickness += parts[k].thickness, *areal_mass += parts[k].areal_mass; /* NaN spreads: an unknown density leaves no total */
}

/* Areal mass of the cathode's active material, kg/m^2 (NaN without one). */
static PetscReal ActiveMass(const Params *p)
{
  PetscReal mass, active;
  RegionMass(ParamsCathode(p), &mass, &active);
  return active;
}

/* The lithium foil's capacity over the cathode's theoretical capacity (N/P). */
static PetscReal LithiumExcess(const Params *p)
{
  const Region   *anode = &p->region[0];
  const PetscReal Q     = CathodeCapacity(p);
  return Q > 0 ? FARADAY * anode->density * anode->layer.thickness / LITHIUM_MOLAR_MASS / Q : NAN;
}

/* The mean open-circuit voltage over the cathode's window, against
 * lithium: the energy per charge of a slow full discharge. */
static PetscReal NominalVoltage(const Params *p)
{
  const ActiveMaterial *a   = &ParamsCathode(p)->active;
  const PetscInt        n   = 200;
  PetscReal             sum = 0.0;

  for (PetscInt k = 0; k < n; k++) { /* midpoint rule */
    PetscReal U, dU;
    ActiveOcp(a, a->theta_min + (k + 0.5) * (a->theta_max - a->theta_min) / n, &U, &dU);
    sum += U;
  }
  return sum / n;
}

PetscErrorCode StackView(const Params *p, FILE *fp)
{
  StackPart parts[STACK_PARTS];
  PetscReal L, M;

  PetscFunctionBeginUser;
  StackModel(p, parts, &L, &M);
  fprintf(fp, "stack (per area; docs/stack.md):\n");
  for (int k = 0; k < STACK_PARTS; k++)
    fprintf(fp, "  %-18s %-32s %9.2f \u00b5m %9.3f mg/cm\u00b2\n", parts[k].name, parts[k].material, (double)(parts[k].thickness * 1e6),
            (double)(parts[k].areal_mass * 100));
  fprintf(fp, "  %-18s %-32s %9.2f \u00b5m %9.3f mg/cm\u00b2\n", "total", "", (double)(L * 1e6), (double)(M * 100));
  if (p->cathode_model != CATHODE_LITHIUM) {
    const PetscReal Q = CathodeCapacity(p), E = Q * NominalVoltage(p);
    fprintf(fp, "  lithium excess N/P = %.3g; at the mean OCP %.3f V the theoretical capacity gives %.4g Wh/kg, %.4g Wh/L\n",
            (double)LithiumExcess(p), (double)NominalVoltage(p), (double)(E / SECONDS_PER_H / M), (double)(E / SECONDS_PER_H / L / 1000));
    if (LithiumExcess(p) < 1)
      fprintf(
          fp,
          "  warning: the lithium foil holds less lithium than the cathode takes up (N/P < 1); a full discharge would strip it, which the 1D model "
          "does not follow: give a thicker anode\n");
  }
  PetscFunctionReturn(0);
}

PetscErrorCode MetricsWriteStack(Output out, const Params *p, const RunSummary *s)
{
  StackPart       parts[STACK_PARTS];
  PetscReal       L, M;
  const PetscReal Wh = s->discharge_energy / SECONDS_PER_H; /* Wh/m^2 */

  PetscFunctionBeginUser;
  StackModel(p, parts, &L, &M);
  for (int k = 0; k < STACK_PARTS; k++) {
    char name[96];
    PetscCall(PetscSNPrintf(name, sizeof name, "stack/%s/thickness", parts[k].name));
    PetscCall(OutputWriteMetric(out, name, parts[k].thickness * 1e6, "um"));
    PetscCall(PetscSNPrintf(name, sizeof name, "stack/%s/areal_mass", parts[k].name));
    PetscCall(OutputWriteMetric(out, name, parts[k].areal_mass * 100, "mg/cm^2"));
    PetscCall(PetscSNPrintf(name, sizeof name, "stack/%s/material", parts[k].name));
    PetscCall(OutputWriteMetricText(out, name, parts[k].material));
  }
  PetscCall(OutputWriteMetric(out, "stack_thickness", L * 1e6, "um"));
  PetscCall(OutputWriteMetric(out, "stack_areal_mass", M * 100, "mg/cm^2"));
  PetscCall(OutputWriteMetric(out, "specific_energy", Wh / M, "Wh/kg"));
  PetscCall(OutputWriteMetric(out, "energy_density", Wh / L / 1000, "Wh/L"));
  PetscCall(OutputWriteMetric(out, "specific_capacity", s->discharge_capacity / 3.6 / (ActiveMass(p) * 1000), "mAh/g"));
  PetscCall(OutputWriteMetric(out, "lithium_excess", LithiumExcess(p), "1"));
  PetscFunctionReturn(0);
}
