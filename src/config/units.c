/* Unit expressions of config values: "18 um", "1.2 mS/cm", "2 mA/cm^2",
 * "30 kJ/mol", "60 degC", "4 GiB". A number is followed by an optional product
 * of unit symbols, each with an optional SI prefix and an integer power, joined
 * by '*' or '/'. The result is checked against the dimension the key expects
 * (a vector of exponents over m, kg, s, A, K, mol and bytes) and converted to
 * SI. Every result is a finite number unless the caller allows infinity; NaN
 * and numbers beyond a double's range are refused, because strtod would turn
 * them into values that switch limits off silently.
 * It does not do parentheses, non-integer powers or C-rates (the protocol
 * parser reads those); the only affine unit is degC, and only on its own. */
#include "config_private.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <strings.h>

/* Bytes are a base dimension of their own (memory limits), not an SI unit. */
enum { DIM_M, DIM_KG, DIM_S, DIM_A, DIM_K, DIM_MOL, DIM_B, NDIM };

/* Powers beyond this are typing errors, and bounding them keeps the exponent
 * sums far from integer overflow. */
#define MAX_POWER 9

typedef struct {
  const char *symbol;
  PetscReal   factor; /* to SI */
  int         dim[NDIM];
  PetscBool   no_prefix; /* the byte units carry their multiple in the symbol */
} UnitSymbol;

/* eV is per particle; for activation energies the code uses J/mol, so 1 eV
 * counts as e N_A = F J/mol. */
static const UnitSymbol units[] = {
    {"m", 1.0, {1, 0, 0, 0, 0, 0}, PETSC_FALSE},
    {"g", 1e-3, {0, 1, 0, 0, 0, 0}, PETSC_FALSE},
    {"s", 1.0, {0, 0, 1, 0, 0, 0}, PETSC_FALSE},
    {"min", 60.0, {0, 0, 1, 0, 0, 0}, PETSC_FALSE},
    {"h", 3600.0, {0, 0, 1, 0, 0, 0}, PETSC_FALSE},
    {"A", 1.0, {0, 0, 0, 1, 0, 0}, PETSC_FALSE},
    {"K", 1.0, {0, 0, 0, 0, 1, 0}, PETSC_FALSE},
    {"mol", 1.0, {0, 0, 0, 0, 0, 1}, PETSC_FALSE},
    {"L", 1e-3, {3, 0, 0, 0, 0, 0}, PETSC_FALSE},
    {"M", 1e3, {-3, 0, 0, 0, 0, 1}, PETSC_FALSE}, /* molar, mol/L */
    {"S", 1.0, {-2, -1, 3, 2, 0, 0}, PETSC_FALSE},
    {"ohm", 1.0, {2, 1, -3, -2, 0, 0}, PETSC_FALSE},
    {"Ohm", 1.0, {2, 1, -3, -2, 0, 0}, PETSC_FALSE},
    {"\xce\xa9", 1.0, {2, 1, -3, -2, 0, 0}, PETSC_FALSE},     /* Greek capital omega */
    {"\xe2\x84\xa6", 1.0, {2, 1, -3, -2, 0, 0}, PETSC_FALSE}, /* ohm sign */
    {"V", 1.0, {2, 1, -3, -1, 0, 0}, PETSC_FALSE},
    {"J", 1.0, {2, 1, -2, 0, 0, 0}, PETSC_FALSE},
    {"eV", FARADAY, {2, 1, -2, 0, 0, -1}, PETSC_FALSE},
    {"W", 1.0, {2, 1, -3, 0, 0, 0}, PETSC_FALSE},
    {"C", 1.0, {0, 0, 1, 1, 0, 0}, PETSC_FALSE},
    {"Ah", 3600.0, {0, 0, 1, 1, 0, 0}, PETSC_FALSE},
    {"Pa", 1.0, {-1, 1, -2, 0, 0, 0}, PETSC_FALSE},
    {"N", 1.0, {1, 1, -2, 0, 0, 0}, PETSC_FALSE},
    {"B", 1.0, {0, 0, 0, 0, 0, 0, 1}, PETSC_TRUE},
    {"kB", 1e3, {0, 0, 0, 0, 0, 0, 1}, PETSC_TRUE},
    {"MB", 1e6, {0, 0, 0, 0, 0, 0, 1}, PETSC_TRUE},
    {"GB", 1e9, {0, 0, 0, 0, 0, 0, 1}, PETSC_TRUE},
    {"TB", 1e12, {0, 0, 0, 0, 0, 0, 1}, PETSC_TRUE},
    {"KiB", 1024.0, {0, 0, 0, 0, 0, 0, 1}, PETSC_TRUE},
    {"MiB", 1048576.0, {0, 0, 0, 0, 0, 0, 1}, PETSC_TRUE},
    {"GiB", 1073741824.0, {0, 0, 0, 0, 0, 0, 1}, PETSC_TRUE},
    {"TiB", 1099511627776.0, {0, 0, 0, 0, 0, 0, 1}, PETSC_TRUE},
};

