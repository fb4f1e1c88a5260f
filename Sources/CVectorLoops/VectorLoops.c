// The loops are written once, on eight-lane vectors of doubles, as always-inlined functions;
// each instruction set's copy is a set of thin entry points that inline them under that set's
// target attribute, so the compiler lays the same lanes into two-double (SSE2) or four-double
// (AVX2) registers. No operation depends on the register width: the lanes do the same IEEE
// additions, multiplications and divisions in the same order either way. Contraction into fused
// multiply-adds is switched off for the whole file: AVX2 machines have FMA, and a fused
// `a * b + c` rounds once where the Swift layer-wise pass and the baseline copy round twice.
#include "CVectorLoops.h"

#pragma clang fp contract(off)
// Every function taking or returning a 64-byte vector is always inlined, so no such vector
// crosses a call and the ABI the warning is about never applies.
#pragma clang diagnostic ignored "-Wpsabi"

typedef double Lanes __attribute__((vector_size(64)));
typedef long long Bits __attribute__((vector_size(64)));
typedef unsigned long long UBits __attribute__((vector_size(64)));

#define INLINE static inline __attribute__((always_inline))

INLINE Lanes load(const double *p) { Lanes v; __builtin_memcpy(&v, p, sizeof v); return v; }
INLINE void store(double *p, Lanes v) { __builtin_memcpy(p, &v, sizeof v); }
INLINE Lanes splat(double x) { return (Lanes){x, x, x, x, x, x, x, x}; }
/// All ones in the lanes whose sign bit is set.
INLINE Bits signMask(Lanes v) { return (Bits)v >> 63; }

// exp(x) for x <= 0: the classic reduction `x = n ln 2 + r`, |r| <= ln 2 / 2, n rounded to
// nearest, ln 2 split in two parts (Cody and Waite) so that r is exact to the last bit, e^r by
// the [6/6] Padé approximant, and 2^n put together in the exponent bits. Within 2 ulp of the C
// library's exp; dt = 0 gives exactly 1; below about e^-708.7 (n at -1023 or under) the result
// is 0. The Padé form costs one division and 15 operations per lane where the Taylor series to
// the twelfth power cost 24, and a table of 2^(j/N) saves nothing on two-lane registers (its
// lookups are scalar loads, as many as the polynomial terms they spare).
static const double log2e = 1.4426950408889634;
static const double ln2High = 6.93147180369123816490e-01;
static const double ln2Low = 1.90821492927058770002e-10;
/// 1.5 x 2^52: adding it rounds a double of magnitude under 2^51 to the nearest integer (ties to
/// even) and leaves that integer in the low bits of the sum.
static const double shifter = 6755399441055744.0;

/// e^r by the [6/6] Padé approximant, for |r| <= ln 2 / 2, written as `1 + 2 r O(r²) / (E(r²) - r O(r²))`
/// with E and O the even and odd parts of its numerator
/// 1 + r/2 + 5r²/44 + r³/66 + r⁴/792 + r⁵/15840 + r⁶/665280 (error below 2e-19 of the result;
/// the rounding of the fraction is scaled down by its size, about r / 2).
INLINE Lanes reducedExponential(Lanes r) {
    Lanes z = r * r;
    Lanes even = splat(1.0 / 665280);
    even = even * z + 1.0 / 792;
    even = even * z + 5.0 / 44;
    even = even * z + 1;
    Lanes odd = splat(1.0 / 15840);
    odd = odd * z + 1.0 / 66;
    odd = odd * z + 0.5;
    Lanes rOdd = r * odd;
    return 1 + (rOdd + rOdd) / (even - rOdd);
}

/// exp(x) given `t = x log2(e) + shifter`, whose low bits are the n of the reduction. Lane-wise
/// arithmetic and bit operations only (no per-lane conversions or selects).
INLINE Lanes shiftedExponential(Lanes x, Lanes t) {
    Lanes n = t - shifter;
    Lanes p = reducedExponential((x - n * ln2High) - n * ln2Low);
    Lanes scale = (Lanes)(((UBits)t + 1023) << 52);
    // All ones where n >= -1023, zero below (there the exponent field would wrap and the factor
    // is 0). Read from t, which the scale keeps anyway, rather than from x.
    Bits kept = ~signMask(t - (shifter - 1023));
    return (Lanes)((Bits)(p * scale) & kept);
}

INLINE Lanes exponential(Lanes x) { return shiftedExponential(x, x * log2e + shifter); }

