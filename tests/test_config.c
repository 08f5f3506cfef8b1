/* Unit tests of the config layer: unit parsing, YAML configs with their
 * validation errors, materials and the Arrhenius law, custom electrolytes,
 * protocols and command-line overrides; the bounds on hostile input (each
 * refused with its message); the command-line options (collected from
 * PETSc's database, stray words, unused options and their suggestions, the
 * -help listing). Config files are written to a temporary directory; nothing
 * else touches the disk. */
#include "ionstack.h"
#include "config/config_private.h"
#include "testing.h"
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[PETSC_MAX_PATH_LEN];

/* Runs a call that must fail; checks the message contains every `needles` word. */
static void ExpectError(const char *name, PetscErrorCode ierr, const char *needle1, const char *needle2)
{
  const char *msg = ierr ? ErrorText(ierr) : "";
  int         ok  = ierr != 0 && (!needle1 || strstr(msg, needle1)) && (!needle2 || strstr(msg, needle2));
  check(ok, name, NULL, 0, 0);
  if (!ok) printf("  error code %d, message: %s\n", (int)ierr, msg);
}

static PetscErrorCode LoadText(const char *name, const char *yaml, PetscInt n, char **keys, char **values, Params *p, PetscErrorCode *ierr)
{
  char path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  WriteTestFile(tmpdir, name, yaml, path);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  *ierr = ParamsLoad(PETSC_COMM_WORLD, path, n, keys, values, p);
  PetscCall(PetscPopErrorHandler());
  PetscFunctionReturn(0);
}

/* A parameter of a library material as its file gives it: the value at the
 * material's reference temperature, which is also what the config layer
 * must produce at that temperature whatever the material's law. */
static PetscErrorCode LibraryParameter(const char *material, const char *name, PetscReal *value, PetscReal *T_ref)
{
  MaterialLibrary       lib;
  const MaterialRecord *m;
  const MaterialParam  *mp;

  PetscFunctionBeginUser;
  PetscCall(LibraryOpen(0, NULL, &lib));
  PetscCall(LibraryFind(&lib, material, NULL, "test", &m));
  mp     = MaterialGetParam(m, name);
  *value = mp ? mp->value : -1;
  *T_ref = m->reference_temperature;
  PetscCall(LibraryClose(&lib));
  PetscFunctionReturn(0);
}

static PetscErrorCode TestUnits(void)
{
  const struct {
    const char *text, *dim;
    double      si;
  } cases[] = {
      {"18 um", "length", 18e-6},
      {"18 µm", "length", 18e-6},
      {"0.1 mm", "length", 1e-4},
      {"2e-5", "length", 2e-5},
      {"1.2 mS/cm", "conductivity", 0.12},
      {"0.12 S/m", "conductivity", 0.12},
      {"2 mA/cm^2", "current_density", 20.0},
      {"2 mA/cm²", "current_density", 20.0},
      {"3 mAh/cm^2", "areal_capacity", 108000.0},
      {"1e-11 m^2/s", "diffusivity", 1e-11},
      {"1e-7 cm^2/s", "diffusivity", 1e-11},
      {"1000 mol/m^3", "concentration", 1000.0},
      {"1 mol/L", "concentration", 1000.0},
      {"1 M", "concentration", 1000.0},
      {"10 ohm*cm^2", "areal_resistance", 1e-3},
      {"10 ohm cm^2", "areal_resistance", 1e-3},
      {"0.3 eV", "activation_energy", 0.3 * FARADAY},
      {"30 kJ/mol", "activation_energy", 30000.0},
      {"10 min", "time", 600.0},
      {"1 h", "time", 3600.0},
      {"60 s", "time", 60.0},
      {"4.2 V", "voltage", 4.2},
      {"50 mV", "voltage", 0.05},
      {"4.8 g/cm^3", "density", 4800.0},
      {"298.15 K", "temperature", 298.15},
      {"25 degC", "temperature", 298.15},
      {"-20 degC", "temperature", 253.15},
      {"1 cm^2", "area", 1e-4},
      {"0.5", "dimensionless", 0.5},
      {"1e-10 m/s", "rate_constant", 1e-10},
      {"1/h", "rate", 1.0 / 3600},
      {"6.94 g/mol", "molar_mass", 6.94e-3},
  };
  char name[128];

  PetscFunctionBeginUser;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    PetscReal v = -1;
    PetscCall(UnitsParse(cases[i].text, cases[i].dim, "test", &v));
    snprintf(name, sizeof name, "units '%s' as %s", cases[i].text, cases[i].dim);
    check_rel(name, v, cases[i].si, 1e-13);
  }
  {
    PetscReal      v;
    PetscErrorCode ierr;
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = UnitsParse("3 mS/cm", "length", "separator.thickness", &v);
    ExpectError("units: wrong dimension is an error naming the key and the allowed units", ierr, "separator.thickness", "um");
    ierr = UnitsParse("3 furlong", "length", "separator.thickness", &v);
    ExpectError("units: unknown unit symbol is an error naming it", ierr, "furlong", "separator.thickness");
    ierr = UnitsParse("25 degC", "voltage", "cathode.ocp", &v);
    ExpectError("units: degC outside a temperature is an error", ierr, "cathode.ocp", NULL);
    ierr = UnitsParse("um", "length", "anode.thickness", &v);
    ExpectError("units: a unit without a number is an error", ierr, "anode.thickness", NULL);
    ierr = UnitsParse("3 cm^x", "area", "cell.area", &v);
    ExpectError("units: a non-integer power is an error", ierr, "cell.area", NULL);
    PetscCall(PetscPopErrorHandler());
  }
  PetscFunctionReturn(0);
}

static const char *base_yaml = "cell: {temperature: 25 degC}\n"
                               "anode: {material: lithium, thickness: 20 um, cells: 10}\n"
                               "separator: {material: Li6PS5Cl, thickness: 18 um, cells: 20}\n"
                               "cathode: {model: active, material: NMC811, thickness: 3 um, cells: 20, initial_stoichiometry: 0.27}\n"
                               "protocol: [discharge at 1C until 3.0 V, rest for 10 min, charge at C/3 until 4.2 V, hold at 4.2 V until C/20,\n"
                               "           charge at 2 mA/cm^2 for 1 h, hold at 4.1 V until 0.1 mA/cm^2 for 2 h]\n"
                               "output: {interval: 60 s}\n";

