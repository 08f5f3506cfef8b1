/* The stack mass model (src/output/metrics.c) against hand arithmetic:
 * a composite cathode with linear fraction profiles (each term of the
 * density is linear, so the layer's mean is the mean of its ends), a thin
 * film, a symmetric cell (no active material: no specific capacity, no
 * crash), an unknown density (NaN totals), and the energy metrics real runs
 * write, read back from their files: configs/default.yaml (specific energy =
 * discharge energy / stack mass), the same with an unknown density and
 * configs/symmetric.yaml (NaN, each with a note that says why). */
#include <hdf5.h>
#include "fixtures.h"
#include "testing.h"

static void Collectors(Params *p)
{
  p->anode_collector   = (Collector){"Cu", 10e-6, 8960};
  p->cathode_collector = (Collector){"Al", 15e-6, 2700};
}

static double ReadMetric(hid_t f, const char *name)
{
  double v = NAN;
  hid_t  d = H5Dopen2(f, name, H5P_DEFAULT);
  if (d >= 0) {
    if (H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v) < 0) v = NAN;
    H5Dclose(d);
  }
  return v;
}

/* The metric's `note` attribute, "" when it has none. */
static void ReadNote(hid_t f, const char *name, char *note, size_t len)
{
  hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
  note[0] = 0;
  if (d < 0) return;
  if (H5Aexists(d, "note") > 0) {
    hid_t a = H5Aopen(d, "note", H5P_DEFAULT), t = H5Tcopy(H5T_C_S1);
    char *v = NULL;
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8); /* as output.c writes text */
    if (H5Aread(a, t, &v) >= 0 && v) snprintf(note, len, "%s", v);
    H5free_memory(v);
    H5Tclose(t);
    H5Aclose(a);
  }
  H5Dclose(d);
}