static const struct {
  const char *symbol;
  PetscReal   factor;
} prefixes[] = {
    {"p", 1e-12}, {"n", 1e-9}, {"u", 1e-6}, {"\xc2\xb5", 1e-6}, {"\xce\xbc", 1e-6}, {"m", 1e-3}, {"c", 1e-2}, {"k", 1e3}, {"M", 1e6},
};

typedef struct {
  const char *name;
  int         dim[NDIM];
  const char *examples;
} Dimension;

static const Dimension dimensions[] = {
    {"dimensionless", {0, 0, 0, 0, 0, 0}, "a bare number"},
    {"length", {1, 0, 0, 0, 0, 0}, "18 um, 0.1 mm, 2e-5 m"},
    {"area", {2, 0, 0, 0, 0, 0}, "1 cm^2, 1e-4 m^2"},
    {"volume", {3, 0, 0, 0, 0, 0}, "1 cm^3, 1 L"},
    {"time", {0, 0, 1, 0, 0, 0}, "60 s, 10 min, 1 h"},
    {"temperature", {0, 0, 0, 0, 1, 0}, "298.15 K, 25 degC"},
    {"rate", {0, 0, -1, 0, 0, 0}, "1/s, 1/h"},
    {"current", {0, 0, 0, 1, 0, 0}, "1 mA, 2 A"},
    {"current_density", {-2, 0, 0, 1, 0, 0}, "2 mA/cm^2, 20 A/m^2"},
    {"voltage", {2, 1, -3, -1, 0, 0}, "4.2 V, 50 mV"},
    {"conductivity", {-3, -1, 3, 2, 0, 0}, "1.2 mS/cm, 0.12 S/m"},
    {"resistance", {2, 1, -3, -2, 0, 0}, "10 ohm"},
    {"areal_resistance", {4, 1, -3, -2, 0, 0}, "10 ohm*cm^2, 1e-3 ohm*m^2"},
    {"diffusivity", {2, 0, -1, 0, 0, 0}, "1e-11 m^2/s, 1e-7 cm^2/s"},
    {"concentration", {-3, 0, 0, 0, 0, 1}, "1000 mol/m^3, 1 mol/L, 1 M"},
    {"activation_energy", {2, 1, -2, 0, 0, -1}, "0.3 eV, 30 kJ/mol"},
    {"energy", {2, 1, -2, 0, 0, 0}, "1 J, 1 W*h"},
    {"density", {-3, 1, 0, 0, 0, 0}, "4.8 g/cm^3, 534 kg/m^3"},
    {"molar_mass", {0, 1, 0, 0, 0, -1}, "6.94 g/mol, 0.00694 kg/mol"},
    {"areal_capacity", {-2, 0, 1, 1, 0, 0}, "3 mAh/cm^2, 10800 C/m^2"},
    {"specific_capacity", {0, -1, 1, 1, 0, 0}, "200 mAh/g"},
    {"rate_constant", {1, 0, -1, 0, 0, 0}, "1e-10 m/s, 1e-8 cm/s"},
    {"memory", {0, 0, 0, 0, 0, 0, 1}, "4 GiB, 512 MB, 1e9 B"},
};

static const Dimension *FindDimension(const char *name)
{
  for (size_t i = 0; i < sizeof dimensions / sizeof dimensions[0]; i++)
    if (!strcmp(dimensions[i].name, name)) return &dimensions[i];
  return NULL;
}

PetscErrorCode UnitsExamples(const char *dimension, const char **examples)
{
  const Dimension *d = FindDimension(dimension);

  PetscFunctionBeginUser;
  PetscCheck(d, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "Unknown dimension name '%s'", dimension);
  *examples = d->examples;
  PetscFunctionReturn(0);
}

static const UnitSymbol *FindSymbol(const char *s, size_t len)
{
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strlen(units[i].symbol) == len && !strncmp(units[i].symbol, s, len)) return &units[i];
  return NULL;
}

/* Tries an exact symbol first so that "min", "mol", "M" and "eV" are not read
 * as prefixed units; then a prefix followed by a symbol ("mAh", "kJ", "um"). */