static PetscErrorCode TestBase(void)
{
  Params         p;
  PetscErrorCode ierr;
  FILE          *devnull;

  PetscFunctionBeginUser;
  PetscCall(LoadText("base.yaml", base_yaml, 0, NULL, NULL, &p, &ierr));
  if (!check(!ierr, "config: base config loads", NULL, 0, 0)) {
    printf("  %s\n", ErrorText(ierr));
    PetscFunctionReturn(0);
  }
  check_rel("config: temperature 25 degC", p.temperature, 298.15, 1e-14);
  check_rel("config: default area 1 cm^2", p.area, 1e-4, 1e-14);
  check_rel("config: separator thickness", p.region[REGION_SEPARATOR].layer.thickness, 18e-6, 1e-14);
  check(p.region[REGION_SEPARATOR].layer.cells == 20, "config: separator cells", NULL, 0, 0);
  check_rel("config: Li6PS5Cl conductivity at its reference temperature", p.region[REGION_SEPARATOR].electrolyte.conductivity, 0.25, 1e-12);
  check(p.region[REGION_SEPARATOR].electrolyte.kind == ELECTROLYTE_SINGLE_ION && p.region[REGION_SEPARATOR].electrolyte.transference == 1,
        "config: Li6PS5Cl is single-ion with t+ = 1", NULL, 0, 0);
  {
    PetscReal v, T_ref;
    PetscCall(LibraryParameter("NMC811", "max_concentration", &v, &T_ref));
    check_rel("config: NMC811 c_s,max from its material file", p.region[REGION_CATHODE].active.max_concentration, v, 1e-14);
  }
  check_rel("config: initial stoichiometry", p.region[REGION_CATHODE].active.theta_initial, 0.27, 1e-14);
  check(p.region[REGION_CATHODE].active.ocp == OCP_NMC811, "config: NMC811 ocp is the built-in fit", NULL, 0, 0);
  check_rel("config: anode default i0 10 mA/cm^2", p.region[REGION_ANODE].kinetics.exchange_current_density, 100.0, 1e-14);
  check(p.region[REGION_CATHODE].kinetics.concentration_dependent == PETSC_TRUE, "config: cathode kinetics concentration dependent by default", NULL,
        0, 0);
  check(!strcmp(p.output_file, "out/base.h5"), "config: output file from the config name", NULL, 0, 0);
  check_rel("config: output interval", p.output_interval, 60, 1e-14);
  check(p.dt_max >= PETSC_INFINITY, "config: dt_max defaults to infinity", NULL, 0, 0);
  check(p.resolved_yaml && strstr(p.resolved_yaml, "conductivity") && strstr(p.resolved_yaml, "10.1149"), "config: resolved_yaml is written", NULL, 0,
        0);

  check(p.nsteps == 6, "protocol: six steps", "%g steps, want %g", (double)p.nsteps, 6);
  check(p.steps[0].kind == STEP_DISCHARGE && p.steps[0].c_rate == 1 && p.steps[0].until_voltage == 3.0 && p.steps[0].duration >= PETSC_INFINITY,
        "protocol: discharge at 1C until 3.0 V", NULL, 0, 0);
  check_rel("protocol: 1C current from the capacity", p.steps[0].current, CathodeCapacity(&p) / 3600, 1e-12);
  check(p.steps[1].kind == STEP_REST && p.steps[1].duration == 600, "protocol: rest for 10 min", NULL, 0, 0);
  check_rel("protocol: C/3", p.steps[2].c_rate, 1.0 / 3, 1e-14);
  check(p.steps[2].kind == STEP_CHARGE && p.steps[2].until_voltage == 4.2, "protocol: charge until 4.2 V", NULL, 0, 0);
  check(p.steps[3].kind == STEP_HOLD && p.steps[3].voltage == 4.2 && PetscAbsReal(p.steps[3].until_c_rate - 0.05) < 1e-15,
        "protocol: hold at 4.2 V until C/20", NULL, 0, 0);
  check(p.steps[4].current == 20 && p.steps[4].c_rate == 0 && p.steps[4].duration == 3600, "protocol: charge at 2 mA/cm^2 for 1 h", NULL, 0, 0);
  check(p.steps[5].until_current == 1 && p.steps[5].until_c_rate >= PETSC_INFINITY && p.steps[5].duration == 7200,
        "protocol: hold until a current density for a duration", NULL, 0, 0);
  check(!strcmp(p.steps[3].text, "hold at 4.2 V until C/20"), "protocol: text kept", NULL, 0, 0);

  devnull = fopen("/dev/null", "w");
  PetscCall(ParamsView(&p, devnull));
  fclose(devnull);
  check(1, "config: ParamsView runs", NULL, 0, 0);
  PetscCall(ParamsDestroy(&p));
  {
    PetscReal v, T_ref;
    char      yaml[128];
    PetscCall(LibraryParameter("lithium", "conductivity", &v, &T_ref));
    snprintf(yaml, sizeof yaml, "cell: {temperature: %.17g K}\n", (double)T_ref);
    PetscCall(LoadText("lithium_ref.yaml", yaml, 0, NULL, NULL, &p, &ierr));
    if (check(!ierr, "config: a cell at lithium's reference temperature loads", NULL, 0, 0)) {
      check_rel("config: lithium conductivity at its reference temperature is the file's", p.region[REGION_ANODE].conductivity, v, 1e-12);
      PetscCall(ParamsDestroy(&p));
    } else
      printf("  %s\n", ErrorText(ierr));
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode TestErrors(void)
{
  Params         p;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(LoadText("unknown_key.yaml", "separator: {thikness: 18 um}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: unknown key names it and the file", ierr, "thikness", "unknown_key.yaml");
  ExpectError("errors: unknown key lists the allowed keys", ierr, "thickness", "conductivity");
  PetscCall(LoadText("unknown_section.yaml", "separatr: {thickness: 18 um}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: unknown section names it", ierr, "separatr", "separator");
  PetscCall(LoadText("negative.yaml", "separator: {thickness: -5 um}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: negative thickness", ierr, "separator.thickness", "> 0");
  PetscCall(LoadText("cells.yaml", "anode: {cells: 0}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: zero cells", ierr, "anode.cells", NULL);
  PetscCall(LoadText("notnumber.yaml", "cathode: {thickness: thick}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a value that is not a number", ierr, "cathode.thickness", NULL);
  PetscCall(LoadText("wrongunit.yaml", "separator: {conductivity: 3 mA/cm^2}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: wrong unit names the key", ierr, "separator.conductivity", "mS/cm");
  PetscCall(LoadText("badunit.yaml", "separator: {conductivity: 3 mQ/cm}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: unknown unit names it", ierr, "mQ", "separator.conductivity");
  PetscCall(LoadText("material.yaml", "separator: {material: Unobtainium}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: unknown material lists the available ones", ierr, "Unobtainium", "Li6PS5Cl");
  PetscCall(LoadText("phase.yaml", "anode: {material: NMC811}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a material of the wrong phase", ierr, "NMC811", "lithium");
  PetscCall(LoadText("theta.yaml", "cathode: {initial_stoichiometry: 1.2}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: stoichiometry outside (0,1)", ierr, "cathode.initial_stoichiometry", "(0, 1)");
  PetscCall(LoadText("temp.yaml", "cell: {temperature: -300 degC}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: temperature below 0 K", ierr, "cell.temperature", NULL);
  PetscCall(LoadText("dim.yaml", "mesh: {dim: 2}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a 2D mesh without a phase map", ierr, "mesh.phase_map", "mesh.generator");
  PetscCall(LoadText("dim3.yaml", "mesh: {dim: 3}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: dim 3", ierr, "dim 3 is not allowed", "1, 2");
  PetscCall(LoadText(
      "tplus.yaml",
      "separator: {material: custom, kind: binary, conductivity: 1 mS/cm, diffusivity: 1e-12 m^2/s, concentration: 1 M, transference_number: 1.5}\n",
      0, NULL, NULL, &p, &ierr));
  ExpectError("errors: transference number outside (0,1]", ierr, "transference_number", NULL);
  PetscCall(LoadText("custom_nokind.yaml", "separator: {material: custom, conductivity: 1 mS/cm}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: custom without kind", ierr, "separator.kind", NULL);
  PetscCall(LoadText("mixed.yaml",
                     "separator: {material: custom, kind: binary, cation_diffusivity: 1e-11 m^2/s, anion_diffusivity: 3e-11 m^2/s, "
                     "concentration: 1000 mol/m^3, conductivity: 1 mS/cm}\n",
                     0, NULL, NULL, &p, &ierr));
  ExpectError("errors: D+/D- together with conductivity", ierr, "separator.conductivity", "cation_diffusivity");
  PetscCall(LoadText("single_binarykey.yaml", "separator: {diffusivity: 1e-12 m^2/s}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a binary-only key on a single-ion electrolyte", ierr, "separator.diffusivity", "binary");
  PetscCall(LoadText("sym_crate.yaml", "cathode: {model: lithium}\nprotocol: [discharge at 1C for 1 h]\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a C-rate in a symmetric cell", ierr, "no capacity", "mA/cm^2");
  PetscCall(LoadText("sym_active.yaml", "cathode: {model: lithium, max_concentration: 1000 mol/m^3}\nprotocol: [rest for 1 h]\n", 0, NULL, NULL, &p,
                     &ierr));
  ExpectError("errors: an active-only key on a lithium cathode", ierr, "cathode.max_concentration", NULL);
  PetscCall(LoadText("step.yaml", "protocol: [discharge at 1C]\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a discharge without a limit", ierr, "until", NULL);
  PetscCall(LoadText("step2.yaml", "protocol: [jump at 1C for 1 h]\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: an unknown step", ierr, "jump", NULL);
  PetscCall(LoadText("model.yaml", "cathode: {model: porous}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: an unknown cathode model lists the allowed ones", ierr, "porous", "composite, active, lithium");
  PetscCall(LoadText("syntax.yaml", "cell: {temperature: [25 degC\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: YAML syntax error names the file", ierr, "syntax.yaml", NULL);
  PetscCall(LoadText("bool.yaml", "anode: {concentration_dependent: maybe}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a bad boolean", ierr, "anode.concentration_dependent", "true or false");
  PetscCall(LoadText("twice.yaml", "anode: {cells: 4, cells: 5}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("errors: a key given twice", ierr, "anode.cells", "twice");
  {
    char *keys[] = {(char *)"separator.thicknes"}, *values[] = {(char *)"30 um"};
    PetscCall(LoadText("override_bad.yaml", "", 1, keys, values, &p, &ierr));
    ExpectError("errors: an unknown override key", ierr, "thicknes", "command line");
  }
  PetscFunctionReturn(0);
}

static PetscErrorCode TestCustomElectrolytes(void)
{
  Params         p;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(LoadText("custom_single.yaml", "separator: {material: custom, kind: single_ion, conductivity: 1 mS/cm}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "custom single-ion electrolyte loads", NULL, 0, 0)) {
    check_rel("custom single-ion: conductivity", p.region[REGION_SEPARATOR].electrolyte.conductivity, 0.1, 1e-14);
    check(p.region[REGION_SEPARATOR].electrolyte.transference == 1 && p.region[REGION_SEPARATOR].electrolyte.conductivity_exponent == 0,
          "custom single-ion: t+ = 1, exponent 0", NULL, 0, 0);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", ErrorText(ierr));

  PetscCall(
      LoadText("custom_binary.yaml",
               "separator: {material: custom, kind: binary, cation_diffusivity: 1e-11 m^2/s, anion_diffusivity: 3e-11 m^2/s, concentration: 1000 "
               "mol/m^3}\n",
               0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "custom binary (dilute) electrolyte loads", NULL, 0, 0)) {
    const double Dp = 1e-11, Dm = 3e-11, T = 298.15, c = 1000;
    check_rel("custom binary: D = 2 D+ D- / (D+ + D-)", p.region[REGION_SEPARATOR].electrolyte.diffusivity, 2 * Dp * Dm / (Dp + Dm), 1e-12);
    check_rel("custom binary: t+ = D+ / (D+ + D-)", p.region[REGION_SEPARATOR].electrolyte.transference, Dp / (Dp + Dm), 1e-12);
    check_rel("custom binary: kappa = F^2 (D+ + D-) c / RT", p.region[REGION_SEPARATOR].electrolyte.conductivity,
              FARADAY * FARADAY * (Dp + Dm) * c / (GAS_CONSTANT * T), 1e-12);
    check(p.region[REGION_SEPARATOR].electrolyte.conductivity_exponent == 1 && p.region[REGION_SEPARATOR].electrolyte.thermodynamic_factor == 1,
          "custom binary: exponent 1, chi 1", NULL, 0, 0);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", ErrorText(ierr));
  PetscFunctionReturn(0);
}

static PetscErrorCode TestArrhenius(void)
{
  Params         p;
  PetscErrorCode ierr;
  const double   T = 333.15, Tref = 298.15, Ea = 0.35 * FARADAY;

  PetscFunctionBeginUser;
  PetscCall(LoadText("hot.yaml", "cell: {temperature: 60 degC}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "arrhenius: config at 60 degC loads", NULL, 0, 0)) {
    check_rel("arrhenius: Li6PS5Cl conductivity at 60 degC", p.region[REGION_SEPARATOR].electrolyte.conductivity,
              0.25 * exp(-Ea / GAS_CONSTANT * (1 / T - 1 / Tref)), 1e-12);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", ErrorText(ierr));
  PetscCall(LoadText("hot2.yaml", "cell: {temperature: 60 degC}\nseparator: {conductivity: 3 mS/cm}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "arrhenius: a config value keeps the material's activation energy (loads)", NULL, 0, 0)) {
    check_rel("arrhenius: config conductivity scaled with the material's Ea", p.region[REGION_SEPARATOR].electrolyte.conductivity,
              0.3 * exp(-Ea / GAS_CONSTANT * (1 / T - 1 / Tref)), 1e-12);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", ErrorText(ierr));
  PetscCall(LoadText("hot3.yaml", "cell: {temperature: 60 degC}\nseparator: {conductivity: 3 mS/cm, conductivity_activation_energy: 0}\n", 0, NULL,
                     NULL, &p, &ierr));
  if (check(!ierr, "arrhenius: conductivity_activation_energy override loads", NULL, 0, 0)) {
    check_rel("arrhenius: activation energy 0 keeps the value", p.region[REGION_SEPARATOR].electrolyte.conductivity, 0.3, 1e-14);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", ErrorText(ierr));
  PetscCall(
      LoadText("hot4.yaml", "cell: {temperature: 60 degC}\nseparator: {conductivity_activation_energy: 30 kJ/mol}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "arrhenius: activation energy in kJ/mol loads", NULL, 0, 0)) {
    check_rel("arrhenius: material value with a config activation energy", p.region[REGION_SEPARATOR].electrolyte.conductivity,
              0.25 * exp(-30000 / GAS_CONSTANT * (1 / T - 1 / Tref)), 1e-12);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", ErrorText(ierr));
  PetscFunctionReturn(0);
}

static PetscErrorCode TestOverridesAndMore(void)
{
  Params         p;
  PetscErrorCode ierr;
  char           path[PETSC_MAX_PATH_LEN], key[128];
  PetscBool      is;

  PetscFunctionBeginUser;
  {
    char *keys[]   = {(char *)"separator.thickness", (char *)"separator.thickness", (char *)"protocol"};
    char *values[] = {(char *)"25 um", (char *)"30 um", (char *)"[charge at 0.5C for 1 h, rest for 1 h]"};
    PetscCall(LoadText("override.yaml", base_yaml, 3, keys, values, &p, &ierr));
    if (check(!ierr, "overrides: load", NULL, 0, 0)) {
      check_rel("overrides: separator.thickness overrides the file, later wins", p.region[REGION_SEPARATOR].layer.thickness, 30e-6, 1e-14);
      check(p.nsteps == 2 && p.steps[0].c_rate == 0.5 && p.steps[1].kind == STEP_REST, "overrides: protocol replaced", NULL, 0, 0);
      PetscCall(ParamsDestroy(&p));
    } else
      printf("  %s\n", ErrorText(ierr));
  }
  PetscCall(ConfigOptionKey("-separator_thickness", key, sizeof key, &is));
  check(is && !strcmp(key, "separator.thickness"), "options: -separator_thickness", NULL, 0, 0);
  PetscCall(ConfigOptionKey("-separator.thickness", key, sizeof key, &is));
  check(is && !strcmp(key, "separator.thickness"), "options: -separator.thickness", NULL, 0, 0);
  PetscCall(ConfigOptionKey("-anode_exchange_current_density", key, sizeof key, &is));
  check(is && !strcmp(key, "anode.exchange_current_density"), "options: -anode_exchange_current_density", NULL, 0, 0);
  PetscCall(ConfigOptionKey("-ts_monitor", key, sizeof key, &is));
  check(!is, "options: -ts_monitor is PETSc's", NULL, 0, 0);

  PetscCall(LoadText("repeat.yaml", "protocol:\n  - {repeat: 3, steps: [discharge at 1C until 3 V, charge at 1C until 4.2 V]}\n  - rest for 1 h\n", 0,
                     NULL, NULL, &p, &ierr));
  if (check(!ierr, "protocol: repeat group loads", NULL, 0, 0)) {
    check(p.nsteps == 7 && p.steps[4].kind == STEP_DISCHARGE && p.steps[6].kind == STEP_REST, "protocol: repeat group expanded in place", NULL, 0, 0);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", ErrorText(ierr));

  WriteTestFile(tmpdir, "ocp.csv", "stoichiometry,voltage\n0.1,4.3\n0.5,3.9\n# comment\n0.999,3.4\n", path);
  PetscCall(LoadText("ocp.yaml", "cathode: {ocp: ocp.csv}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "ocp: CSV table loads", NULL, 0, 0)) {
    check(p.region[REGION_CATHODE].active.ocp == OCP_TABLE && p.region[REGION_CATHODE].active.ocp_points == 3 &&
              p.region[REGION_CATHODE].active.ocp_voltage[2] == 3.4,
          "ocp: table of 3 rows", NULL, 0, 0);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", ErrorText(ierr));
  WriteTestFile(tmpdir, "ocp_short.csv", "0.1,4.3\n0.9,3.5\n", path);
  PetscCall(LoadText("ocp_short.yaml", "cathode: {ocp: ocp_short.csv}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("ocp: a table that does not cover the stoichiometry window is refused", ierr, "cathode.ocp", "covers stoichiometry 0.1 to 0.9");
  {
    /* the composite's keys, each refused with its name */
    static const struct {
      const char *name, *yaml, *needle1, *needle2;
    } bad[] = {
        {"composite: fractions above 1", "cathode: {model: composite, active_fraction: 0.7, electrolyte_fraction: 0.35}\n", "sum to at most 1",
         "separator side"},
        {"composite: a fraction outside [0, 1]", "cathode: {model: composite, carbon_fraction: -0.1}\n", "cathode.carbon_fraction", "[0, 1]"},
        {"composite: a profile with a missing end", "cathode: {model: composite, active_fraction: {separator_side: 0.5}}\n",
         "cathode.active_fraction", "no collector_side end"},
        {"composite: a profile with an unknown key", "cathode: {model: composite, active_fraction: {middle: 0.5}}\n", "cathode.active_fraction",
         "separator_side and collector_side"},
        {"composite: fewer than 2 shells", "cathode: {model: composite, shells: 1}\n", "cathode.shells", "2 to 1000"},
        {"composite: no electrolyte in the pores", "cathode: {model: composite, electrolyte_fraction: 0}\n", "needs active material and electrolyte",
         NULL},
        {"composite: bruggeman and tortuosity together", "cathode: {model: composite, bruggeman: 2, tortuosity: 3}\n", "not both", NULL},
        {"composite: a pore electrolyte of another kind", "cathode: {model: composite, electrolyte: PEO-LiTFSI}\n", "same kind", NULL},
        {"composite: a composite key on a thin film", "cathode: {model: active, shells: 5}\n", "cathode.shells", "only to cathode model composite"},
        {"composite: a zero particle radius", "cathode: {model: composite, particle_radius: 0 um}\n", "particle radius", NULL},
        {"composite: a particle larger than the layer (a bare number is metres)", "cathode: {model: composite, particle_radius: 5}\n",
         "does not fit in the 50. um cathode", "write 5 um"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      PetscCall(LoadText("composite_bad.yaml", bad[i].yaml, 0, NULL, NULL, &p, &ierr));
      ExpectError(bad[i].name, ierr, bad[i].needle1, bad[i].needle2);
    }
    PetscCall(LoadText("composite_profile.yaml",
                       "cathode: {model: composite, active_fraction: {separator_side: 0.5, collector_side: 0.7}, electrolyte_fraction: "
                       "{collector_side: 0.25, separator_side: 0.45}, particle_radius: {separator_side: 3 um, collector_side: 6 um}}\n",
                       0, NULL, NULL, &p, &ierr));
    if (check(!ierr, "composite: profiles load", NULL, 0, 0)) {
      const Composite *q = &p.region[REGION_CATHODE].composite;
      check(q->active_fraction.separator_side == 0.5 && q->active_fraction.collector_side == 0.7 && q->electrolyte_fraction.separator_side == 0.45 &&
                q->electrolyte_fraction.collector_side == 0.25 && q->carbon_fraction.collector_side == 0.05 &&
                PetscAbsReal(q->particle_radius.collector_side - 6e-6) < 1e-18 && p.region[REGION_CATHODE].phase == PHASE_COMPOSITE &&
                !strcmp(p.region[REGION_CATHODE].electrolyte.name, "Li6PS5Cl"),
            "composite: profile ends in SI, the separator's electrolyte in the pores", NULL, 0, 0);
      PetscCall(ParamsDestroy(&p));
    } else
      printf("  %s\n", ErrorText(ierr));
    {
      char *keys[1] = {(char *)"cathode.active_fraction"}, *values[1] = {(char *)"{separator_side: 0.4, collector_side: 0.6}"};
      PetscCall(LoadText("composite_cli.yaml", "cathode: {model: composite}\n", 1, keys, values, &p, &ierr));
      if (check(!ierr && p.region[REGION_CATHODE].composite.active_fraction.collector_side == 0.6, "composite: a profile on the command line", NULL,
                0, 0))
        PetscCall(ParamsDestroy(&p));
      else if (ierr)
        printf("  %s\n", ErrorText(ierr));
    }
  }
  WriteTestFile(tmpdir, "ocp_bad.csv", "0.5,3.9\n0.1,4.3\n", path);
  PetscCall(LoadText("ocp_bad.yaml", "cathode: {ocp: ocp_bad.csv}\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("ocp: unsorted CSV names the file and line", ierr, "ocp_bad.csv:2", "ascending");
  PetscCall(LoadText("ocp_const.yaml", "cathode: {ocp: 3.7 V}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr && p.region[REGION_CATHODE].active.ocp == OCP_CONSTANT && p.region[REGION_CATHODE].active.ocp_value == 3.7,
            "ocp: a constant voltage", NULL, 0, 0))
    PetscCall(ParamsDestroy(&p));

  /* Extra material files named by the config. */
  WriteTestFile(tmpdir, "mymat.yaml",
                "name: MyGlass\nphase: electrolyte\nkind: single_ion\ndescription: test glass.\nreference_temperature: 25 degC\n"
                "parameters:\n  conductivity: {value: 0.5 mS/cm, activation_energy: 0.4 eV, source: test}\n  concentration: 20000 mol/m^3\n",
                path);
  PetscCall(LoadText("extra.yaml", "materials: [mymat.yaml]\nseparator: {material: MyGlass}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "materials: a config's own material file", NULL, 0, 0)) {
    check_rel("materials: its conductivity", p.region[REGION_SEPARATOR].electrolyte.conductivity, 0.05, 1e-14);
    PetscCall(ParamsDestroy(&p));
  } else
    printf("  %s\n", ErrorText(ierr));

  /* The shipped configs. */
  {
    const char *files[] = {"default.yaml", "symmetric.yaml", "polymer_symmetric.yaml"};
    for (int i = 0; i < 3; i++) {
      char name[128];
      snprintf(path, sizeof path, "%s/configs/%s", IONSTACK_SOURCE_DIR, files[i]);
      snprintf(name, sizeof name, "configs/%s loads", files[i]);
      PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
      ierr = ParamsLoad(PETSC_COMM_WORLD, path, 0, NULL, NULL, &p);
      PetscCall(PetscPopErrorHandler());
      if (check(!ierr, name, NULL, 0, 0)) {
        if (i == 0)
          check(p.nsteps == 4 && p.cathode_model == CATHODE_COMPOSITE && !strcmp(p.region[REGION_CATHODE].active.name, "NMC811"),
                "configs/default.yaml: four steps, an NMC811 composite", NULL, 0, 0);
        if (i == 1) check(p.cathode_model == CATHODE_LITHIUM && p.steps[0].current == 10, "configs/symmetric.yaml: lithium cathode", NULL, 0, 0);
        if (i == 2)
          check_rel("configs/polymer_symmetric.yaml: PEO-LiTFSI at its reference temperature", p.region[REGION_SEPARATOR].electrolyte.conductivity,
                    0.1, 1e-12);
        PetscCall(ParamsDestroy(&p));
      } else
        printf("  %s\n", ErrorText(ierr));
    }
  }
  {
    FILE *devnull = fopen("/dev/null", "w");
    PetscCall(MaterialsList(PETSC_COMM_WORLD, devnull));
    PetscCall(MaterialsShow(PETSC_COMM_WORLD, "NMC811", devnull));
    fclose(devnull);
    check(1, "materials: list and show run", NULL, 0, 0);
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = MaterialsShow(PETSC_COMM_WORLD, "Kryptonite", stdout);
    PetscCall(PetscPopErrorHandler());
    ExpectError("materials: an unknown name lists the available ones", ierr, "Kryptonite", "PEO-LiTFSI");
  }
  PetscFunctionReturn(0);
}

/* Numbers that would switch a limit off or overflow are refused; memory
 * units; the hint for a power written without ^. */
static PetscErrorCode TestUnitsBounded(void)
{
  const struct {
    const char *name, *text, *dim, *needle;
  } bad[] = {
      {"units: nan is refused", "nan V", "voltage", "not a number"},
      {"units: inf is refused where it makes no sense", "inf s", "time", "infinite"},
      {"units: .inf is refused where it makes no sense", ".inf", "time", "infinite"},
      {"units: 1e400 overflows and is refused", "1e400 mA/cm^2", "current_density", "beyond the range"},
      {"units: a finite number times a large unit factor that overflows", "1e306 km", "length", "beyond the range"},
      {"units: a power beyond 9 is refused", "1 m^99999999999", "length", "from -9 to 9"},
      {"units: a power without ^ says how to write it", "1 mS/cm2", "conductivity", "'1 mS/cm^2'"},
      {"units: bytes take no SI prefix", "1 mB", "memory", "mB"},
  };
  const struct {
    const char *text;
    double      si;
  } memory[] = {{"4 GiB", 4294967296.0}, {"512 MB", 512e6}, {"1 KiB", 1024}, {"2 kB", 2000}, {"1 TiB", 1099511627776.0}, {"3 GB", 3e9}, {"1e9", 1e9}};
  PetscReal      v;
  PetscErrorCode ierr;
  char           name[128];

  PetscFunctionBeginUser;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ierr = UnitsParse(bad[i].text, bad[i].dim, "test.key", &v);
    ExpectError(bad[i].name, ierr, bad[i].needle, "test.key");
  }
  PetscCall(PetscPopErrorHandler());
  for (size_t i = 0; i < sizeof memory / sizeof memory[0]; i++) {
    PetscCall(UnitsParse(memory[i].text, "memory", "mesh.memory_limit", &v));
    snprintf(name, sizeof name, "units: '%s' as memory", memory[i].text);
    check_rel(name, v, memory[i].si, 1e-15);
  }
  PetscCall(UnitsParseQuantity(".inf", "time", "solver.dt_max", PETSC_TRUE, &v));
  check(PetscIsInfReal(v) && v > 0, "units: .inf where infinity is allowed", NULL, 0, 0);
  PetscCall(UnitsParseQuantity("inf s", "time", "solver.dt_max", PETSC_TRUE, &v));
  check(PetscIsInfReal(v) && v > 0, "units: inf s where infinity is allowed", NULL, 0, 0);
  PetscFunctionReturn(0);
}

/* Each hostile or careless input ends at once with an error naming the key
 * or file and the limit (issue 9); the ASan pass of the suite checks that
 * none of these paths leaks. */
static PetscErrorCode TestBoundedInput(void)
{
  char           deep[8192], laughs[2048], path[PETSC_MAX_PATH_LEN + 32], fifo[PETSC_MAX_PATH_LEN + 32];
  Params         p;
  PetscErrorCode ierr;
  size_t         n = 0;

  PetscFunctionBeginUser;
  n += (size_t)snprintf(deep + n, sizeof deep - n, "protocol: ");
  for (int i = 0; i < 2000; i++)
    deep[n++] = '[';
  n += (size_t)snprintf(deep + n, sizeof deep - n, "rest for 1 s");
  for (int i = 0; i < 2000; i++)
    deep[n++] = ']';
  deep[n++] = '\n';
  deep[n]   = 0;
  /* Ten levels of ten aliases of lists of empty lists: 10^10 items, no step. */
  n = (size_t)snprintf(laughs, sizeof laughs, "protocol:\n  - &a0 [[], [], [], [], [], [], [], [], [], []]\n");
  for (int i = 1; i < 10; i++)
    n += (size_t)snprintf(laughs + n, sizeof laughs - n, "  - &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i - 1, i - 1,
                          i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
  {
    const struct {
      const char *name, *file, *yaml, *needle1, *needle2;
    } cases[] = {
        {"bounded: an alias cycle in the protocol", "cycle.yaml", "protocol: &a [*a]\n", "cycle.yaml:1:", "contains it"},
        {"bounded: an alias cycle through a group", "cycle2.yaml", "protocol: &a [{repeat: 2, steps: *a}]\n", "contains it", NULL},
        {"bounded: protocol lists nested 2000 deep", "deep.yaml", deep, "nested more than 16 deep", "deep.yaml:1:"},
        {"bounded: aliases that expand to 10^10 empty lists", "laughs.yaml", laughs, "more than 4096 list items", NULL},
        {"bounded: aliases that expand to 2^30 steps", "laughs2.yaml",
         "protocol:\n  - &a [rest for 1 s, rest for 1 s]\n  - &b [*a, *a]\n  - &c [*b, *b]\n  - &d [*c, *c]\n  - &e [*d, *d]\n  - &f [*e, *e]\n"
         "  - &g [*f, *f]\n  - &h [*g, *g]\n  - &i [*h, *h]\n  - &j [*i, *i]\n",
         "more than 256 steps", NULL},
        {"bounded: repeat 2000000000 with empty steps fails before expanding", "repeat.yaml", "protocol: [{repeat: 2000000000, steps: []}]\n",
         "1 to 256", "repeat"},
        {"bounded: repeat beyond a long", "repeat_long.yaml", "protocol: [{repeat: 99999999999999999999999, steps: [rest for 1 s]}]\n", "1 to 256",
         NULL},
        {"bounded: a group with empty steps", "empty_group.yaml", "protocol: [{repeat: 3, steps: []}]\n", "steps of a group are empty", NULL},
        {"bounded: a group whose steps are empty lists", "empty_group2.yaml", "protocol: [{repeat: 3, steps: [[], [[]]]}]\n",
         "steps of a group are empty", NULL},
        {"bounded: repeat that is not a number", "repeat_text.yaml", "protocol: [{repeat: often, steps: [rest for 1 s]}]\n", "whole number", "often"},
        {"bounded: repeat that is a list", "repeat_list.yaml", "protocol: [{repeat: [2], steps: [rest for 1 s]}]\n", "not a list", NULL},
        {"bounded: repeat given twice", "repeat_twice.yaml", "protocol: [{repeat: 2, repeat: 3, steps: [rest for 1 s]}]\n", "repeat is given twice",
         NULL},
        {"bounded: steps given twice", "steps_twice.yaml", "protocol: [{repeat: 2, steps: [rest for 1 s], steps: [rest for 2 s]}]\n",
         "steps is given twice", NULL},
        {"bounded: cells 4294967306 does not wrap to 10", "cells_wrap.yaml", "anode: {cells: 4294967306}\n", "anode.cells", "does not fit"},
        {"bounded: max_steps 4294967297 does not wrap to 1", "steps_wrap.yaml", "solver: {max_steps: 4294967297}\n", "solver.max_steps",
         "does not fit"},
        {"bounded: a layer's cells beyond the mesh limit", "cells_big.yaml", "anode: {cells: 2147483647}\nseparator: {cells: 2147483647}\n",
         "anode.cells", "100000000"},
        {"bounded: the sum of the layers' cells", "cells_sum.yaml", "anode: {cells: 60000000}\nseparator: {cells: 60000000}\n",
         "anode.cells + separator.cells + cathode.cells = 120000020", "at most 100000000"},
        {"bounded: until nan V", "until_nan.yaml", "protocol: [discharge at 1C until nan V]\n", "not a number", "until nan V"},
        {"bounded: discharge at C/inf", "c_inf.yaml", "protocol: [discharge at C/inf for 1 h]\n", "C/inf", "finite rate"},
        {"bounded: discharge at infC", "inf_c.yaml", "protocol: [discharge at infC for 1 h]\n", "infC", "finite rate"},
        {"bounded: discharge at C/1e-320 (a rate beyond a double)", "c_tiny.yaml", "protocol: [discharge at C/1e-320 for 1 h]\n", "C/1e-320", NULL},
        {"bounded: hold at nan V", "hold_nan.yaml", "protocol: [hold at nan V for 1 h]\n", "not a number", "hold at nan V"},
        {"bounded: discharge at 1e400 mA/cm^2", "huge_current.yaml", "protocol: [discharge at 1e400 mA/cm^2 for 1 h]\n", "beyond the range", NULL},
        {"bounded: a duration of inf", "for_inf.yaml", "protocol: [rest for inf s]\n", "infinite", NULL},
        {"bounded: a step of more than 64 words", "words.yaml",
         "protocol: [rest for 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 s 1 "
         "s 1 s 1 s 1 s]\n",
         "at most 64 words", NULL},
        {"bounded: a step value of more than 126 characters", "long_value.yaml",
         "protocol: [rest for 1 sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss "
         "sssssssssssssssssssssssssssssss]\n",
         "longer than 126 characters", NULL},
        {"bounded: a step value of many short words (PetscStrlcat wrote past it)", "short_words.yaml",
         "protocol: [rest for qqqqqqqqqq qqqqqqqqqq qqqqqqqqqq qqqqqqqqqq qqqqqqqqqq qqqqqqqqqq qqqqqqqqqq qqqqqqqqqq qqqqqqqqqq qqqqqqqqqq "
         "qqqqqqqqqq qqqqqqqqqq qqqqqqqqqq]\n",
         "longer than 126 characters", NULL},
        {"bounded: infinite cell temperature", "temp_inf.yaml", "cell: {temperature: inf}\n", "cell.temperature", "infinite"},
        {"bounded: infinite output interval", "interval_inf.yaml", "output: {interval: .inf}\n", "output.interval", "infinite"},
        {"bounded: a second YAML document", "two_docs.yaml", "cell: {temperature: 25 degC}\n---\ncell: {temperature: 60 degC}\n",
         "two_docs.yaml:2:", "second YAML document"},
        {"bounded: a second YAML document after an empty first", "two_docs2.yaml", "---\n---\ncell: {temperature: 60 degC}\n", "second YAML document",
         NULL},
        {"bounded: a syntax error in a second YAML document", "two_docs3.yaml", "cell: {}\n---\n[\n", "YAML syntax error", "two_docs3.yaml:"},
        {"bounded: materials given twice", "materials_twice.yaml", "materials: []\nmaterials: []\n", "materials is given twice", NULL},
        {"bounded: memory_limit must be > 0", "memory0.yaml", "mesh: {memory_limit: 0 B}\n", "mesh.memory_limit", "> 0"},
        {"bounded: memory_limit in a unit that is not memory", "memory_unit.yaml", "mesh: {memory_limit: 4 s}\n", "mesh.memory_limit", "memory"},
        {"output: a name ending in .xmf is refused", "out_xmf.yaml", "output: {file: out/y.xmf}\n", "output.file", "ending in .h5"},
        {"output: the config's own name is refused", "out_yaml.yaml", "output: {file: out_yaml.yaml}\n", "output.file", "ending in .h5"},
        {"output: '.h5' alone is not a file name", "out_bare.yaml", "output: {file: out/.h5}\n", "output.file", "ending in .h5"},
        {"ocp: /dev/zero is not read", "ocp_zero.yaml", "cathode: {ocp: /dev/zero}\n", "cathode.ocp", "not a regular file"},
        {"ocp: a missing table says why", "ocp_missing.yaml", "cathode: {ocp: missing.csv}\n", "cathode.ocp", "No such file or directory"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      PetscCall(LoadText(cases[i].file, cases[i].yaml, 0, NULL, NULL, &p, &ierr));
      ExpectError(cases[i].name, ierr, cases[i].needle1, cases[i].needle2);
      if (!ierr) PetscCall(ParamsDestroy(&p));
    }
  }
  /* The same bounds hold for a protocol from the command line. */
  {
    char *keys[] = {(char *)"protocol"}, *values[] = {(char *)"&a [*a]"};
    PetscCall(LoadText("cli_cycle.yaml", "", 1, keys, values, &p, &ierr));
    ExpectError("bounded: an alias cycle in -protocol", ierr, "command line -protocol", "contains it");
    values[0] = (char *)"[rest for 1 s]\n---\n[rest for 2 s]";
    PetscCall(LoadText("cli_docs.yaml", "", 1, keys, values, &p, &ierr));
    ExpectError("bounded: a second document in -protocol", ierr, "command line -protocol", "second YAML document");
    values[0] = (char *)"";
    PetscCall(LoadText("cli_empty.yaml", "", 1, keys, values, &p, &ierr));
    ExpectError("bounded: an empty -protocol", ierr, "command line -protocol", "no value");
  }
  /* Files: missing, not regular, too large, a zero byte in a table. */
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  snprintf(path, sizeof path, "%s/nope.yaml", tmpdir);
  ierr = ParamsLoad(PETSC_COMM_WORLD, path, 0, NULL, NULL, &p);
  ExpectError("files: a missing config says why", ierr, "nope.yaml: cannot open: No such file or directory", NULL);
  ierr = ParamsLoad(PETSC_COMM_WORLD, tmpdir, 0, NULL, NULL, &p);
  ExpectError("files: a directory as config", ierr, "a directory, not a regular file", NULL);
  ierr = ParamsLoad(PETSC_COMM_WORLD, "/dev/zero", 0, NULL, NULL, &p);
  ExpectError("files: /dev/zero as config", ierr, "/dev/zero", "not a regular file");
  snprintf(fifo, sizeof fifo, "%s/fifo.yaml", tmpdir);
  if (!mkfifo(fifo, 0600)) {
    ierr = ParamsLoad(PETSC_COMM_WORLD, fifo, 0, NULL, NULL, &p);
    ExpectError("files: a FIFO as config (would block)", ierr, "fifo.yaml", "not a regular file");
  }
  PetscCall(PetscPopErrorHandler());
  PetscCall(LoadText("fifo_material.yaml", "materials: [fifo.yaml]\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("files: a FIFO as a material file (would block)", ierr, "fifo.yaml is not a regular file", "materials");
  PetscCall(LoadText("zero_material.yaml", "materials: [/dev/zero]\n", 0, NULL, NULL, &p, &ierr));
  ExpectError("files: /dev/zero as a material file", ierr, "/dev/zero is not a regular file", NULL);
  {
    char *big;
    PetscCall(PetscMalloc1(INPUT_FILE_MAX_BYTES + 16, &big));
    memset(big, '#', INPUT_FILE_MAX_BYTES + 8);
    big[INPUT_FILE_MAX_BYTES + 8] = 0;
    PetscCall(LoadText("big.yaml", big, 0, NULL, NULL, &p, &ierr));
    ExpectError("files: a config over 1 MiB", ierr, "big.yaml", "at most 1048576");
    WriteTestFile(tmpdir, "big.csv", big, path);
    PetscCall(PetscFree(big));
    PetscCall(LoadText("big_ocp.yaml", "cathode: {ocp: big.csv}\n", 0, NULL, NULL, &p, &ierr));
    ExpectError("files: an OCP table over 1 MiB", ierr, "cathode.ocp", "at most 1048576");
  }
  {
    FILE *fp;
    snprintf(path, sizeof path, "%s/nul.csv", tmpdir);
    fp = fopen(path, "wb");
    fwrite("0.1,4.3\n\0000.9,3.5\n", 1, 17, fp);
    fclose(fp);
    PetscCall(LoadText("nul_ocp.yaml", "cathode: {ocp: nul.csv}\n", 0, NULL, NULL, &p, &ierr));
    ExpectError("files: an OCP table with a zero byte", ierr, "nul.csv", "zero byte");
    WriteTestFile(tmpdir, "nan.csv", "0.1,4.3\n0.9,nan\n", path);
    PetscCall(LoadText("nan_ocp.yaml", "cathode: {ocp: nan.csv}\n", 0, NULL, NULL, &p, &ierr));
    ExpectError("files: an OCP voltage of nan", ierr, "nan.csv:2:", "not a finite number");
  }
  /* Output names that would overwrite an input. */
  WriteTestFile(tmpdir, "self.h5", "output: {file: self.h5}\n", path);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  {
    char cwd[PETSC_MAX_PATH_LEN];
    if (getcwd(cwd, sizeof cwd) && !chdir(tmpdir)) {
      ierr = ParamsLoad(PETSC_COMM_WORLD, "self.h5", 0, NULL, NULL, &p);
      ExpectError("output: the config file itself (same inode) is refused", ierr, "self.h5:1: output.file", "input of this run");
      WriteTestFile(tmpdir, "table.csv", "0.1,4.3\n0.999,3.5\n", path);
      WriteTestFile(tmpdir, "table.yaml", "cathode: {ocp: table.csv}\noutput: {file: table.h5}\n", path);
      ierr = ParamsLoad(PETSC_COMM_WORLD, "table.yaml", 0, NULL, NULL, &p);
      ExpectError("output: a sidecar that would overwrite the OCP table is refused", ierr, "table.csv", ".csv sidecar");
      if (!mkdir("dir.h5", 0700)) {
        WriteTestFile(tmpdir, "dir.yaml", "output: {file: dir.h5}\n", path);
        ierr = ParamsLoad(PETSC_COMM_WORLD, "dir.yaml", 0, NULL, NULL, &p);
        ExpectError("output: a name that is a directory is refused", ierr, "output.file", "is a directory");
      }
      if (chdir(cwd)) printf("could not return to %s\n", cwd);
    }
  }
  PetscCall(PetscPopErrorHandler());

  /* What a valid config records: the input files, the memory limit. */
  WriteTestFile(tmpdir, "inputs.csv", "0.1,4.3\n0.999,3.5\n", path);
  PetscCall(LoadText("inputs.yaml", "cathode: {ocp: inputs.csv}\nsolver: {dt_max: .inf}\n", 0, NULL, NULL, &p, &ierr));
  if (check(!ierr, "inputs: a config with an OCP table loads", NULL, 0, 0)) {
    PetscBool config = PETSC_FALSE, csv = PETSC_FALSE, lithium = PETSC_FALSE, electrolyte = PETSC_FALSE, active = PETSC_FALSE;
    for (PetscInt i = 0; i < p.ninputs; i++) {
      config      = (PetscBool)(config || strstr(p.inputs[i], "inputs.yaml"));
      csv         = (PetscBool)(csv || strstr(p.inputs[i], "inputs.csv"));
      lithium     = (PetscBool)(lithium || strstr(p.inputs[i], "lithium.yaml"));
      electrolyte = (PetscBool)(electrolyte || strstr(p.inputs[i], "Li6PS5Cl.yaml"));
      active      = (PetscBool)(active || strstr(p.inputs[i], "NMC811.yaml"));
    }
    check(p.ninputs == 5 && config && csv && lithium && electrolyte && active, "inputs: config, OCP table and the three material files used",
          "%g inputs, want %g", (double)p.ninputs, 5);
    check_rel("mesh.memory_limit defaults to 4 GiB", p.memory_limit, 4294967296.0, 1e-15);
    check(p.dt_max >= PETSC_INFINITY, "solver.dt_max: .inf is allowed", NULL, 0, 0);
    {
      FILE  *fp = tmpfile();
      char   text[8192];
      size_t len;
      PetscCall(ParamsView(&p, fp));
      rewind(fp);
      len       = fread(text, 1, sizeof text - 1, fp);
      text[len] = 0;
      fclose(fp);
      check(strstr(text, "voltage_step 10 mV") && strstr(text, "newton_tolerance 1e-10 V") && strstr(text, "memory limit 4 GiB") &&
                strstr(text, "depletion_fraction") && strstr(text, "inputs.csv"),
            "check: ParamsView lists voltage_step, newton_tolerance, memory_limit and the inputs", NULL, 0, 0);
    }
    check(strstr(p.resolved_yaml, "memory_limit: 4294967296") != NULL, "provenance: the resolved config has mesh.memory_limit", NULL, 0, 0);
    PetscCall(ParamsDestroy(&p));
    check(p.ninputs == 0 && !p.inputs, "inputs: ParamsDestroy frees the list", NULL, 0, 0);
  } else
    printf("  %s\n", ErrorText(ierr));

  /* Every message starts with exactly one file:line: (the driver adds none). */
  PetscCall(LoadText("prefix.yaml", "cell: {area: 1 cm^2}\nseparator: {thickness: -5 um}\n", 0, NULL, NULL, &p, &ierr));
  {
    const char *msg = ierr ? ErrorText(ierr) : "";
    const char *at  = strstr(msg, "prefix.yaml:2:");
    check(ierr && at && !strstr(at + 1, "prefix.yaml") && !strncmp(msg, tmpdir, strlen(tmpdir)) && !strstr(msg + strlen(tmpdir) + 1, tmpdir),
          "messages: one file:line: at the start", NULL, 0, 0);
    if (!at) printf("  %s\n", msg);
  }
  PetscFunctionReturn(0);
}

/* Runs fn with the options of `options` in a database of their own, so
 * that nothing else of this process is in the way. */
static PetscErrorCode WithOptions(const char *options, PetscErrorCode (*fn)(void *), void *ctx, PetscErrorCode *ierr)
{
  PetscOptions db;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsCreate(&db));
  PetscCall(PetscOptionsPush(db));
  PetscCall(PetscOptionsInsertString(NULL, options));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  *ierr = fn(ctx);
  PetscCall(PetscPopErrorHandler());
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&db));
  PetscFunctionReturn(0);
}

typedef struct {
  const char *prefix;
  PetscBool   config_only, collect_first;
  PetscInt    n;
  char        keys[8][64], values[8][128];
} OptionsRun;

static PetscErrorCode RunCollect(void *ctx)
{
  OptionsRun *r = (OptionsRun *)ctx;
  PetscInt    n;
  char      **keys, **values;

  PetscFunctionBeginUser;
  PetscCall(ConfigOptionsCollect(PETSC_COMM_WORLD, r->prefix, &n, &keys, &values));
  r->n = n;
  for (PetscInt i = 0; i < n && i < 8; i++) {
    PetscCall(PetscStrncpy(r->keys[i], keys[i], sizeof r->keys[i]));
    PetscCall(PetscStrncpy(r->values[i], values[i], sizeof r->values[i]));
  }
  PetscCall(ConfigOptionsFree(n, &keys, &values));
  PetscFunctionReturn(0);
}

static PetscErrorCode RunUnused(void *ctx)
{
  OptionsRun *r = (OptionsRun *)ctx;

  PetscFunctionBeginUser;
  if (r->collect_first) PetscCall(RunCollect(ctx));
  PetscCall(ConfigOptionsCheckUnused(PETSC_COMM_WORLD, r->prefix, r->config_only));
  PetscFunctionReturn(0);
}

static PetscErrorCode TestOptions(void)
{
  PetscErrorCode ierr;
  OptionsRun     r;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(&r, sizeof r));
  PetscCall(WithOptions("-separator_thickness 25um -ts_monitor -cell_temperature 300 -separator_thickness 30um -protocol [rest] "
                        "-cathode_conductivity_activation_energy 30kJ/mol -anode.cells 7",
                        RunCollect, &r, &ierr));
  if (check(!ierr, "options: collect runs", NULL, 0, 0)) {
    PetscBool thick = PETSC_FALSE, temp = PETSC_FALSE, prot = PETSC_FALSE, ea = PETSC_FALSE, dot = PETSC_FALSE;
    for (PetscInt i = 0; i < r.n; i++) {
      thick = (PetscBool)(thick || (!strcmp(r.keys[i], "separator.thickness") && !strcmp(r.values[i], "30um")));
      temp  = (PetscBool)(temp || (!strcmp(r.keys[i], "cell.temperature") && !strcmp(r.values[i], "300")));
      prot  = (PetscBool)(prot || (!strcmp(r.keys[i], "protocol") && !strcmp(r.values[i], "[rest]")));
      ea    = (PetscBool)(ea || (!strcmp(r.keys[i], "cathode.conductivity_activation_energy") && !strcmp(r.values[i], "30kJ/mol")));
      dot   = (PetscBool)(dot || (!strcmp(r.keys[i], "anode.cells") && !strcmp(r.values[i], "7")));
    }
    check(r.n == 5, "options: five config keys found, -ts_monitor is not one", "%g found, want %g", (double)r.n, 5);
    check(thick, "options: the later -separator_thickness wins", NULL, 0, 0);
    check(temp && prot && ea && dot, "options: -cell_temperature, -protocol, an activation energy and -anode.cells", NULL, 0, 0);
  } else
    printf("  %s\n", ErrorText(ierr));
  PetscCall(PetscMemzero(&r, sizeof r));
  r.prefix = "run1_";
  PetscCall(WithOptions("-run1_separator_thickness 25um -separator_thickness 40um", RunCollect, &r, &ierr));
  check(!ierr && r.n == 1 && !strcmp(r.values[0], "25um"), "options: a prefix selects this run's keys", NULL, 0, 0);
  PetscCall(PetscMemzero(&r, sizeof r));
  PetscCall(WithOptions("-cell_temperature", RunCollect, &r, &ierr));
  ExpectError("options: a key without a value", ierr, "-cell_temperature needs a value", "25 degC");
  PetscCall(WithOptions("-cell_temperature 300 -cell.temperature 310", RunCollect, &r, &ierr));
  ExpectError("options: a key given as -a_b and -a.b", ierr, "-cell.temperature", "give it once");
  PetscCall(WithOptions("-cell.temperature", RunCollect, &r, &ierr));
  ExpectError("options: -section.key without a value", ierr, "-cell.temperature needs a value", NULL);

  /* Unused options: the message names them and the nearest key. */
  {
    const struct {
      const char *name, *options, *prefix, *needle1, *needle2;
      PetscBool   config_only;
    } cases[] = {
        {"unused: -initial_stoichiometry suggests the cathode key", "-initial_stoichiometry 0.5", NULL, "-initial_stoichiometry 0.5",
         "did you mean -cathode_initial_stoichiometry?", PETSC_FALSE},
        {"unused: -thickness lists every layer's thickness", "-thickness 3um", NULL,
         "-anode_thickness, -separator_thickness, -cathode_thickness, -stack_anode_collector_thickness or -stack_cathode_collector_thickness", NULL,
         PETSC_FALSE},
        {"unused: a misspelled key suggests the right one", "-separator_thikness 30um", NULL, "did you mean -separator_thickness?", "thikness",
         PETSC_TRUE},
        {"unused: a misspelled key lists the keys of its section", "-separator_thikness 30um", NULL,
         "The keys of separator are:", "transference_number", PETSC_TRUE},
        {"unused: a key of another section", "-anode_initial_stoichiometry 0.5", NULL, "did you mean -cathode_initial_stoichiometry?", NULL,
         PETSC_TRUE},
        {"unused: a misspelled section", "-seperator_thickness 30um", NULL, "did you mean -separator_thickness?", "not an option PETSc used",
         PETSC_FALSE},
        {"unused: -ts_monitr is neither a key nor a PETSc option", "-ts_monitr", NULL, "-ts_monitr is neither a config key nor an option PETSc used",
         "-help", PETSC_FALSE},
        {"unused: several are all named", "-ts_monitr -snes_montor -foo 1", NULL, "3 unused options", "-snes_montor", PETSC_FALSE},
        {"unused: a prefixed key suggests the prefixed name", "-run1_separator_thikness 30um", "run1_", "did you mean -run1_separator_thickness?",
         NULL, PETSC_TRUE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
      PetscCall(PetscMemzero(&r, sizeof r));
      r.prefix        = cases[i].prefix;
      r.config_only   = cases[i].config_only;
      r.collect_first = PETSC_TRUE;
      PetscCall(WithOptions(cases[i].options, RunUnused, &r, &ierr));
      ExpectError(cases[i].name, ierr, cases[i].needle1, cases[i].needle2);
    }
  }
  PetscCall(PetscMemzero(&r, sizeof r));
  r.config_only   = PETSC_TRUE;
  r.collect_first = PETSC_TRUE;
  PetscCall(WithOptions("-separator_thickness 30um -ts_monitr -initial_stoichiometry 0.5", RunUnused, &r, &ierr));
  check(!ierr, "unused: config_only leaves non-config options for later", NULL, 0, 0);
  r.prefix = "run1_";
  PetscCall(WithOptions("-run1_separator_thickness 30um -run2_separator_thikness 1", RunUnused, &r, &ierr));
  check(!ierr, "unused: another prefix's options are not this run's", NULL, 0, 0);
  PetscCall(PetscMemzero(&r, sizeof r));
  PetscCall(WithOptions("-separator_thickness 30um", RunUnused, &r, &ierr));
  ExpectError("unused: a config key that nobody collected", ierr, "-separator_thickness", "nothing read");

  /* Stray words: what PETSc's tokenizer would skip. */
  {
    char *deg[]  = {(char *)"ionstack", (char *)"run", (char *)"a.yaml", (char *)"-cell_temperature", (char *)"60", (char *)"degC"};
    char *um[]   = {(char *)"ionstack", (char *)"run", (char *)"a.yaml",     (char *)"-quiet", (char *)"-separator_thickness",
                    (char *)"30",       (char *)"um",  (char *)"-ts_monitor"};
    char *lead[] = {(char *)"ionstack", (char *)"run", (char *)"a.yaml", (char *)"b.yaml"};
    char *pop[]  = {(char *)"ionstack",  (char *)"run",   (char *)"a.yaml",      (char *)"-prefix_push", (char *)"x_",
                    (char *)"-ksp_type", (char *)"gmres", (char *)"-prefix_pop", (char *)"oops"};
    char *good[] = {(char *)"ionstack",
                    (char *)"run",
                    (char *)"a.yaml",
                    (char *)"-separator_thickness",
                    (char *)"-5um",
                    (char *)"-quiet",
                    (char *)"-protocol",
                    (char *)"[rest for 1 h, rest for 2 h]",
                    (char *)"-cell_temperature",
                    (char *)"60 degC",
                    (char *)"-options_file",
                    (char *)"-weird",
                    (char *)"-ts_monitor"};
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = ConfigArgumentsCheck(6, deg, 3);
    ExpectError("stray: -cell_temperature 60 degC", ierr, "stray argument 'degC' after '-cell_temperature 60'",
                "must be quoted: -cell_temperature \"60 degC\"");
    ierr = ConfigArgumentsCheck(8, um, 3);
    ExpectError("stray: -separator_thickness 30 um", ierr, "stray argument 'um' after '-separator_thickness 30'", "-separator_thickness \"30 um\"");
    ierr = ConfigArgumentsCheck(4, lead, 3);
    ExpectError("stray: a second config file", ierr, "stray argument 'b.yaml' after 'a.yaml'", NULL);
    ierr = ConfigArgumentsCheck(9, pop, 3);
    ExpectError("stray: a word after -prefix_pop", ierr, "stray argument 'oops' after '-prefix_pop', which takes no value", NULL);
    ierr = ConfigArgumentsCheck(13, good, 3);
    check(!ierr, "stray: negative values, quoted values and -options_file FILE are not stray", NULL, 0, 0);
    if (ierr) printf("  %s\n", ErrorText(ierr));
    PetscCall(PetscPopErrorHandler());
  }
  PetscFunctionReturn(0);
}

/* -help is read from the command line at PetscInitialize, so the listing is
 * checked in a child run of this program with -help. */
static void TestHelp(const char *self)
{
  static char help_text[1 << 17];
  char        cmd[PETSC_MAX_PATH_LEN + 64];
  FILE       *fp;
  size_t      help_len;

  snprintf(cmd, sizeof cmd, "%s help-listing -help 2>&1", self);
  fp                  = popen(cmd, "r");
  help_len            = fp ? fread(help_text, 1, sizeof help_text - 1, fp) : 0;
  help_text[help_len] = 0;
  if (fp) pclose(fp);
  check(strstr(help_text, "-separator_thickness <now 18 um : formerly 18 um>: membrane thickness (length, e.g. 18 um") != NULL,
        "help: -help lists -separator_thickness with its default and units", NULL, 0, 0);
  check(strstr(help_text, "-cathode_initial_stoichiometry <now from the material") && strstr(help_text, "-solver_newton_tolerance") &&
            strstr(help_text, "-mesh_memory_limit <now 4 GiB") && strstr(help_text, "-protocol <now [discharge at 1C until 3.0 V]") &&
            strstr(help_text, "-separator_conductivity_activation_energy"),
        "help: -help lists every kind of key", NULL, 0, 0);
}

int main(int argc, char **argv)
{
  char cmd[PETSC_MAX_PATH_LEN + 16];

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  if (argc > 1 && !strcmp(argv[1], "help-listing")) { /* the child of TestHelp */
    PetscInt n;
    char   **keys, **values;
    PetscCall(ConfigOptionsCollect(PETSC_COMM_WORLD, NULL, &n, &keys, &values));
    PetscCall(ConfigOptionsFree(n, &keys, &values));
    PetscCall(PetscFinalize());
    return 0;
  }
  snprintf(tmpdir, sizeof tmpdir, "/tmp/ionstack_test_config_XXXXXX");
  if (!mkdtemp(tmpdir)) return 1;
  PetscCall(TestUnits());
  PetscCall(TestBase());
  PetscCall(TestErrors());
  PetscCall(TestCustomElectrolytes());
  PetscCall(TestArrhenius());
  PetscCall(TestOverridesAndMore());
  PetscCall(TestUnitsBounded());
  PetscCall(TestBoundedInput());
  PetscCall(TestOptions());
  TestHelp(argv[0]);
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  if (system(cmd)) printf("could not remove %s\n", tmpdir);
  PetscCall(PetscFinalize());
  return test_failures ? 1 : 0;
}
