"""Model assessment: stratified splits, confusion-matrix metrics, bias/variance, 5-fold cross-validation.

Topic: model assessment — train/validation/test splits of the same distribution (60/20/20 and
98/1/1, 01:537-550), accuracy/precision/recall/specificity and the confusion matrix laid out as
predicted x ground truth (01:569-590), bias and variance estimated from human, train and test error
and the lecture's six diagnoses (01:681-704), Error = Bias^2 + Variance + sigma^2 by Monte Carlo on
polynomial fits (01:604-631), under/overfitting (01:708-723), and K-fold cross-validation
(03:1956-1986) of a digits MLP.

Lectures: UPM Madrid, "Training feedforward neural networks" (001, lines 465-743); Univ. Bretagne Sud,
"ANN part I" (003, lines 1956-2006).
Slip followed by the mathematics: S33 (Variance = E[(g - E g)^2]; as printed, E[g - E g]^2 is 0).
"""

import dataclasses

import keras
import numpy as np
import pandas as pd
from nnzoo.datasets import stratified_split
from sklearn import metrics as skm
from sklearn.model_selection import KFold

from nnzoo import plots
from nnzoo.assessment import bias_variance, binary_metrics, confusion
from nnzoo.inputs import standardizer
from nnzoo.results import RecipeResult, WorkedExample, fmt, judge

LECTURES = ("001", "003")
# The lecture's two examples (01:693-704): (E_human, E_train, E_test) -> diagnosis, errors in percent.
LECTURE_ROWS = (
    ((0, 1, 15), "Low-bias, high-variance"),
    ((0, 15, 16), "High-bias, low-variance"),
    ((0, 15, 30), "High-bias, high-variance"),
    ((0, 0.5, 1), "Low-bias, low-variance"),
    ((1, 8, 10), "High-bias, low-variance"),
    ((7.5, 8, 10), "Low-bias, high-variance"),
)


@dataclasses.dataclass(frozen=True)
class Config:
    """Hyperparameters of the cross-validated MLP and of the Monte Carlo bias/variance study."""

    folds: int = 5
    units: int = 64
    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = 1e-3  # Adam
    binary_epochs: int = 30  # the lecture's compile line: SGD, binary_crossentropy, binary_accuracy
    binary_learning_rate: float = 0.01  # Keras's SGD default
    mc_repeats: int = 1000  # resampled training sets per polynomial order
    mc_points: int = 12  # training inputs on a fixed grid; each set draws fresh noise
    mc_noise: float = 0.3  # sigma of y = f(x) + noise
    max_order: int = 9


FULL = Config()
QUICK = Config(epochs=3, binary_epochs=3, mc_repeats=400)


