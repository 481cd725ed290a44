"""Tuning step by step: overfit 20 examples, bracket the learning rate, then coarse-to-fine random search.

Topic: lecture 003's tuning procedure (lines 2008-2299) and lecture 001's advice (558-562): sanity-check
by overfitting a tiny subset with regularization off; a rate whose loss barely moves is too low, one
that turns the loss NaN or above 3x the starting cost is too high (stop early); search learning rate
and L2 strength at random in log space with few epochs, then finer around the best; random beats a
grid of the same budget when one hyperparameter matters more. Catalogue section 20, on digits (the
slides use CIFAR-10; `nnzoo tune` runs the same search with KerasTuner on any tunable recipe).
Slip followed by the mathematics: S32 (the "too high" run's code says 1e-6 where its log says 1e6).
"""

import dataclasses
import math

import keras
import numpy as np
import pandas as pd

from nnzoo import plots
from nnzoo.inputs import standardizer
from nnzoo.monitor import TrainingMonitor
from nnzoo.results import RecipeResult, fmt, judge

LECTURES = ("001", "003")


@dataclasses.dataclass(frozen=True)
class Config:
    hidden: int = 50  # init_two_layer_model(..., 50, 10) (03:2015)
    tiny: int = 20
    tiny_epochs: int = 200
    tiny_learning_rate: float = 1e-2  # Adam; the slide's plain SGD at 1e-3 needs far more epochs in Keras
    low_learning_rate: float = 1e-6
    high_learning_rate: float = 1e6
    bracket_epochs: int = 10
    search_epochs: int = 5  # "only a few epochs" per coarse trial (03:2211)
    coarse_trials: int = 12
    fine_trials: int = 12
    coarse_lr: tuple = (-5.0, -1.0)  # log10 range of the Adam learning rate
    coarse_l2: tuple = (-5.0, 1.0)  # log10 range of the L2 strength
    toy_seeds: int = 200


FULL = Config()
QUICK = Config(tiny_epochs=150, bracket_epochs=5, search_epochs=3, coarse_trials=4, fine_trials=4)


def build_model(variant="two_layer", config=FULL, *, data, l2=0.0, init_scale=1e-4):
    """The lecture's two-layer net (one hidden ReLU layer of 50) with optional L2 and a small init."""
    if variant != "two_layer":
        raise ValueError(f"Unknown variant; expected 'two_layer'. Received: variant={variant!r}")
    init = keras.initializers.RandomNormal(stddev=init_scale)
    reg = keras.regularizers.L2(l2) if l2 else None
    return keras.Sequential(
        [
            keras.Input(data.input_shape),
            standardizer(data.x_train),
            keras.layers.Dense(config.hidden, activation="relu", kernel_initializer=init, kernel_regularizer=reg),
            keras.layers.Dense(data.num_classes, activation="softmax", kernel_initializer=init, kernel_regularizer=reg),
        ],
        name=variant,
    )


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    data = ctx.load("digits")
    rows, claims = [], []

    tiny = data.take_train(cfg.tiny, seed=ctx.seed)
    overfit = ctx.train(
        "overfit_20",
        lambda: build_model(data=tiny),
        tiny,
        epochs=cfg.tiny_epochs,
        batch_size=cfg.tiny,
        optimizer="adam",
        learning_rate=cfg.tiny_learning_rate,
        save=False,
    )
    claims.append(_claim_overfit(overfit, cfg))
    rows.append(_row("overfit_20", cfg.tiny_learning_rate, 0.0, overfit))

    bracket = {}
    for name, lr, opt in (
        ("too_low", cfg.low_learning_rate, "sgd"),
        ("too_high", cfg.high_learning_rate, "sgd"),
        ("reasonable", 1e-3, "adam"),
    ):
        monitor = TrainingMonitor.for_data(data, name=name, verbose=0)
        bracket[name] = (
            ctx.train(
                name,
                lambda: build_model(data=data),
                data,
                epochs=cfg.bracket_epochs,
                optimizer=opt,
                learning_rate=lr,
                callbacks=[monitor],
                save=False,
            ),
            monitor,
        )
        rows.append(_row(name, lr, 0.0, bracket[name][0]))
    claims += _claims_bracket(bracket, cfg)

    rng = np.random.default_rng(ctx.seed)
    coarse = _search(ctx, data, cfg, rng, cfg.coarse_lr, cfg.coarse_l2, cfg.coarse_trials, "coarse", rows)
    best = max(coarse, key=lambda t: t["val_accuracy"])
    fine_lr = (math.log10(best["learning_rate"]) - 0.5, math.log10(best["learning_rate"]) + 0.5)
    fine_l2 = (math.log10(best["l2"]) - 1.0, math.log10(best["l2"]) + 1.0)
    fine = _search(ctx, data, cfg, rng, fine_lr, fine_l2, cfg.fine_trials, "fine", rows)
    claims += _claims_search(coarse, fine, cfg, fine_lr, fine_l2)
    claims.append(_claim_log_space(rng))
    claims.append(_claim_random_vs_grid(cfg, ctx.seed))

    notes.append(
        "Slip S32 (03:2103 vs 03:2141): the 'too high' run's code shows learning_rate=1e-6 but its log prints "
        "lr 1e+06; the recipe uses 1e6."
    )
    notes.append(
        f"The 20-example overfit uses Adam at {cfg.tiny_learning_rate:g} (the slide: SGD at 1e-3 for 200 epochs, "
        "which a Keras MLP on digits needs many more epochs to match)."
    )
    table = pd.DataFrame(rows)
    figures = {
        "search": _search_figure(table),
        "bracket": plots.learning_curves(
            {k: v[0].history for k, v in bracket.items()} | {"overfit_20": overfit.history},
            ("loss",),
            title="sanity checks: loss per epoch",
            logy=True,
        ),
    }
    return RecipeResult(table, figures, claims, notes=notes)


