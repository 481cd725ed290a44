"""Early stopping on validation accuracy, with and without restoring the best weights.

Topic: early stopping — the lecture's ``EarlyStopping('val_accuracy', patience=40)`` (01:739-742):
where it stops (best epoch + patience), which weights it returns (the last epoch's, or the best
epoch's with ``restore_best_weights=True``, 03:2327), why stopping early keeps the weights small
(01:730-732), how many epochs it saves (01:733), and H2O's relative-tolerance criterion on a
moving average (03:2333) against Keras's absolute ``min_delta``.

Lectures: UPM Madrid, "Training feedforward neural networks" (001, lines 727-743); Sharif Univ.,
"Introduction to neural networks" (002, lines 1000-1007); Univ. Bretagne Sud, "ANN part I" (003, lines
2301-2340, 2514). No slips in this section.
"""

import dataclasses

import keras
import numpy as np
import pandas as pd

from nnzoo import plots
from nnzoo.inputs import standardizer
from nnzoo.results import RecipeResult, fmt, judge

LECTURES = ("001", "002", "003")
VARIANTS = ("no_restore", "restore")


@dataclasses.dataclass(frozen=True)
class Config:
    """Hyperparameters; a wide MLP on a small training subset, so it overfits and the stop is visible.

    QUICK uses patience 10 (the lecture's is 40) so that the stop happens within its 60 epochs.
    """

    n_train: int = 300
    hidden_layers: int = 2
    units: int = 256
    max_epochs: int = 300
    patience: int = 40  # the lecture's EarlyStopping('val_accuracy', patience=40)
    learning_rate: float = 1e-3  # Adam
    batch_size: int = 32
    seeds: int = 3
    full_run: bool = True  # also train seed 0 for all max_epochs, to show what stopping skipped
    h2o_rounds: int = 5  # stopping_rounds=5 (03:2333)
    h2o_tolerance: float = 1e-3  # stopping_tolerance=1e-3: 0.1 % relative
    keras_min_delta: float = 1e-3  # the same number used as Keras's absolute min_delta


FULL = Config()
QUICK = Config(n_train=150, max_epochs=60, patience=10, seeds=2, full_run=False)


def build_model(variant="mlp", config=FULL, *, input_dim=64, num_classes=10, normalizer=None):
    """A ReLU MLP (``variant`` is only a name: the callback differs between variants, not the model)."""
    layers = [keras.Input((input_dim,))]
    if normalizer is not None:
        layers.append(normalizer)
    layers += [keras.layers.Dense(config.units, activation="relu") for _ in range(config.hidden_layers)]
    layers.append(keras.layers.Dense(num_classes, activation="softmax"))
    return keras.Sequential(layers, name=variant)


