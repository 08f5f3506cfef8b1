/* Butler-Volmer kinetics on an electrode | electrolyte face (SPEC 2.4):
 *   i = i0 [exp(alpha_a f eta) - exp(-alpha_c f eta)],  f = F/RT,
 *   eta = phi_s,face - phi_e,face - U(theta_face) - R_film i.
 * The face values come from the cell values and the half-cell fluxes that i
 * itself drives (ohmic drop, the diffusion potential and the concentration
 * step across each half cell), so i solves one scalar equation
 *   G(i) = i - i0(i) S(eta(i)) = 0,   S(eta) = exp(alpha_a f eta) - exp(-alpha_c f eta).
 * It is solved in the equivalent overpotential form
 *   H(i) = asinh(i / (2 i0(i))) - asinh(S(eta(i)) / 2) = 0,
 * which is close to linear in i both for a near-reversible face (huge i0:
 * eta -> 0, i set by the series resistances) and for a sluggish one (Tafel:
 * i exponential in eta), so safeguarded Newton converges in a few steps
 * over the whole range; both asinh are evaluated in logarithmic form and
 * never overflow. A current close to one that empties the face (c_face,
 * theta_face or 1 - theta_face -> 0) is refined as its distance to that
 * current, so the vanishing face value keeps its relative precision.
 *
 * The returned current is checked against G itself: when it is not a root
 * to BV_RESIDUAL_TOLERANCE, or no root keeps the face values inside their
 * range, the state is flagged (in_domain = FALSE) and the caller retries
 * the step instead of using it. The derivatives of i with respect to the
 * two cell states follow from the implicit function theorem at the returned
 * root, which keeps the analytic Jacobian exact. No grid: two states and
 * two distances; nothing is remembered between calls. */
#include <math.h>
#include "model.h"

/* |G| <= tol (|i| + i0_face) at a returned current, for G recomputed from the
 * returned current and face values, plus what the rounding of the volts
 * eta is summed from allows (8 eps f (|BV| + i0_face) of them: it matters
 * only for potentials of kilovolts, as a Newton iterate may propose).
 * Rounding leaves about f eps (|i| + i0_face) times those volts (1e-12 for
 * tens of volts), so tol is a margin of 100 above it. The error in the
 * current is |G| / |dG/di|: at most tol (|i| + i0_face), and for a
 * near-reversible face at most tol (|i| + i0_face) / (i0_face f R), R the
 * series resistance. */
#define BV_RESIDUAL_TOLERANCE 1e-10

typedef struct {
  const InterfaceSetup *s;
  PetscReal             f;            /* F/RT */
  PetscReal             theta, c;     /* cell values */
  PetscReal             vacancy;      /* 1 - theta, as (c_s,max - c_s)/c_s,max: theta may lie within rounding of 1 */
  PetscReal             phi_gap;      /* phi_s - phi_e of the cell centres */
  PetscReal             R;            /* series resistance: both half cells and the film */
  PetscReal             a_c, a_s;     /* c_face = c + a_c i,  theta_face = theta - a_s i */
  PetscReal             beta;         /* diffusion-potential coefficient (binary) */
  PetscReal             ln_i0;        /* ln of the reference exchange current density */
  PetscReal             i_min, i_max; /* the range of i that keeps c_face > 0 and theta_face in (0,1) */
  PetscReal             i_at[4];      /* the current of each anchor: 0, and where c_face, theta_face, 1 - theta_face vanish */
} KineticFace;

/* The current is carried as i_at[anchor] + u. Near a current that empties
 * the face, u is the distance to it and the vanishing face value is a u
 * with full relative precision, where c + a_c i would be the small
 * difference of two large numbers that no double i resolves. */
typedef enum {
  ANCHOR_ZERO,
  ANCHOR_C,      /* c_face = a_c u, u > 0 */
  ANCHOR_THETA,  /* theta_face = -a_s u, u < 0 */
  ANCHOR_VACANCY /* 1 - theta_face = a_s u, u > 0 */
} Anchor;

