"""Seven optimizers on an ill-conditioned quadratic and on digits, built-in beside from-scratch.

Topic: optimizers — vanilla SGD, momentum (two equivalent forms), Nesterov (and Keras's stored
look-ahead variable), Newton's one step, AdaGrad's decaying step, RMSProp, Adam's bias correction,
AdaDelta; iteration counts on f = (x^2 + 100 y^2) / 2 from (10, 1) (condition number 100), then
all of them training the same MLP on digits. Each Keras built-in runs beside its from-scratch twin
in ``nnzoo.custom_optimizers``.

Lectures: Univ. of Cologne, "Neural networks and how to monitor the learning process" (000, lines 1042-1108);
Sharif Univ., "Introduction to neural networks" (002, lines 480-491); Univ. Bretagne Sud, "ANN part I" (003,
lines 1648-1916, 2513); Univ. Milano-Bicocca, "Neural networks" (004, lines 1066-1207). Slips followed by the mathematics: S15
(``x += lr * dx`` climbs: it must be ``-=``), S16 (Adam's t starts at 1), S17 (Adam's v needs
g^2), S18 (04's "AdaDelta" is RMSProp), S19 (AdaGrad has no momentum; a note).
"""

import dataclasses

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from nnzoo.custom_optimizers import TWINS

from nnzoo import plots
from nnzoo.inputs import standardizer
from nnzoo.results import RecipeResult, WorkedExample, fmt, judge

LECTURES = ("000", "002", "003", "004")
# variant -> (Keras built-in name, constructor options beyond the learning rate)
OPTIMIZERS = {
    "sgd": ("sgd", {}),
    "momentum": ("sgd", {"momentum": 0.9}),
    "nesterov": ("sgd", {"momentum": 0.9, "nesterov": True}),
    "adagrad": ("adagrad", {}),
    "adadelta": ("adadelta", {}),
    "rmsprop": ("rmsprop", {}),
    "adam": ("adam", {}),
}
BUILTINS = {
    "sgd": keras.optimizers.SGD,
    "adagrad": keras.optimizers.Adagrad,
    "adadelta": keras.optimizers.Adadelta,
    "rmsprop": keras.optimizers.RMSprop,
    "adam": keras.optimizers.Adam,
}
CURVATURE = (1.0, 100.0)  # f(x, y) = (x^2 + 100 y^2) / 2: Hessian diag(1, 100), condition number 100
START = (10.0, 1.0)
TOLERANCE = 1e-6  # iterate until f < 1e-6


SCRATCH = {name: scratch for name, (scratch, _) in TWINS.items()}  # built-in name -> nnzoo.custom_optimizers class


@dataclasses.dataclass(frozen=True)
class Config:
    """Hyperparameters: learning rates per optimizer on the quadratic and on digits."""

    # learning rates on the quadratic: GD 0.01, momentum/Nesterov 0.01 with 0.9, AdaGrad 1, Adam 0.1
    quadratic_lr: tuple = (
        ("sgd", 0.01),
        ("momentum", 0.01),
        ("nesterov", 0.01),
        ("adagrad", 1.0),
        ("adadelta", 1.0),
        ("rmsprop", 0.01),
        ("adam", 0.1),
    )
    quadratic_steps: int = 2000  # numpy iterations allowed to reach f < 1e-6
    keras_steps: int = 1000  # steps of each Keras optimizer on the quadratic
    # digits: Keras's defaults, except AdaGrad 0.01 and AdaDelta 1.0 (the paper's), which barely move at 1e-3
    digits_lr: tuple = (
        ("sgd", 0.01),
        ("momentum", 0.01),
        ("nesterov", 0.01),
        ("adagrad", 0.01),
        ("adadelta", 1.0),
        ("rmsprop", 1e-3),
        ("adam", 1e-3),
    )
    units: int = 64
    epochs: int = 20
    batch_size: int = 32
    seeds: int = 3
    digits_variants: tuple = tuple(OPTIMIZERS)
    scratch_variants: tuple = tuple(OPTIMIZERS)  # which variants also train with the from-scratch twin


FULL = Config()
QUICK = Config(
    keras_steps=200, epochs=3, seeds=1, digits_variants=("sgd", "nesterov", "adam"), scratch_variants=("adam",)
)


def make_optimizer(variant, learning_rate, *, scratch=False, **overrides):
    """The Keras built-in for ``variant`` (or its from-scratch twin) with the lecture's options."""
    name, options = OPTIMIZERS[variant]
    cls = SCRATCH[name] if scratch else BUILTINS[name]
    return cls(learning_rate=learning_rate, **{**options, **overrides})