def build_model(variant="multiclass", config=FULL, *, input_dim=64, num_classes=10, normalizer=None):
    """The digits MLP: softmax over ``num_classes`` ("multiclass") or one sigmoid unit ("binary")."""
    layers = [keras.Input((input_dim,))]
    if normalizer is not None:
        layers.append(normalizer)
    layers.append(keras.layers.Dense(config.units, activation="relu"))
    layers.append(
        keras.layers.Dense(1, activation="sigmoid")
        if variant == "binary"
        else keras.layers.Dense(num_classes, activation="softmax")
    )
    return keras.Sequential(layers, name=variant)


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    data = ctx.load("digits")
    claims, rows = [], []

    claims.append(_claim_splits(ctx))
    claims.append(_claim_metric_formulas())
    binary, binary_claim = _binary_task(ctx, cfg, data)
    claims.append(binary_claim)
    rows.append({"experiment": "binary (even digit)", **binary})

    claims.append(_claim_bias_variance())

    study = monte_carlo(cfg, seed=ctx.seed)
    claims.append(_claim_decomposition(study, cfg))
    claims.append(_claim_fitting(study, cfg))
    rows += [{"experiment": "bias_variance_mc", **r} for r in study.to_dict("records")]

    folds, oof, fold_variants = _cross_validate(ctx, cfg, data)
    claims.append(_claim_kfold(folds, oof, fold_variants, cfg, chance=1 / data.num_classes))
    rows += [{"experiment": "kfold", **f} for f in folds.drop(columns="indices").to_dict("records")]

    notes.append("Slip S33 (01:608, 01:626): Variance = E[(g - E g)^2]; the printed E[g - E g]^2 is identically 0.")
    notes.append(
        "Confusion matrices here use the lecture's layout: rows = predicted, columns = ground truth, the "
        "transpose of sklearn.metrics.confusion_matrix."
    )
    matrix = confusion(oof["y"], oof["pred"], labels=list(range(data.num_classes)))
    figures = {
        "confusion_matrix": plots.matrix(
            matrix,
            row_labels=data.class_names,
            col_labels=data.class_names,
            ylabel="predicted",
            xlabel="ground truth",
            title=f"digits, {cfg.folds}-fold out-of-fold predictions ({len(oof['y'])} examples)",
        ),
        "bias_variance": plots.curves(
            {
                name: (study["order"], study[key])
                for name, key in (
                    ("bias^2", "bias2"),
                    ("variance", "variance"),
                    ("bias^2 + variance + sigma^2", "decomposition"),
                    ("test MSE", "test_mse"),
                    ("train MSE", "train_mse"),
                )
            },
            xlabel="polynomial order",
            ylabel="squared error",
            logy=True,
            size=(6.0, 3.6),
            title=f"{cfg.mc_repeats} training sets of {cfg.mc_points} grid points, sigma = {cfg.mc_noise}",
        ),
    }
    worked = [*_worked_metrics(), *_worked_thresholds(), _worked_slide_variance(study)]
    return RecipeResult(pd.DataFrame(rows), figures, claims, notes=notes, worked=worked)


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def splits_keep_sizes_and_shares(sizes, drifts, partitions):
    """``sizes`` maps N to the (train, validation, test) sizes, ``drifts`` to the largest class-share drift of a
    split from the whole set, ``partitions`` to (examples in the three splits, distinct examples among them)."""
    return (
        sizes[10_000] == (6000, 2000, 2000)
        and sizes[1_000_000] == (980_000, 10_000, 10_000)
        and all(d < 0.01 for d in drifts.values())
        and all(total == distinct == n for n, (total, distinct) in partitions.items())
    )


def formulas_match_libraries(sklearn_gap, keras_gap, layout, sklearn_layout, counts):
    """The formulas agree with sklearn and keras.metrics; the lecture's matrix is [[TP, FP], [FN, TN]] and is
    sklearn's confusion_matrix transposed. ``counts`` is (TP, FP, FN, TN)."""
    tp, fp, fn, tn = counts
    return (
        sklearn_gap < 1e-6
        and keras_gap < 1e-6
        and layout == [[tp, fp], [fn, tn]]
        and layout == [list(row) for row in zip(*sklearn_layout)]
    )


def confusion_formulas_match_evaluate(keras_gap, sklearn_gap):
    return keras_gap < 1e-6 and sklearn_gap < 1e-9


def diagnoses_match_lecture(diagnoses, gaps):
    """``diagnoses`` and (bias, variance) ``gaps`` from nnzoo.assessment.bias_variance on the lecture's six rows."""
    return diagnoses == [want for _, want in LECTURE_ROWS] and gaps == [
        (1, 14),
        (15, 1),
        (15, 15),
        (0.5, 0.5),
        (7, 2),
        (0.5, 2),
    ]


def error_decomposes_and_trades_off(relative_gaps, bias2, variance):
    """``relative_gaps`` maps an order to |test MSE - (bias^2 + variance + sigma^2)| / test MSE; ``bias2`` and
    ``variance`` map orders 1, 3, 5 to theirs."""
    return (
        max(relative_gaps.values()) <= 0.02
        and bias2[1] > bias2[3] > bias2[5]
        and variance[1] < variance[3] < variance[5]
    )


def low_order_underfits_high_order_overfits(low_train, low_test, high_train, high_test, noise_variance):
    underfits = low_train > 2 * noise_variance and low_test / low_train < 1.5
    overfits = high_test / high_train > 3 and high_train < noise_variance
    return underfits and overfits