typedef struct {
  PetscBool inside;   /* c_face > 0, theta_face in (0,1) */
  PetscReal H, dH_di; /* overpotential-form residual and its slope */
  PetscReal noise;    /* the rounding level of H */
  PetscReal eta, deta_di;
  PetscReal c_face, theta_face, vacancy_face, dU; /* vacancy_face = 1 - theta_face */
  PetscReal lnk, dlnk_dc, dlnk_dtheta, dlnk_di;   /* ln i0 at the face; its derivatives in c_face, theta_face and i */
  PetscReal w;                                    /* i / sqrt(i^2 + 4 i0^2) = d asinh(i/2i0) / d(-ln i0) */
  PetscReal A, dA_deta;                           /* asinh(S(eta)/2) */
} FaceState;

/* asinh(S/2) and its eta derivative, S = exp(a x) - exp(-c x), x = f eta.
 * For a large |x| it is written with exp(-p|x|) <= 1 only:
 *   asinh(S/2) = sign(x) [ln(m + sqrt(m^2 + 4 r^2)) - ln 2 + p|x|],  m = 1 - exp(-(a+c)|x|), r = exp(-p|x|),
 * p the coefficient of the growing exponential. */
static void AsinhHalfS(PetscReal a, PetscReal c, PetscReal f, PetscReal eta, PetscReal *A, PetscReal *dA)
{
  const PetscReal x = f * eta, ax = PetscAbsReal(x), p = x >= 0 ? a : c, q = x >= 0 ? c : a;

  if (p * ax < 20) {
    const PetscReal Ea = expm1(a * x), Ec = expm1(-c * x), S = Ea - Ec;
    *A  = PetscAsinhReal(0.5 * S);
    *dA = f * (a * (1 + Ea) + c * (1 + Ec)) / PetscSqrtReal(S * S + 4);
  } else {
    const PetscReal e = PetscExpReal(-(p + q) * ax), m = -expm1(-(p + q) * ax), r = PetscExpReal(-p * ax), root = PetscSqrtReal(m * m + 4 * r * r);
    *A  = PetscCopysignReal(PetscLogReal(m + root) - PetscLogReal(2.0) + p * ax, x);
    *dA = f * (p + q * e) / root;
  }
}

/* ln |S(eta)|, eta != 0, without overflow. */
static PetscReal LogAbsS(PetscReal a, PetscReal c, PetscReal f, PetscReal eta)
{
  const PetscReal x = f * eta, ax = PetscAbsReal(x), p = x >= 0 ? a : c, q = x >= 0 ? c : a;
  return p * ax + PetscLogReal(-expm1(-(p + q) * ax));
}