def build_model(variant="adam", config=FULL, *, input_dim=64, num_classes=10, normalizer=None):
    """One ReLU hidden layer; every optimizer trains this same network (``variant`` only names it)."""
    layers = [keras.Input((input_dim,))]
    if normalizer is not None:
        layers.append(normalizer)
    layers += [
        keras.layers.Dense(config.units, activation="relu"),
        keras.layers.Dense(num_classes, activation="softmax"),
    ]
    return keras.Sequential(layers, name=variant)


def tunable_model(hp, data):
    """The digits MLP with the optimizer (hp.Choice) and a log-sampled learning rate to tune."""
    config = dataclasses.replace(FULL, units=hp.Int("units", 32, 256, step=32))
    model = build_model(
        "tuned",
        config,
        input_dim=data.input_shape[0],
        num_classes=data.num_classes,
        normalizer=standardizer(data.x_train),
    )
    variant = hp.Choice("optimizer", list(OPTIMIZERS))
    learning_rate = hp.Float("learning_rate", 1e-4, 1.0, sampling="log")
    model.compile(
        optimizer=make_optimizer(variant, learning_rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    return model


# ---- the quadratic, in numpy: each rule as the lecture writes it (03:1651-1898) -----------------


def quadratic(x, y, curvature=CURVATURE):
    return 0.5 * (curvature[0] * x**2 + curvature[1] * y**2)


def numpy_path(
    rule, lr, steps, *, start=START, hessian=None, mu=0.9, rho=0.9, beta1=0.9, beta2=0.999, eps=1e-7, stop_below=None
):
    """Iterates x_0 .. x_T of ``rule`` on f = x^T H x / 2 (H = diag(CURVATURE) unless given)."""
    hessian = np.diag(CURVATURE) if hessian is None else np.asarray(hessian, dtype=float)
    x = np.array(start, dtype=float)
    v, s = np.zeros_like(x), np.zeros_like(x)  # velocity / first moment, squared-gradient accumulator
    path = [x.copy()]
    for t in range(1, steps + 1):
        g = hessian @ x
        if rule == "sgd":
            x = x - lr * g
        elif rule == "slide_code_sgd":  # 03:1729 as printed (slip S15)
            x = x + lr * g
        elif rule == "momentum":  # 00:1060-1062, 04:1092-1093
            v = mu * v - lr * g
            x = x + v
        elif rule == "momentum_rho":  # 03:1734-1737: v = rho v + grad, x -= lr v
            v = mu * v + g
            x = x - lr * v
        elif rule == "nesterov":  # 00:1068-1072: the gradient at the look-ahead point x + mu v
            v = mu * v - lr * (hessian @ (x + mu * v))
            x = x + v
        elif rule == "newton":  # 00:1054
            x = x - np.linalg.solve(hessian, g)
        elif rule == "adagrad":  # 03:1818
            s = s + g * g
            x = x - lr * g / (np.sqrt(s) + eps)
        elif rule in ("rmsprop", "slide_adadelta"):  # 03:1860; 04:1172-1176 puts eps inside the sqrt
            s = rho * s + (1 - rho) * g * g
            x = x - lr * g / (np.sqrt(s + eps) if rule == "slide_adadelta" else np.sqrt(s) + eps)
        elif rule == "adam":  # 03:1889-1898 with t from 1 (S16)
            v = beta1 * v + (1 - beta1) * g
            s = beta2 * s + (1 - beta2) * g * g
            x = x - lr * (v / (1 - beta1**t)) / (np.sqrt(s / (1 - beta2**t)) + eps)
        else:
            raise ValueError(f"Unknown rule. Received: rule={rule!r}")
        path.append(x.copy())
        if not np.isfinite(x).all() or np.abs(x).max() > 1e12:
            break
        if stop_below is not None and 0.5 * x @ hessian @ x < stop_below:
            break
    return np.array(path)


def iterations_to(path, hessian=None, tolerance=TOLERANCE):
    """First iteration t with f(x_t) < tolerance; NaN if never (or if it diverged)."""
    hessian = np.diag(CURVATURE) if hessian is None else np.asarray(hessian, dtype=float)
    values = np.einsum("ti,ij,tj->t", path, hessian, path) / 2
    hit = np.flatnonzero(np.isfinite(values) & (values < tolerance))
    return int(hit[0]) if len(hit) else float("nan")


def keras_path(optimizer, steps, *, start=START, curvature=CURVATURE, gradient=None):
    """x_0 .. x_T of a Keras optimizer on the quadratic (or under a constant ``gradient``)."""
    x = keras.Variable(np.array(start, "float32"))
    h = tf.constant(curvature, tf.float32)
    optimizer.build([x])

    @tf.function
    def step():
        g = h * x.value if gradient is None else tf.constant(gradient, tf.float32)
        optimizer.apply_gradients([(g, x)])
        return x.value

    return np.array([np.array(start, "float32")] + [step().numpy() for _ in range(steps)], dtype=float)


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    quad_lr = dict(cfg.quadratic_lr)
    rows, paths = [], {}
    rules = {
        "sgd": "sgd",
        "momentum": "momentum",
        "nesterov": "nesterov",
        "adagrad": "adagrad",
        "adadelta": "slide_adadelta",
        "rmsprop": "rmsprop",
        "adam": "adam",
    }
    keras_paths = {}
    for variant, rule in rules.items():
        path = numpy_path(rule, quad_lr[variant], cfg.quadratic_steps, stop_below=TOLERANCE)
        paths[variant] = path
        built = keras_path(make_optimizer(variant, quad_lr[variant], **_adagrad_zero(variant)), cfg.keras_steps)
        keras_paths[variant] = built
        row = {
            "experiment": "quadratic",
            "variant": variant,
            "learning_rate": quad_lr[variant],
            "numpy_rule": rule,
            "numpy_iterations": iterations_to(path),
            "keras_iterations": iterations_to(built),
            "scratch_iterations": np.nan,
            "max_abs_keras_minus_numpy_100": _path_gap(built, _stored(variant, path), 100)
            if variant != "adadelta"
            else np.nan,
        }
        name = OPTIMIZERS[variant][0]
        if name in SCRATCH:
            scratch = keras_path(
                make_optimizer(variant, quad_lr[variant], scratch=True, **_adagrad_zero(variant)), cfg.keras_steps
            )
            row["scratch_iterations"] = iterations_to(scratch)
            row["max_abs_scratch_minus_keras"] = float(np.abs(scratch - built).max())
        rows.append(row)
    newton = numpy_path("newton", 1.0, 5, stop_below=TOLERANCE)
    paths["newton"] = newton
    rows.append(
        {
            "experiment": "quadratic",
            "variant": "newton",
            "learning_rate": 1.0,
            "numpy_rule": "newton",
            "numpy_iterations": iterations_to(newton),
        }
    )

    claims = [
        _claim_vanilla(),
        _claim_momentum(keras_paths["momentum"], quad_lr["momentum"]),
        _claim_nesterov(quad_lr["nesterov"]),
        _claim_newton(),
        _claim_conditioning(pd.DataFrame(rows).set_index("variant")),
        _claim_adagrad(),
        _claim_rmsprop(),
        _claim_adam(keras_paths["adam"], paths["adam"]),
        _claim_adadelta(),
        _claim_summary_table(),
    ]

    histories, trained, digits_rows = _train_digits(ctx, cfg)
    rows += digits_rows
    table = pd.DataFrame(rows)
    claims.append(_claim_recommended(table, cfg, trained))
    claims.append(_claim_scratch_matches(histories, cfg, trained))
    notes.append("Slip S15 (03:1729, 03:1744): the code's `x += learning_rate * dx` climbs the loss; it must be `-=`.")
    notes.append(
        "Slip S16 (03:1892-1897): with t starting at 0 Adam's bias correction divides by 1 - beta^0 = 0; t starts at 1."
    )
    notes.append("Slip S17 (04:1190): Adam's v_t averages g_t^2, not g_t.")
    notes.append("Slip S18 (04:1172-1176): the rule called AdaDelta there is RMSProp; Keras Adadelta is Zeiler's.")
    notes.append("Slip S19 (04:1201-1202): AdaGrad and AdaDelta carry no momentum (velocity) term.")

    figures = {
        "trajectories": plots.contour_panels(
            {
                "f = (x^2 + 100 y^2)/2 from (10, 1): first 300 steps": {
                    "f": quadratic,
                    "paths": {
                        **{k: p[:300] for k, p in paths.items() if k != "adadelta"},
                        "adadelta (Keras, Zeiler's rule)": keras_paths["adadelta"][:300],
                    },
                    "xlim": (-11, 11),
                    "ylim": (-1.6, 1.6),
                }
            },
            size=(8.0, 4.0),
        ),
        "digits_loss": plots.learning_curves(
            {k: h for k, h in histories.items() if not k.startswith("scratch_")},
            ("loss", "val_loss", "val_accuracy"),
            title=f"digits MLP ({cfg.units} ReLU units), {cfg.epochs} epochs, seed {ctx.seed}",
        ),
    }
    return RecipeResult(table, figures, claims, notes=notes, worked=_worked_examples())


def _worked_examples(b1=0.9, b2=0.999, eps=1e-7, g=0.5):
    """The slides' closed forms on their constants: stability bound, terminal velocity, Adam's first step."""
    m, v = (1 - b1) * g, (1 - b2) * g * g
    return [
        WorkedExample(
            "GD stability bound 2 / lambda_max on (x^2 + 100 y^2)/2", 2 / max(CURVATURE), "lr < 0.02", "03:1651-1656"
        ),
        WorkedExample(
            "Terminal velocity / g under a constant gradient, 1 / (1 - rho), rho = 0.9",
            1 / (1 - 0.9),
            "10x",
            "03:1734-1749",
        ),
        WorkedExample("... rho = 0.99", 1 / (1 - 0.99), "100x", "03:1734-1749"),
        WorkedExample(
            "Adam's corrected first step / lr, g = 0.5: (m / (1 - b1)) / (sqrt(v / (1 - b2)) + eps)",
            (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps),
            "~ sign(g) = 1",
            "03:1889-1898",
        ),
        WorkedExample(
            "Adam's uncorrected first step / lr: m / (sqrt(v) + eps)",
            m / (np.sqrt(v) + eps),
            "(1 - b1) / sqrt(1 - b2) = 3.1623",
            "03:1889-1898",
        ),
        WorkedExample(
            "S17: v_1 without the square, (1 - b2) g for g = -0.5", (1 - b2) * -g, "a variance < 0", "04:1190"
        ),
    ]


def _stored(variant, path, mu=0.9):
    """What Keras stores for ``variant``: for Nesterov the look-ahead x_t + mu v_t (v_t = x_t - x_{t-1})."""
    if variant != "nesterov":
        return path
    return path + mu * np.diff(path, axis=0, prepend=path[:1])


def _adagrad_zero(variant):
    """AdaGrad as the slides write it starts its accumulator at 0 (Keras's default is 0.1)."""
    return {"initial_accumulator_value": 0.0} if variant == "adagrad" else {}


def _path_gap(a, b, steps):
    n = min(len(a), len(b), steps + 1)
    return float(np.abs(a[:n] - b[:n]).max())


def _train_digits(ctx, cfg):
    data = ctx.load("digits")
    lrs = dict(cfg.digits_lr)

    def builder(name):
        return lambda: build_model(
            name,
            cfg,
            input_dim=data.input_shape[0],
            num_classes=data.num_classes,
            normalizer=standardizer(data.x_train),
        )

    histories, trained_all, rows = {}, {}, []
    for variant in cfg.digits_variants:
        jobs = [(variant, k, False) for k in range(cfg.seeds)]
        if variant in cfg.scratch_variants and OPTIMIZERS[variant][0] in SCRATCH:
            jobs.append((f"scratch_{variant}", 0, True))
        for name, k, scratch in jobs:
            label = name if k == 0 else f"{name}_seed{k}"
            trained = ctx.train(
                label,
                builder(name),
                data,
                seed=ctx.seed + k,
                epochs=cfg.epochs,
                batch_size=cfg.batch_size,
                save=(k == 0 and not scratch),
                optimizer=lambda v=variant, s=scratch: make_optimizer(v, lrs[v], scratch=s),
            )
            trained_all[label] = trained
            if k == 0:
                histories[name] = trained.history
            rows.append(
                {
                    "experiment": "digits",
                    "variant": name,
                    "seed": k,
                    "learning_rate": lrs[variant],
                    "final_loss": trained.final("loss"),
                    "final_val_loss": trained.final("val_loss"),
                    "final_val_accuracy": trained.final("val_accuracy"),
                    "test_accuracy": trained.test["accuracy"],
                    "seconds_per_epoch": trained.history["seconds"].median(),
                }
            )
    return histories, trained_all, rows


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def vanilla_gd_counts(iterations, f_start, f_after_slide_code):
    """``iterations`` maps a learning rate to the iterations to f < 1e-6 (NaN: never)."""
    return (
        iterations[0.01] == 882
        and iterations[0.019] == 463
        and np.isnan(iterations[0.021])
        and f_after_slide_code > f_start
    )


def momentum_forms_agree(form_gap, keras_gap):
    return form_gap < 1e-12 and keras_gap < 1e-4


def keras_stores_look_ahead(look_ahead_gap, plain_gap):
    return look_ahead_gap < 1e-6 and plain_gap > 1e-3


def newton_one_step(distance_to_minimum, iterations_ill_conditioned):
    return distance_to_minimum < 1e-12 and iterations_ill_conditioned == 1


def conditioning_counts(iterations, mild_gd, mild_momentum):
    expected = {"sgd": 882, "momentum": 162, "nesterov": 99, "adagrad": 265, "adam": 305, "newton": 1}
    return all(iterations[k] == v for k, v in expected.items()) and mild_gd == 39 and mild_momentum == 139


def adagrad_step_decays(steps_at, keras_gap, effective_dense, effective_sparse):
    """``steps_at`` maps t to the step size after t steps at lr 1."""
    expected = {1: 1.0, 4: 0.5, 16: 0.25, 100: 0.1}
    return (
        all(abs(steps_at[t] - v) < 1e-6 for t, v in expected.items())
        and keras_gap < 1e-5
        and effective_sparse > effective_dense
    )


def rmsprop_step_does_not_decay(last_step, keras_gap, adagrad_last_step):
    return abs(last_step - 1) < 1e-4 and keras_gap < 1e-4 and adagrad_last_step < 0.11


def adam_matches_keras(relative_gap):
    return relative_gap < 1e-4


def slide_adadelta_is_rmsprop(gap_to_rmsprop, gap_to_adadelta):
    return gap_to_rmsprop < 1e-4 and gap_to_adadelta > 100 * max(gap_to_rmsprop, 1e-7)


def summary_table_holds(velocity_variants, lr_ratio):
    """``lr_ratio`` maps a variant to max/min effective learning rate over the two coordinates."""
    return (
        set(velocity_variants) == {"momentum", "nesterov", "adam"}
        and lr_ratio["sgd"] < 1 + 1e-9
        and min(lr_ratio["adagrad"], lr_ratio["rmsprop"], lr_ratio["adam"]) > 2
    )


def recommended_beat_sgd(default_lr, mean_val_accuracy):
    acc = mean_val_accuracy
    return abs(default_lr - 1e-3) < 1e-9 and acc["nesterov"] > acc["sgd"] and acc["adam"] > acc["sgd"]


def scratch_trains_like_builtin(loss_gaps):
    return bool(loss_gaps) and max(loss_gaps.values()) < 1e-3


# ---- measurements ---------------------------------------------------------------------------------------


def _claim_vanilla():
    counts = {lr: iterations_to(numpy_path("sgd", lr, 3000)) for lr in (0.01, 0.019, 0.021)}
    climbing = numpy_path("slide_code_sgd", 0.01, 10)
    f0, f10 = quadratic(*climbing[0]), quadratic(*climbing[-1])
    return judge(
        "Vanilla GD x -= lr dx on f = (x^2 + 100 y^2)/2 from (10, 1) reaches f < 1e-6 in 882 iterations at lr 0.01 "
        "and 463 at 0.019, and diverges at 0.021 (stable only for lr < 2/lambda_max = 0.02); the slide code's "
        "x += lr dx climbs (slip S15)",
        vanilla_gd_counts,
        {"iterations": counts, "f_start": f0, "f_after_slide_code": f10},
        f"iterations: lr 0.01 -> {counts[0.01]}, 0.019 -> {counts[0.019]}, 0.021 -> {counts[0.021]} (NaN = never); "
        f"with `x += lr dx` f goes {fmt(f0)} -> {fmt(f10)} in 10 steps",
        "00:1048, 03:1651-1656, 03:1724-1729",
    )


def _claim_momentum(keras_momentum, lr):
    a = numpy_path("momentum", lr, 500)
    b = numpy_path("momentum_rho", lr, 500)
    form_gap = float(np.abs(a - b).max())
    keras_gap = _path_gap(keras_momentum, a, 200)
    return judge(
        "Momentum: v = mu v - lr dx, x += v (00, 04) and v = rho v + dx, x -= lr v (03) give the same trajectory; "
        "Keras SGD(momentum=0.9) follows it (the terminal velocity g/(1 - rho) is a worked example below)",
        momentum_forms_agree,
        {"form_gap": form_gap, "keras_gap": keras_gap},
        f"max |form 1 - form 2| over 500 steps = {fmt(form_gap)}; max |Keras - numpy| over 200 steps = "
        f"{fmt(keras_gap)} (float32)",
        "00:1060-1062, 03:1734-1749, 04:1092-1095",
    )


def _claim_nesterov(lr, mu=0.9, steps=100):
    slide = {"x": [np.array(START)], "v": [np.zeros(2)]}
    h = np.diag(CURVATURE)
    for _ in range(steps):
        x, v = slide["x"][-1], slide["v"][-1]
        v = mu * v - lr * (h @ (x + mu * v))
        slide["x"].append(x + v)
        slide["v"].append(v)
    look_ahead = np.array(slide["x"]) + mu * np.array(slide["v"])
    stored = keras_path(keras.optimizers.SGD(learning_rate=lr, momentum=mu, nesterov=True), steps)
    gap = float(np.abs(stored - look_ahead).max() / np.abs(look_ahead).max())
    plain_gap = float(np.abs(stored - np.array(slide["x"])).max())
    return judge(
        "Nesterov: Keras SGD(momentum=mu, nesterov=True) stores the look-ahead point: its weights w_t equal the "
        "slide's x_t + mu v_t (x_t, v_t from v = mu v - lr grad(x + mu v), x += v)",
        keras_stores_look_ahead,
        {"look_ahead_gap": gap, "plain_gap": plain_gap},
        f"max |w_t - (x_t + mu v_t)| / max |w| over {steps} steps = {fmt(gap)} (float32); w_t vs the slide's x_t "
        f"differ by up to {fmt(plain_gap)}",
        "00:1068-1072, 03:1798-1800, 04:1108-1116",
    )


def _claim_newton():
    h = np.array([[2.0, 1.0], [1.0, 8.0]])  # f = x1^2 + x1 x2 + 4 x2^2
    x0 = np.array([3.0, 3.0])
    grad = h @ x0
    x1 = numpy_path("newton", 1.0, 1, start=x0, hessian=h)[-1]
    steps_ill = iterations_to(numpy_path("newton", 1.0, 3))
    return judge(
        "Newton's step x <- x - H^-1 grad f reaches the minimum of a quadratic in one step: f = x1^2 + x1 x2 + 4 x2^2 "
        "from (3, 3) (gradient (9, 27)) lands exactly on (0, 0); on (x^2 + 100 y^2)/2 it needs 1 iteration",
        newton_one_step,
        {"distance_to_minimum": float(np.abs(x1).max()), "iterations_ill_conditioned": steps_ill},
        f"gradient at (3, 3) = {tuple(float(g) for g in grad)}; after one step x = ({x1[0]:.3g}, {x1[1]:.3g}); "
        f"ill-conditioned quadratic: {steps_ill} iteration",
        "00:1054",
    )


def _claim_conditioning(quad):
    h = np.diag(CURVATURE)
    sv = np.linalg.svd(h, compute_uv=False)
    counts = quad["numpy_iterations"]
    mild = np.array([[2.0, 1.0], [1.0, 8.0]])
    mild_counts = {
        "gd_0.1": iterations_to(numpy_path("sgd", 0.1, 3000, start=(3, 3), hessian=mild), mild),
        "momentum_0.05": iterations_to(numpy_path("momentum", 0.05, 3000, start=(3, 3), hessian=mild), mild),
    }
    kappa_mild = np.linalg.cond(mild)
    return judge(
        "Poor conditioning (kappa = 100): GD makes slow progress along the shallow x and jitters along the steep y; "
        "iterations to f < 1e-6 from (10, 1): GD 882, momentum 162, Nesterov 99, AdaGrad (lr 1) 265, Adam (lr 0.1) "
        "305, Newton 1. On the mild quadratic (kappa 4.44) momentum does not pay: 139 (lr 0.05) vs GD 39 (lr 0.1)",
        conditioning_counts,
        {
            "iterations": counts.to_dict(),
            "mild_gd": mild_counts["gd_0.1"],
            "mild_momentum": mild_counts["momentum_0.05"],
        },
        "iterations: "
        + ", ".join(f"{k} {fmt(counts[k])}" for k in quad.index)
        + f" (RMSProp lr 0.01 and the slide's AdaDelta hover near f ~ lr^2 and never reach 1e-6: see claim 7); "
        f"condition number {sv.max() / sv.min():g}; mild quadratic kappa {kappa_mild:.4f}: GD "
        f"{mild_counts['gd_0.1']}, momentum {mild_counts['momentum_0.05']}",
        "03:1663-1686, 00:1054",
    )


def _claim_adagrad():
    steps = numpy_step_sizes("adagrad", 1.0, 100)
    keras_steps = -np.diff(
        keras_path(
            keras.optimizers.Adagrad(learning_rate=1.0, initial_accumulator_value=0.0),
            100,
            start=(0.0, 0.0),
            gradient=(1.0, 1.0),
        )[:, 0]
    )
    picks = {t: steps[t - 1] for t in (1, 4, 16, 100)}
    # sparse gradients: coordinate 2 sees a gradient only every 10th step
    g = np.zeros((100, 2))
    g[:, 0] = 1.0
    g[::10, 1] = 1.0
    effective = 1.0 / (np.sqrt((g**2).sum(axis=0)) + 1e-7)
    return judge(
        "AdaGrad's step decays: with a constant gradient the step after t steps is lr/sqrt(t) (1, 0.5, 0.25, 0.1 at "
        "t = 1, 4, 16, 100 for lr 1); Keras Adagrad(initial_accumulator_value=0) takes the same steps; a parameter "
        "with sparser gradients keeps a larger effective learning rate",
        adagrad_step_decays,
        {
            "steps_at": picks,
            "keras_gap": float(np.abs(keras_steps - steps).max()),
            "effective_dense": effective[0],
            "effective_sparse": effective[1],
        },
        "steps: "
        + ", ".join(f"t={t}: {v:.6f}" for t, v in picks.items())
        + f"; max |Keras - numpy| step = {fmt(np.abs(keras_steps - steps).max())}; effective lr after 100 steps: "
        f"dense {effective[0]:.4f}, sparse (1 in 10) {effective[1]:.4f}",
        "03:1813-1836, 04:1118-1164",
    )


def numpy_step_sizes(rule, lr, steps, g=1.0):
    """|x_t - x_{t-1}| under a constant gradient g, from the lecture's numpy rule (H = 0 and a fixed g)."""
    x, s, out = 0.0, 0.0, []
    for _ in range(steps):
        if rule == "adagrad":
            s += g * g
            step = lr * g / (np.sqrt(s) + 1e-7)
        elif rule == "rmsprop":
            s = 0.9 * s + 0.1 * g * g
            step = lr * g / (np.sqrt(s) + 1e-7)
        else:
            raise ValueError(f"Unknown rule. Received: rule={rule!r}")
        x -= step
        out.append(abs(step))
    return np.array(out)


def _claim_rmsprop():
    steps = numpy_step_sizes("rmsprop", 1.0, 100)
    keras_steps = -np.diff(
        keras_path(keras.optimizers.RMSprop(learning_rate=1.0), 100, start=(0.0, 0.0), gradient=(1.0, 1.0))[:, 0]
    )
    adagrad = numpy_step_sizes("adagrad", 1.0, 100)
    return judge(
        "RMSProp's leaky accumulator: with a constant gradient the step tends to lr sign(g) and does not decay "
        "(AdaGrad's has fallen to lr/10 by t = 100)",
        rmsprop_step_does_not_decay,
        {
            "last_step": steps[-1],
            "keras_gap": float(np.abs(keras_steps - steps).max()),
            "adagrad_last_step": adagrad[-1],
        },
        f"step / lr at t = 1, 10, 100: {steps[0]:.4f}, {steps[9]:.4f}, {steps[-1]:.6f} (Keras RMSprop "
        f"{keras_steps[0]:.4f}, {keras_steps[9]:.4f}, {keras_steps[-1]:.6f}); AdaGrad at t = 100: {adagrad[-1]:.4f}",
        "03:1853-1861",
    )


def _claim_adam(keras_adam, numpy_adam):
    n = min(len(keras_adam), len(numpy_adam), 101)
    rel = float((np.abs(keras_adam[:n] - numpy_adam[:n]) / np.abs(numpy_adam[:n]).max(axis=1, keepdims=True)).max())
    return judge(
        "Adam with bias correction as the lecture writes it (t from 1, S16; v of g^2, S17) matches "
        "keras.optimizers.Adam for 100 steps on the quadratic (to float32 precision: relative gap < 1e-4)",
        adam_matches_keras,
        {"relative_gap": rel},
        f"max |Keras - numpy| / |x| over 100 steps = {fmt(rel)} (Keras adds eps to sqrt(v), not sqrt(v_hat)); the "
        "first step's size with and without the correction is a worked example below",
        "03:1889-1898, 04:1180-1190",
    )


def _claim_adadelta(steps=50, lr=0.01, rho=0.9):
    slide = numpy_path("slide_adadelta", lr, steps, rho=rho)
    rmsprop = keras_path(keras.optimizers.RMSprop(learning_rate=lr, rho=rho), steps)
    adadelta = keras_path(keras.optimizers.Adadelta(learning_rate=lr, rho=rho), steps)
    same, different = _path_gap(rmsprop, slide, steps), _path_gap(adadelta, slide, steps)
    return judge(
        "The update called AdaDelta at 04:1166-1176 (E[g^2] decaying average, theta -= eta g / sqrt(E[g^2] + eps)) is "
        "RMSProp (slip S18): it matches Keras RMSprop and not Keras Adadelta (Zeiler's rule, with RMS[dx] in place of eta)",
        slide_adadelta_is_rmsprop,
        {"gap_to_rmsprop": same, "gap_to_adadelta": different},
        f"max |slide rule - Keras RMSprop| over {steps} steps = {fmt(same)}; vs Keras Adadelta = {fmt(different)}",
        "04:1166-1176",
    )


def _claim_summary_table():
    x = keras.Variable(np.zeros(3, "float32"), name="w")
    slots = {}
    for variant in OPTIMIZERS:
        optimizer = make_optimizer(variant, 0.01)
        optimizer.build([x])
        slots[variant] = sorted(v.name.removeprefix("w_") for v in optimizer.variables if v.shape == x.shape)
    velocity = {v for v, names in slots.items() if "momentum" in names}  # RMSprop's "velocity" is E[g^2]
    # per-parameter learning rate: |step| / |g| after 20 steps on the quadratic differs across the two coordinates
    ratio = {}
    for variant, rule in (("sgd", "sgd"), ("adagrad", "adagrad"), ("rmsprop", "rmsprop"), ("adam", "adam")):
        path = numpy_path(rule, 0.005, 20)
        g = np.diag(CURVATURE) @ path[-2]
        effective = np.abs(path[-1] - path[-2]) / np.abs(g)
        ratio[variant] = float(effective.max() / effective.min())
    return judge(
        "Summary table (04:1196-1203): momentum, Nesterov and Adam carry a velocity slot, AdaGrad does not (S19); "
        "AdaGrad, RMSProp/AdaDelta and Adam give each parameter its own learning rate, SGD one for all",
        summary_table_holds,
        {"velocity_variants": sorted(velocity), "lr_ratio": ratio},
        "Keras slots per parameter: "
        + "; ".join(f"{k}: {v or 'none'}" for k, v in slots.items())
        + "; effective lr ratio between the two coordinates after 20 steps (lr 0.005): "
        + ", ".join(f"{k} {r:.3g}" for k, r in ratio.items()),
        "04:1196-1203",
    )


def _claim_recommended(table, cfg, trained):
    digits = table[table["experiment"] == "digits"]
    acc = {v: digits[digits["variant"] == v]["final_val_accuracy"] for v in ("sgd", "nesterov", "adam")}
    default_lr = keras.optimizers.Adam().get_config()["learning_rate"]
    return judge(
        f"Recommended (03:2513): SGD + Nesterov momentum or Adam at its default lr 1e-3; both beat vanilla SGD on "
        f"digits after {cfg.epochs} epochs (mean validation accuracy over {cfg.seeds} seeds)",
        recommended_beat_sgd,
        {"default_lr": default_lr, "mean_val_accuracy": {v: a.mean() for v, a in acc.items()}},
        f"Keras Adam default lr {default_lr:g}; final val accuracy: "
        + ", ".join(f"{v} {fmt(a.mean())} ± {fmt(a.std(ddof=0), 2)}" for v, a in acc.items()),
        "03:2513",
        variants=[t for name, t in trained.items() if name.split("_seed")[0] in acc],
        chance=0.1,
    )


def _claim_scratch_matches(histories, cfg, trained):
    gaps = {}
    for variant in cfg.scratch_variants:
        if variant in cfg.digits_variants and OPTIMIZERS[variant][0] in SCRATCH:
            a, b = histories[variant], histories[f"scratch_{variant}"]
            gaps[variant] = float(np.abs(a[["loss", "val_loss"]].to_numpy() - b[["loss", "val_loss"]].to_numpy()).max())
    return judge(
        "Each from-scratch optimizer (nnzoo.custom_optimizers) trains the digits MLP like its Keras built-in: the loss "
        "curves coincide (same data, seed and learning rate)",
        scratch_trains_like_builtin,
        {"loss_gaps": gaps},
        "max |loss_scratch - loss_builtin| over epochs (train and val): "
        + ", ".join(f"{k} {fmt(g)}" for k, g in gaps.items()),
        "03:1651-1898, 04:1066-1190",
        variants=[trained[n] for v in gaps for n in (v, f"scratch_{v}")],
    )


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
