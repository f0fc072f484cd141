"""Reference values for test/unit/llm.stats.test.ts, from scipy and statsmodels.

Reads the test's data sets as JSON on stdin and prints the reference answers as JSON on
stdout, so the data live in one place (the test) and the references are recomputed on
every run by the pinned versions in test/requirements.txt. Conventions mirror
src/llm/experiments: arm a is the baseline, arm b the treatment, differences are b - a.
Values that scipy answers with NaN (an undefined statistic) come back as null.
"""

import json
import math
import sys
import warnings

import numpy as np
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportion_effectsize,
    proportions_ztest,
)

ALPHA = 0.05
POWER = 0.8


def clean(x):
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [clean(v) for v in x]
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return x if math.isfinite(x) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


def sample_size(effect):
    if effect == 0:
        return None
    return NormalIndPower().solve_power(
        effect_size=abs(effect), alpha=ALPHA, power=POWER, ratio=1.0, alternative="two-sided"
    )


def welch(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    r = stats.ttest_ind(b, a, equal_var=False)
    lo, hi = r.confidence_interval(0.95)
    va, vb = a.var(ddof=1), b.var(ddof=1)
    ma, mb = a.mean(), b.mean()
    rel = None
    if ma > 0:
        est = mb / ma - 1
        se = math.sqrt(vb / len(b) / ma**2 + mb**2 * va / len(a) / ma**4)
        half = stats.norm.ppf(0.975) * se
        rel = {"estimate": est, "ci": [est - half, est + half]}
    return {
        "t": r.statistic,
        "df": r.df,
        "p": r.pvalue,
        "ci": [lo, hi],
        "mean": [ma, mb],
        "sd": [math.sqrt(va), math.sqrt(vb)],
        "relative": rel,
        "sample_size": sample_size((mb - ma) / math.sqrt((va + vb) / 2)),
    }


def welch_degenerate(a, b):
    """What scipy says about data the module refuses: NaN (null) where the test is undefined."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = stats.ttest_ind(np.asarray(b, dtype=float), np.asarray(a, dtype=float), equal_var=False)
    return {"t": r.statistic, "p": r.pvalue}


def winsorize(x):
    x = np.asarray(x, dtype=float)
    cap = np.quantile(x, 0.999)  # method="linear", Hyndman-Fan type 7
    return {"cap": cap, "values": np.minimum(x, cap).tolist(), "capped": int((x > cap).sum())}


def proportions(c):
    xa, na, xb, nb = c["xa"], c["na"], c["xb"], c["nb"]
    table = np.array([[xa, na - xa], [xb, nb - xb]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z, pz = proportions_ztest([xb, xa], [nb, na])
    lo, hi = confint_proportions_2indep(xb, nb, xa, na, method="newcomb", compare="diff", alpha=ALPHA)
    h = proportion_effectsize(xb / nb, xa / na)
    return {
        "z": z,
        "p_z": pz,
        "p_fisher": stats.fisher_exact(table, alternative="two-sided").pvalue,
        "min_expected": stats.contingency.expected_freq(table).min(),
        "wilson_a": list(proportion_confint(xa, na, alpha=ALPHA, method="wilson")),
        "wilson_b": list(proportion_confint(xb, nb, alpha=ALPHA, method="wilson")),
        "newcombe": [lo, hi],
        "cohen_h": h,
        "sample_size": sample_size(h),
    }


def srm(c):
    obs = np.asarray(c["observed"], dtype=float)
    w = np.asarray(c["split"], dtype=float)
    expected = obs.sum() * w / w.sum()
    r = stats.chisquare(obs, f_exp=expected)
    return {"chi_square": r.statistic, "p": r.pvalue, "expected": expected.tolist()}


def bootstrap(c):
    x = np.asarray(c["values"], dtype=float)
    r = stats.bootstrap(
        (x,),
        np.median,
        n_resamples=c["resamples"],
        method="percentile",
        confidence_level=0.95,
        vectorized=True,
        rng=np.random.default_rng(c["seed"]),
    )
    return {"median": np.median(x), "ci": [r.confidence_interval.low, r.confidence_interval.high]}


def main():
    cases = json.load(sys.stdin)
    d = cases["dist"]
    out = {
        "dist": {
            "t_cdf": [stats.t.cdf(x, df) for x, df in d["t_cdf"]],
            "t_ppf": [stats.t.ppf(p, df) for p, df in d["t_ppf"]],
            "norm_cdf": [stats.norm.cdf(x) for x in d["norm_cdf"]],
            "norm_ppf": [stats.norm.ppf(p) for p in d["norm_ppf"]],
            "chi2_sf": [stats.chi2.sf(x, k) for x, k in d["chi2_sf"]],
            "hypergeom_pmf": [stats.hypergeom.pmf(k, n_pop, k_succ, n_draw) for k, n_pop, k_succ, n_draw in d["hypergeom_pmf"]],
        },
        "winsorize": {k: winsorize(v) for k, v in cases["winsorize"].items()},
        "welch": {k: welch(v["a"], v["b"]) for k, v in cases["welch"].items()},
        "welch_degenerate": {k: welch_degenerate(v["a"], v["b"]) for k, v in cases["welch_degenerate"].items()},
        "skewed": {
            k: welch(winsorize(v["a"])["values"], winsorize(v["b"])["values"]) for k, v in cases["skewed"].items()
        },
        "proportions": {k: proportions(v) for k, v in cases["proportions"].items()},
        "srm": {k: srm(v) for k, v in cases["srm"].items()},
        "holm": {k: multipletests(v, method="holm")[1].tolist() for k, v in cases["holm"].items()},
        "power": [sample_size(e) for e in cases["power"]],
        "bootstrap": {k: bootstrap(v) for k, v in cases["bootstrap"].items()},
    }
    json.dump(clean(out), sys.stdout)


if __name__ == "__main__":
    main()