class WeightNorm(keras.callbacks.Callback):
    """Records the L2 norm of all trainable weights at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.norms = []

    def on_epoch_end(self, epoch, logs=None):
        self.norms.append(weight_norm(self.model))


def weight_norm(model):
    return float(np.sqrt(sum(np.sum(np.square(np.asarray(w))) for w in model.trainable_weights)))


def relative_stop(values, rounds=5, tolerance=1e-3):
    """H2O's rule (03:2333): index of the scoring event at which training stops, or None.

    With a_t the moving average of the last ``rounds`` values (lower is better), stop at the first
    event t where none of the last ``rounds`` averages improved on a_{t-rounds} by ``tolerance``
    (relative): min(a_{t-rounds+1..t}) > (1 - tolerance) a_{t-rounds}.
    """
    values = np.asarray(values, dtype=float)
    averages = np.convolve(values, np.ones(rounds) / rounds, mode="valid")  # a_t for t = rounds-1, ...
    for i in range(rounds, len(averages)):
        if averages[i - rounds + 1 : i + 1].min() > (1 - tolerance) * averages[i - rounds]:
            return i + rounds - 1
    return None


def keras_stop(values, patience=5, min_delta=1e-3):
    """Index at which ``keras.callbacks.EarlyStopping('val_loss', min_delta=...)`` stops on ``values``, or None."""
    callback = keras.callbacks.EarlyStopping("val_loss", patience=patience, min_delta=min_delta)
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    callback.set_model(model)
    model.stop_training = False
    callback.on_train_begin()
    for t, value in enumerate(values):
        callback.on_epoch_end(t, {"val_loss": float(value)})
        if model.stop_training:
            return t
    return None


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    data = ctx.load("digits").take_train(cfg.n_train, seed=ctx.seed)

    def builder(name):
        return lambda: build_model(
            name,
            cfg,
            input_dim=data.input_shape[0],
            num_classes=data.num_classes,
            normalizer=standardizer(data.x_train),
        )

    options = dict(
        data=data, epochs=cfg.max_epochs, batch_size=cfg.batch_size, optimizer="adam", learning_rate=cfg.learning_rate
    )
    runs, rows = {v: [] for v in VARIANTS}, []
    for k in range(cfg.seeds):
        for variant in VARIANTS:
            stopper = keras.callbacks.EarlyStopping(
                "val_accuracy", patience=cfg.patience, verbose=0, restore_best_weights=(variant == "restore")
            )
            norms = WeightNorm()
            name = variant if k == 0 else f"{variant}_seed{k}"
            trained = ctx.train(
                name, builder(variant), seed=ctx.seed + k, callbacks=[norms, stopper], save=(k == 0), **options
            )
            runs[variant].append((trained, stopper, norms.norms))
            rows.append(_row(variant, k, trained, stopper, norms.norms, cfg))
    full = None
    if cfg.full_run:
        norms = WeightNorm()
        full = ctx.train("no_stopping", builder("no_stopping"), callbacks=[norms], save=False, **options)
        rows.append(_row("no_stopping", 0, full, None, norms.norms, cfg))
    table = pd.DataFrame(rows)

    chance = 1 / data.num_classes
    claims = [
        _claim_stop_epoch(runs["no_restore"], cfg),
        _claim_restore(runs, cfg),
        _claim_smaller_weights(runs["no_restore"], cfg, chance),
        *_claims_relative_rule(cfg),
        _claim_epochs_saved(table, runs["no_restore"], cfg, full, chance),
    ]

    trained, stopper, _ = runs["no_restore"][0]
    curve = (full or trained).history
    best, stop = stopper.best_epoch + 1, stopper.stopped_epoch + 1
    figure = plots.learning_curves(
        {"seed 0" + ("" if full is None else " (no stopping)"): curve},
        ("val_accuracy", "val_loss"),
        title=f"EarlyStopping('val_accuracy', patience={cfg.patience}): best and stopping epochs",
    )
    plots.mark_epochs(figure, {f"best epoch {best}": best, f"stopped at epoch {stop}": stop})
    return RecipeResult(table, {"validation_curve": figure}, claims)


def _row(variant, k, trained, stopper, norms, cfg):
    history = trained.history
    best = int(history["val_accuracy"].to_numpy().argmax())
    return {
        "variant": variant,
        "seed": k,
        "patience": cfg.patience if stopper else np.nan,
        "epochs_run": len(history),
        "best_epoch": best + 1,
        "stopped_epoch": stopper.stopped_epoch + 1 if stopper and stopper.stopped_epoch else np.nan,
        "epochs_saved": cfg.max_epochs - len(history),
        "best_val_accuracy": history["val_accuracy"].max(),
        "last_val_accuracy": history["val_accuracy"].iloc[-1],
        "returned_val_accuracy": trained.val["accuracy"],
        "test_accuracy": trained.test["accuracy"],
        "weight_norm_best_epoch": norms[best],
        "weight_norm_last_epoch": norms[-1],
        "weight_norm_returned": weight_norm(trained.model),
        "seconds": trained.seconds,
    }


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def stops_patience_after_best(
    best_epochs, first_best_epochs, stopped_epochs, epochs_run, patience, final_gaps, norm_gaps, last_norms
):
    """One entry per seed, epochs 0-based: Keras's best and stopping epochs, the first maximum of val_accuracy, the
    epochs run, and how far the returned model is from the last epoch's (evaluated val_accuracy, weight norm)."""
    return bool(best_epochs) and all(
        stopped == best + patience
        and best == first_best
        and epochs == stopped + 1
        and final_gap < 1e-6
        and norm_gap < 1e-4 * (1 + last_norm)
        for best, first_best, stopped, epochs, final_gap, norm_gap, last_norm in zip(
            best_epochs, first_best_epochs, stopped_epochs, epochs_run, final_gaps, norm_gaps, last_norms
        )
    )


def restore_returns_best_epoch(val_gaps, norm_gaps, same_curves):
    """Per seed: |evaluated - best val_accuracy|, |returned - best epoch's weight norm|, curves equal with and
    without restoring."""
    return max(val_gaps) < 1e-6 and max(norm_gaps) < 1e-3 and all(same_curves)


def best_epoch_weights_smaller(best_norms, last_norms):
    return bool(best_norms) and all(best < last for best, last in zip(best_norms, last_norms))


