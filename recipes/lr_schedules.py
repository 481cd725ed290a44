"""Learning-rate decay: step, exponential and 1/t schedules against a constant rate, on digits and on noisy SGD.

Topic: learning-rate schedules — "anneal the learning rate over time" (00:1088) with the three
decays of 03:1926-1953: step decay (halve the rate every few epochs), exponential decay
alpha = alpha0 e^(-kt) and 1/t decay alpha = alpha0 / (1 + kt), as the LearningRateSchedules of
``nnzoo.custom_optimizers`` (StepDecay, ExpDecay, OneOverTDecay). The recipe checks them against
the closed forms and against Keras's ExponentialDecay / InverseTimeDecay, shows that annealing
lowers the loss SGD settles at when its gradients are noisy, and compares the four rates training
the same MLP on digits (curves of the rate and of the loss).

Lectures: Univ. of Cologne, "Neural networks and how to monitor the learning process" (000, line 1088);
Univ. Bretagne Sud, "ANN part I" (003, lines 1926-1953, and the CS231n trainer's decay at 2022 and 2225).
Slip followed by the mathematics: S21 (00:1088 says "too slow decay can make the system converge too quickly"; it is decaying too aggressively
that cools the system too quickly).
"""

import dataclasses
import math

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from nnzoo.custom_optimizers import ExpDecay, OneOverTDecay, StepDecay
from nnzoo.recipes import optimizers

from nnzoo import plots
from nnzoo.inputs import standardizer
from nnzoo.results import RecipeResult, fmt, judge

LECTURES = ("000", "003")
SCHEDULES = ("constant", "step", "exponential", "one_over_t")


@dataclasses.dataclass(frozen=True)
class Config:
    """Hyperparameters: nnzoo's alpha0 = 0.1, k = 0.1 and halving every 5 epochs throughout."""

    initial_learning_rate: float = 0.1
    k: float = 0.1
    drop_every: int = 5  # epochs between halvings
    factor: float = 0.5
    epochs: int = 30  # digits
    batch_size: int = 32
    units: int = 64
    noisy_epochs: int = 40  # noisy-gradient SGD on the quadratic; one "epoch" = noisy_steps_per_epoch steps
    noisy_steps_per_epoch: int = 50
    gradient_noise: float = 5.0  # std of the noise added to each gradient coordinate


FULL = Config()
QUICK = Config(epochs=6, noisy_epochs=20)  # 6 epochs: the step schedule halves once


def schedule(kind, config=FULL, steps_per_epoch=1):
    """The learning rate for ``kind`` (one of SCHEDULES), with t counted in epochs."""
    lr0 = config.initial_learning_rate
    if kind == "constant":
        return lr0
    if kind == "step":
        return StepDecay(lr0, drop_every=config.drop_every, factor=config.factor, decay_steps=steps_per_epoch)
    if kind == "exponential":
        return ExpDecay(lr0, k=config.k, decay_steps=steps_per_epoch)
    if kind == "one_over_t":
        return OneOverTDecay(lr0, k=config.k, decay_steps=steps_per_epoch)
    raise ValueError(f"Unknown schedule; expected one of {SCHEDULES}. Received: kind={kind!r}")


def closed_form(kind, t, config=FULL):
    """The lecture's formula for ``kind`` at epoch(s) ``t``, in float64."""
    t = np.asarray(t, dtype="float64")
    lr0, k = config.initial_learning_rate, config.k
    return {
        "constant": lr0 + 0 * t,
        "step": lr0 * config.factor ** np.floor(t / config.drop_every),
        "exponential": lr0 * np.exp(-k * t),
        "one_over_t": lr0 / (1 + k * t),
    }[kind]


def rate_at(learning_rate, steps):
    """A learning rate (float or schedule) at each optimizer step in ``steps``."""
    if not callable(learning_rate):
        return np.full(len(steps), float(learning_rate))
    return np.array([float(learning_rate(s)) for s in steps])


def build_model(variant="constant", config=FULL, **kwargs):
    """The optimizers recipe's one-hidden-layer MLP: every schedule trains this same network."""
    return optimizers.build_model(variant, config, **kwargs)