def each_example_validated_once(times_validated, fold_sizes, train_sizes, n, accuracy_gap):
    """``times_validated``: (min, max) over the examples; ``accuracy_gap``: the largest |fold accuracy recomputed
    from the out-of-fold predictions - the fold's evaluated accuracy|."""
    return (
        times_validated == (1, 1)
        and max(fold_sizes) - min(fold_sizes) <= 1
        and all(t + v == n for t, v in zip(train_sizes, fold_sizes))
        and accuracy_gap < 1e-6
    )


# ---- 1. splits ---------------------------------------------------------------------------------


def _claim_splits(ctx):
    rng = np.random.default_rng(ctx.seed)
    weights = np.arange(1, 11) / np.arange(1, 11).sum()  # ten unbalanced classes
    facts = {}
    for n, split in ((10_000, (0.6, 0.2, 0.2)), (1_000_000, (0.98, 0.01, 0.01))):
        y = rng.choice(10, size=n, p=weights).astype("int32")
        index = np.arange(n)
        tr, ytr, va, yva, te, yte = stratified_split(index, y, split=split, seed=ctx.seed)
        whole = np.bincount(y, minlength=10) / n
        drift = max(np.abs(np.bincount(part, minlength=10) / len(part) - whole).max() for part in (ytr, yva, yte))
        union = np.concatenate([tr, va, te])
        facts[n] = dict(
            sizes=(len(tr), len(va), len(te)), drift=float(drift), partition=(len(union), len(np.unique(union)))
        )
    digits = ctx.load("digits", split=(0.98, 0.01, 0.01))
    return judge(
        "Splits of the same distribution (stratified): 60/20/20 of 10,000 gives 6000/2000/2000 and 98/1/1 of "
        "1,000,000 gives 980,000/10,000/10,000; each split's class shares are within 1 point of the whole set; "
        "the splits are disjoint and cover the data",
        splits_keep_sizes_and_shares,
        {
            "sizes": {n: f["sizes"] for n, f in facts.items()},
            "drifts": {n: f["drift"] for n, f in facts.items()},
            "partitions": {n: f["partition"] for n, f in facts.items()},
        },
        "; ".join(
            f"N={n:,}: sizes {f['sizes']}, max class-share drift {100 * f['drift']:.3f} points, "
            f"{f['partition'][0]:,} examples in the splits, {f['partition'][1]:,} distinct"
            for n, f in facts.items()
        )
        + f"; digits at 98/1/1: {len(digits.x_train)}/{len(digits.x_val)}/{len(digits.x_test)}",
        "01:537-550",
    )


# ---- 2. metrics --------------------------------------------------------------------------------


def _labels_from_counts(tp, fp, fn, tn):
    y_true = np.array([1] * tp + [0] * fp + [1] * fn + [0] * tn)
    y_pred = np.array([1] * tp + [1] * fp + [0] * fn + [0] * tn)
    return y_true, y_pred


def _keras_binary(y_true, y_pred):
    """keras.metrics on hard predictions: accuracy, precision, recall and specificity (recall of class 0)."""
    t, p = y_true.astype("float32"), y_pred.astype("float32")
    found = {}
    for name, metric, a, b in (
        ("accuracy", keras.metrics.BinaryAccuracy(), t, p),
        ("precision", keras.metrics.Precision(), t, p),
        ("recall", keras.metrics.Recall(), t, p),
        ("specificity", keras.metrics.Recall(), 1 - t, 1 - p),
    ):
        metric.update_state(a, b)
        found[name] = float(metric.result())
    return found


def _sklearn_binary(y_true, y_pred):
    return {
        "accuracy": skm.accuracy_score(y_true, y_pred),
        "precision": skm.precision_score(y_true, y_pred),
        "recall": skm.recall_score(y_true, y_pred),
        "specificity": skm.recall_score(y_true, y_pred, pos_label=0),
    }


WORKED_COUNTS = {"tp": 40, "fp": 10, "fn": 20, "tn": 30}  # an example: the slide gives only the formulas