static PetscBool LookupSymbol(const char *s, size_t len, PetscReal *factor, const int **dim)
{
  const UnitSymbol *u = FindSymbol(s, len);

  if (u) {
    *factor = u->factor;
    *dim    = u->dim;
    return PETSC_TRUE;
  }
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
    size_t plen = strlen(prefixes[i].symbol);
    if (len > plen && !strncmp(s, prefixes[i].symbol, plen) && (u = FindSymbol(s + plen, len - plen)) && !u->no_prefix) {
      *factor = prefixes[i].factor * u->factor;
      *dim    = u->dim;
      return PETSC_TRUE;
    }
  }
  return PETSC_FALSE;
}

/* Writes the dimension vector as a unit, e.g. "m^-3 mol", for messages. */
static void DimensionText(const int dim[], char *buf, size_t len)
{
  static const char *base[NDIM] = {"m", "kg", "s", "A", "K", "mol", "B"};
  size_t             n          = 0;

  buf[0] = 0;
  for (int i = 0; i < NDIM; i++) {
    if (!dim[i]) continue;
    if (dim[i] == 1)
      n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "*" : "", base[i]);
    else
      n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s^%d", n ? "*" : "", base[i], dim[i]);
  }
  if (!n) snprintf(buf, len, "1 (dimensionless)");
}

static const char *DimensionName(const int dim[])
{
  for (size_t i = 0; i < sizeof dimensions / sizeof dimensions[0]; i++)
    if (!memcmp(dimensions[i].dim, dim, sizeof(int) * NDIM)) return dimensions[i].name;
  return NULL;
}

static PetscBool IsSuperscript(const char *s)
{
  return (PetscBool)(s[0] == '\xc2' && (s[1] == '\xb2' || s[1] == '\xb3'));
}

static PetscBool IsSymbolChar(const unsigned char *c)
{
  return isalpha(*c) || *c >= 0x80; /* UTF-8 bytes of µ, μ, Ω */
}

/* strtod reads "nan", "inf" and "infinity" itself; YAML writes ".inf". */
static PetscBool IsYamlInfinity(const char *s, const char **end)
{
  static const char *const words[] = {"+.inf", "-.inf", ".inf"};

  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
    size_t n = strlen(words[i]);
    if (!strncasecmp(s, words[i], n) && !isalnum((unsigned char)s[n])) {
      *end = s + n;
      return PETSC_TRUE;
    }
  }
  return PETSC_FALSE;
}

/* "mS/cm2" -> "mS/cm^2": the digits that follow a unit symbol become a power. */
static void WithPowers(const char *text, const char *units_text, char *buf, size_t len)
{
  size_t n = 0;

  for (const char *s = text; *s && n + 2 < len; s++) {
    if (s > units_text && isdigit((unsigned char)*s) && IsSymbolChar((const unsigned char *)(s - 1))) buf[n++] = '^';
    buf[n++] = *s;
  }
  buf[n] = 0;
}

