"""Gradient descent: step sizes on x^2 and on a quadratic bowl, batch vs stochastic vs mini-batch, epochs.

Topic: the update x <- x - lr f'(x) on f(x) = x^2 (steps that converge, oscillate, cycle and
diverge), sign-GD, the lecture 003 quadratic f = x1^2 + x1 x2 + 4 x2^2 from (3, 3) (gradient,
Hessian eigenvalues, the stability limit 2/lambda_max, the best constant step
2/(lambda_min + lambda_max), iterations per step size), the stopping rule |delta theta| < 1e-8,
batch / stochastic / mini-batch gradients (fluctuation, variance ~ 1/|B|) and epochs vs
iterations checked against Keras's ``optimizer.iterations`` after ``fit``.

Lectures: 002 (56-85, 480-587), 003 (804-1029), 004 (104-149, 1017-1075); catalogue section 8 of
shared/lectures/claims.md. The step sizes on x^2 and on the quadratic, and the epoch/iteration
example, were in lost figures: the recipe uses the catalogue's values (x0 = 1; lr 0.1, 0.5, 0.9,
1.0, 1.1; eta 0.01-0.3; 2000 samples in batches of 500), chosen, not the slides'.
"""

import dataclasses
import math

import keras
import numpy as np
import pandas as pd

from nnzoo import plots
from nnzoo.results import RecipeResult, check, fmt

LECTURES = ("002", "003", "004")
VARIANTS = ("linear",)
HESSIAN = np.array([[2.0, 1.0], [1.0, 8.0]])  # f = x1^2 + x1 x2 + 4 x2^2 = x^T H x / 2 (03:964-968)
X0 = np.array([3.0, 3.0])
STEPS_1D = (0.1, 0.5, 0.9, 1.0, 1.1)
STEPS_2D = (0.01, 0.05, 0.1, 0.2, 0.24, 0.25, 0.3)
EXPECTED_ITERATIONS = {0.01: 420, 0.05: 81, 0.1: 39, 0.2: 20, 0.24: 212}  # catalogue 8.3, recomputed below


@dataclasses.dataclass(frozen=True)
class Config:
    """Sizes of the batch-regime experiments; the worked examples are fixed."""

    n_train: int = 2000  # 2000 samples in batches of 500 -> 4 iterations per epoch (02:570-572)
    mini_batch: int = 500
    keras_epochs: int = 3
    sim_examples: int = 200  # the numpy simulation records the full-data loss after every update
    sim_epochs: int = 60
    sim_batch: int = 32
    learning_rate: float = 0.1
    variance_draws: int = 20_000
    seeds: int = 3


FULL = Config()
QUICK = Config(keras_epochs=2, variance_draws=10_000, seeds=2)


def build_model(variant="linear"):
    """Linear regression y = w x + b, one Dense unit: a convex problem for the batch regimes."""
    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant; expected one of {VARIANTS}. Received: variant={variant!r}")
    return keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)], name=variant)


def quadratic(x):
    return 0.5 * x @ HESSIAN @ x


def descend(x0, step, *, tol=1e-6, max_iter=100_000):
    """GD on the quadratic until f < tol; returns the path (NaN-free up to divergence) and the count."""
    path, x = [np.asarray(x0, float)], np.asarray(x0, float)
    while quadratic(x) >= tol and len(path) <= max_iter:
        x = x - step * HESSIAN @ x
        path.append(x)
        if quadratic(x) > 1e12:
            return np.array(path), math.inf
    return np.array(path), len(path) - 1


def gd_1d(lr, x0=1.0, steps=6):
    """x_{t+1} = x_t - lr 2 x_t on f = x^2 (04:112-149)."""
    xs = [x0]
    for _ in range(steps):
        xs.append(xs[-1] - lr * 2 * xs[-1])
    return np.array(xs)


def sign_gd(x0=1.05, step=0.1, iterations=100):
    """x <- x - sign(f'(x)) step (03:936)."""
    xs = [x0]
    for _ in range(iterations):
        xs.append(xs[-1] - np.sign(2 * xs[-1]) * step)
    return np.array(xs)