def _claim_metric_formulas():
    tp, fp, fn, tn = WORKED_COUNTS.values()
    y_true, y_pred = _labels_from_counts(tp, fp, fn, tn)
    ours = binary_metrics(tp, fp, fn, tn)
    layout = confusion(y_true, y_pred, labels=(1, 0))
    sk_layout = skm.confusion_matrix(y_true, y_pred, labels=[1, 0])
    gaps = [
        max(abs(ours[k] - other[k]) for k in ours)
        for other in (_sklearn_binary(y_true, y_pred), _keras_binary(y_true, y_pred))
    ]
    return judge(
        "Accuracy = (TP+TN)/all, Precision = TP/(TP+FP), Recall = TP/(TP+FN), Specificity = TN/(TN+FP) "
        "(nnzoo.assessment.binary_metrics) are what scikit-learn and keras.metrics compute on the same labels "
        f"(TP={tp}, FP={fp}, FN={fn}, TN={tn}); the slide's matrix (rows predicted, columns ground truth) "
        "[[TP, FP], [FN, TN]] is sklearn's confusion_matrix transposed",
        formulas_match_libraries,
        {
            "sklearn_gap": float(gaps[0]),
            "keras_gap": float(gaps[1]),
            "layout": layout.tolist(),
            "sklearn_layout": sk_layout.tolist(),
            "counts": (tp, fp, fn, tn),
        },
        ", ".join(f"{k} {v:.4f}" for k, v in ours.items()) + f"; max gap to sklearn {fmt(gaps[0])}, to keras.metrics "
        f"{fmt(gaps[1])}; lecture layout {layout.tolist()}, sklearn {sk_layout.tolist()}",
        "01:569-590",
    )


def _worked_metrics():
    ours = binary_metrics(**WORKED_COUNTS)
    counts = ", ".join(f"{k.upper()}={v}" for k, v in WORKED_COUNTS.items())
    formulas = {
        "accuracy": ("(TP+TN)/(TP+TN+FP+FN)", "0.70"),
        "precision": ("TP/(TP+FP)", "0.80"),
        "recall": ("TP/(TP+FN)", "0.6667"),
        "specificity": ("TN/(TN+FP)", "0.75"),
    }
    return [
        WorkedExample(
            f"{name.capitalize()} = {formula} with {counts}",
            ours[name],
            f"{value} (the slide gives the formula; this example is added)",
            "01:569-587",
        )
        for name, (formula, value) in formulas.items()
    ]


def _binary_task(ctx, cfg, data):
    """The lecture's compile line (01:590) on 'is the digit even?', checked against the confusion counts."""
    even = {f"y_{part}": (getattr(data, f"y_{part}") % 2 == 0).astype("float32") for part in ("train", "val", "test")}
    binary = dataclasses.replace(data, **even, class_names=("odd", "even"), spec={**data.spec, "target": "even digit"})
    # The slide's 'binary_accuracy', logged as 'accuracy' so that the shared guard can tell a model at chance.
    metrics = [
        keras.metrics.BinaryAccuracy(name="accuracy"),
        keras.metrics.Precision(name="precision"),
        keras.metrics.Recall(name="recall"),
    ]
    trained = ctx.train(
        "binary",
        lambda: build_model("binary", cfg, input_dim=data.input_shape[0], normalizer=standardizer(data.x_train)),
        binary,
        optimizer="SGD",
        loss="binary_crossentropy",
        metrics=metrics,
        learning_rate=cfg.binary_learning_rate,
        epochs=cfg.binary_epochs,
        batch_size=cfg.batch_size,
        save=False,
        validation=False,  # no curve is drawn: the confusion counts and final metrics are what the claims read
    )
    p = np.asarray(trained.model.predict(binary.x_test, verbose=0)).ravel()
    y_pred, y_true = (p > 0.5).astype(int), binary.y_test.astype(int)
    (tp, fp), (fn, tn) = confusion(y_true, y_pred, labels=(1, 0))
    ours = binary_metrics(tp, fp, fn, tn)
    keras_eval = {
        "accuracy": trained.test["accuracy"],
        "precision": trained.test["precision"],
        "recall": trained.test["recall"],
    }
    sk = _sklearn_binary(y_true, y_pred)
    gap_keras = max(abs(ours[k] - keras_eval[k]) for k in keras_eval)
    gap_sk = max(abs(ours[k] - sk[k]) for k in ours)
    claim = judge(
        "On a trained model (digits: even vs odd, compiled as on the slide with optimizer='SGD', "
        "loss='binary_crossentropy', metrics=['binary_accuracy'] (as BinaryAccuracy, logged as 'accuracy') plus "
        "Precision and Recall) the formulas on the "
        "confusion counts equal model.evaluate's metrics and scikit-learn's",
        confusion_formulas_match_evaluate,
        {"keras_gap": float(gap_keras), "sklearn_gap": float(gap_sk)},
        f"test split TP={tp}, FP={fp}, FN={fn}, TN={tn}: "
        + ", ".join(f"{k} {v:.4f}" for k, v in ours.items())
        + f"; max gap to model.evaluate {fmt(gap_keras)}, to sklearn {fmt(gap_sk)}; validation accuracy "
        f"{fmt(trained.val['accuracy'])}",
        "01:569-590",
        variants=[trained],
        chance=0.5,
    )
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, **ours}, claim