PetscErrorCode UnitsParseQuantity(const char *text, const char *dimension, const char *key, PetscBool allow_infinity, PetscReal *si)
{
  const Dimension *want = FindDimension(dimension);
  const char      *s, *units_text, *after;
  char            *end;
  PetscReal        number, factor = 1.0;
  int              dim[NDIM] = {0};

  PetscFunctionBeginUser;
  PetscCheck(want, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "%s: unknown dimension name '%s' (internal)", key, dimension);
  PetscCheck(text, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: no value given; expected a %s such as %s", key, dimension, want->examples);
  s = text;
  while (isspace((unsigned char)*s))
    s++;
  if (IsYamlInfinity(s, &after)) {
    number = *s == '-' ? -HUGE_VAL : HUGE_VAL; /* IEEE infinity: PETSC_INFINITY is a large finite number */
    end    = (char *)after;
  } else {
    errno  = 0;
    number = strtod(s, &end);
    PetscCheck(end != s, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: '%s' does not start with a number; expected a %s such as %s", key, text,
               dimension, want->examples);
    PetscCheck(!PetscIsNanReal(number), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: '%s' is not a number; expected a %s such as %s", key, text,
               dimension, want->examples);
    PetscCheck(!(errno == ERANGE && PetscIsInfReal(number)), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: '%s' is beyond the range of a double (about 1.8e308)", key, text);
  }
  PetscCheck(allow_infinity || !PetscIsInfReal(number), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: '%s' is infinite; give a finite %s such as %s",
             key, text, dimension, want->examples);
  s = end;
  while (isspace((unsigned char)*s))
    s++;
  units_text = s;

  if (!*s) { /* a bare number is SI */
    *si = number;
    PetscFunctionReturn(0);
  }
  /* Celsius is affine, so it cannot take part in a product. */
  if (!strcmp(s, "degC") || !strcmp(s, "\xc2\xb0"
                                       "C")) {
    PetscCheck(!strcmp(dimension, "temperature"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
               "%s: '%s' is a temperature, but a %s is expected, such as %s", key, text, dimension, want->examples);
    *si = number + 273.15;
    PetscFunctionReturn(0);
  }

  {
    int sign = 1;    /* +1 after '*' (or at the start), -1 after '/' */
    if (*s == '/') { /* "1/s" */
      sign = -1;
      for (s++; isspace((unsigned char)*s); s++) {
      }
    }
    while (*s) {
      const char *sym = s;
      size_t      len;
      PetscReal   f;
      const int  *d;
      long        power = 1;

      while (*s && IsSymbolChar((const unsigned char *)s) && !IsSuperscript(s))
        s++;
      len = (size_t)(s - sym);
      PetscCheck(len > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                 "%s: cannot read the unit '%s' at '%s'; write units as symbols joined by * and /, with integer powers, e.g. %s", key, units_text,
                 sym, want->examples);
      if (!LookupSymbol(sym, len, &f, &d)) {
        char name[64];
        PetscCall(PetscStrncpy(name, sym, PetscMin(len + 1, sizeof name)));
        SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                "%s: unknown unit symbol '%s' in '%s'; known symbols: m g s min h A K mol L M S ohm V J eV W C Ah Pa N, with prefixes p n u µ m c "
                "k M, degC alone, and B kB MB GB TB KiB MiB GiB TiB; a %s is written e.g. %s",
                key, name, text, dimension, want->examples);
      }
      if (*s == '^') {
        char *pend;
        s++;
        errno = 0;
        power = strtol(s, &pend, 10);
        PetscCheck(pend != s && power != 0 && errno != ERANGE && power >= -MAX_POWER && power <= MAX_POWER, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                   "%s: '%s': a power must be a non-zero integer from -%d to %d, as in cm^2 or s^-1", key, text, MAX_POWER, MAX_POWER);
        s = pend;
      } else if (IsSuperscript(s)) { /* ² ³ */
        power = s[1] == '\xb2' ? 2 : 3;
        s += 2;
      } else if (isdigit((unsigned char)*s)) { /* "cm2": the power without its ^ */
        char fixed[256];
        WithPowers(text, units_text, fixed, sizeof fixed);
        SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cannot read '%s' at '%s': a power is written with ^, as in '%s'", key, text, s, fixed);
      }
      for (int i = 0; i < NDIM; i++)
        dim[i] += sign * (int)power * d[i];
      factor *= PetscPowReal(f, (PetscReal)(sign * power));
      while (isspace((unsigned char)*s))
        s++;
      if (!*s) break;
      if (*s == '*' || *s == '/') {
        sign = *s == '/' ? -1 : 1;
        s++;
        while (isspace((unsigned char)*s))
          s++;
        PetscCheck(*s, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: '%s' ends with an operator", key, text);
      } else {
        PetscCheck(IsSymbolChar((const unsigned char *)s), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
                   "%s: cannot read '%s' at '%s'; join units with * or / (e.g. %s)", key, text, s, want->examples);
        sign = 1; /* "ohm cm^2": a space multiplies */
      }
    }
  }
  if (memcmp(dim, want->dim, sizeof dim)) {
    char        got[96];
    const char *gotname = DimensionName(dim);
    DimensionText(dim, got, sizeof got);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the unit of '%s' is %s%s%s%s, but a %s is expected; write e.g. %s", key, text,
            gotname ? "a " : "", gotname ? gotname : "", gotname ? " = " : "", got, dimension, want->examples);
  }
  /* A long product of prefixes can leave the range of a double, and a finite
   * number times a large factor can overflow. */
  PetscCheck(factor > 0 && !PetscIsInfReal(factor), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the unit of '%s' is beyond the range of a double",
             key, text);
  *si = number * factor;
  PetscCheck(!PetscIsInfReal(*si) || PetscIsInfReal(number), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "%s: '%s' is beyond the range of a double (about 1.8e308 in SI units)", key, text);
  PetscFunctionReturn(0);
}

PetscErrorCode UnitsParse(const char *text, const char *dimension, const char *key, PetscReal *si)
{
  PetscFunctionBeginUser;
  PetscCall(UnitsParseQuantity(text, dimension, key, PETSC_FALSE, si));
  PetscFunctionReturn(0);
}