static void FaceEval(const KineticFace *fc, Anchor anchor, PetscReal u, FaceState *st)
{
  const InterfaceSetup *s = fc->s;
  const Kinetics       *k = s->kinetics;
  const PetscReal       i = fc->i_at[anchor] + u;
  PetscReal             U = 0.0, B, g;

  st->c_face       = anchor == ANCHOR_C ? fc->a_c * u : fc->c + fc->a_c * i;
  st->theta_face   = anchor == ANCHOR_THETA ? -fc->a_s * u : (anchor == ANCHOR_VACANCY ? 1.0 - fc->a_s * u : fc->theta - fc->a_s * i);
  st->vacancy_face = anchor == ANCHOR_VACANCY ? fc->a_s * u : (anchor == ANCHOR_THETA ? 1.0 + fc->a_s * u : fc->vacancy + fc->a_s * i);
  st->inside       = (PetscBool)(st->c_face > 0 && (!s->active || (st->theta_face > 0 && st->vacancy_face > 0)));
  if (!st->inside) {
    /* past the range the face leaves its domain: H counts as negative below it, positive above */
    st->H     = (st->c_face <= 0 || (s->active && st->vacancy_face <= 0)) ? -INFINITY : INFINITY;
    st->dH_di = NAN;
    return;
  }
  st->dU          = 0.0;
  st->lnk         = fc->ln_i0;
  st->dlnk_dc     = 0.0;
  st->dlnk_dtheta = 0.0;
  if (s->active) ActiveOcp(s->active, st->theta_face, &U, &st->dU);
  if (k->concentration_dependent) {
    st->lnk += k->alpha_a * PetscLogReal(st->c_face / s->electrolyte->concentration);
    st->dlnk_dc = k->alpha_a / st->c_face;
    if (s->active) {
      st->lnk += k->alpha_a * PetscLogReal(2.0 * st->vacancy_face) + k->alpha_c * PetscLogReal(2.0 * st->theta_face);
      st->dlnk_dtheta = -k->alpha_a / st->vacancy_face + k->alpha_c / st->theta_face;
    }
  }
  st->dlnk_di = st->dlnk_dc * fc->a_c - st->dlnk_dtheta * fc->a_s;
  {
    /* ln(c_face/c) as log1p(a_c i / c) unless c_face is anchored: near c_face = c the quotient would lose the digits */
    const PetscReal ln_ratio = fc->a_c == 0.0 ? 0.0 : (anchor == ANCHOR_C ? PetscLogReal(st->c_face / fc->c) : log1p(fc->a_c * i / fc->c));
    st->eta                  = fc->phi_gap - fc->R * i - fc->beta * ln_ratio - U;
    st->deta_di              = -fc->R - (fc->a_c != 0.0 ? fc->beta * fc->a_c / st->c_face : 0.0) + st->dU * fc->a_s;
    AsinhHalfS(k->alpha_a, k->alpha_c, fc->f, st->eta, &st->A, &st->dA_deta);
    /* rounding of H: of each term eta sums, and of both asinh */
    st->noise = 8 * PETSC_MACHINE_EPSILON *
                (1 + PetscAbsReal(st->A) +
                 st->dA_deta * (PetscAbsReal(fc->phi_gap) + PetscAbsReal(fc->R * i) + PetscAbsReal(fc->beta * ln_ratio) + PetscAbsReal(U)));
  }
  /* B = asinh(i / (2 i0)), logarithmic for a ratio beyond the range of doubles; g = 1/sqrt(i^2 + 4 i0^2) */
  {
    const PetscReal k0 = PetscExpReal(st->lnk);
    if (i == 0) {
      B = 0, g = 0.5 / k0;
    } else if (k0 > 0 && PetscAbsReal(i) < 1e300 * k0) {
      B = PetscAsinhReal(0.5 * i / k0), g = 1.0 / PetscHypotReal(i, 2 * k0);
    } else {
      const PetscReal ln_ratio = PetscLogReal(PetscAbsReal(i)) - st->lnk;
      B = PetscCopysignReal(ln_ratio, i), g = 1.0 / PetscAbsReal(i);
    }
    st->w = i * g;
  }
  st->H     = B - st->A;
  st->dH_di = g * (1.0 - i * st->dlnk_di) - st->dA_deta * st->deta_di;
  st->noise += 8 * PETSC_MACHINE_EPSILON * PetscAbsReal(B);
}

/* Root u of H(i_at[anchor] + u) on (lo, hi), where H < 0 toward lo and
 * H > 0 toward hi. Newton inside the sign bracket, in ln|u| when anchored
 * (H grows like ln|u| at the bound, and the root may lie many decades
 * closer to it than the guess). When a step leaves the bracket: bisection
 * between two iterates, a step 15/16 of the way toward a bound of the face
 * range, or a bounded geometric step toward an infinite end. Returns u with
 * the state at it; the caller checks G. */