# ---- 3. bias and variance from errors ---------------------------------------------------------


def _claim_bias_variance():
    got = [bias_variance(*errors) for errors, _ in LECTURE_ROWS]
    return judge(
        "nnzoo.assessment.bias_variance: bias = E_train - E_human, variance = E_test - E_train, a gap 'high' "
        "when it exceeds 1 point and is at least the other gap; reproduces all six rows of the lecture's "
        "examples",
        diagnoses_match_lecture,
        {"diagnoses": [g.diagnosis for g in got], "gaps": [(round(g.bias, 6), round(g.variance, 6)) for g in got]},
        "; ".join(f"{e} -> ({fmt(g.bias)}, {fmt(g.variance)}) {g.diagnosis}" for (e, _), g in zip(LECTURE_ROWS, got)),
        "01:681-704",
    )


def _absolute_diagnosis(errors, threshold):
    """The diagnosis a single absolute threshold would give: a gap is 'high' when it exceeds ``threshold``."""
    bias, variance = errors[1] - errors[0], errors[2] - errors[1]
    return f"{'High' if bias > threshold else 'Low'}-bias, {'high' if variance > threshold else 'low'}-variance"


def _worked_thresholds():
    """(ext) No single absolute threshold reproduces the lecture's six rows: arithmetic on the slide's rows."""
    thresholds = np.round(np.arange(0.0, 20.0, 0.05), 2)
    working = [t for t in thresholds if all(_absolute_diagnosis(e, t) == want for e, want in LECTURE_ROWS)]
    rows = dict(LECTURE_ROWS)

    def misdiagnosed(t):
        return [f"{e} {_absolute_diagnosis(e, t)}" for e, want in LECTURE_ROWS if _absolute_diagnosis(e, t) != want]

    return [
        WorkedExample(
            "(ext) Thresholds T in 0..20 (step 0.05) for which 'a gap > T is high' reproduces all six rows",
            str(working or "none"),
            "the six labels: a 2-point variance is 'low' beside a bias of 7, 'high' beside a bias of 0.5",
            "01:693-704",
        ),
        WorkedExample(
            "(ext) Rows that T = 1 misdiagnoses",
            "; ".join(misdiagnosed(1.0)),
            f"(1, 8, 10) {rows[(1, 8, 10)]}",
            "01:702-704",
        ),
        WorkedExample(
            "(ext) Rows that T = 2 misdiagnoses",
            "; ".join(misdiagnosed(2.0)),
            f"(7.5, 8, 10) {rows[(7.5, 8, 10)]}",
            "01:702-704",
        ),
    ]


# ---- 4-5. bias^2 + variance + noise by Monte Carlo -------------------------------------------


def true_function(x):
    return np.sin(2 * np.pi * x)


