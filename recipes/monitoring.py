"""Monitoring the learning process: loss shapes per learning rate, gaps, update ratios, first-layer weights.

Topic: what to plot while a network learns: the loss curve tells whether the learning rate is
right, the train/validation accuracy gap tells how much the model overfits, the update-to-weight
ratio should be about 1e-3, per-layer activation and gradient distributions, and the first
layer's weights as images.
Every number comes from nnzoo.monitor.TrainingMonitor attached to each variant (the same
callback `nnzoo run RECIPE --monitor` attaches to any recipe).

Lectures: Univ. of Cologne, "Neural networks and how to monitor the learning process" (000, lines
1003-1040); Univ. Bretagne Sud, "ANN part I" (003, 2301-2321).
Slip followed by the mathematics: S20 (the reference update/weight ratio is 1e-3, not 1.3).
"""

import dataclasses

import keras
import numpy as np
import pandas as pd

from nnzoo import diagnoses, plots
from nnzoo.inputs import standardizer
from nnzoo.monitor import TrainingMonitor
from nnzoo.results import RecipeResult, fmt, judge

LECTURES = ("000", "003")
REGIMES = ("very_low", "low", "good", "high", "very_high")
EXPECTED = {  # the lecture's reading of each loss curve (00:1010, 03:2103-2160)
    "very_low": "learning rate too low",
    "low": "learning rate too low",
    "good": "learning rate looks good",
    "high": "learning rate too high",
    "very_high": "run stopped: loss exploded",
}


@dataclasses.dataclass(frozen=True)
class Config:
    units: int = 64
    epochs: int = 20
    batch_size: int = 32
    adam_rates: tuple = (1e-5, 1e-4, 1e-3, 1e-1, 1.0)  # very low, low, good, high, very high
    sgd_rates: tuple = (1e-4, 1e-3, 1e-2, 1e-1)
    sgd_epochs: int = 3
    overfit_train_size: int = 100
    overfit_units: int = 256
    overfit_epochs: int = 60
    l2: float = 1e-3
    dropout: float = 0.5
    seeds: int = 2
    init_depth: int = 6
    init_units: int = 100


FULL = Config()
QUICK = Config(epochs=12, sgd_epochs=2, overfit_epochs=40, seeds=1)