/// exponential(x) into out, bit for bit, without the reduction when every lane reduces by n = 0
/// (|x| < 0.3466, which holds for most decays: an event's interval is mostly well under a third
/// of the time constant); then r = x exactly and the scale is exactly 1. Each branch stores its
/// own lanes: one vector returned from both made the compiler shuffle the shortcut's lanes.
INLINE void decayExponential(Lanes x, double *out) {
    Lanes t = x * log2e + shifter;
    UBits differs = (UBits)t ^ (UBits)splat(shifter);
    unsigned long long any = 0;
    for (int i = 0; i < 8; i++) any |= differs[i];
    if (any == 0) store(out, reducedExponential(x));
    else store(out, shiftedExponential(x, t));
}

/// The tanh approximation of GELU, `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`. With
/// `t = e^(−2|z|)` it is `x / (1 + t)` for z ≥ 0 and `x t / (1 + t)` for z < 0, free of overflow
/// and of the cancellation in `1 + tanh z` for negative z.
INLINE Lanes gelu(Lanes x) {
    // √(2/π), rounded once, as the Swift expression (2.0 / Double.pi).squareRoot() gives it.
    const double scale = 0.7978845608028654;
    Lanes z = scale * (x + 0.044715 * (x * x * x));
    Lanes magnitude = (Lanes)((UBits)z & 0x7FFFFFFFFFFFFFFFull);
    Lanes t = exponential(-2 * magnitude);
    Bits negative = signMask(z);
    Bits numerator = ((Bits)x & ~negative) | ((Bits)(x * t) & negative);
    return (Lanes)numerator / (1 + t);
}

/// `count` values through `f`, eight at a time; the last lanes of any other count go through a
/// vector of one value each (the same lanes, so one value gives what it gives among others).
#define EACH_LANE(f, x, count, out)                                                 \
    long i = 0;                                                                     \
    for (; i + 8 <= count; i += 8) store(out + i, f(load(x + i)));                  \
    for (; i < count; i++) out[i] = f(splat(x[i]))[0];

INLINE void exponentials(const double *x, long count, double *out) { EACH_LANE(exponential, x, count, out) }
INLINE void gelus(const double *x, long count, double *out) { EACH_LANE(gelu, x, count, out) }

INLINE void decays(double dtSeconds, const double *taus, long count, double *factors) {
    if (dtSeconds <= 0) {
        // What the lanes would give: e^-0 is exactly 1. A negative dt is taken as 0.
        for (long k = 0; k < count; k++) factors[k] = 1;
        return;
    }
    Lanes elapsed = -splat(dtSeconds);
    long k = 0;
    for (; k + 8 <= count; k += 8) decayExponential(elapsed / load(taus + k), factors + k);
    if (k < count) {
        Lanes tau = splat(1);
        for (long i = k; i < count; i++) tau[i - k] = taus[i];
        Lanes f = exponential(elapsed / tau);
        for (long i = k; i < count; i++) factors[i] = f[i - k];
    }
}

/// Sixteen outputs at a time stay in registers over all inputs (eight on the rest), so the
/// weights are the only memory read in the inner loop and each input is loaded once per sixteen
/// outputs. With `wide`, thirty-two at a time first: eight four-lane registers, each input loaded
/// once per 32 outputs (the baseline's sixteen two-lane registers would all be sums, and the
/// loads would spill them). Each output's sum is the same either way.
INLINE void product(const double *wT, const double *x, long inputs, double *out, long outputs, int wide) {
    long r0 = 0;
    for (; wide && r0 + 32 <= outputs; r0 += 32) {
        Lanes a = splat(0), b = splat(0), c = splat(0), d = splat(0);
        const double *row = wT + r0;
        for (long k = 0; k < inputs; k++, row += outputs) {
            a += load(row) * x[k];
            b += load(row + 8) * x[k];
            c += load(row + 16) * x[k];
            d += load(row + 24) * x[k];
        }
        store(out + r0, a);
        store(out + r0 + 8, b);
        store(out + r0 + 16, c);
        store(out + r0 + 24, d);
    }
    for (; r0 + 16 <= outputs; r0 += 16) {
        Lanes low = splat(0), high = splat(0);
        const double *row = wT + r0;
        for (long c = 0; c < inputs; c++, row += outputs) {
            low += load(row) * x[c];
            high += load(row + 8) * x[c];
        }
        store(out + r0, low);
        store(out + r0 + 8, high);
    }
    if (r0 + 8 <= outputs) {
        Lanes sum = splat(0);
        const double *row = wT + r0;
        for (long c = 0; c < inputs; c++, row += outputs) sum += load(row) * x[c];
        store(out + r0, sum);
        r0 += 8;
    }
    for (long r = r0; r < outputs; r++) {
        double sum = 0;
        for (long c = 0; c < inputs; c++) sum += wT[c * outputs + r] * x[c];
        out[r] = sum;
    }
}