def monte_carlo(cfg, seed=0):
    """For each polynomial order: bias^2, variance, test and train MSE over ``mc_repeats`` training sets.

    Each training set keeps the inputs on a fixed grid and draws fresh noise (y = f(x) + eps), so
    nested polynomial models have a variance that grows with the order, as in the textbook picture.
    With uniformly random inputs a badly misspecified line can vary more than a cubic does.
    """
    rng = np.random.default_rng(seed)
    x_test = np.linspace(0.02, 0.98, 50)
    f_test = true_function(x_test)
    rows = []
    for order in range(cfg.max_order + 1):
        predictions, test_mse, train_mse = [], [], []
        for _ in range(cfg.mc_repeats):
            x = np.linspace(0, 1, cfg.mc_points)
            y = true_function(x) + rng.normal(0, cfg.mc_noise, cfg.mc_points)
            coefficients = np.polynomial.polynomial.polyfit(x, y, order)
            g = np.polynomial.polynomial.polyval(x_test, coefficients)
            predictions.append(g)
            y_test = f_test + rng.normal(0, cfg.mc_noise, len(x_test))  # fresh noise: Y = f(X) + eps
            test_mse.append(np.mean((y_test - g) ** 2))
            train_mse.append(np.mean((y - np.polynomial.polynomial.polyval(x, coefficients)) ** 2))
        g = np.array(predictions)
        mean_g = g.mean(axis=0)
        bias2 = float(np.mean((mean_g - f_test) ** 2))
        variance = float(np.mean(((g - mean_g) ** 2).mean(axis=0)))
        slide_variance = float(np.mean((g - mean_g).mean(axis=0) ** 2))  # E[g - E g]^2 as printed (S33)
        rows.append(
            {
                "order": order,
                "bias2": bias2,
                "variance": variance,
                "noise": cfg.mc_noise**2,
                "decomposition": bias2 + variance + cfg.mc_noise**2,
                "test_mse": float(np.mean(test_mse)),
                "test_mse_sem": float(np.std(test_mse) / np.sqrt(cfg.mc_repeats)),
                "train_mse": float(np.mean(train_mse)),
                "slide_variance_S33": slide_variance,
            }
        )
    return pd.DataFrame(rows)


def _claim_decomposition(study, cfg):
    s = study.set_index("order")
    rel = ((s["test_mse"] - s["decomposition"]).abs() / s["test_mse"]).loc[[1, 3, 5]]
    return judge(
        "Error = Bias^2 + Variance + sigma^2 (Variance = E[(g - E g)^2], slip S33): over resampled training sets, "
        "polynomial fits of order 1, 3, 5 have mean test MSE equal to bias^2 + variance + sigma^2 (within 2 %); "
        "bias^2 falls and variance rises with the order",
        error_decomposes_and_trades_off,
        {
            "relative_gaps": rel.to_dict(),
            "bias2": s.loc[[1, 3, 5], "bias2"].to_dict(),
            "variance": s.loc[[1, 3, 5], "variance"].to_dict(),
        },
        "; ".join(
            f"order {o}: bias^2 {fmt(s.loc[o, 'bias2'])}, variance {fmt(s.loc[o, 'variance'])}, sum + "
            f"{cfg.mc_noise**2:g} = {fmt(s.loc[o, 'decomposition'])} vs test MSE {fmt(s.loc[o, 'test_mse'])} "
            f"(± {fmt(s.loc[o, 'test_mse_sem'], 2)}, gap {100 * rel[o]:.2f} %)"
            for o in (1, 3, 5)
        ),
        "01:604-631, 03:1312-1314",
    )


def _worked_slide_variance(study):
    """S33: the printed E[g - E g]^2 squares the mean deviation, which is 0 by definition of the mean."""
    return WorkedExample(
        "The printed 'Variance = E[g - E g]^2' on this run's polynomial fits, largest over the orders",
        float(study["slide_variance_S33"].max()),
        "Variance = E[g - E g]^2 (S33: identically 0; the variance is E[(g - E g)^2])",
        "01:608, 01:626",
    )