def relative_rule_stops(slow_stop, fast_stop, synthetic_stop, rounds):
    """Stopping events (None: never) of curves improving 0.01 %/event and 0.05 %/event and of the synthetic one."""
    return slow_stop == 2 * rounds - 1 and fast_stop is None and synthetic_stop is not None


def relative_rule_ignores_units(relative_stops, absolute_stops):
    """Stopping events on the curve and on the curve x 1000: H2O's relative rule, Keras's absolute min_delta."""
    return (
        relative_stops[0] is not None
        and relative_stops[0] == relative_stops[1]
        and absolute_stops[0] != absolute_stops[1]
    )


def stopping_saves_epochs(epochs_run, max_epochs):
    return all(epochs < max_epochs for epochs in epochs_run)


# ---- measurements ---------------------------------------------------------------------------------------


def _claim_stop_epoch(runs, cfg):
    measured = {
        "best_epochs": [],
        "first_best_epochs": [],
        "stopped_epochs": [],
        "epochs_run": [],
        "patience": cfg.patience,
        "final_gaps": [],
        "norm_gaps": [],
        "last_norms": [],
    }
    for trained, stopper, norms in runs:
        accuracy = trained.history["val_accuracy"].to_numpy()
        measured["best_epochs"].append(int(stopper.best_epoch))
        measured["first_best_epochs"].append(int(accuracy.argmax()))  # Keras counts only strict improvements
        measured["stopped_epochs"].append(int(stopper.stopped_epoch))
        measured["epochs_run"].append(len(accuracy))
        measured["final_gaps"].append(float(abs(trained.val["accuracy"] - accuracy[-1])))
        measured["norm_gaps"].append(abs(weight_norm(trained.model) - norms[-1]))
        measured["last_norms"].append(norms[-1])
    return judge(
        f"EarlyStopping('val_accuracy', patience={cfg.patience}) stops at stopped_epoch = best_epoch + patience "
        "(0-based; best_epoch is the first maximum of val_accuracy, so mode 'auto' maximises accuracy) and, without "
        "restore_best_weights, returns the last epoch's weights",
        stops_patience_after_best,
        measured,
        "; ".join(
            f"seed {k}: best {best} (first maximum {first}), stopped {stopped} (= best + {stopped - best}), {epochs} "
            f"epochs run, |evaluated - last val_accuracy| = {fmt(gap)}, |returned - last weight norm| = {fmt(norm_gap)}"
            for k, (best, first, stopped, epochs, gap, norm_gap) in enumerate(
                zip(
                    measured["best_epochs"],
                    measured["first_best_epochs"],
                    measured["stopped_epochs"],
                    measured["epochs_run"],
                    measured["final_gaps"],
                    measured["norm_gaps"],
                )
            )
        )
        + f"; max epochs {cfg.max_epochs}",
        "01:739-742",
        variants=[trained for trained, _, _ in runs],
    )


def _claim_restore(runs, cfg):
    gaps, norm_gaps, same = [], [], []
    for (kept, _, _), (restored, stopper, norms) in zip(runs["no_restore"], runs["restore"]):
        best = restored.history["val_accuracy"].max()
        gaps.append(float(abs(restored.val["accuracy"] - best)))
        norm_gaps.append(abs(weight_norm(restored.model) - norms[stopper.best_epoch]))
        same.append(bool(np.allclose(kept.history["val_accuracy"], restored.history["val_accuracy"])))
    return judge(
        "With restore_best_weights=True the returned model is the best epoch's: its evaluated val_accuracy equals "
        "max(history['val_accuracy']) (the model with the best validation score, 03:2327)",
        restore_returns_best_epoch,
        {"val_gaps": gaps, "norm_gaps": norm_gaps, "same_curves": same},
        f"max |evaluated - best val_accuracy| over {cfg.seeds} seeds = {fmt(max(gaps))}; returned weight norm vs "
        f"norm recorded at the best epoch differ by {fmt(max(norm_gaps))}; with the same seed the runs with and "
        f"without restoring have identical curves: {all(same)}",
        "02:1002, 03:2327",
        variants=[trained for variant in VARIANTS for trained, _, _ in runs[variant]],
    )


def _claim_smaller_weights(runs, cfg, chance):
    best = np.array([norms[stopper.best_epoch] for _, stopper, norms in runs])
    last = np.array([norms[-1] for _, _, norms in runs])
    return judge(
        "Weights grow as training goes on, so the best epoch (where early stopping with restore would stop) has a "
        f"smaller weight norm than the last epoch (overfitting MLP, {cfg.seeds} seeds)",
        best_epoch_weights_smaller,
        {"best_norms": best.tolist(), "last_norms": last.tolist()},
        f"||W|| at best epoch {fmt(best.mean())} ± {fmt(best.std(), 2)} vs last epoch {fmt(last.mean())} ± "
        f"{fmt(last.std(), 2)}; per seed: " + ", ".join(f"{fmt(b)} vs {fmt(x)}" for b, x in zip(best, last)),
        "01:730-732",
        variants=[trained for trained, _, _ in runs],
        chance=chance,
    )


