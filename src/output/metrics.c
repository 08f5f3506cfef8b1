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

/* Areal mass of region r, kg/m^2, and of its active material alone (NaN
 * without one). Returns the config key of a density the mass needs and does
 * not have (0 = unknown), the mass then being NaN; NULL when all are known.
 * own is the key of the region's own density. */
static const char *RegionMass(const Region *r, const char *own, PetscReal *mass, PetscReal *active)
{
  const PetscReal L       = r->layer.thickness;
  const char     *missing = NULL;
  PetscReal       rho     = 0.0;

  *active = NAN;
  switch (r->phase) {
  case PHASE_ELECTROLYTE:
    rho = r->electrolyte.density;
    if (!(rho > 0)) missing = own;
    break;
  case PHASE_ACTIVE:
    rho = r->active.density;
    if (!(rho > 0))
      missing = own;
    else
      *active = rho * L;
    break;
  case PHASE_COMPOSITE: {
    const Composite *q  = &r->composite;
    const PetscReal  am = Mean(&q->active_fraction), el = Mean(&q->electrolyte_fraction), cb = Mean(&q->carbon_fraction);
    if (!(r->active.density > 0))
      missing = own;
    else if (el > 0 && !(r->electrolyte.density > 0))
      missing = "separator.density (the pore electrolyte's, when it is the separator's material; else its material file)";
    else if (cb > 0 && !(q->carbon_density > 0))
      missing = "cathode.carbon_density";
    rho = am * r->active.density + el * r->electrolyte.density + cb * q->carbon_density;
    if (r->active.density > 0) *active = am * r->active.density * L;
  } break;
  default: /* lithium */
    rho = r->density;
    if (!(rho > 0)) missing = own;
  }
  *mass = missing ? NAN : rho * L;
  return missing;
}

/* A collector foil of thickness 0 is absent (no mass); one with thickness
 * and density 0 has an unknown mass. */
static const char *CollectorMass(const Collector *c, const char *key, PetscReal *mass)
{
  if (c->thickness > 0 && !(c->density > 0)) {
    *mass = NAN;
    return key;
  }
  *mass = c->thickness * c->density;
  return NULL;
}

/* The five parts and the totals; missing[k] is the key of part k's unknown
 * density, or NULL. */
static void Stack(const Params *p, StackPart parts[STACK_PARTS], PetscReal *thickness, PetscReal *areal_mass, const char *missing[STACK_PARTS])
{
  const Region *anode = &p->region[0], *cathode = ParamsCathode(p), *membrane = ParamsMembrane(p);
  PetscReal     active;

  PetscMemzero(parts, STACK_PARTS * sizeof parts[0]);
  snprintf(parts[0].name, sizeof parts[0].name, "anode_collector");
  snprintf(parts[0].material, sizeof parts[0].material, "%s", p->anode_collector.thickness > 0 ? p->anode_collector.material : "none");
  parts[0].thickness = p->anode_collector.thickness;
  missing[0]         = CollectorMass(&p->anode_collector, "stack.anode_collector_density", &parts[0].areal_mass);
  snprintf(parts[1].name, sizeof parts[1].name, "anode");
  snprintf(parts[1].material, sizeof parts[1].material, "lithium");
  parts[1].thickness = anode->layer.thickness;
  missing[1]         = RegionMass(anode, "anode.density", &parts[1].areal_mass, &active);
  snprintf(parts[2].name, sizeof parts[2].name, "membrane");
  snprintf(parts[2].material, sizeof parts[2].material, "%s", membrane->electrolyte.name);
  parts[2].thickness = membrane->layer.thickness;
  missing[2]         = RegionMass(membrane, "separator.density", &parts[2].areal_mass, &active);
  snprintf(parts[3].name, sizeof parts[3].name, "cathode");
  if (cathode->phase == PHASE_COMPOSITE)
    snprintf(parts[3].material, sizeof parts[3].material, "%s + %s + carbon", cathode->active.name, cathode->electrolyte.name);
  else
    snprintf(parts[3].material, sizeof parts[3].material, "%s", cathode->phase == PHASE_LITHIUM ? "lithium" : cathode->active.name);
  parts[3].thickness = cathode->layer.thickness;
  missing[3]         = RegionMass(cathode, "cathode.density", &parts[3].areal_mass, &active);
  snprintf(parts[4].name, sizeof parts[4].name, "cathode_collector");
  snprintf(parts[4].material, sizeof parts[4].material, "%s", p->cathode_collector.thickness > 0 ? p->cathode_collector.material : "none");
  parts[4].thickness = p->cathode_collector.thickness;
  missing[4]         = CollectorMass(&p->cathode_collector, "stack.cathode_collector_density", &parts[4].areal_mass);
  *thickness = *areal_mass = 0.0;
  for (int k = 0; k < STACK_PARTS; k++)
    *thickness += parts[k].thickness, *areal_mass += parts[k].areal_mass; /* NaN spreads: an unknown density leaves no total */
}