/* Runs config (with the overrides) in-process into dir/name.h5. */
static PetscErrorCode Run(const char *config, PetscInt n, char **keys, char **values, const char *dir, const char *name, Params *p, RunSummary *s,
                          char *file)
{
  Simulation sim;

  PetscFunctionBeginUser;
  PetscCall(ParamsLoad(PETSC_COMM_WORLD, config, n, keys, values, p));
  PetscCall(PetscSNPrintf(file, PETSC_MAX_PATH_LEN, "%s/%s.h5", dir, name));
  PetscCall(PetscStrncpy(p->output_file, file, sizeof p->output_file));
  p->quiet = PETSC_TRUE;
  PetscCall(SimulationCreate(PETSC_COMM_WORLD, p, 0, NULL, &sim));
  PetscCall(SimulationRun(sim, s));
  PetscCall(SimulationDestroy(&sim));
  PetscFunctionReturn(0);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  { /* composite with profiles */
    Params    p;
    StackPart parts[STACK_PARTS];
    PetscReal L, M;
    FixtureBase(&p);
    FixtureSingleIon(&p, 0.25); /* density 1800 kg/m^3 */
    FixtureComposite(&p, 50e-6, 10, 5e-6, 4);
    Collectors(&p);
    p.region[REGION_CATHODE].composite.active_fraction      = (Profile){0.5, 0.7};
    p.region[REGION_CATHODE].composite.electrolyte_fraction = (Profile){0.45, 0.25};
    StackModel(&p, parts, &L, &M);
    /* 50 um x (0.6 x 4800 + 0.35 x 1800 + 0.05 x 1900) kg/m^3 */
    check_rel("stack_composite_cathode_areal_mass", parts[3].areal_mass, 50e-6 * (0.6 * 4800 + 0.35 * 1800 + 0.05 * 1900), 1e-14);
    check_rel("stack_membrane_areal_mass", parts[2].areal_mass, 100e-6 * 1800, 1e-14);
    check_rel("stack_lithium_foil_areal_mass", parts[1].areal_mass, 20e-6 * 534, 1e-14);
    check_rel("stack_collectors_areal_mass", parts[0].areal_mass + parts[4].areal_mass, 10e-6 * 8960 + 15e-6 * 2700, 1e-14);
    check_rel("stack_total_thickness", L, 10e-6 + 20e-6 + 100e-6 + 50e-6 + 15e-6, 1e-14);
    check_rel("stack_total_areal_mass", M,
              parts[0].areal_mass + parts[1].areal_mass + parts[2].areal_mass + parts[3].areal_mass + parts[4].areal_mass, 1e-14);
    check(!strcmp(parts[2].name, "membrane") && !strcmp(parts[4].material, "Al"), "stack_parts_named_in_stack_order", NULL, 0, 0);
    p.region[REGION_CATHODE].composite.carbon_density = 0; /* unknown */
    StackModel(&p, parts, &L, &M);
    check(isnan(parts[3].areal_mass) && isnan(M) && isfinite(L), "stack_unknown_density_gives_no_mass", NULL, 0, 0);
    p.region[REGION_CATHODE].composite.carbon_density = 1900;
    p.anode_collector.density                         = 0; /* a foil of unknown density has no mass, */
    p.cathode_collector.thickness                     = 0; /* a foil of thickness 0 is none */
    StackModel(&p, parts, &L, &M);
    check(isnan(parts[0].areal_mass) && isnan(M), "stack_collector_of_unknown_density_gives_no_mass", NULL, 0, 0);
    check(parts[4].areal_mass == 0 && parts[4].thickness == 0 && !strcmp(parts[4].material, "none"), "stack_collector_of_thickness_0_is_none", NULL,
          0, 0);
  }
  { /* thin film and symmetric */
    Params    p;
    StackPart parts[STACK_PARTS];
    PetscReal L, M;
    FixtureBase(&p);
    FixtureSingleIon(&p, 0.25);
    FixtureThinFilm(&p, 3e-6, 10);
    Collectors(&p);
    StackModel(&p, parts, &L, &M);
    check_rel("stack_thin_film_areal_mass", parts[3].areal_mass, 3e-6 * 4800, 1e-14);
    FixtureBase(&p);
    FixtureSingleIon(&p, 0.25);
    Collectors(&p);
    StackModel(&p, parts, &L, &M);
    check_rel("stack_symmetric_cathode_is_lithium", parts[3].areal_mass, 20e-6 * 534, 1e-14);
  }
  { /* real runs: the energy metrics from their own discharge and their stack */
    char       dir[] = "/tmp/ionstack_test_stack_XXXXXX", file[PETSC_MAX_PATH_LEN], note[512];
    char      *keys[2], *values[2];
    Params     p;
    RunSummary s;
    StackPart  parts[STACK_PARTS];
    PetscReal  L, M;
    hid_t      f;
    if (!mkdtemp(dir)) return 1;

    keys[0] = (char *)"protocol", values[0] = (char *)"[discharge at 1C until 3.0 V]";
    PetscCall(Run(IONSTACK_SOURCE_DIR "/configs/default.yaml", 1, keys, values, dir, "default", &p, &s, file));
    StackModel(&p, parts, &L, &M);
    f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    {
      const double Wh = s.discharge_energy / SECONDS_PER_H;
      check_rel("run_specific_energy_is_energy_over_stack_mass", ReadMetric(f, "/metrics/specific_energy"), Wh / M, 1e-12);
      check_rel("run_energy_density_is_energy_over_stack_thickness", ReadMetric(f, "/metrics/energy_density"), Wh / L / 1000, 1e-12);
      /* 52 um at 0.60 active (configs/default.yaml) */
      check_rel("run_specific_capacity_per_gram_of_active", ReadMetric(f, "/metrics/specific_capacity"),
                s.discharge_capacity / 3.6 / (1000 * 52e-6 * 0.6 * p.region[REGION_CATHODE].active.density), 1e-12);
      /* 20 um of lithium over 3.0 mAh/cm^2 */
      check_rel("run_lithium_excess_is_foil_over_cathode_capacity", ReadMetric(f, "/metrics/lithium_excess"),
                FARADAY * 534 * 20e-6 / 6.94e-3 / CathodeCapacity(&p), 1e-3);
      check_rel("run_stack_membrane_thickness_in_um", ReadMetric(f, "/metrics/stack/membrane/thickness"), 18.0, 1e-12);
      check_rel("run_stack_cathode_areal_mass_in_mg_per_cm2", ReadMetric(f, "/metrics/stack/cathode/areal_mass"), parts[3].areal_mass * 100, 1e-12);
      check_rel("run_stack_areal_mass_in_mg_per_cm2", ReadMetric(f, "/metrics/stack_areal_mass"), M * 100, 1e-12);
      check_rel("run_stack_thickness_in_um", ReadMetric(f, "/metrics/stack_thickness"), 115.0, 1e-12);
      check(H5Lexists(f, "/metrics/stack/cathode_collector/material", H5P_DEFAULT) > 0, "run_stack_parts_name_their_material", NULL, 0, 0);
      ReadNote(f, "/metrics/specific_energy", note, sizeof note);
      check(!note[0], "run_known_specific_energy_has_no_note", NULL, 0, 0);
    }
    H5Fclose(f);
    PetscCall(ParamsDestroy(&p));

    keys[1] = (char *)"cathode.carbon_density", values[1] = (char *)"0"; /* unknown */
    PetscCall(Run(IONSTACK_SOURCE_DIR "/configs/default.yaml", 2, keys, values, dir, "unknown", &p, &s, file));
    f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    ReadNote(f, "/metrics/specific_energy", note, sizeof note);
    check(isnan(ReadMetric(f, "/metrics/specific_energy")) && strstr(note, "cathode.carbon_density"),
          "run_unknown_density_specific_energy_is_nan_saying_why", NULL, 0, 0);
    if (!strstr(note, "cathode.carbon_density")) printf("  note: \"%s\"\n", note);
    ReadNote(f, "/metrics/stack/cathode/areal_mass", note, sizeof note);
    check(isnan(ReadMetric(f, "/metrics/stack/cathode/areal_mass")) && strstr(note, "cathode.carbon_density"),
          "run_unknown_density_part_mass_is_nan_saying_why", NULL, 0, 0);
    check(isfinite(ReadMetric(f, "/metrics/energy_density")) && isfinite(ReadMetric(f, "/metrics/stack/membrane/areal_mass")),
          "run_unknown_density_keeps_what_it_does_not_need", NULL, 0, 0);
    H5Fclose(f);
    PetscCall(ParamsDestroy(&p));

    values[0] = (char *)"[discharge at 1 mA/cm^2 for 10 min]";
    PetscCall(Run(IONSTACK_SOURCE_DIR "/configs/symmetric.yaml", 1, keys, values, dir, "symmetric", &p, &s, file));
    StackModel(&p, parts, &L, &M);
    f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    ReadNote(f, "/metrics/specific_energy", note, sizeof note);
    check(isnan(ReadMetric(f, "/metrics/specific_energy")) && strstr(note, "symmetric"), "run_symmetric_has_no_specific_energy_saying_why", NULL, 0,
          0);
    ReadNote(f, "/metrics/energy_density", note, sizeof note);
    check(isnan(ReadMetric(f, "/metrics/energy_density")) && note[0], "run_symmetric_has_no_energy_density_saying_why", NULL, 0, 0);
    ReadNote(f, "/metrics/specific_capacity", note, sizeof note);
    check(isnan(ReadMetric(f, "/metrics/specific_capacity")) && note[0], "run_symmetric_has_no_specific_capacity_saying_why", NULL, 0, 0);
    ReadNote(f, "/metrics/lithium_excess", note, sizeof note);
    check(isnan(ReadMetric(f, "/metrics/lithium_excess")) && note[0], "run_symmetric_has_no_lithium_excess_saying_why", NULL, 0, 0);
    /* Cu 10 um + Li 20 um + Li6PS5Cl 18 um + Li 20 um + Al 15 um */
    check_rel("run_symmetric_stack_areal_mass", ReadMetric(f, "/metrics/stack_areal_mass"), M * 100, 1e-12);
    check_rel("run_symmetric_stack_thickness_in_um", ReadMetric(f, "/metrics/stack_thickness"), 83.0, 1e-12);
    H5Fclose(f);
    PetscCall(ParamsDestroy(&p));
    {
      char cmd[PETSC_MAX_PATH_LEN + 16];
      snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
      if (system(cmd)) return 1;
    }
  }
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