/// `value` where `opposite`'s sign bit is set, +0 elsewhere: `max(v, 0)` and `max(-v, 0)` as
/// Swift's scalar `max` gives them (+0 for ±0).
INLINE Lanes kept(Lanes value, Lanes opposite) { return (Lanes)((Bits)value & signMask(opposite)); }
/// Swift's `max(v, 0)`, for the lanes past the last whole vector.
static inline double positivePart(double v) { return 0.0 >= v ? 0.0 : v; }

/// Each part decays by its factor and takes its increment (a pair's `+` part the positive
/// increments, its `-` part the magnitude of the negative ones, the parts as all `+` then all
/// `-`), and x is the state (the difference of a pair's parts).
INLINE void advance(double *parts, const double *factors, const double *v, long n, int pairs, double *x) {
    long i = 0;
    if (pairs) {
        double *minus = parts + n;
        const double *minusFactors = factors + n;
        for (; i + 8 <= n; i += 8) {
            Lanes increment = load(v + i), decrement = -increment;
            Lanes p = load(factors + i) * load(parts + i) + kept(increment, decrement);
            Lanes m = load(minusFactors + i) * load(minus + i) + kept(decrement, increment);
            store(parts + i, p);
            store(minus + i, m);
            store(x + i, p - m);
        }
        for (; i < n; i++) {
            parts[i] = factors[i] * parts[i] + positivePart(v[i]);
            minus[i] = minusFactors[i] * minus[i] + positivePart(-v[i]);
            x[i] = parts[i] - minus[i];
        }
    } else {
        for (; i + 8 <= n; i += 8) {
            Lanes p = load(factors + i) * load(parts + i) + load(v + i);
            store(parts + i, p);
            store(x + i, p);
        }
        for (; i < n; i++) {
            parts[i] = factors[i] * parts[i] + v[i];
            x[i] = parts[i];
        }
    }
}

INLINE void activate(double *h, const double *cy, const double *d, long count) {
    long i = 0;
    for (; i + 8 <= count; i += 8) {
        Lanes u = load(h + i);
        store(h + i, u + gelu(load(cy + i) + load(d + i) * u));
    }
    for (; i < count; i++) h[i] = h[i] + gelu(splat(cy[i] + d[i] * h[i]))[0];
}

INLINE void decayExponential8(const double *x, double *out) { decayExponential(load(x), out); }
INLINE void reducedExponential8(const double *x, double *out) { store(out, reducedExponential(load(x))); }

/// One instruction set's entry points and their table.
#define VECTOR_LOOPS(name, attributes, wide)                                                                        \
    attributes static void product_##name(const double *wT, const double *x, long inputs, double *out, long outputs) \
        { product(wT, x, inputs, out, outputs, wide); }                                                             \
    attributes static void decays_##name(double dt, const double *taus, long count, double *factors)                \
        { decays(dt, taus, count, factors); }                                                                       \
    attributes static void advance_##name(double *parts, const double *factors, const double *v, long n, int pairs, \
                                          double *x)                                                                \
        { advance(parts, factors, v, n, pairs, x); }                                                                \
    attributes static void activate_##name(double *h, const double *cy, const double *d, long count)                \
        { activate(h, cy, d, count); }                                                                              \
    attributes static void exponential_##name(const double *x, long count, double *out)                             \
        { exponentials(x, count, out); }                                                                            \
    attributes static void gelu_##name(const double *x, long count, double *out) { gelus(x, count, out); }          \
    attributes static void decayExponential8_##name(const double *x, double *out) { decayExponential8(x, out); }    \
    attributes static void reducedExponential8_##name(const double *x, double *out) { reducedExponential8(x, out); }\
    const CVectorLoops cVectorLoops##name = {                                                                       \
        product_##name, decays_##name, advance_##name, activate_##name, exponential_##name, gelu_##name,            \
        decayExponential8_##name, reducedExponential8_##name,                                                       \
    };

VECTOR_LOOPS(Baseline, , 0)

#if defined(__x86_64__)
VECTOR_LOOPS(AVX2, __attribute__((target("avx2"))), 1)

int cVectorLoopsHaveAVX2(void) {
    // The library's check also asks the operating system whether it saves the 256-bit registers.
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
#else
// Elsewhere the wide table is a second baseline copy, and never chosen.
VECTOR_LOOPS(AVX2, , 0)
int cVectorLoopsHaveAVX2(void) { return 0; }
#endif