def build_model(variant, config=FULL, *, data, normalizer=True):
    """ "mlp": the 64-64 ReLU net; "large"/"regularized": 256-256 with L2 and Dropout for the latter;
    "tanh_small"/"tanh_glorot": a deep tanh net initialized with N(0, 0.01^2) or Glorot."""
    layers = [keras.Input(data.input_shape)]
    if normalizer:
        layers.append(standardizer(data.x_train))
    if variant == "mlp":
        layers += [keras.layers.Dense(config.units, activation="relu") for _ in range(2)]
    elif variant in ("large", "regularized"):
        reg = keras.regularizers.L2(config.l2) if variant == "regularized" else None
        for _ in range(2):
            layers.append(keras.layers.Dense(config.overfit_units, activation="relu", kernel_regularizer=reg))
            if variant == "regularized":
                layers.append(keras.layers.Dropout(config.dropout))
    elif variant in ("tanh_small", "tanh_glorot"):
        init = keras.initializers.RandomNormal(stddev=0.01) if variant == "tanh_small" else "glorot_normal"
        layers += [
            keras.layers.Dense(config.init_units, activation="tanh", kernel_initializer=init)
            for _ in range(config.init_depth)
        ]
    else:
        raise ValueError(
            f"Unknown variant; expected mlp, large, regularized, tanh_small or tanh_glorot. "
            f"Received: variant={variant!r}"
        )
    layers.append(keras.layers.Dense(data.num_classes, activation="softmax"))
    return keras.Sequential(layers, name=variant)


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    data = ctx.load("digits")

    def monitored(name, variant, data=data, seed=ctx.seed, **fit):
        monitor = TrainingMonitor.for_data(data, name=name, verbose=0)
        trained = ctx.train(
            name,
            lambda: build_model(variant, cfg, data=data),
            data,
            seed=seed,
            callbacks=[monitor],
            steps_per_execution=1,
            batch_size=cfg.batch_size,
            **fit,
        )
        return trained, monitor

    rows, claims = [], []
    regimes = {
        r: monitored(f"adam_{r}", "mlp", epochs=cfg.epochs, optimizer="adam", learning_rate=lr)
        for r, lr in zip(REGIMES, cfg.adam_rates)
    }
    for regime, lr in zip(REGIMES, cfg.adam_rates):
        trained, monitor = regimes[regime]
        rows.append(_row(f"adam_{regime}", lr, trained, monitor))
    claims += _claims_loss_shapes(regimes, cfg)

    sgd = {
        lr: monitored(f"sgd_{lr:g}", "mlp", epochs=cfg.sgd_epochs, optimizer="sgd", learning_rate=lr)
        for lr in cfg.sgd_rates
    }
    for lr, (trained, monitor) in sgd.items():
        rows.append(_row(f"sgd_{lr:g}", lr, trained, monitor))
    claims += _claims_update_ratio(regimes["good"], sgd, cfg)

    small = data.take_train(cfg.overfit_train_size, seed=ctx.seed)
    fits = {
        v: [
            monitored(
                f"{v}_seed{k}",
                v,
                data=small,
                seed=ctx.seed + k,
                epochs=cfg.overfit_epochs,
                optimizer="adam",
                learning_rate=1e-3,
            )
            for k in range(cfg.seeds)
        ]
        for v in ("large", "regularized")
    }
    for v, runs in fits.items():
        for k, (trained, monitor) in enumerate(runs):
            rows.append(_row(f"{v}_seed{k}", 1e-3, trained, monitor))
    claims.append(_claim_gap(fits, cfg))

    inits = {v: monitored(v, v, epochs=1, optimizer="sgd", learning_rate=0.0) for v in ("tanh_small", "tanh_glorot")}
    claims.append(_claim_distributions(inits))
    claims.append(_claim_first_layer(regimes, fits))

    notes.append("Slip S20 (00:1014, 00:1026): the reference update/weight ratio is about 1e-3 (CS231n), not 1.3.")
    notes.append(
        "The update/weight ratio is measured per optimizer step (steps_per_execution=1): ||W_t+1 - W_t|| / ||W_t||."
    )
    figures = {
        "loss_per_learning_rate": plots.learning_curves(
            {f"{r} (lr {lr:g})": regimes[r][0].history for r, lr in zip(REGIMES, cfg.adam_rates)},
            ("loss",),
            title="Adam on digits: loss curve per learning rate",
            logy=True,
        ),
        "train_vs_validation": plots.learning_curves(
            {v: runs[0][0].history for v, runs in fits.items()},
            ("accuracy", "val_accuracy"),
            title=f"{cfg.overfit_train_size} training examples: large net vs L2 + dropout",
        ),
        "dashboard_good": regimes["good"][1].figures()["dashboard"],
        "first_layer_good": regimes["good"][1].figures()["first_layer"],
    }
    return RecipeResult(pd.DataFrame(rows), figures, claims, notes=notes)


def _row(name, lr, trained, monitor):
    findings = monitor.findings()
    ratio = monitor.latest("update_ratio")
    return {
        "variant": name,
        "learning_rate": lr,
        "epochs_run": len(trained.history),
        "final_loss": trained.final("loss"),
        "train_accuracy": trained.final("accuracy"),
        "val_accuracy": trained.final("val_accuracy"),
        "gap": trained.final("accuracy") - trained.final("val_accuracy"),
        "median_update_ratio": float(np.median(list(ratio.values()))) if ratio else np.nan,
        "first_layer_tv": first_layer_roughness(trained.model),
        "diagnosis": "; ".join(f.name for f in findings if not f.ok) or "healthy",
    }


def _diagnosis(monitor):
    """The loss-curve finding: the explosion stop when it fired, else the learning-rate reading."""
    names = [f.name for f in monitor.findings()]
    return (
        "run stopped: loss exploded"
        if "run stopped: loss exploded" in names
        else next(n for n in names if n.startswith("learning rate"))
    )


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def diagnoses_match_the_lecture(diagnoses):
    """``diagnoses`` maps a regime to the monitor's reading of its loss curve."""
    return diagnoses == EXPECTED