void StackModel(const Params *p, StackPart parts[STACK_PARTS], PetscReal *thickness, PetscReal *areal_mass)
{
  const char *missing[STACK_PARTS];
  Stack(p, parts, thickness, areal_mass, missing);
}

/* Areal mass of the cathode's active material, kg/m^2 (NaN without one). */
static PetscReal ActiveMass(const Params *p)
{
  PetscReal mass, active;
  RegionMass(ParamsCathode(p), "cathode.density", &mass, &active);
  return active;
}

/* The lithium foil's capacity over the cathode's theoretical capacity (N/P);
 * NaN for a symmetric cell or an unknown lithium density. */
static PetscReal LithiumExcess(const Params *p)
{
  const Region   *anode = &p->region[0];
  const PetscReal Q     = CathodeCapacity(p);
  return Q > 0 && anode->density > 0 ? FARADAY * anode->density * anode->layer.thickness / LITHIUM_MOLAR_MASS / Q : NAN;
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

/* Why the stack has no areal mass: the first part with an unknown density. */
static void UnknownMass(const StackPart parts[STACK_PARTS], const char *missing[STACK_PARTS], char *why, size_t len)
{
  why[0] = 0;
  for (int k = 0; k < STACK_PARTS; k++)
    if (missing[k]) {
      snprintf(why, len, "unknown density of the %s (%s): set %s", parts[k].name, parts[k].material, missing[k]);
      return;
    }
}

PetscErrorCode StackView(const Params *p, FILE *fp)
{
  StackPart   parts[STACK_PARTS];
  const char *missing[STACK_PARTS];
  PetscReal   L, M;
  char        why[384];

  PetscFunctionBeginUser;
  Stack(p, parts, &L, &M, missing);
  UnknownMass(parts, missing, why, sizeof why);
  fprintf(fp, "stack (per area; docs/stack.md):\n");
  for (int k = 0; k < STACK_PARTS; k++) {
    fprintf(fp, "  %-18s %-32s %9.2f \u00b5m ", parts[k].name, parts[k].material, (double)(parts[k].thickness * 1e6));
    if (missing[k])
      fprintf(fp, "   unknown mass: set %s\n", missing[k]);
    else
      fprintf(fp, "%9.3f mg/cm\u00b2\n", (double)(parts[k].areal_mass * 100));
  }
  fprintf(fp, "  %-18s %-32s %9.2f \u00b5m ", "total", "", (double)(L * 1e6));
  if (why[0])
    fprintf(fp, "   unknown mass\n");
  else
    fprintf(fp, "%9.3f mg/cm\u00b2\n", (double)(M * 100));
  if (p->cathode_model != CATHODE_LITHIUM) {
    const PetscReal U = NominalVoltage(p), E = CathodeCapacity(p) * U, NP = LithiumExcess(p);
    if (isnan(NP))
      fprintf(fp, "  lithium excess N/P unknown: set anode.density\n");
    else
      fprintf(fp, "  lithium excess N/P = %.3g\n", (double)NP);
    fprintf(fp, "  at the mean OCP %.3f V the theoretical capacity gives ", (double)U);
    if (why[0])
      fprintf(fp, "no specific energy (%s), %.4g Wh/L\n", why, (double)(E / SECONDS_PER_H / L / 1000));
    else
      fprintf(fp, "%.4g Wh/kg, %.4g Wh/L\n", (double)(E / SECONDS_PER_H / M), (double)(E / SECONDS_PER_H / L / 1000));
    if (NP < 1)
      fprintf(
          fp,
          "  warning: the lithium foil holds less lithium than the cathode takes up (N/P < 1); a full discharge would strip it, which the 1D model "
          "does not follow: give a thicker anode\n");
  } else
    fprintf(fp, "  a symmetric cell stores no energy: no specific energy or energy density\n");
  PetscFunctionReturn(0);
}

PetscErrorCode MetricsWriteStack(Output out, const Params *p, const RunSummary *s)
{
  static const char *const symmetric = "a symmetric Li | SE | Li cell has no cathode capacity: it stores no energy";
  const PetscBool          sym       = (PetscBool)(p->cathode_model == CATHODE_LITHIUM);
  StackPart                parts[STACK_PARTS];
  const char              *missing[STACK_PARTS];
  PetscReal                L, M, active;
  const PetscReal          Wh = s->discharge_energy / SECONDS_PER_H; /* Wh/m^2 */
  char                     why[384], note[384];

  PetscFunctionBeginUser;
  Stack(p, parts, &L, &M, missing);
  UnknownMass(parts, missing, why, sizeof why);
  for (int k = 0; k < STACK_PARTS; k++) {
    char name[96];
    PetscCall(PetscSNPrintf(name, sizeof name, "stack/%s/thickness", parts[k].name));
    PetscCall(OutputWriteMetric(out, name, parts[k].thickness * 1e6, "um"));
    PetscCall(PetscSNPrintf(name, sizeof name, "stack/%s/areal_mass", parts[k].name));
    note[0] = 0;
    if (missing[k]) PetscCall(PetscSNPrintf(note, sizeof note, "unknown density: set %s", missing[k]));
    PetscCall(OutputWriteMetricNote(out, name, parts[k].areal_mass * 100, "mg/cm^2", note));
    PetscCall(PetscSNPrintf(name, sizeof name, "stack/%s/material", parts[k].name));
    PetscCall(OutputWriteMetricText(out, name, parts[k].material));
  }
  PetscCall(OutputWriteMetric(out, "stack_thickness", L * 1e6, "um"));
  PetscCall(OutputWriteMetricNote(out, "stack_areal_mass", M * 100, "mg/cm^2", why));
  PetscCall(OutputWriteMetricNote(out, "specific_energy", sym ? NAN : Wh / M, "Wh/kg", sym ? symmetric : why));
  PetscCall(OutputWriteMetricNote(out, "energy_density", sym ? NAN : Wh / L / 1000, "Wh/L", sym ? symmetric : NULL));
  { /* the mean power of the discharge steps (energy over their time), for Ragone plots */
    PetscReal time = 0, W;
    for (PetscInt k = 0; k < p->nsteps; k++)
      if (p->steps[k].kind == STEP_DISCHARGE && k <= s->steps_completed) time += s->step_end_time[k] - (k ? s->step_end_time[k - 1] : 0);
    W       = time > 0 ? s->discharge_energy / time : NAN; /* W/m^2 */
    note[0] = 0;
    if (!(time > 0)) PetscCall(PetscSNPrintf(note, sizeof note, "no discharge step ran"));
    PetscCall(OutputWriteMetricNote(out, "mean_discharge_power", W, "W/m^2", note));
    PetscCall(OutputWriteMetricNote(out, "specific_power", sym ? NAN : W / M, "W/kg", sym ? symmetric : (note[0] ? note : why)));
    PetscCall(OutputWriteMetricNote(out, "power_density", sym ? NAN : W / L / 1000, "W/L", sym ? symmetric : (note[0] ? note : NULL)));
  }
  active  = ActiveMass(p);
  note[0] = 0;
  if (sym)
    PetscCall(PetscSNPrintf(note, sizeof note, "no active material: the cathode is lithium"));
  else if (isnan(active))
    PetscCall(PetscSNPrintf(note, sizeof note, "unknown density of the active material %s: set cathode.density", ParamsCathode(p)->active.name));
  PetscCall(OutputWriteMetricNote(out, "specific_capacity", s->discharge_capacity / 3.6 / (active * 1000), "mAh/g", note));
  PetscCall(OutputWriteMetricNote(out, "lithium_excess", LithiumExcess(p), "1",
                                  sym                       ? "no cathode capacity to set the lithium foil against"
                                  : isnan(LithiumExcess(p)) ? "unknown density of the lithium foil: set anode.density"
                                                            : NULL));
  PetscFunctionReturn(0);
}

/* The ideal flat stack (docs/output.md, "2D metrics"): in the small-current
 * limit each layer is a resistor L/sigma and each electrode interface the
 * slope of Butler-Volmer at eta = 0 plus its film. */
PetscReal MetricsIdealAsr(const Params *p, const char **why)
{
  const PetscReal RT_F = GAS_CONSTANT * p->temperature / FARADAY;
  PetscReal       asr  = 0.0;

  *why = NULL;
  if (p->region[REGION_CATHODE].phase != PHASE_LITHIUM) {
    *why = "the ideal 1D stack has a closed-form resistance only with a lithium cathode (symmetric cell); compare with a 1D run instead";
    return NAN;
  }
  for (PetscInt r = REGION_ANODE; r <= REGION_CATHODE; r++) {
    const Region *g = &p->region[r];
    if (g->phase == PHASE_ELECTROLYTE)
      asr += g->layer.thickness / g->electrolyte.conductivity;
    else {
      const Kinetics *k = &g->kinetics;
      asr += g->layer.thickness / g->conductivity + RT_F / ((k->alpha_a + k->alpha_c) * k->exchange_current_density) + k->film_resistance;
    }
  }
  return asr;
}

PetscErrorCode MetricsWrite2d(Output out, const Params *p, const RunSummary *s)
{
  const char     *why;
  const PetscReal ideal = MetricsIdealAsr(p, &why);

  PetscFunctionBeginUser;
  PetscCall(OutputWriteMetric(out, "interface_current_peak", s->interface_peak, "A/m^2"));
  PetscCall(OutputWriteMetric(out, "interface_current_mean", s->interface_mean, "A/m^2"));
  PetscCall(OutputWriteMetricNote(out, "hotspot_factor", s->interface_mean != 0 ? s->interface_peak / PetscAbsReal(s->interface_mean) : NAN, "1",
                                  s->interface_mean != 0 ? NULL : "no current crossed the anode interface when the ASR was measured"));
  PetscCall(OutputWriteMetric(out, "contact_area_fraction", s->contact_fraction, "1"));
  PetscCall(OutputWriteMetricNote(out, "asr_ideal_1d", ideal * 1e4, "ohm*cm^2", why));
  PetscCall(OutputWriteMetricNote(out, "asr_2d_over_1d", s->asr_total / ideal, "1", why));
  PetscFunctionReturn(0);
}
