/* Butler-Volmer kinetics on an electrode | electrolyte face (SPEC 2.4):
 *   i = i0 [exp(alpha_a f eta) - exp(-alpha_c f eta)],  f = F/RT,
 *   eta = phi_s,face - phi_e,face - U(theta_face) - R_film i.
 * The face values come from the cell values and the half-cell fluxes that i
 * itself drives (ohmic drop, the diffusion potential and the concentration
 * step across each half cell), so i solves one scalar equation G(i) = 0. It
 * is solved here by safeguarded Newton; the derivatives of i with respect to
 * the two cell states follow from the implicit function theorem, which keeps
 * the analytic Jacobian exact. No grid: two states and two distances. */
#include <math.h>
#include "model.h"

typedef struct {
  const InterfaceSetup *s;
  PetscReal             f;            /* F/RT */
  PetscReal             theta, c;     /* cell values */
  PetscReal             phi_gap;      /* phi_s - phi_e of the cell centres */
  PetscReal             r_s, r_e;     /* half-cell resistances */
  PetscReal             a_c, a_s;     /* c_face = c + a_c i,  theta_face = theta - a_s i */
  PetscReal             beta;         /* diffusion-potential coefficient (binary) */
  PetscReal             i_min, i_max; /* the range of i that keeps c_face > 0 and theta_face in (0,1) */
} KineticFace;

typedef struct {
  PetscReal G, dG_di;
  PetscReal eta, dBV_deta, BV;
  PetscReal c_face, theta_face, dU, dlng_dc, dlng_dtheta;
} FaceState;

static void FaceEval(const KineticFace *fc, PetscReal i, FaceState *st)
{
  const InterfaceSetup *s = fc->s;
  const Kinetics       *k = s->kinetics;
  PetscReal             U = 0.0, lng = 0.0;

  st->c_face      = fc->c + fc->a_c * i;
  st->theta_face  = fc->theta - fc->a_s * i;
  st->dU          = 0.0;
  st->dlng_dc     = 0.0;
  st->dlng_dtheta = 0.0;
  if (s->active) ActiveOcp(s->active, st->theta_face, &U, &st->dU);
  if (k->concentration_dependent) {
    lng         = k->alpha_a * PetscLogReal(st->c_face / s->electrolyte->concentration);
    st->dlng_dc = k->alpha_a / st->c_face;
    if (s->active) {
      lng += k->alpha_a * PetscLogReal(2.0 * (1.0 - st->theta_face)) + k->alpha_c * PetscLogReal(2.0 * st->theta_face);
      st->dlng_dtheta = -k->alpha_a / (1.0 - st->theta_face) + k->alpha_c / st->theta_face;
    }
  }
  {
    const PetscReal i0       = k->exchange_current_density * PetscExpReal(lng);
    const PetscReal ln_ratio = fc->a_c != 0.0 ? PetscLogReal(st->c_face / fc->c) : 0.0;
    st->eta                  = fc->phi_gap - (fc->r_s + fc->r_e + k->film_resistance) * i - fc->beta * ln_ratio - U;
    {
      const PetscReal xa = PetscMin(k->alpha_a * fc->f * st->eta, 500.0), xc = PetscMin(-k->alpha_c * fc->f * st->eta, 500.0);
      const PetscReal Ea = PetscExpReal(xa), Ec = PetscExpReal(xc);
      const PetscReal deta_di =
          -(fc->r_s + fc->r_e + k->film_resistance) - (fc->a_c != 0.0 ? fc->beta * fc->a_c / st->c_face : 0.0) + st->dU * fc->a_s;

      st->BV       = i0 * (Ea - Ec);
      st->dBV_deta = i0 * fc->f * (k->alpha_a * Ea + k->alpha_c * Ec);
      st->G        = i - st->BV;
      st->dG_di    = 1.0 - st->dBV_deta * deta_di - st->BV * (st->dlng_dc * fc->a_c - st->dlng_dtheta * fc->a_s);
    }
  }
}

/* Root of the increasing function G on (i_min, i_max): Newton, falling back
 * to bisection whenever a step leaves the current bracket. */