def _claims_1d():
    seqs = {lr: gd_1d(lr) for lr in STEPS_1D}
    ok = (
        np.allclose(seqs[0.1][1:6], [0.8, 0.64, 0.512, 0.4096, 0.32768])
        and seqs[0.5][1] == 0
        and np.allclose(seqs[0.9][1:3], [-0.8, 0.64])
        and np.allclose(np.abs(seqs[1.0]), 1)
        and np.allclose(np.abs(seqs[1.1][1:] / seqs[1.1][:-1]), 1.2)
    )
    xs = sign_gd()
    tail = xs[-20:]
    sign_ok = np.abs(tail).max() <= 0.1 + 1e-12 and np.abs(tail).min() > 0 and len(set(np.round(tail, 9))) == 2
    return [
        check(
            "f(x) = x^2 from x0 = 1: x_{t+1} = (1 - 2 lr) x_t, so lr = 0.1 converges (0.8, 0.64, 0.512, 0.4096, "
            "0.32768), lr = 0.5 lands on 0 in one step, lr = 0.9 oscillates but converges, lr = 1.0 cycles "
            "between +-1, lr = 1.1 diverges (|x| x1.2 per step)",
            ok,
            "; ".join(f"lr {lr}: " + ", ".join(f"{v:.5g}" for v in s[:6]) for lr, s in seqs.items()),
            "04:112-149",
        ),
        check(
            "Sign-GD x <- x - sign(f') step never converges exactly: it ends oscillating with |x| <= step",
            sign_ok,
            f"step 0.1 from 1.05: last iterates {sorted(set(np.round(tail, 6).tolist()))}",
            "03:936",
        ),
    ]


def _claims_quadratic(rows):
    grad = HESSIAN @ X0
    lam = np.linalg.eigvalsh(HESSIAN)
    limit, best = 2 / lam.max(), 2 / lam.sum()
    contraction = (lam.max() - lam.min()) / (lam.max() + lam.min())
    counts = {eta: descend(X0, eta)[1] for eta in STEPS_2D}
    for eta, n in counts.items():
        rows.append({"experiment": "quadratic", "step": eta, "iterations_to_f<1e-6": n, "stable": eta < limit})
    one = {eta: X0 - eta * grad for eta in (0.1, 0.2)}
    facts_ok = (
        quadratic(X0) == 54
        and tuple(grad) == (9, 27)
        and np.allclose(lam, [5 - np.sqrt(10), 5 + np.sqrt(10)])
        and round(lam[0], 4) == 1.8377
        and round(lam[1], 4) == 8.1623
        and round(limit, 5) == 0.24503
        and round(best, 10) == 0.2
        and round(contraction, 5) == 0.63246
    )
    counts_ok = (
        all(counts[eta] == n for eta, n in EXPECTED_ITERATIONS.items()) and counts[0.25] == counts[0.3] == math.inf
    )
    fastest = min((n, eta) for eta, n in counts.items())[1]
    step_ok = (
        np.allclose(one[0.1], [2.1, 0.3])
        and np.isclose(quadratic(one[0.1]), 5.4)
        and np.allclose(one[0.2], [1.2, -2.4])
        and np.isclose(quadratic(one[0.2]), 21.6)
    )
    return [
        check(
            "Quadratic f = x1^2 + x1 x2 + 4 x2^2 at (3, 3): f = 54, gradient (9, 27), Hessian [[2, 1], [1, 8]] with "
            "eigenvalues 5 -+ sqrt(10) = 1.8377, 8.1623; stable iff eta < 2/lambda_max = 0.24503; best constant step "
            "2/(lambda_min + lambda_max) = 0.2 with contraction 0.63246",
            facts_ok,
            f"f = {quadratic(X0):g}, grad = {tuple(grad.tolist())}, eigenvalues {lam.round(4).tolist()}, kappa "
            f"{lam.max() / lam.min():.4f}, limit {limit:.5f}, best {best:.4g}, contraction {contraction:.5f}",
            "03:964-968",
        ),
        check(
            "Iterations to f < 1e-6 from (3, 3): eta 0.01 -> 420, 0.05 -> 81, 0.1 -> 39, 0.2 -> 20 (the fastest), "
            "0.24 -> 212; eta 0.25 and 0.3 diverge; one step of 0.2 gives (1.2, -2.4), f = 21.6 (worse than 0.1's "
            "(2.1, 0.3), f = 5.4) yet 0.2 is faster overall",
            counts_ok and step_ok and fastest == 0.2,
            "; ".join(f"eta {eta}: {n}" for eta, n in counts.items())
            + f"; one step: 0.1 -> {one[0.1].round(6).tolist()} f = {quadratic(one[0.1]):.4g}, 0.2 -> "
            f"{one[0.2].round(6).tolist()} f = {quadratic(one[0.2]):.4g}",
            "03:964-968",
        ),
    ]