static PetscReal FaceSolve(const KineticFace *fc, Anchor anchor, PetscReal lo, PetscReal hi, PetscReal guess, PetscReal scale, FaceState *st)
{
  PetscReal u       = guess;
  PetscBool lo_seen = PETSC_FALSE, hi_seen = PETSC_FALSE; /* the end is an iterate, not a bound of the range */

  if (!(u > lo && u < hi)) u = lo < 0 && hi > 0 ? (u >= hi ? 0.5 * hi : 0.5 * lo) : 0.5 * lo + 0.5 * hi; /* halfway to the bound it passed */
  for (PetscInt it = 0; it < 400; it++) {
    PetscReal next = NAN;
    FaceEval(fc, anchor, u, st);
    if (st->H == 0 || (st->inside && PetscAbsReal(st->H) <= st->noise)) break;
    if (st->H < 0)
      lo = u, lo_seen = PETSC_TRUE;
    else
      hi = u, hi_seen = PETSC_TRUE;
    if (st->inside && st->dH_di > 0 && PetscIsNormalReal(st->dH_di))
      next = anchor == ANCHOR_ZERO ? u - st->H / st->dH_di : u * PetscExpReal(-st->H / (u * st->dH_di));
    {
      const PetscReal reach = 8 * (PetscAbsReal(u) + scale); /* the longest step toward an infinite end */
      if (!(next > lo && next < hi)) {
        if (st->H < 0)
          next = PetscIsInfReal(hi) ? u + reach : (hi_seen ? 0.5 * lo + 0.5 * hi : hi - (hi - u) / 16);
        else
          next = PetscIsInfReal(lo) ? u - reach : (lo_seen ? 0.5 * lo + 0.5 * hi : lo + (u - lo) / 16);
      } else if (PetscIsInfReal(hi) || PetscIsInfReal(lo))
        next = PetscClipInterval(next, u - reach, u + reach);
    }
    if (!(next > lo && next < hi) || PetscAbsReal(next - u) <= 2 * PETSC_MACHINE_EPSILON * PetscAbsReal(u)) {
      /* converged to rounding, or the bracket has closed: the state must belong to the returned current */
      if (next > lo && next < hi) u = next;
      FaceEval(fc, anchor, u, st);
      break;
    }
    u = next;
  }
  return u;
}