def _row(name, lr, l2, trained, stage="check"):
    return {
        "stage": stage,
        "trial": name,
        "learning_rate": lr,
        "l2": l2,
        "epochs_run": len(trained.history),
        "final_loss": trained.final("loss"),
        "train_accuracy": trained.final("accuracy"),
        "val_accuracy": trained.final("val_accuracy"),
    }


def _search(ctx, data, cfg, rng, lr_range, l2_range, trials, stage, rows):
    """Random search: lr = 10**U(lr_range), L2 = 10**U(l2_range), a few epochs each (03:2211-2247)."""
    found = []
    for k in range(trials):
        lr, l2 = 10 ** rng.uniform(*lr_range), 10 ** rng.uniform(*l2_range)
        trained = ctx.train(
            f"{stage}_{k}",
            lambda l2=l2: build_model(data=data, l2=l2, init_scale=0.05),
            data,
            epochs=cfg.search_epochs,
            optimizer="adam",
            learning_rate=lr,
            save=False,
        )
        row = _row(f"{stage}_{k}", lr, l2, trained, stage)
        rows.append(row)
        found.append(row)
    return found


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def overfits_tiny_set(first_loss, last_loss, train_accuracy):
    return train_accuracy == 1.0 and last_loss < 0.01 and abs(first_loss - math.log(10)) < 0.05


def loss_barely_moves(relative_change):
    return relative_change < 1e-3


def explosion_stops_only_the_high_rate(high_stopped, good_stopped, high_epochs, epochs):
    return high_stopped and not good_stopped and high_epochs < epochs


def best_rates_inside_range(low, high, best_coarse, best_fine, coarse_rates):
    return low < best_coarse < high and low < best_fine < high and all(low <= r <= high for r in coarse_rates)


def fine_beats_coarse(best_fine, best_coarse, mean_fine, mean_coarse):
    return best_fine >= best_coarse and mean_fine > mean_coarse


def log_space_spreads_decades(log_top_decade, linear_top_decade):
    return abs(log_top_decade - 1 / 3) < 0.01 and abs(linear_top_decade - 0.9) < 0.01


def random_beats_grid(random_mean_best, grid_best):
    return random_mean_best > grid_best


# ---- measurements ---------------------------------------------------------------------------------------


def _claim_overfit(trained, cfg):
    first, last = trained.history["loss"].iloc[0], trained.final("loss")
    acc = trained.final("accuracy")
    return judge(
        f"Sanity check: with regularization off the network overfits {cfg.tiny} examples (training accuracy 1.00, "
        "loss near 0), starting from the chance loss ln 10 = 2.3026",
        overfits_tiny_set,
        {"first_loss": first, "last_loss": last, "train_accuracy": acc},
        f"epoch 1 loss {first:.6f} (ln 10 = 2.302585; slide 2.302603), epoch {len(trained.history)} loss {fmt(last)}, "
        f"training accuracy {acc:.2f} (slide: 0.002597 and 1.00 after 200 epochs)",
        "03:2012-2083",
        variants=[trained],
    )


def _claims_bracket(bracket, cfg):
    low, _ = bracket["too_low"]
    high, high_monitor = bracket["too_high"]
    good, good_monitor = bracket["reasonable"]
    change = abs(low.history["loss"].iloc[0] - low.final("loss")) / low.history["loss"].iloc[0]
    threshold = 3 * high_monitor.start_loss
    return [
        judge(
            f"Learning rate {cfg.low_learning_rate:g} is too low: the loss barely changes",
            loss_barely_moves,
            {"relative_change": change},
            f"relative loss change over {len(low.history)} epochs: {change:.2e} "
            f"({low.history['loss'].iloc[0]:.6f} -> {low.final('loss'):.6f}; slide 2.302576 -> 2.302420)",
            "03:2095-2120",
            variants=[low],
        ),
        judge(
            f"Learning rate {cfg.high_learning_rate:g} is too high: the cost explodes (NaN or above 3x the original "
            "cost) and the monitor stops the run early; it does not fire on a reasonable rate",
            explosion_stops_only_the_high_rate,
            {
                "high_stopped": high_monitor.stopped_at is not None,
                "good_stopped": good_monitor.stopped_at is not None,
                "high_epochs": len(high.history),
                "epochs": cfg.bracket_epochs,
            },
            f"start cost {fmt(high_monitor.start_loss)}, threshold {fmt(threshold)} (3 ln 10 = 6.9078); high rate stopped "
            f"at step {high_monitor.stopped_at[0] if high_monitor.stopped_at else 'never'} with loss "
            f"{fmt(high_monitor.stopped_at[1]) if high_monitor.stopped_at else 'n/a'} after {len(high.history)} epoch(s); "
            f"Adam 1e-3 ran all {len(good.history)} epochs (final loss {fmt(good.final('loss'))})",
            "03:2133-2154, 03:2203",
            variants=[good],
        ),
    ]