def _claim_stopping(delta=1e-8, eta=0.1):
    x, k, change = X0.copy(), 0, math.inf
    while change >= delta:
        new = x - eta * HESSIAN @ x
        change, x, k = float(np.linalg.norm(new - x)), new, k + 1
    # |x - x*| <= |change| / (eta lambda_min) for a contraction towards x* = 0.
    bound = change / (eta * np.linalg.eigvalsh(HESSIAN).min())
    return check(
        "Stopping rule: iterate until |theta_t - theta_{t-1}| < delta = 1e-8; GD on the quadratic stops with "
        "|x - x*| below delta / (eta lambda_min)",
        np.linalg.norm(x) <= bound and change < delta,
        f"eta {eta}: stopped after {k} iterations with |delta theta| = {change:.3g}, |x - x*| = "
        f"{np.linalg.norm(x):.3g} <= {bound:.3g}",
        "03:997",
    )


def _full_loss(w, x, y):
    return float(np.mean((x @ w - y) ** 2))


def simulate(x, y, batch, lr, epochs, seed):
    """Plain (mini-)batch SGD on the mean squared error of y ~ w x + b; full-data loss after every update."""
    rng = np.random.default_rng(seed)
    feats = np.c_[x, np.ones(len(x))]
    w, losses = np.zeros(2), [_full_loss(np.zeros(2), feats, y)]
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            idx = order[start : start + batch]
            w = w - lr * 2 * feats[idx].T @ (feats[idx] @ w - y[idx]) / len(idx)
            losses.append(_full_loss(w, feats, y))
    return np.array(losses), w


def _gradient_variance(x, y, batch, draws, seed):
    """Total variance of the mini-batch gradient at w = 0 (sampling without replacement) and the formula's ratio."""
    rng = np.random.default_rng(seed)
    feats = np.c_[x, np.ones(len(x))]
    per_example = -2 * feats * y[:, None]  # gradient of (w x + b - y)^2 at w = 0
    single = per_example.var(axis=0).sum()  # |B| = 1, exact
    means = np.array([per_example[rng.choice(len(x), batch, replace=False)].mean(axis=0) for _ in range(draws)])
    n = len(x)
    return single / means.var(axis=0).sum(), batch * (n - 1) / (n - batch)