class RateLog(keras.callbacks.Callback):
    """The optimizer's learning rate and step count at the end of every epoch, as fit used them."""

    def on_train_begin(self, logs=None):
        self.rates, self.iterations = [], []

    def on_epoch_end(self, epoch, logs=None):
        # convert_to_numpy: under a tf.distribute strategy a constant rate is a MirroredVariable, which float() refuses
        self.rates.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))
        self.iterations.append(int(keras.ops.convert_to_numpy(self.model.optimizer.iterations.value)))


def noisy_sgd(kind, config, seed):
    """SGD on lecture 002's quadratic f = x1^2 + x1 x2 + 4 x2^2 from (3, 3) with Gaussian gradient noise.

    Returns f before every step. The same noise sequence (``seed``) drives every schedule.
    """
    steps = config.noisy_epochs * config.noisy_steps_per_epoch
    noise = np.random.default_rng(seed).normal(0.0, config.gradient_noise, (steps, 2)).astype("float32")
    x = keras.Variable(np.array([3.0, 3.0], "float32"))
    optimizer = keras.optimizers.SGD(learning_rate=schedule(kind, config, config.noisy_steps_per_epoch))
    hessian = tf.constant([[2.0, 1.0], [1.0, 8.0]])

    @tf.function
    def descend(noise):
        losses = tf.TensorArray(tf.float32, size=steps)
        for i in tf.range(steps):
            value = tf.convert_to_tensor(x)
            losses = losses.write(i, 0.5 * tf.tensordot(value, tf.linalg.matvec(hessian, value), 1))
            optimizer.apply_gradients([(tf.linalg.matvec(hessian, value) + noise[i], x)])
        return losses.stack()

    return np.asarray(descend(tf.constant(noise)), dtype="float64")


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    data = ctx.load("digits")
    steps_per_epoch = math.ceil(len(data.x_train) / cfg.batch_size)
    rows, trained_variants, logs = [], {}, {}
    for kind in SCHEDULES:
        log = RateLog()
        trained = ctx.train(
            kind,
            lambda k=kind: build_model(
                k,
                cfg,
                input_dim=data.input_shape[0],
                num_classes=data.num_classes,
                normalizer=standardizer(data.x_train),
            ),
            data,
            epochs=cfg.epochs,
            batch_size=cfg.batch_size,
            callbacks=[log],
            save=False,
            optimizer=lambda k=kind: keras.optimizers.SGD(learning_rate=schedule(k, cfg, steps_per_epoch)),
        )
        trained_variants[kind], logs[kind] = trained, log
        rows.append(
            {
                "experiment": "digits",
                "schedule": kind,
                "epochs": cfg.epochs,
                "final_learning_rate": log.rates[-1],
                "final_loss": trained.final("loss"),
                "final_val_loss": trained.final("val_loss"),
                "final_val_accuracy": trained.final("val_accuracy"),
                "test_accuracy": trained.test["accuracy"],
            }
        )

    noisy = {kind: noisy_sgd(kind, cfg, ctx.seed) for kind in SCHEDULES}
    tail = cfg.noisy_steps_per_epoch * max(1, cfg.noisy_epochs // 10)  # average f over the last 10% of steps
    settled = {kind: float(losses[-tail:].mean()) for kind, losses in noisy.items()}
    for kind in SCHEDULES:
        rows.append(
            {
                "experiment": "noisy_quadratic",
                "schedule": kind,
                "epochs": cfg.noisy_epochs,
                "final_learning_rate": closed_form(kind, cfg.noisy_epochs, cfg),
                "final_loss": settled[kind],
            }
        )
    table = pd.DataFrame(rows)

    claims = [
        _claim_closed_forms(cfg),
        _claim_keras_equivalents(cfg, steps_per_epoch),
        _claim_rates_in_fit(logs, trained_variants, cfg, steps_per_epoch),
        _claim_annealing(settled, cfg),
        _claim_cs231n(cfg),
    ]
    digits = table[table["experiment"] == "digits"].set_index("schedule")["final_val_loss"]
    why = (
        "decaying this early buys nothing on a network still far from SGD's noise floor; annealing pays where "
        "gradient noise keeps a constant rate bouncing (the noisy quadratic)"
        if digits.idxmin() == "constant"
        else "annealing already pays on digits"
    )
    notes.append(
        f"On digits after {cfg.epochs} epochs the lowest validation loss is {digits.idxmin()}'s ("
        + ", ".join(f"{k} {fmt(v)}" for k, v in digits.items())
        + f"): {why}."
    )
    notes.append(
        "Slip S21 (00:1088): 'too slow decay can make the system converge too quickly' contradicts itself; "
        "it is decaying too aggressively that cools the system too quickly (CS231n), and too slow a decay "
        "that wastes time bouncing around."
    )

    epochs = np.arange(cfg.epochs + 1)
    figures = {
        "learning_rates": plots.curves(
            {kind: (epochs, closed_form(kind, epochs, cfg)) for kind in SCHEDULES},
            xlabel="epoch t",
            size=(6.0, 3.6),
            ylabel="learning rate",
            title=f"alpha0 = {cfg.initial_learning_rate}, k = {cfg.k}, "
            f"step: x{cfg.factor} every {cfg.drop_every} epochs",
        ),
        "learning_curves": plots.learning_curves(
            {kind: trained.history for kind, trained in trained_variants.items()},
            ("loss", "val_loss", "val_accuracy"),
            title="digits MLP, SGD with each schedule",
        ),
        "noisy_sgd": plots.curves(
            {
                kind: (np.arange(1, cfg.noisy_epochs + 1), losses.reshape(cfg.noisy_epochs, -1).mean(axis=1))
                for kind, losses in noisy.items()
            },
            xlabel="epoch",
            ylabel="mean f over the epoch",
            logy=True,
            size=(6.0, 3.6),
            title=f"SGD on f = x1^2 + x1 x2 + 4 x2^2 with gradient noise (std {cfg.gradient_noise})",
        ),
    }
    return RecipeResult(table, figures, claims, notes=notes)


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def schedules_match_formulas(max_errors):
    """``max_errors`` maps a schedule to its largest |schedule(t) - formula(t)|."""
    return all(e < 1e-7 for e in max_errors.values())


def schedules_equal_keras_twins(relative_differences):
    """``relative_differences`` maps a schedule to its largest relative difference from its Keras twin."""
    return all(d < 1e-6 for d in relative_differences.values())


def fit_uses_the_schedule(rate_errors, final_iterations, expected_iterations):
    """``rate_errors`` maps a schedule to its largest |rate in fit - formula|, ``final_iterations`` to the
    optimizer's step count after the last epoch."""
    return all(e < 1e-7 for e in rate_errors.values()) and all(
        n == expected_iterations for n in final_iterations.values()
    )


def annealing_settles_lower(settled):
    """``settled`` maps a schedule to the mean loss over the last steps of noisy SGD."""
    return all(loss < settled["constant"] for kind, loss in settled.items() if kind != "constant")


def decay_per_epoch_is_step_decay(max_difference, constant_drift):
    return max_difference < 1e-7 and constant_drift < 1e-7


# ---- measurements ---------------------------------------------------------------------------------------


def _claim_closed_forms(cfg):
    t = np.array([0, 1, 5, 10, 20])
    errors = {
        kind: float(np.abs(rate_at(schedule(kind, cfg), t) - closed_form(kind, t, cfg)).max()) for kind in SCHEDULES[1:]
    }
    table = "; ".join(f"{kind}: " + ", ".join(fmt(v, 5) for v in closed_form(kind, t, cfg)) for kind in SCHEDULES[1:])
    return judge(
        f"The schedules compute the lecture's formulas: step (x{cfg.factor} every {cfg.drop_every} epochs), "
        f"alpha0 e^(-kt) and alpha0 / (1 + kt) (alpha0 = {cfg.initial_learning_rate}, k = {cfg.k})",
        schedules_match_formulas,
        {"max_errors": errors},
        f"at t = 0, 1, 5, 10, 20 — {table}; max |schedule - formula| = "
        + ", ".join(f"{kind} {fmt(e)}" for kind, e in errors.items()),
        "03:1934-1947",
    )


def _claim_keras_equivalents(cfg, steps_per_epoch):
    lr0, k = cfg.initial_learning_rate, cfg.k
    keras_twins = {
        "step": keras.optimizers.schedules.ExponentialDecay(
            lr0, cfg.drop_every * steps_per_epoch, cfg.factor, staircase=True
        ),
        "exponential": keras.optimizers.schedules.ExponentialDecay(lr0, steps_per_epoch, math.exp(-k)),
        "one_over_t": keras.optimizers.schedules.InverseTimeDecay(lr0, steps_per_epoch, k),
    }
    steps = np.arange(0, 20 * steps_per_epoch + 1, 7)
    errors = {
        kind: float(
            (
                np.abs(rate_at(schedule(kind, cfg, steps_per_epoch), steps) - rate_at(twin, steps))
                / closed_form(kind, steps / steps_per_epoch, cfg)
            ).max()
        )
        for kind, twin in keras_twins.items()
    }
    return judge(
        "Each lecture schedule equals a Keras one: step = ExponentialDecay(alpha0, 5 epochs of steps, 0.5, "
        "staircase=True), exponential = ExponentialDecay(alpha0, 1 epoch, e^(-k)), 1/t = InverseTimeDecay(alpha0, "
        "1 epoch, k)",
        schedules_equal_keras_twins,
        {"relative_differences": errors},
        f"max relative difference over steps 0..{steps[-1]} ({steps_per_epoch} steps per epoch): "
        + ", ".join(f"{kind} {fmt(e)}" for kind, e in errors.items()),
        "03:1934-1947",
    )


def _claim_rates_in_fit(logs, trained_variants, cfg, steps_per_epoch):
    errors = {}
    for kind, log in logs.items():
        expected = closed_form(kind, np.array(log.iterations) / steps_per_epoch, cfg)
        errors[kind] = float(np.abs(np.array(log.rates) - expected).max())
    final = {kind: log.rates[-1] for kind, log in logs.items()}
    iterations = {kind: log.iterations[-1] for kind, log in logs.items()}
    return judge(
        "Passed as SGD's learning_rate, each schedule sets the rate fit uses, epoch by epoch",
        fit_uses_the_schedule,
        {"rate_errors": errors, "final_iterations": iterations, "expected_iterations": cfg.epochs * steps_per_epoch},
        f"max |rate in fit - formula| over {cfg.epochs} epochs: "
        + ", ".join(f"{k} {fmt(e)}" for k, e in errors.items())
        + "; rate after the last epoch: "
        + ", ".join(f"{k} {fmt(v)}" for k, v in final.items())
        + f"; optimizer steps after the last epoch: {sorted(set(iterations.values()))} ({cfg.epochs} epochs of "
        f"{steps_per_epoch})",
        "03:1926-1953",
        variants=list(trained_variants.values()),
    )


def _claim_annealing(settled, cfg):
    return judge(
        "Annealing the learning rate lets noisy SGD settle lower: with the same alpha0, steps and gradient noise, "
        "every decay ends at a lower loss than the constant rate (slip S21 on the slide's wording)",
        annealing_settles_lower,
        {"settled": settled},
        f"mean f over the last 10% of {cfg.noisy_epochs * cfg.noisy_steps_per_epoch} steps: "
        + ", ".join(f"{k} {fmt(v)}" for k, v in settled.items()),
        "00:1088",
    )


def _claim_cs231n(cfg):
    lr0, epochs = cfg.initial_learning_rate, np.arange(11)
    per_epoch = StepDecay(lr0, drop_every=1, factor=0.9)  # learning_rate_decay=0.9, once per epoch
    as_exponential = ExpDecay(lr0, k=-math.log(0.9))
    keras_staircase = keras.optimizers.schedules.ExponentialDecay(lr0, 1, 0.9, staircase=True)
    rates = rate_at(per_epoch, epochs)
    error = float(
        max(
            np.abs(rates - lr0 * 0.9**epochs).max(),
            np.abs(rates - rate_at(as_exponential, epochs)).max(),
            np.abs(rates - rate_at(keras_staircase, epochs)).max(),
        )
    )
    no_decay = rate_at(StepDecay(lr0, drop_every=1, factor=1.0), epochs)
    return judge(
        "The CS231n trainer's learning_rate_decay: 0.9 per epoch is a step decay with drop_every = 1, the same as "
        "e^(-kt) with k = -ln 0.9 at whole epochs; learning_rate_decay = 1 keeps the rate constant",
        decay_per_epoch_is_step_decay,
        {"max_difference": error, "constant_drift": float(np.abs(no_decay - lr0).max())},
        f"after 10 epochs the rate is {fmt(rates[-1] / lr0)} alpha0 (0.9^10); max difference between the three "
        f"forms {fmt(error)}; with factor 1 the rate stays {fmt(no_decay[-1])} (max drift "
        f"{fmt(np.abs(no_decay - lr0).max())})",
        "03:2022, 03:2225",
    )


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