def synthetic_val_mse(n=80):
    """A validation-MSE curve that flattens out, with a little fixed noise (in units of y squared)."""
    t = np.arange(n)
    return 0.05 + 0.5 * np.exp(-t / 8) + 0.002 * np.random.default_rng(0).standard_normal(n) * np.exp(-t / 30)


def _claims_relative_rule(cfg):
    curve = synthetic_val_mse()
    scale = 1000.0  # the same curve with y measured in other units (mm instead of m, say)
    rel = (
        relative_stop(curve, cfg.h2o_rounds, cfg.h2o_tolerance),
        relative_stop(curve * scale, cfg.h2o_rounds, cfg.h2o_tolerance),
    )
    absolute = (
        keras_stop(curve, cfg.h2o_rounds, cfg.keras_min_delta),
        keras_stop(curve * scale, cfg.h2o_rounds, cfg.keras_min_delta),
    )
    # By hand: improving 0.01 %/event gains 0.05 % in 5 events (too little), 0.05 %/event gains 0.25 % (enough).
    slow_stop = relative_stop((1 - 1e-4) ** np.arange(40), cfg.h2o_rounds, cfg.h2o_tolerance)
    fast_stop = relative_stop((1 - 5e-4) ** np.arange(40), cfg.h2o_rounds, cfg.h2o_tolerance)
    return [
        judge(
            f"H2O's criterion (stopping_rounds={cfg.h2o_rounds}, stopping_tolerance={cfg.h2o_tolerance:g}): stop "
            "when the length-5 moving average of validation MSE fails to improve by 0.1 % (relative) for 5 "
            "scoring events",
            relative_rule_stops,
            {"slow_stop": slow_stop, "fast_stop": fast_stop, "synthetic_stop": rel[0], "rounds": cfg.h2o_rounds},
            f"a curve improving 0.01 %/event stops at event {slow_stop}, the first event with {cfg.h2o_rounds} "
            f"averages after a reference one; one improving 0.05 %/event never stops ({fast_stop}); the "
            f"synthetic val-MSE curve stops at event {rel[0]}",
            "03:2333",
        ),
        judge(
            "The relative rule does not depend on the loss's units; Keras's min_delta is absolute, so the same "
            f"min_delta={cfg.keras_min_delta:g} stops at a different epoch when the MSE is scaled by {scale:g}",
            relative_rule_ignores_units,
            {"relative_stops": rel, "absolute_stops": absolute},
            f"relative rule stops at {rel[0]} (curve) and {rel[1]} (x{scale:g}); Keras EarlyStopping(min_delta="
            f"{cfg.keras_min_delta:g}, patience={cfg.h2o_rounds}) stops at {absolute[0]} and {absolute[1]}",
            "03:2333",
        ),
    ]


def _claim_epochs_saved(table, runs, cfg, full, chance):
    stopped = table[table["variant"] == "no_restore"]
    run = stopped["epochs_run"].to_numpy()
    evidence = (
        f"epochs run {fmt(run.mean())} ± {fmt(run.std(), 2)} of {cfg.max_epochs} "
        f"({fmt(100 * (1 - run.mean() / cfg.max_epochs), 3)} % of the epochs saved, {cfg.seeds} seeds)"
    )
    if full is not None:
        restored = table[(table["variant"] == "restore") & (table["seed"] == 0)].iloc[0]
        evidence += (
            f"; seed 0: {cfg.max_epochs} epochs took {fmt(full.seconds, 3)} s vs {fmt(restored['seconds'], 3)} s "
            f"with stopping; test accuracy {fmt(full.test['accuracy'])} (all epochs) vs "
            f"{fmt(restored['test_accuracy'])} (restored best); without stopping the best val_accuracy "
            f"{fmt(full.history['val_accuracy'].max())} came at epoch {int(full.history['val_accuracy'].argmax()) + 1}"
        )
    return judge(
        "Early stopping needs less computation: it runs fewer epochs than the maximum",
        stopping_saves_epochs,
        {"epochs_run": run.tolist(), "max_epochs": cfg.max_epochs},
        evidence,
        "01:733",
        variants=[trained for trained, _, _ in runs],
        chance=chance,
    )


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