def _claims_regimes(data, cfg, seeds, rows):
    x = data.x_train[: cfg.sim_examples, 0].astype(float)
    y = data.y_train[: cfg.sim_examples].astype(float)
    feats = np.c_[x, np.ones(len(x))]
    optimum = _full_loss(np.linalg.lstsq(feats, y, rcond=None)[0], feats, y)
    regimes = {"batch (BGD)": len(x), f"mini-batch ({cfg.sim_batch})": cfg.sim_batch, "stochastic (SGD)": 1}
    stats, curves = {}, {}
    for name, batch in regimes.items():
        ups, swings, finals = [], [], []
        for s in seeds:
            losses, _ = simulate(x, y, batch, cfg.learning_rate, cfg.sim_epochs, s)
            last_epoch = losses[-math.ceil(len(x) / batch) :]
            ups.append(float(np.mean(np.diff(losses) > 0)))
            swings.append(float(last_epoch.std() / optimum))
            finals.append(losses[-1] / optimum - 1)
            if s == seeds[0]:
                curves[name] = (np.arange(len(losses)) * batch / len(x), losses)
        stats[name] = {
            "up": np.mean(ups),
            "swing": np.mean(swings),
            "swing_std": np.std(swings),
            "excess": np.mean(finals),
            "excess_max": np.max(finals),
        }
        rows.append(
            {
                "experiment": "batch_regimes",
                "regime": name,
                "batch_size": batch,
                "epochs": cfg.sim_epochs,
                "learning_rate": cfg.learning_rate,
                "fraction_loss_up": np.mean(ups),
                "last_epoch_loss_std_over_optimum": np.mean(swings),
                "final_excess_loss_mean": np.mean(finals),
                "final_excess_loss_max": np.max(finals),
            }
        )
    bgd, mbgd, sgd = (stats[k] for k in regimes)
    slow = cfg.learning_rate / 5
    sgd_slow = np.array([simulate(x, y, 1, slow, cfg.sim_epochs, s)[0][-1] / optimum - 1 for s in seeds])
    rows.append(
        {
            "experiment": "batch_regimes",
            "regime": "stochastic (SGD)",
            "batch_size": 1,
            "epochs": cfg.sim_epochs,
            "learning_rate": slow,
            "final_excess_loss_mean": sgd_slow.mean(),
            "final_excess_loss_max": sgd_slow.max(),
        }
    )
    ratios = [_gradient_variance(x, y, cfg.sim_batch, cfg.variance_draws, s) for s in seeds]
    measured = np.array([r[0] for r in ratios])
    expected = ratios[0][1]
    return [
        check(
            "BGD decreases the loss smoothly while SGD's loss 'bounces up and down and decreases only on average'; "
            "the smaller the batch, the higher the fluctuation",
            bgd["up"] == 0 and sgd["up"] > 0.3 and sgd["swing"] > 2 * mbgd["swing"] > 0,
            f"fraction of updates that raise the full-data loss: BGD {bgd['up']:.3f}, mini-batch {mbgd['up']:.3f}, "
            f"SGD {sgd['up']:.3f}; std of the full-data loss over the last epoch / optimum: BGD {fmt(bgd['swing'])}, "
            f"mini-batch {fmt(mbgd['swing'])} (+- {fmt(mbgd['swing_std'], 2)}), SGD {fmt(sgd['swing'])} "
            f"(+- {fmt(sgd['swing_std'], 2)}); lr {cfg.learning_rate}, {len(seeds)} seeds, N = {len(x)}",
            "02:509-566, 04:1068-1075",
        ),
        check(
            f"The variance of the mini-batch gradient falls like 1/|B|: var(|B| = 1) / var(|B| = {cfg.sim_batch}) "
            f"= {cfg.sim_batch} (N - 1)/(N - {cfg.sim_batch}) without replacement",
            np.all(np.abs(measured / expected - 1) < 0.05),
            f"measured ratios {', '.join(f'{r:.2f}' for r in measured)} vs {expected:.2f} "
            f"(N = {len(x)}, {cfg.variance_draws} draws per seed)",
            "02:556-566, 04:1072",
        ),
        check(
            "On a convex problem all three reach a similar final loss: BGD and mini-batch end within 5% of the "
            "least-squares optimum; SGD's constant step leaves a noise floor that shrinks with the step "
            "(lr / 5 cuts it by more than half, to within 15%)",
            max(bgd["excess_max"], mbgd["excess_max"]) < 0.05
            and sgd_slow.max() < 0.15
            and sgd_slow.mean() < 0.5 * sgd["excess"],
            f"final loss / optimum - 1 after {cfg.sim_epochs} epochs at lr {cfg.learning_rate}: BGD {fmt(bgd['excess'])}, "
            f"mini-batch {fmt(mbgd['excess'])} (worst {fmt(mbgd['excess_max'])}), SGD {fmt(sgd['excess'])}; "
            f"SGD at lr {slow:g}: {fmt(sgd_slow.mean())} (worst {fmt(sgd_slow.max())})",
            "02:509-566",
        ),
    ], curves


