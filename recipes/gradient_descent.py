"""Gradient descent: step sizes on x^2 and on a quadratic bowl, batch vs stochastic vs mini-batch, epochs.

Topic: the update x <- x - lr f'(x) on f(x) = x^2 (steps that converge, oscillate, cycle and
diverge), sign-GD, the lecture 003 quadratic f = x1^2 + x1 x2 + 4 x2^2 from (3, 3) (gradient,
Hessian eigenvalues, the stability limit 2/lambda_max, the best constant step
2/(lambda_min + lambda_max), iterations per step size), the stopping rule |delta theta| < 1e-8,
batch / stochastic / mini-batch gradients (fluctuation, variance ~ 1/|B|) and epochs vs
iterations checked against Keras's ``optimizer.iterations`` after ``fit``.

Lectures: Sharif Univ., "Introduction to neural networks" (002, lines 56-85, 480-587); Univ. Bretagne
Sud, "ANN part I" (003, lines 804-1029); Univ. Milano-Bicocca, "Neural networks" (004, lines 104-149,
1017-1075). The step sizes on x^2 and on the quadratic, and the epoch/iteration example, were in
lost figures: the recipe uses nnzoo's values (x0 = 1; lr 0.1, 0.5, 0.9, 1.0, 1.1;
eta 0.01-0.3; 2000 samples in batches of 500), chosen, not the slides'. The update rules evaluated
on these constants are worked examples; the claims are the batch regimes and Keras's iterations.
"""

import dataclasses
import math

import keras
import numpy as np
import pandas as pd

from nnzoo import plots
from nnzoo.results import RecipeResult, WorkedExample, fmt, judge