def _claim_fitting(study, cfg):
    s = study.set_index("order")
    low, high = s.loc[1], s.loc[cfg.max_order]
    noise = cfg.mc_noise**2
    return judge(
        f"Underfitting: both errors high and similar (order 1); overfitting: test error much worse than training "
        f"error (order {cfg.max_order} on {cfg.mc_points} points)",
        low_order_underfits_high_order_overfits,
        {
            "low_train": float(low["train_mse"]),
            "low_test": float(low["test_mse"]),
            "high_train": float(high["train_mse"]),
            "high_test": float(high["test_mse"]),
            "noise_variance": noise,
        },
        f"order 1: train {fmt(low['train_mse'])}, test {fmt(low['test_mse'])} (ratio "
        f"{low['test_mse'] / low['train_mse']:.2f}); order {cfg.max_order}: train {fmt(high['train_mse'])}, test "
        f"{fmt(high['test_mse'])} (ratio {high['test_mse'] / high['train_mse']:.2f}); sigma^2 = {noise:g}",
        "01:708-723",
    )


# ---- 6. K-fold cross-validation ------------------------------------------------------------


def _cross_validate(ctx, cfg, data):
    x = np.concatenate([data.x_train, data.x_val])
    y = np.concatenate([data.y_train, data.y_val])
    rows, trained_folds, oof = [], [], {"y": y, "pred": np.full(len(y), -1)}
    splitter = KFold(n_splits=cfg.folds, shuffle=True, random_state=ctx.seed)
    for k, (train, val) in enumerate(splitter.split(x)):
        fold = dataclasses.replace(
            data,
            x_train=x[train],
            y_train=y[train],
            x_val=x[val],
            y_val=y[val],
            spec={**data.spec, "fold": k, "folds": cfg.folds},
        )
        trained = ctx.train(
            f"fold{k}",
            lambda f=fold: build_model(
                "multiclass",
                cfg,
                input_dim=data.input_shape[0],
                num_classes=data.num_classes,
                normalizer=standardizer(f.x_train),
            ),
            fold,
            epochs=cfg.epochs,
            batch_size=cfg.batch_size,
            optimizer="adam",
            learning_rate=cfg.learning_rate,
            save=(k == 0),
            validation=False,  # each fold's final validation metrics are measured after training
        )
        trained_folds.append(trained)
        oof["pred"][val] = np.asarray(trained.model.predict(x[val], verbose=0)).argmax(axis=1)
        rows.append(
            {
                "fold": k,
                "train_size": len(train),
                "val_size": len(val),
                "indices": val,
                "val_accuracy": trained.val["accuracy"],
                "test_accuracy": trained.test["accuracy"],
            }
        )
    return pd.DataFrame(rows), oof, trained_folds


def _claim_kfold(folds, oof, trained, cfg, chance):
    n = len(oof["y"])
    counts = np.bincount(np.concatenate(folds["indices"].to_list()), minlength=n)
    sizes = folds["val_size"].to_numpy()
    accuracy = folds["val_accuracy"].to_numpy()
    score = float(accuracy.mean())
    recomputed = np.array([(oof["pred"][i] == oof["y"][i]).mean() for i in folds["indices"]])
    pooled = float((oof["pred"] == oof["y"]).mean())
    return judge(
        f"{cfg.folds}-fold cross-validation (four parts train, one validates): every example is validated exactly once, "
        f"folds have N/{cfg.folds} examples (± 1), and the final accuracy is the average of the fold accuracies",
        each_example_validated_once,
        {
            "times_validated": (int(counts.min()), int(counts.max())),
            "fold_sizes": sizes.tolist(),
            "train_sizes": folds["train_size"].tolist(),
            "n": n,
            "accuracy_gap": float(np.abs(recomputed - accuracy).max()),
        },
        f"N = {n}, fold sizes {sizes.tolist()}, times validated: min {counts.min()}, max {counts.max()}; fold "
        f"accuracies {', '.join(f'{a:.4f}' for a in accuracy)} (recomputed from the out-of-fold predictions: max "
        f"difference {fmt(np.abs(recomputed - accuracy).max())}); CV score = mean {score:.4f} ± {accuracy.std():.4f} "
        f"(pooled out-of-fold accuracy {pooled:.4f})",
        "03:1968-1986",
        variants=trained,
        chance=chance,
    )


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