def _claim_epochs(ctx, data, cfg, rows):
    n = len(data.x_train)
    regimes = {"batch (BGD)": n, f"mini-batch ({cfg.mini_batch})": cfg.mini_batch, "stochastic (SGD)": 1}
    seen, histories = {}, {}
    for name, batch in regimes.items():
        trained = ctx.train(
            name.split()[0],
            build_model,
            data,
            epochs=cfg.keras_epochs,
            batch_size=batch,
            optimizer="sgd",
            learning_rate=0.01,
            save=False,
        )
        seen[name] = (
            trained.iterations,
            cfg.keras_epochs * math.ceil(n / batch),
            len(trained.history),
            bool(trained.history["val_loss"].notna().all()),
        )
        histories[name] = trained.history
        rows.append(
            {
                "experiment": "epochs_vs_iterations",
                "regime": name,
                "batch_size": batch,
                "n_train": n,
                "epochs": cfg.keras_epochs,
                "optimizer_iterations": seen[name][0],
                "expected_iterations": seen[name][1],
                "final_loss": trained.final("loss"),
            }
        )
    per_epoch = {name: s[0] // cfg.keras_epochs for name, s in seen.items()}
    ok = all(s[0] == s[1] and s[2] == cfg.keras_epochs and s[3] for s in seen.values())
    ok &= per_epoch[f"mini-batch ({cfg.mini_batch})"] == 4 and per_epoch["batch (BGD)"] == 1
    return check(
        f"An epoch passes the whole dataset once, an iteration one batch: after fit(epochs=E, batch_size=B) "
        f"optimizer.iterations = E ceil(N/B); {n} samples in batches of {cfg.mini_batch} take 4 iterations per epoch, "
        "BGD 1, SGD N; validation runs once per epoch (the training procedure of 04:1040-1053)",
        ok,
        "; ".join(
            f"{name}: iterations {s[0]} (expected {s[1]}, {per_epoch[name]} per epoch), {s[2]} epochs validated"
            for name, s in seen.items()
        ),
        "02:570-572, 04:1040-1053",
    ), histories


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    rows = []
    claims = _claims_1d() + _claims_quadratic(rows) + [_claim_stopping()]
    # y = 2x + 1 + noise on [-2, 2]; the training split is cut to exactly n_train samples.
    data = ctx.load(
        "cubic", n=cfg.n_train * 5 // 4 + 10, coefficients=(0.0, 0.0, 2.0, 1.0), noise=0.5, split=(0.8, 0.1, 0.1)
    )
    data = dataclasses.replace(data, x_train=data.x_train[: cfg.n_train], y_train=data.y_train[: cfg.n_train])
    regime_claims, curves = _claims_regimes(data, cfg, [ctx.seed + k for k in range(cfg.seeds)], rows)
    epoch_claim, histories = _claim_epochs(ctx, data, cfg, rows)
    claims += regime_claims + [epoch_claim]

    notes.append(
        "The step sizes on x^2 and on the quadratic and the 2000-sample / batch-500 example are the catalogue's "
        "choices: the slides' figures holding them were lost."
    )
    paths = {f"eta = {eta}": descend(X0, eta, max_iter=60)[0][:60] for eta in (0.05, 0.1, 0.2, 0.25)}
    figures = {
        "trajectories": plots.contour_panels(
            {
                "GD on x1^2 + x1 x2 + 4 x2^2 from (3, 3)": {
                    "f": lambda a, b: a**2 + a * b + 4 * b**2,
                    "paths": paths,
                    "xlim": (-6, 6),
                    "ylim": (-6, 6),
                }
            }
        ),
        "batch_regimes": plots.curves(
            curves,
            title=f"full-data loss after every update, lr {cfg.learning_rate}",
            xlabel="epoch",
            ylabel="mean squared error",
            logy=True,
        ),
        "keras_regimes": plots.learning_curves(
            histories, ("loss", "val_loss"), title="Keras SGD: loss per epoch by batch size"
        ),
    }
    return RecipeResult(pd.DataFrame(rows), figures, claims, notes=notes)


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