void InterfaceEvaluate(const InterfaceSetup *s, const PetscReal u_electrode[], const PetscReal u_electrolyte[], InterfaceFlux *out)
{
  const Kinetics *k = s->kinetics;
  KineticFace     fc;
  FaceState       st;
  Anchor          anchor = ANCHOR_ZERO;
  PetscReal       kappa, dkappa = 0.0, D = 0.0, dD = 0.0, tplus = 1.0, chi = 1.0, u;

  fc.s       = s;
  fc.f       = FARADAY / (GAS_CONSTANT * s->T);
  fc.c       = u_electrolyte[FIELD_C];
  fc.theta   = s->active ? u_electrode[FIELD_C] / s->active->max_concentration : 0.5;
  fc.vacancy = s->active ? (s->active->max_concentration - u_electrode[FIELD_C]) / s->active->max_concentration : 0.5;
  fc.phi_gap = u_electrode[FIELD_PHI] - u_electrolyte[FIELD_PHI];
  fc.ln_i0   = PetscLogReal(k->exchange_current_density);
  out->in_domain =
      (PetscBool)(fc.c > 0 && !PetscIsInfOrNanReal(fc.c) && !PetscIsInfOrNanReal(fc.phi_gap) && (!s->active || (fc.theta > 0 && fc.vacancy > 0)));
  if (!out->in_domain) {
    PetscCallVoid(PetscMemzero(out, sizeof(*out)));
    return;
  }
  if (s->electrolyte->kind == ELECTROLYTE_BINARY) {
    ElectrolyteState es;
    ElectrolyteEvaluate(s->electrolyte, fc.c, &es);
    kappa = es.kappa, dkappa = es.dkappa_dc, D = es.D, dD = es.dD_dc, tplus = es.tplus, chi = es.chi;
    fc.a_c  = s->d_e * (1.0 - tplus) / (FARADAY * D);
    fc.beta = 2.0 / fc.f * (1.0 - tplus) * chi;
  } else {
    kappa   = s->electrolyte->conductivity;
    fc.a_c  = 0.0;
    fc.beta = 0.0;
  }
  fc.R                    = s->d_s / s->sigma_s + s->d_e / kappa + k->film_resistance;
  fc.a_s                  = s->active ? s->d_s / (FARADAY * s->active->diffusivity * s->active->max_concentration) : 0.0;
  fc.i_at[ANCHOR_ZERO]    = 0.0;
  fc.i_at[ANCHOR_C]       = fc.a_c > 0 ? -fc.c / fc.a_c : -INFINITY;
  fc.i_at[ANCHOR_THETA]   = fc.a_s > 0 ? fc.theta / fc.a_s : INFINITY;
  fc.i_at[ANCHOR_VACANCY] = fc.a_s > 0 ? -fc.vacancy / fc.a_s : -INFINITY;
  fc.i_min                = PetscMax(fc.i_at[ANCHOR_C], fc.i_at[ANCHOR_VACANCY]);
  fc.i_max                = fc.i_at[ANCHOR_THETA];
  {
    /* Guess: the kinetic current at the cell values, i0 S(eta0) with eta0 = phi_gap - U(theta), and the
       ohmic limit eta0/R, added as conductances: right in both limits, and for a small eta0 the
       charge-transfer resistance in series with R. */
    PetscReal U = 0, dU, guess = 0, scale, lnk = fc.ln_i0;
    if (s->active) ActiveOcp(s->active, fc.theta, &U, &dU);
    if (k->concentration_dependent) {
      lnk += k->alpha_a * PetscLogReal(fc.c / s->electrolyte->concentration);
      if (s->active) lnk += k->alpha_a * PetscLogReal(2.0 * fc.vacancy) + k->alpha_c * PetscLogReal(2.0 * fc.theta);
    }
    if (fc.phi_gap - U != 0) {
      const PetscReal eta0 = fc.phi_gap - U, ln_kinetic = lnk + LogAbsS(k->alpha_a, k->alpha_c, fc.f, eta0);
      const PetscReal ln_ohmic = PetscLogReal(PetscAbsReal(eta0) / fc.R), top = PetscMax(-ln_kinetic, -ln_ohmic);
      guess = PetscCopysignReal(PetscExpReal(-top - PetscLogReal(PetscExpReal(-ln_kinetic - top) + PetscExpReal(-ln_ohmic - top))), eta0);
    }
    scale = PetscAbsReal(guess) + 1.0 / (fc.f * fc.R);
    u     = FaceSolve(&fc, ANCHOR_ZERO, fc.i_min, fc.i_max, guess, scale, &st);
    /* A root that more than halves a face value is refined as the distance to where that value vanishes
       (exact: the root and that current are then within a factor 2). */
    if (st.inside) {
      const PetscReal fraction[4] = {1.0, st.c_face / fc.c, st.theta_face / fc.theta, st.vacancy_face / fc.vacancy};
      for (int a = ANCHOR_C; a <= ANCHOR_VACANCY; a++)
        if (!PetscIsInfReal(fc.i_at[a]) && fraction[a] < 0.5 && fraction[a] < fraction[anchor]) anchor = (Anchor)a;
    }
    if (anchor != ANCHOR_ZERO) {
      const PetscReal i0 = fc.i_at[anchor];
      u                  = FaceSolve(&fc, anchor, fc.i_min - i0, fc.i_max - i0, u - i0, scale, &st);
    }
    out->i = fc.i_at[anchor] + u;
  }
  out->eta        = st.eta;
  out->c_face     = st.c_face;
  out->theta_face = st.theta_face;
  if (!st.inside || !(st.dH_di > 0) || !PetscIsNormalReal(st.dH_di)) {
    out->in_domain = PETSC_FALSE;
    PetscCallVoid(PetscArrayzero(out->di, 4));
    return;
  }
  {
    /* The returned current must solve Butler-Volmer itself, not only its
     * transformed form, and it must do so for anyone who recomputes the face
     * values from it: dG bounds what the rounding of c_face, theta_face and
     * 1 - theta_face (relative errors rc, rt, rv) and of the volts in eta
     * can move G by, through i0 and through eta (|dBV/deta| <= f (|BV| + i0)).
     * It matters only near a face value that is not anchored, or for
     * potentials of kilovolts. */
    const PetscReal i = out->i, i0 = PetscExpReal(st.lnk), e4 = 4 * PETSC_MACHINE_EPSILON;
    const PetscReal BV        = st.eta == 0 ? 0.0 : PetscCopysignReal(PetscExpReal(st.lnk + LogAbsS(k->alpha_a, k->alpha_c, fc.f, st.eta)), st.eta);
    const PetscReal rc        = anchor == ANCHOR_C ? e4 : e4 * (fc.c + PetscAbsReal(fc.a_c * i)) / st.c_face;
    const PetscReal rt        = s->active ? (anchor == ANCHOR_THETA ? e4 : e4 * (fc.theta + PetscAbsReal(fc.a_s * i)) / st.theta_face) : 0.0;
    const PetscReal rv        = s->active ? (anchor == ANCHOR_VACANCY ? e4 : e4 * (fc.vacancy + PetscAbsReal(fc.a_s * i)) / st.vacancy_face) : 0.0;
    const PetscReal dlnk      = k->concentration_dependent ? k->alpha_a * (rc + rv) + k->alpha_c * rt : 0.0;
    const PetscReal eta_terms = PetscAbsReal(fc.phi_gap) + PetscAbsReal(fc.R * i) + PetscAbsReal(fc.phi_gap - fc.R * i - st.eta);
    const PetscReal deta      = fc.beta * rc + PetscAbsReal(st.dU) * st.theta_face * rt + 2 * e4 * eta_terms;
    const PetscReal dG        = PetscAbsReal(BV) * dlnk + fc.f * (PetscAbsReal(BV) + i0) * deta;
    out->in_domain            = (PetscBool)(PetscAbsReal(i - BV) + dG <= BV_RESIDUAL_TOLERANCE * (PetscAbsReal(i) + i0));
  }
  {
    const PetscReal i = out->i;
    /* partial derivatives at fixed i with respect to (c_s, phi_s, c, phi_e) of eta and ln i0;
     * H = asinh(i/(2 i0)) - asinh(S(eta)/2), so dH/dq = -w dln(i0)/dq - dA/deta deta/dq */
    const PetscReal dlnD_dc = D > 0 ? dD / D : 0.0, dcf_dc = 1.0 - i * fc.a_c * dlnD_dc;
    /* d ln(c_face/c)/dc = dcf_dc/c_face - 1/c, written without the difference */
    const PetscReal dlnratio_dc = -fc.a_c * i * (1.0 + fc.c * dlnD_dc) / (st.c_face * fc.c);
    const PetscReal deta_dq[4]  = {s->active ? -st.dU / s->active->max_concentration : 0.0, 1.0,
                                  s->d_e * i * dkappa / (kappa * kappa) - fc.beta * dlnratio_dc, -1.0};
    const PetscReal dlnk_dq[4]  = {s->active ? st.dlnk_dtheta / s->active->max_concentration : 0.0, 0.0, st.dlnk_dc * dcf_dc, 0.0};

    for (int b = 0; b < 4; b++) {
      out->di[b] = (st.w * dlnk_dq[b] + st.dA_deta * deta_dq[b]) / st.dH_di;
      if (PetscIsInfOrNanReal(out->di[b])) out->in_domain = PETSC_FALSE; /* a face value below the range of doubles */
    }
  }
}
