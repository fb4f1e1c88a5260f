#ifndef C_VECTOR_LOOPS_H
#define C_VECTOR_LOOPS_H

/// The digital reference's vector loops (XbarSSM's EventSSMKernel, DecayFactors and geluTanh),
/// compiled twice from one source: once for the baseline x86-64 instruction set (two doubles per
/// instruction) and once for AVX2 (four). Both copies do the same IEEE operations in the same
/// order per element and neither fuses a multiply with an add, so they give the same bits.
typedef struct CVectorLoops {
    /// `out[r] = sum over c of wT[c * outputs + r] * x[c]`, accumulated in input order from zero.
    void (*product)(const double *wT, const double *x, long inputs, double *out, long outputs);
    /// `factors[k] = exp(-dt / taus[k])`; a `dt` of zero or less gives 1.
    void (*decays)(double dtSeconds, const double *taus, long count, double *factors);
    /// One event's step of a layer's state parts (see EventSSMKernel.advance).
    void (*advance)(double *parts, const double *factors, const double *increments, long count, int pairs, double *x);
    /// `h[i] += gelu(cy[i] + d[i] * h[i])`.
    void (*activate)(double *h, const double *cy, const double *d, long count);
    /// `out[i] = exp(x[i])` for `x[i] <= 0`.
    void (*exponential)(const double *x, long count, double *out);
    /// `out[i] = gelu(x[i])`, the tanh approximation.
    void (*gelu)(const double *x, long count, double *out);
    /// Eight lanes of the decays' exponential with its shortcut, and of the Padé fraction alone.
    void (*decayExponential8)(const double *x, double *out);
    void (*reducedExponential8)(const double *x, double *out);
} CVectorLoops;

/// The loops for any x86-64 (or whatever else the package is built for).
extern const CVectorLoops cVectorLoopsBaseline;
/// The loops for AVX2; call only where `cVectorLoopsHaveAVX2()` says so.
extern const CVectorLoops cVectorLoopsAVX2;
/// Whether this CPU and its operating system run AVX2 (the 256-bit registers saved on a switch).
int cVectorLoopsHaveAVX2(void);

#endif