static PetscReal FaceSolve(const KineticFace *fc, PetscReal guess, FaceState *st)
{
  const PetscReal scale = fc->s->kinetics->exchange_current_density + PetscAbsReal(guess) + 1e-12;
  PetscReal       lo = fc->i_min, hi = fc->i_max, i = PetscClipInterval(guess, lo, hi);
  PetscReal       step = PetscMax(PetscAbsReal(guess), fc->s->kinetics->exchange_current_density) + 1e-6;

  /* a finite bracket: expand from the guess until G changes sign */
  for (PetscInt it = 0; it < 200 && (PetscIsInfReal(lo) || PetscIsInfReal(hi)); it++) {
    FaceEval(fc, i, st);
    if (st->G > 0) {
      hi = i;
      if (PetscIsInfReal(lo)) i = i - step;
    } else {
      lo = i;
      if (PetscIsInfReal(hi)) i = i + step;
    }
    step *= 4;
  }
  if (PetscIsInfReal(lo)) lo = i;
  if (PetscIsInfReal(hi)) hi = i;
  i = PetscClipInterval(guess, lo, hi);
  for (PetscInt it = 0; it < 200; it++) {
    PetscReal next;
    FaceEval(fc, i, st);
    if (PetscAbsReal(st->G) <= 1e-14 * (scale + PetscAbsReal(i))) break;
    if (st->G > 0)
      hi = i;
    else
      lo = i;
    next = i - st->G / st->dG_di;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (next == i || hi - lo <= 4 * PETSC_MACHINE_EPSILON * (PetscAbsReal(lo) + PetscAbsReal(hi))) {
      i = next;
      FaceEval(fc, i, st);
      break;
    }
    i = next;
  }
  return i;
}

void InterfaceEvaluate(const InterfaceSetup *s, const PetscReal u_electrode[], const PetscReal u_electrolyte[], InterfaceFlux *out)
{
  const Kinetics *k = s->kinetics;
  KineticFace     fc;
  FaceState       st;
  PetscReal       kappa, dkappa = 0.0, D = 0.0, dD = 0.0, tplus = 1.0, chi = 1.0;

  fc.s           = s;
  fc.f           = FARADAY / (GAS_CONSTANT * s->T);
  fc.c           = u_electrolyte[FIELD_C];
  fc.theta       = s->active ? u_electrode[FIELD_C] / s->active->max_concentration : 0.5;
  fc.phi_gap     = u_electrode[FIELD_PHI] - u_electrolyte[FIELD_PHI];
  out->in_domain = (PetscBool)(fc.c > 0 && (!s->active || (fc.theta > 0 && fc.theta < 1)));
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
  fc.r_s   = s->d_s / s->sigma_s;
  fc.r_e   = s->d_e / kappa;
  fc.a_s   = s->active ? s->d_s / (FARADAY * s->active->diffusivity * s->active->max_concentration) : 0.0;
  fc.i_min = fc.a_c > 0 ? -fc.c / fc.a_c : -INFINITY;
  fc.i_max = INFINITY;
  if (fc.a_s > 0) {
    fc.i_min = PetscMax(fc.i_min, (fc.theta - 1.0) / fc.a_s);
    fc.i_max = fc.theta / fc.a_s;
  }
  {
    /* linearized guess: the small-overpotential charge-transfer resistance in series */
    PetscReal U = 0, dU;
    if (s->active) ActiveOcp(s->active, fc.theta, &U, &dU);
    out->i = FaceSolve(
        &fc, (fc.phi_gap - U) / (fc.r_s + fc.r_e + k->film_resistance + 1.0 / (k->exchange_current_density * fc.f * (k->alpha_a + k->alpha_c))), &st);
  }
  out->eta        = st.eta;
  out->c_face     = st.c_face;
  out->theta_face = st.theta_face;
  {
    const PetscReal i = out->i;
    /* partial derivatives of G at fixed i with respect to (c_s, phi_s, c, phi_e) */
    const PetscReal dcf_dc   = 1.0 - i * fc.a_c * dD / (D > 0 ? D : 1.0);
    const PetscReal deta_dc  = s->d_e * i * dkappa / (kappa * kappa) - (fc.a_c != 0.0 ? fc.beta * (dcf_dc / st.c_face - 1.0 / fc.c) : 0.0);
    const PetscReal deta_dcs = s->active ? -st.dU / s->active->max_concentration : 0.0;
    const PetscReal dlng_dcs = s->active ? st.dlng_dtheta / s->active->max_concentration : 0.0;
    const PetscReal Gq[4]    = {-st.dBV_deta * deta_dcs - st.BV * dlng_dcs, -st.dBV_deta, -st.dBV_deta * deta_dc - st.BV * st.dlng_dc * dcf_dc,
                                st.dBV_deta};

    for (int b = 0; b < 4; b++)
      out->di[b] = -Gq[b] / st.dG_di;
  }
  out->in_domain = (PetscBool)(st.c_face > 0 && (!s->active || (st.theta_face > 0 && st.theta_face < 1)) && PetscIsNormalReal(st.dG_di));
}