def good_rate_ends_lowest(final_losses):
    """``final_losses`` maps a regime to its final training loss."""
    return all(final_losses["good"] < final_losses[r] for r in ("very_low", "low", "high"))


def update_ratio_near_target(ratio, target):
    return target / 10 <= ratio <= target * 10


def update_ratio_scales_with_rate(factors, best_ratio):
    """``factors`` are the first-epoch ratio's factors between successive x10 learning rates, all but the last."""
    return all(5 <= f <= 20 for f in factors) and 1e-4 <= best_ratio <= 1e-2


def regularization_shrinks_the_gap(large_gaps, regularized_gaps, diagnosed_overfitting):
    return np.mean(large_gaps) > 0.1 and all(diagnosed_overfitting) and np.mean(regularized_gaps) < np.mean(large_gaps)


def small_init_collapses_activations(last_to_first_std):
    """``last_to_first_std`` maps an initialization to the last layer's activation std over the first's."""
    return last_to_first_std["tanh_small"] < 0.01 and last_to_first_std["tanh_glorot"] > 0.3


def regularized_filters_are_smoother(regularized, unconverged, unregularized):
    """Relative total variations of the first layer's filters."""
    return regularized < unconverged and regularized < unregularized


# ---- measurements ---------------------------------------------------------------------------------------


def _claims_loss_shapes(regimes, cfg):
    got = {r: _diagnosis(m) for r, (_, m) in regimes.items()}
    final = {r: t.final("loss") for r, (t, _) in regimes.items()}
    very_high = regimes["very_high"][0]
    trained = [t for r, (t, _) in regimes.items() if r != "very_high"]  # the very high run is meant to explode
    return [
        judge(
            "Each learning-rate regime gets the lecture's diagnosis from the shape of its loss curve: very low and "
            "low fall slowly and almost linearly, good falls fast, high plateaus, very high explodes and is stopped "
            "by the 3x rule",
            diagnoses_match_the_lecture,
            {"diagnoses": got},
            "; ".join(f"{r} (lr {lr:g}): {got[r]}" for r, lr in zip(REGIMES, cfg.adam_rates)),
            "00:1010, 03:2103-2160",
            variants=trained,
        ),
        judge(
            "The good rate ends with the lowest loss: good < high, good < low and good < very low",
            good_rate_ends_lowest,
            {"final_losses": final},
            "final training loss: "
            + ", ".join(f"{r} {fmt(v)}" for r, v in final.items())
            + f"; the very high run stopped after {len(very_high.history)} of {cfg.epochs} epochs",
            "00:1010",
            variants=trained,
        ),
    ]


def _first_ratio(monitor):
    df = monitor.to_frame()
    df = df[df.kind == "update_ratio"]
    first = df[df.step == df.step.min()]
    return float(first.value.median())


def _claims_update_ratio(good, sgd, cfg):
    trained_good, monitor = good
    ratio = float(np.median(list(monitor.latest("update_ratio").values())))
    first = {lr: _first_ratio(m) for lr, (_, m) in sgd.items()}
    lrs = sorted(first)
    steps = [first[b] / first[a] for a, b in zip(lrs, lrs[1:])]
    best = max(sgd, key=lambda lr: sgd[lr][0].final("val_accuracy"))
    median_best = float(np.median(list(sgd[best][1].latest("update_ratio").values())))
    return [
        judge(
            "The good learning rate's update/weight ratio lies within a factor of 10 of 1e-3 (slip S20: not 1.3)",
            update_ratio_near_target,
            {"ratio": ratio, "target": diagnoses.UPDATE_RATIO_TARGET},
            f"median over layers at the end of training: {ratio:.2e}",
            "00:1014, 00:1026",
            variants=[trained_good],
            chance=0.1,
        ),
        judge(
            "For SGD the update ratio scales with the learning rate (x10 lr gives x10 ratio within a factor 2, first "
            "epoch), and the rate that trains best has a ratio in [1e-4, 1e-2]",
            update_ratio_scales_with_rate,
            {"factors": steps[:-1], "best_ratio": median_best},
            "first-epoch median ratios: "
            + ", ".join(f"lr {lr:g}: {first[lr]:.2e}" for lr in lrs)
            + f"; successive factors {', '.join(f'{s:.1f}' for s in steps)} (the last pair is reported, not "
            f"asserted; lr {lrs[-1]:g} ends its first epoch at loss {fmt(sgd[lrs[-1]][0].history['loss'].iloc[0])}); "
            f"best rate {best:g} with val accuracy {fmt(sgd[best][0].final('val_accuracy'))}, ratio {median_best:.2e}",
            "00:1014",
            variants=[t for t, _ in sgd.values()],
        ),
    ]