LECTURES = ("002", "003", "004")
VARIANTS = ("linear",)
HESSIAN = np.array([[2.0, 1.0], [1.0, 8.0]])  # f = x1^2 + x1 x2 + 4 x2^2 = x^T H x / 2 (03:964-968)
X0 = np.array([3.0, 3.0])
STEPS_1D = (0.1, 0.5, 0.9, 1.0, 1.1)
STEPS_2D = (0.01, 0.05, 0.1, 0.2, 0.24, 0.25, 0.3)
EXPECTED_ITERATIONS = {0.01: 420, 0.05: 81, 0.1: 39, 0.2: 20, 0.24: 212}  # recomputed below


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


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    rows = [
        {"experiment": "quadratic", "step": eta, "iterations_to_f<1e-6": n, "stable": eta < stability_limit()}
        for eta, n in iteration_counts().items()
    ]
    # y = 2x + 1 + noise on [-2, 2]; the training split is cut to exactly n_train samples.
    data = ctx.load(
        "cubic", n=cfg.n_train * 5 // 4 + 10, coefficients=(0.0, 0.0, 2.0, 1.0), noise=0.5, split=(0.8, 0.1, 0.1)
    )
    data = dataclasses.replace(data, x_train=data.x_train[: cfg.n_train], y_train=data.y_train[: cfg.n_train])
    claims, curves = _claims_regimes(data, cfg, [ctx.seed + k for k in range(cfg.seeds)], rows)
    epoch_claim, histories = _claim_epochs(ctx, data, cfg, rows)
    claims.append(epoch_claim)

    notes.append(
        "The step sizes on x^2 and on the quadratic and the 2000-sample / batch-500 example are nnzoo's "
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
    return RecipeResult(pd.DataFrame(rows), figures, claims, notes=notes, worked=_worked_examples())


def stability_limit():
    """GD on the quadratic is stable iff eta < 2 / lambda_max."""
    return 2 / np.linalg.eigvalsh(HESSIAN).max()


def iteration_counts():
    """GD iterations to f < 1e-6 from X0 for each step in STEPS_2D (inf: diverges)."""
    return {eta: descend(X0, eta)[1] for eta in STEPS_2D}


def stop_by_change(delta=1e-8, eta=0.1):
    """GD on the quadratic until |theta_t - theta_{t-1}| < delta (03:997): (iterations, last change, final x)."""
    x, k, change = X0.copy(), 0, math.inf
    while change >= delta:
        new = x - eta * HESSIAN @ x
        change, x, k = float(np.linalg.norm(new - x)), new, k + 1
    return k, change, x


def _worked_examples():
    """The update rules on f = x^2 and on the quadratic, evaluated on the slides' (or nnzoo's) constants."""
    x_squared = dict(
        zip(
            STEPS_1D,
            (
                "0.8, 0.64, 0.512, 0.4096, 0.32768 (converges)",
                "0 in one step",
                "-0.8, 0.64, ... (oscillates, converges)",
                "+-1 forever (cycles)",
                "|x| x1.2 per step (diverges)",
            ),
        )
    )
    lam = np.linalg.eigvalsh(HESSIAN)
    counts = iteration_counts()
    one = {eta: X0 - eta * HESSIAN @ X0 for eta in (0.1, 0.2)}
    k, change, x = stop_by_change(delta=1e-8, eta=0.1)
    return [
        *(
            WorkedExample(
                f"x_1..x_5 on f = x^2 from x0 = 1 at lr {lr}: x <- (1 - 2 lr) x",
                ", ".join(f"{v:.5g}" for v in gd_1d(lr)[1:6]),
                slide,
                "04:112-149",
            )
            for lr, slide in x_squared.items()
        ),
        WorkedExample(
            "Sign-GD x <- x - 0.1 sign(f'(x)) from 1.05: the values of the last 20 of 100 iterates",
            ", ".join(f"{v:g}" for v in sorted(set(np.round(sign_gd()[-20:], 9).tolist()))),
            "never converges exactly: ends oscillating with |x| <= step",
            "03:936",
        ),
        WorkedExample(
            "f = x1^2 + x1 x2 + 4 x2^2 and its gradient at (3, 3)",
            "{:g}, ({:g}, {:g})".format(quadratic(X0), *(HESSIAN @ X0)),
            "54, (9, 27)",
            "03:964-968",
        ),
        WorkedExample(
            "Eigenvalues of the Hessian [[2, 1], [1, 8]]: 5 -+ sqrt(10)",
            f"{lam[0]:.4f}, {lam[1]:.4f}",
            "1.8377, 8.1623",
            "03:964-968",
        ),
        WorkedExample("Stability limit 2 / lambda_max", f"{stability_limit():.5f}", "0.24503", "03:964-968"),
        WorkedExample(
            "Best constant step 2 / (lambda_min + lambda_max) and its contraction (kappa - 1)/(kappa + 1)",
            f"{2 / lam.sum():.4g}, {(lam.max() - lam.min()) / (lam.max() + lam.min()):.5f}",
            "0.2, 0.63246",
            "03:964-968",
        ),
        WorkedExample(
            "GD iterations to f < 1e-6 from (3, 3), eta " + " / ".join(f"{e:g}" for e in counts),
            " / ".join("diverges" if math.isinf(n) else str(n) for n in counts.values()),
            " / ".join(str(EXPECTED_ITERATIONS.get(e, "diverges")) for e in counts),
            "03:964-968",
        ),
        WorkedExample(
            "One step from (3, 3) at eta 0.1 and at eta 0.2 (0.2 is the faster overall)",
            "; ".join(f"({p[0]:g}, {p[1]:g}), f = {quadratic(p):.4g}" for p in one.values()),
            "(2.1, 0.3), f = 5.4; (1.2, -2.4), f = 21.6",
            "03:964-968",
        ),
        WorkedExample(
            "GD at eta 0.1 stopped when |theta_t - theta_(t-1)| < 1e-8: iterations, |x - x*|, and the bound "
            "|delta theta| / (eta lambda_min)",
            f"{k}, {np.linalg.norm(x):.3g} <= {change / (0.1 * lam.min()):.3g}",
            "stop when the parameter change < delta = 1e-8",
            "03:997",
        ),
    ]


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def smaller_batches_fluctuate_more(fraction_up, swing):
    """Per regime (batch, mini-batch, stochastic): the fraction of updates that raise the full-data loss, and the
    std of that loss over the last epoch / the optimum."""
    return (
        fraction_up["batch"] == 0
        and fraction_up["stochastic"] > 0.3
        and swing["stochastic"] > 2 * swing["mini-batch"] > 0
    )


def gradient_variance_falls_like_one_over_batch(measured_ratios, expected_ratio):
    """var(|B| = 1) / var(|B|) per seed against |B| (N - 1)/(N - |B|)."""
    return all(abs(ratio / expected_ratio - 1) < 0.05 for ratio in measured_ratios)


def regimes_reach_the_optimum(worst_excess, stochastic_excess, slow_stochastic_excess):
    """Final loss / optimum - 1: the worst seed of batch and mini-batch, SGD's mean, SGD at lr / 5 per seed."""
    return (
        max(worst_excess.values()) < 0.05
        and max(slow_stochastic_excess) < 0.15
        and np.mean(slow_stochastic_excess) < 0.5 * stochastic_excess
    )


def iterations_are_batches(iterations, expected_iterations, epochs_run, validated_epochs, epochs):
    """Per regime: Keras's optimizer.iterations after fit, E ceil(N/B), the epochs in the history and those with a
    validation loss."""
    return (
        all(iterations[r] == expected_iterations[r] for r in expected_iterations)
        and all(n == epochs for n in epochs_run.values())
        and all(n == epochs for n in validated_epochs.values())
        and iterations["mini-batch"] == 4 * epochs
        and iterations["batch"] == epochs
    )


# ---- measurements ---------------------------------------------------------------------------------------


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
    measured = [float(r[0]) for r in ratios]
    expected = ratios[0][1]
    short = {name.split()[0]: stats[name] for name in regimes}  # batch, mini-batch, stochastic
    return [
        judge(
            "BGD decreases the loss smoothly while SGD's loss 'bounces up and down and decreases only on average'; "
            "the smaller the batch, the higher the fluctuation",
            smaller_batches_fluctuate_more,
            {
                "fraction_up": {k: float(v["up"]) for k, v in short.items()},
                "swing": {k: float(v["swing"]) for k, v in short.items()},
            },
            f"fraction of updates that raise the full-data loss: BGD {bgd['up']:.3f}, mini-batch {mbgd['up']:.3f}, "
            f"SGD {sgd['up']:.3f}; std of the full-data loss over the last epoch / optimum: BGD {fmt(bgd['swing'])}, "
            f"mini-batch {fmt(mbgd['swing'])} (+- {fmt(mbgd['swing_std'], 2)}), SGD {fmt(sgd['swing'])} "
            f"(+- {fmt(sgd['swing_std'], 2)}); lr {cfg.learning_rate}, {len(seeds)} seeds, N = {len(x)}",
            "02:509-566, 04:1068-1075",
        ),
        judge(
            f"The variance of the mini-batch gradient falls like 1/|B|: var(|B| = 1) / var(|B| = {cfg.sim_batch}) "
            f"= {cfg.sim_batch} (N - 1)/(N - {cfg.sim_batch}) without replacement",
            gradient_variance_falls_like_one_over_batch,
            {"measured_ratios": measured, "expected_ratio": float(expected)},
            f"measured ratios {', '.join(f'{r:.2f}' for r in measured)} vs {expected:.2f} "
            f"(N = {len(x)}, {cfg.variance_draws} draws per seed)",
            "02:556-566, 04:1072",
        ),
        judge(
            "On a convex problem all three reach a similar final loss: BGD and mini-batch end within 5% of the "
            "least-squares optimum; SGD's constant step leaves a noise floor that shrinks with the step "
            "(lr / 5 cuts it by more than half, to within 15%)",
            regimes_reach_the_optimum,
            {
                "worst_excess": {k: float(short[k]["excess_max"]) for k in ("batch", "mini-batch")},
                "stochastic_excess": float(sgd["excess"]),
                "slow_stochastic_excess": sgd_slow.tolist(),
            },
            f"final loss / optimum - 1 after {cfg.sim_epochs} epochs at lr {cfg.learning_rate}: BGD {fmt(bgd['excess'])}, "
            f"mini-batch {fmt(mbgd['excess'])} (worst {fmt(mbgd['excess_max'])}), SGD {fmt(sgd['excess'])}; "
            f"SGD at lr {slow:g}: {fmt(sgd_slow.mean())} (worst {fmt(sgd_slow.max())})",
            "02:509-566",
        ),
    ], curves


def _claim_epochs(ctx, data, cfg, rows):
    n = len(data.x_train)
    regimes = {"batch (BGD)": n, f"mini-batch ({cfg.mini_batch})": cfg.mini_batch, "stochastic (SGD)": 1}
    measured = {"iterations": {}, "expected_iterations": {}, "epochs_run": {}, "validated_epochs": {}}
    trained_all, histories = [], {}
    for name, batch in regimes.items():
        short = name.split()[0]  # batch, mini-batch, stochastic
        trained = ctx.train(
            short,
            build_model,
            data,
            epochs=cfg.keras_epochs,
            batch_size=batch,
            optimizer="sgd",
            learning_rate=0.01,
            save=False,
        )
        trained_all.append(trained)
        measured["iterations"][short] = trained.iterations
        measured["expected_iterations"][short] = cfg.keras_epochs * math.ceil(n / batch)
        measured["epochs_run"][short] = len(trained.history)
        measured["validated_epochs"][short] = int(trained.history["val_loss"].notna().sum())
        histories[name] = trained.history
        rows.append(
            {
                "experiment": "epochs_vs_iterations",
                "regime": name,
                "batch_size": batch,
                "n_train": n,
                "epochs": cfg.keras_epochs,
                "optimizer_iterations": trained.iterations,
                "expected_iterations": measured["expected_iterations"][short],
                "final_loss": trained.final("loss"),
            }
        )
    measured["epochs"] = cfg.keras_epochs
    return judge(
        f"An epoch passes the whole dataset once, an iteration one batch: after fit(epochs=E, batch_size=B) "
        f"optimizer.iterations = E ceil(N/B); {n} samples in batches of {cfg.mini_batch} take 4 iterations per epoch, "
        "BGD 1, SGD N; validation runs once per epoch (the training procedure of 04:1040-1053)",
        iterations_are_batches,
        measured,
        "; ".join(
            f"{name}: iterations {measured['iterations'][r]} (expected {measured['expected_iterations'][r]}, "
            f"{measured['iterations'][r] / cfg.keras_epochs:g} per epoch), {measured['validated_epochs'][r]} of "
            f"{measured['epochs_run'][r]} epochs validated"
            for name, r in zip(regimes, measured["iterations"])
        ),
        "02:570-572, 04:1040-1053",
        variants=trained_all,
    ), histories


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