def _claims_search(coarse, fine, cfg, fine_lr, fine_l2):
    best_coarse = max(coarse, key=lambda t: t["val_accuracy"])
    best_fine = max(fine, key=lambda t: t["val_accuracy"])
    lo, hi = 10 ** cfg.coarse_lr[0], 10 ** cfg.coarse_lr[1]
    return [
        judge(
            "The best learning rates lie strictly inside the explored range (not at its edge)",
            best_rates_inside_range,
            {
                "low": lo,
                "high": hi,
                "best_coarse": best_coarse["learning_rate"],
                "best_fine": best_fine["learning_rate"],
                "coarse_rates": [t["learning_rate"] for t in coarse],
            },
            f"coarse range [{lo:g}, {hi:g}]; best coarse lr {best_coarse['learning_rate']:.3g} (val accuracy "
            f"{best_coarse['val_accuracy']:.3f}), best fine lr {best_fine['learning_rate']:.3g}",
            "03:2187, 03:2211-2299",
        ),
        judge(
            "The fine search around the best coarse trial beats the coarse search on validation accuracy",
            fine_beats_coarse,
            {
                "best_fine": best_fine["val_accuracy"],
                "best_coarse": best_coarse["val_accuracy"],
                "mean_fine": np.mean([t["val_accuracy"] for t in fine]),
                "mean_coarse": np.mean([t["val_accuracy"] for t in coarse]),
            },
            f"best: fine {best_fine['val_accuracy']:.3f} vs coarse {best_coarse['val_accuracy']:.3f}; mean: fine "
            f"{np.mean([t['val_accuracy'] for t in fine]):.3f} vs coarse {np.mean([t['val_accuracy'] for t in coarse]):.3f}; "
            f"fine ranges lr 10^[{fine_lr[0]:.2f}, {fine_lr[1]:.2f}], L2 10^[{fine_l2[0]:.2f}, {fine_l2[1]:.2f}]",
            "03:2251-2299",
        ),
    ]


def _claim_log_space(rng, n=200_000):
    log_samples = 10 ** rng.uniform(-6, -3, n)
    linear = rng.uniform(1e-6, 1e-3, n)
    decade_log = float((log_samples >= 1e-4).mean())
    decade_lin = float((linear >= 1e-4).mean())
    return judge(
        "Search in log space: 10^U(-6, -3) puts about a third of the samples in each decade, U(1e-6, 1e-3) puts 90 % "
        "in the top decade [1e-4, 1e-3]",
        log_space_spreads_decades,
        {"log_top_decade": decade_log, "linear_top_decade": decade_lin},
        f"fraction >= 1e-4: log-uniform {decade_log:.3f}, uniform {decade_lin:.3f}",
        "03:2230",
    )


def toy_objective(important, unimportant):
    """Only the first hyperparameter matters (a narrow optimum at 0.37); the second is ignored."""
    return -((important - 0.37) ** 2) + 0.0 * unimportant


def _claim_random_vs_grid(cfg, seed, trials=9):
    grid = np.linspace(0.0, 1.0, int(math.sqrt(trials)))
    grid_best = max(toy_objective(a, b) for a in grid for b in grid)
    rng = np.random.default_rng(seed)
    random_best = np.array([toy_objective(*rng.uniform(0, 1, (2, trials))).max() for _ in range(cfg.toy_seeds)])
    return judge(
        f"With {trials} trials over two hyperparameters of which one matters, random search tries {trials} distinct "
        f"values of the important one against the grid's {len(grid)}, and finds a better value on average",
        random_beats_grid,
        {"random_mean_best": random_best.mean(), "grid_best": grid_best},
        f"best objective (0 is perfect): grid {grid_best:.4f}; random {random_best.mean():.4f} ± {random_best.std():.4f} "
        f"over {cfg.toy_seeds} seeds, better than the grid in {(random_best > grid_best).mean():.0%} of them",
        "03:2205",
    )


def _search_figure(table):
    fig, (ax,) = plots.grid(1, size=(6.0, 4.5), title="random search: validation accuracy per trial")
    for stage, part in table[table.stage.isin(["coarse", "fine"])].groupby("stage"):
        points = ax.scatter(
            part["learning_rate"],
            part["l2"],
            c=part["val_accuracy"],
            cmap="viridis",
            vmin=0,
            vmax=1,
            marker="o" if stage == "coarse" else "^",
            label=stage,
        )
    ax.set(xscale="log", yscale="log", xlabel="learning rate (Adam)", ylabel="L2 strength")
    ax.legend(fontsize="small")
    fig.colorbar(points, ax=ax, label="val accuracy")
    return fig


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