def _claim_gap(fits, cfg):
    gaps = {v: np.array([t.final("accuracy") - t.final("val_accuracy") for t, _ in runs]) for v, runs in fits.items()}
    diagnosed = [any(f.name == "overfitting" for f in m.findings()) for _, m in fits["large"]]
    return judge(
        f"A large network on {cfg.overfit_train_size} examples overfits (train - validation accuracy > 0.1, diagnosed "
        "'overfitting' by the monitor) and L2 + dropout shrinks the gap",
        regularization_shrinks_the_gap,
        {
            "large_gaps": gaps["large"].tolist(),
            "regularized_gaps": gaps["regularized"].tolist(),
            "diagnosed_overfitting": diagnosed,
        },
        f"gap over {cfg.seeds} seed(s): large {gaps['large'].mean():.3f} ± {gaps['large'].std():.3f}, "
        f"regularized {gaps['regularized'].mean():.3f} ± {gaps['regularized'].std():.3f}; monitor said overfitting "
        f"in {sum(diagnosed)}/{len(diagnosed)} runs",
        "00:1012, 03:2306-2321",
        variants=[t for runs in fits.values() for t, _ in runs],
        chance=0.1,
    )


def _claim_distributions(inits):
    spread = {}
    for name, (_, monitor) in inits.items():
        stds = monitor.to_frame().query("kind == 'activation' and stat == 'std'")
        stds = stds[stds.step == stds.step.max()].value.to_numpy()
        spread[name] = stds
    return judge(
        "Per-layer activation distributions show the small-init problem: with N(0, 0.01^2) weights the tanh "
        "activations' std collapses towards 0 with depth, with Glorot it does not",
        small_init_collapses_activations,
        {"last_to_first_std": {k: float(v[-1] / v[0]) for k, v in spread.items()}},
        "activation std per layer: " + "; ".join(f"{k}: {', '.join(f'{s:.2g}' for s in v)}" for k, v in spread.items()),
        "00:1016-1018",
        variants=[t for t, _ in inits.values()],
    )


def first_layer_roughness(model):
    """Mean total variation of the first Dense layer's 8x8 filters, relative to each filter's spread."""
    kernel = next(layer.kernel for layer in model.layers if getattr(layer, "kernel", None) is not None)
    k = np.asarray(kernel)
    side = int(round(np.sqrt(k.shape[0])))
    if side * side != k.shape[0]:
        return np.nan
    filters = k.T.reshape(-1, side, side)
    tv = np.abs(np.diff(filters, axis=1)).mean(axis=(1, 2)) + np.abs(np.diff(filters, axis=2)).mean(axis=(1, 2))
    return float(np.mean(tv / (2 * filters.reshape(len(filters), -1).std(axis=1) + 1e-12)))


def _claim_first_layer(regimes, fits):
    smooth = np.mean([first_layer_roughness(t.model) for t, _ in fits["regularized"]])
    noisy = first_layer_roughness(regimes["very_low"][0].model)
    unregularized = np.mean([first_layer_roughness(t.model) for t, _ in fits["large"]])
    return judge(
        "First-layer weights of a well-trained L2-regularized net are smoother than those of an unconverged net "
        "(and of the unregularized one)",
        regularized_filters_are_smoother,
        {"regularized": smooth, "unconverged": noisy, "unregularized": unregularized},
        f"relative total variation of the 8x8 filters: regularized {smooth:.3f}, unconverged (very low lr) "
        f"{noisy:.3f}, unregularized {unregularized:.3f} (independent noise gives about 1.13)",
        "00:1034-1038",
        variants=[regimes["very_low"][0], *(t for runs in fits.values() for t, _ in runs)],
    )


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
