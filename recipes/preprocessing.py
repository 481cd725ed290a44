"""Input preprocessing: two features of wildly different scales, standardization, min-max and PCA whitening.

Topic: input preprocessing — why features on scales 1e8 apart make an elongated loss surface on
which gradient descent stalls (the Hessian's condition number raw, standardized and min-max
scaled), zero-centering, standardization with the training split's statistics reused on
validation and test (and the leak when the test split is refitted), min-max scaling and its
outlier sensitivity, PCA whitening (covariance I, noise amplified). In the Keras models the
preprocessing is a layer inside the model (keras.layers.Normalization adapted on the training
split), so a saved model serves raw inputs.

Lectures: Univ. of Cologne, "Neural networks and how to monitor the learning process" (000, lines
669-738); UPM Madrid, "Training feedforward neural networks" (001, 849-930); Univ. Bretagne Sud,
"ANN part I" (003, 1340-1386, 2512). Slip followed by the mathematics: S22 (standardization
divides by the standard deviation sigma, not by the variance sigma^2).
"""

import dataclasses

import keras
import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from nnzoo import plots
from nnzoo.inputs import standardizer
from nnzoo.results import RecipeResult, fmt, judge

LECTURES = ("000", "001", "003")
SCALINGS = ("raw", "standardized", "min_max")
VARIANTS = ("raw", "normalized")


@dataclasses.dataclass(frozen=True)
class Config:
    """Hyperparameters; QUICK keeps every experiment at a size the test suite can afford."""

    gd_steps: int = 10_000  # nnzoo's budget for plain gradient descent on the raw features
    tolerance: float = 1e-3  # "converged": loss within 0.1 % of the least-squares optimum
    linear_epochs: int = 20
    linear_learning_rate: float = 0.1  # SGD on the normalized features; raw uses 1/lambda_max
    digits_epochs: int = 15
    digits_units: int = 64
    digits_learning_rate: float = 1e-3  # Adam: with SGD the input scale would also rescale the step size
    batch_size: int = 32
    seeds: int = 3
    whitening_n: int = 5000
    whitening_spectrum: tuple = (4.0, 1.0, 0.25, 1e-2, 1e-4)  # eigenvalues of the whitening example
    input_noise: float = 0.01


FULL = Config()
QUICK = Config(gd_steps=10_000, linear_epochs=8, digits_epochs=5, seeds=1)


def build_model(variant, config=FULL, *, data):
    """``variant`` "raw" feeds the inputs as they are; "normalized" puts a Normalization layer first.

    For the two-scale regression the layer is ``keras.layers.Normalization`` adapted on the training
    split; for digits (pixels blank on the whole training split) nnzoo.inputs.standardizer, the same
    layer with its variance floored. A linear Dense(1) for regression, a tanh MLP for classification.
    """
    if variant not in VARIANTS:
        raise ValueError(f"Unknown variant; expected one of {VARIANTS}. Received: variant={variant!r}")
    layers = [keras.Input(data.input_shape)]
    if variant == "normalized":
        if data.task == "regression":
            layer = keras.layers.Normalization()
            layer.adapt(data.x_train)
        else:
            layer = standardizer(data.x_train)
        layers.append(layer)
    if data.task == "regression":
        layers.append(keras.layers.Dense(1))
    else:
        layers += [
            keras.layers.Dense(config.digits_units, activation="tanh"),
            keras.layers.Dense(data.num_classes, activation="softmax"),
        ]
    return keras.Sequential(layers, name=f"{data.name}_{variant}")


# ---- the two-scale regression in numpy -------------------------------------------------------------


def scale(x, how, reference):
    """``x`` transformed with statistics of ``reference`` (the training split): raw, standardized or min-max."""
    if how == "raw":
        return x
    if how == "standardized":
        return (x - reference.mean(axis=0)) / reference.std(axis=0)
    lo, hi = reference.min(axis=0), reference.max(axis=0)
    return (x - lo) / (hi - lo)


def design(x):
    """[x, 1]: a linear model with a bias."""
    return np.c_[x, np.ones(len(x))]


def hessian(a):
    """Hessian of the mean squared error (1/N) ||A w - y||^2: (2/N) A^T A."""
    return 2 * a.T @ a / len(a)


def gradient_descent(a, y, lr, steps, stop_at=None):
    """Plain full-batch gradient descent on the MSE from w = 0; returns (weights path, losses)."""
    w = np.zeros(a.shape[1])
    path, losses = [w.copy()], []
    for _ in range(steps):
        r = a @ w - y
        losses.append(float(np.mean(r**2)))
        if stop_at is not None and losses[-1] <= stop_at:
            break
        w = w - lr * 2 * a.T @ r / len(a)
        path.append(w.copy())
    return np.array(path), np.array(losses)


def conditioning(data, cfg):
    """Per scaling: condition number, GD steps to the tolerance (at lr = 1/lambda_max) and final loss."""
    rows, curves = [], {}
    for how in SCALINGS:
        a = design(scale(data.x_train, how, data.x_train))
        eig = np.linalg.eigvalsh(hessian(a))
        optimum = float(np.mean((a @ np.linalg.lstsq(a, data.y_train, rcond=None)[0] - data.y_train) ** 2))
        for factor in (1.0, 1.9):  # 2 / lambda_max is the stability limit
            _, losses = gradient_descent(
                a, data.y_train, factor / eig.max(), cfg.gd_steps, stop_at=optimum * (1 + cfg.tolerance)
            )
            converged = losses[-1] <= optimum * (1 + cfg.tolerance)
            rows.append(
                {
                    "experiment": "conditioning",
                    "scaling": how,
                    "condition_number": eig.max() / eig.min(),
                    "lr_times_lambda_max": factor,
                    "learning_rate": factor / eig.max(),
                    "gd_steps": len(losses) - 1 if converged else np.nan,
                    "converged": converged,
                    "final_loss": losses[-1],
                    "optimum_loss": optimum,
                }
            )
            if factor == 1.0:
                curves[how] = losses - optimum
    return pd.DataFrame(rows), curves


def run(ctx):
    cfg = ctx.pick(FULL, QUICK)
    notes = []
    scales = ctx.load("scales")
    digits = ctx.load("digits")
    table, gd_curves = conditioning(scales, cfg)

    raw_lr = 1.0 / np.linalg.eigvalsh(hessian(design(scales.x_train))).max()
    linear = {
        v: [
            ctx.train(
                f"scales_{v}" + (f"_seed{k}" if k else ""),
                _builder(v, cfg, scales),
                scales,
                seed=ctx.seed + k,
                epochs=cfg.linear_epochs,
                optimizer="sgd",
                batch_size=cfg.batch_size,
                learning_rate=raw_lr if v == "raw" else cfg.linear_learning_rate,
                save=(k == 0),
                validation=(k == 0),  # the curves are the first seed's; every seed's final metrics are measured
            )
            for k in range(cfg.seeds)
        ]
        for v in VARIANTS
    }
    tanh = {
        v: [
            ctx.train(
                f"digits_{v}" + (f"_seed{k}" if k else ""),
                _builder(v, cfg, digits),
                digits,
                seed=ctx.seed + k,
                epochs=cfg.digits_epochs,
                optimizer="adam",
                batch_size=cfg.batch_size,
                learning_rate=cfg.digits_learning_rate,
                save=(k == 0 and v == "normalized"),
                validation=(k == 0),
            )
            for k in range(cfg.seeds)
        ]
        for v in VARIANTS
    }
    rows = [
        _training_row(name, v, runs, lr)
        for name, group, lr in (("scales", linear, None), ("digits", tanh, cfg.digits_learning_rate))
        for v, runs in group.items()
    ]
    table = pd.concat([table, pd.DataFrame(rows)], ignore_index=True)

    claims = [
        _claim_conditioning(table, cfg),
        _claim_keras_layer(linear, scales, raw_lr, cfg),
        _claim_zero_centering(scales, digits),
        _claim_standardization(scales),
        _claim_same_statistics(scales),
        _claim_min_max(scales),
        _claim_whitening(cfg, ctx.seed),
        _claim_tanh_inputs(table, tanh, cfg),
    ]
    pixel_max = digits.x_train.max(axis=0)
    notes.append(
        "Slip S22 (01:912-924): standardization divides by the standard deviation sigma; dividing by sigma^2 "
        "leaves a std of 1/sigma."
    )
    notes.append(
        f"Images (00:718): every digits pixel is on the same 0-16 scale (per-pixel training maxima "
        f"{pixel_max[pixel_max > 0].min():g}-{pixel_max.max():g}), which is why per-feature scaling matters less "
        f"for pixels than for the two-scale features."
    )

    figures = {
        "loss_contours": _contour_figure(scales, cfg),
        "gd_loss": _gd_figure(gd_curves, cfg),
        "learning_curves": plots.learning_curves(
            {
                f"{name} {v}": runs[0].history
                for name, group in (("scales", linear), ("digits", tanh))
                for v, runs in group.items()
            },
            ("loss", "val_loss"),
            logy=True,
            title="raw inputs vs a Normalization layer inside the model (scales: SGD, digits: Adam)",
        ),
    }
    return RecipeResult(table, figures, claims, notes=notes)


def _builder(variant, cfg, data):
    return lambda: build_model(variant, cfg, data=data)


def _training_row(name, variant, runs, lr):
    loss = np.array([r.val["loss"] for r in runs])
    row = {
        "experiment": f"keras_{name}",
        "scaling": variant,
        "seeds": len(runs),
        "learning_rate": lr if lr is not None else np.nan,
        "val_loss_mean": loss.mean(),
        "val_loss_std": loss.std(),
        "test_loss": runs[0].test["loss"],
    }
    if "accuracy" in runs[0].val:
        acc = np.array([r.val["accuracy"] for r in runs])
        row.update(val_accuracy_mean=acc.mean(), val_accuracy_std=acc.std())
    return row


# ---- verdicts: pure functions of the measured numbers -------------------------------------------------


def standardizing_removes_the_elongation(condition_numbers, raw_converged, standardized_converged, standardized_steps):
    """``condition_numbers`` maps a scaling to the Hessian's; ``raw_converged`` has one flag per stable raw rate."""
    return (
        condition_numbers["raw"] > 1e12
        and condition_numbers["standardized"] < 1.1
        and 10 < condition_numbers["min_max"] < 100
        and not any(raw_converged)
        and standardized_converged
        and standardized_steps <= 5
    )


def normalization_layer_lets_sgd_fit(stats_error, normalized_losses, raw_losses, served_loss, noise_variance):
    """Validation MSEs per seed against the data's noise variance; ``stats_error`` is the adapted layer's."""
    return (
        stats_error < 1e-5
        and max(normalized_losses) < 2 * noise_variance
        and min(raw_losses) > 10 * noise_variance
        and served_loss < 2 * noise_variance
    )


def centering_zeroes_the_means(feature_mean, pixel_mean, global_mean, global_pixel_mean):
    """Largest |mean| after per-feature centering (relative to max |x|), per-pixel centering, and the mean and
    largest per-pixel |mean| after subtracting one mean from every pixel."""
    return feature_mean < 1e-8 and pixel_mean < 1e-8 and abs(global_mean) < 1e-8 and global_pixel_mean > 1


def standardization_gives_unit_scale(means, stds, sklearn_error, keras_error, by_variance_stds, inverse_sigmas):
    """``by_variance_stds`` are the stds after dividing by sigma^2 (slip S22), ``inverse_sigmas`` 1/sigma."""
    return (
        max(abs(m) for m in means) < 1e-6
        and max(abs(s - 1) for s in stds) < 1e-6
        and sklearn_error < 1e-9
        and keras_error < 1e-4
        and np.allclose(by_variance_stds, inverse_sigmas)
    )


def training_statistics_do_not_leak(held_out_mean, moved_with_training_stats, moved_when_refitted):
    """Largest |mean| of the standardized held-out splits, and how far one changed test example moves the others."""
    return 1e-8 < held_out_mean < 0.3 and moved_with_training_stats == 0 and moved_when_refitted > 1e-3


def min_max_maps_onto_unit_interval(mins, maxs, formula_error, inlier_span):
    """``inlier_span`` is the inliers' span once one outlier sits 100 ranges beyond their maximum."""
    return (
        all(m == 0 for m in mins)
        and all(m == 1 for m in maxs)
        and formula_error < 1e-12
        and (abs(inlier_span - 1 / 101) < 1e-9)
    )


def whitening_gives_identity_and_amplifies_noise(covariance_error, noise_gains, expected_gains):
    """``noise_gains`` per whitened component against 1/sqrt(lambda) (``expected_gains``)."""
    gains, expected = np.asarray(noise_gains), np.asarray(expected_gains)
    return covariance_error < 1e-2 and np.abs(gains / expected - 1).max() < 0.1 and gains.max() / gains.min() > 50


def standardized_inputs_fit_better(standardized_loss, raw_loss):
    """Mean validation losses of the tanh network with and without standardized inputs."""
    return standardized_loss < raw_loss


# ---- measurements ---------------------------------------------------------------------------------------


def _claim_conditioning(table, cfg):
    t = table[table["experiment"] == "conditioning"]
    at = {(r.scaling, r.lr_times_lambda_max): r for r in t.itertuples()}
    kappa = {how: float(at[(how, 1.0)].condition_number) for how in SCALINGS}
    raw = [at[("raw", f)] for f in (1.0, 1.9)]
    std = at[("standardized", 1.0)]
    return judge(
        "Features on scales 1e8 apart (x1 in [-50,000, 1,000,000], x2 in [0, 0.01]) make an elongated loss surface: "
        f"the Hessian's condition number is ~1e16 raw, ~1 standardized and ~28 min-max; plain GD does not reach "
        f"the optimum in {cfg.gd_steps:,} steps on the raw features at any stable learning rate but converges in a "
        "few steps after standardization",
        standardizing_removes_the_elongation,
        {
            "condition_numbers": kappa,
            "raw_converged": [bool(r.converged) for r in raw],
            "standardized_converged": bool(std.converged),
            "standardized_steps": std.gd_steps,
        },
        f"condition numbers raw {fmt(kappa['raw'])}, standardized {fmt(kappa['standardized'])}, min-max "
        f"{fmt(kappa['min_max'])}; raw after {cfg.gd_steps:,} steps: loss {fmt(raw[0].final_loss)} (lr 1/lambda_max), "
        f"{fmt(raw[1].final_loss)} (lr 1.9/lambda_max) vs optimum {fmt(raw[0].optimum_loss)}; standardized: "
        f"{fmt(std.gd_steps)} steps; min-max: {fmt(at[('min_max', 1.0)].gd_steps)} steps",
        "01:852-866, 00:682-701",
    )


def _claim_keras_layer(linear, data, raw_lr, cfg):
    norm = linear["normalized"][0].model.layers[0]
    stats_err = max(
        float(np.abs(np.asarray(norm.mean).ravel() / data.x_train.mean(axis=0) - 1).max()),
        float(np.abs(np.asarray(norm.variance).ravel() / data.x_train.var(axis=0) - 1).max()),
    )
    saved = keras.models.load_model(linear["normalized"][0].model_path)
    served = float(np.mean((np.asarray(saved.predict(data.x_test, verbose=0)).ravel() - data.y_test) ** 2))
    raw = np.array([r.val["loss"] for r in linear["raw"]])
    normalized = np.array([r.val["loss"] for r in linear["normalized"]])
    noise = data.spec["noise"] ** 2
    return judge(
        "A keras.layers.Normalization adapted on the training split, inside the model, lets SGD fit the two-scale "
        "data (validation MSE near the noise level) where the raw-input model at its largest stable learning rate "
        "does not; the saved model takes raw inputs",
        normalization_layer_lets_sgd_fit,
        {
            "stats_error": stats_err,
            "normalized_losses": normalized.tolist(),
            "raw_losses": raw.tolist(),
            "served_loss": served,
            "noise_variance": noise,
        },
        f"validation MSE over {len(raw)} seeds: normalized {fmt(normalized.mean())} (± {fmt(normalized.std(), 2)}), "
        f"raw {fmt(raw.mean())} (± {fmt(raw.std(), 2)}, lr {fmt(raw_lr)}); noise variance {fmt(noise)}; adapted "
        f"mean/variance differ from the training split's by {fmt(stats_err)} (relative); reloaded .keras on raw "
        f"test inputs: MSE {fmt(served)}",
        "01:904-930, 00:718",
        variants=[*linear["raw"], *linear["normalized"]],
    )


def _claim_zero_centering(scales, digits):
    centered = scales.x_train - scales.x_train.mean(axis=0)
    pixels = digits.x_train.astype(np.float64)
    one_mean = pixels - pixels.mean()  # AlexNet: one mean for every pixel
    per_pixel = pixels - pixels.mean(axis=0)  # per feature (VGG: per channel)
    measured = {
        "feature_mean": float(np.abs(centered.mean(axis=0)).max() / np.abs(scales.x_train).max()),
        "pixel_mean": float(np.abs(per_pixel.mean(axis=0)).max()),
        "global_mean": float(one_mean.mean()),
        "global_pixel_mean": float(np.abs(one_mean.mean(axis=0)).max()),
    }
    return judge(
        "Zero-centering subtracts each feature's mean (|mean| < 1e-8 afterwards); one mean for all pixels "
        "(AlexNet) centres the image as a whole but not each pixel",
        centering_zeroes_the_means,
        measured,
        f"two-scale features: |mean| after centering {fmt(np.abs(centered.mean(axis=0)).max())} (relative to max |x| "
        f"{fmt(measured['feature_mean'])}); digits per-pixel centering: max |pixel mean| {fmt(measured['pixel_mean'])}; "
        f"one global mean: overall mean {fmt(measured['global_mean'])}, per-pixel means up to "
        f"{fmt(measured['global_pixel_mean'])}",
        "00:714-716, 03:1346",
    )


def _claim_standardization(data):
    x = data.x_train.copy()
    x -= np.mean(x, axis=0)  # the lecture's two lines (03:1350-1352)
    x /= np.std(x, axis=0)
    sklearn_err = float(np.abs(x - StandardScaler().fit(data.x_train).transform(data.x_train)).max())
    layer = keras.layers.Normalization()
    layer.adapt(data.x_train)
    keras_err = float(np.abs(np.asarray(layer(data.x_train)) - x).max())
    sigma = data.x_train.std(axis=0)
    by_variance = (data.x_train - data.x_train.mean(axis=0)) / sigma**2  # slip S22
    return judge(
        "Standardization X -= mean, X /= std gives every feature mean 0 and std 1, equal to StandardScaler and to an "
        "adapted keras.layers.Normalization; dividing by the variance (slip S22) leaves a std of 1/sigma",
        standardization_gives_unit_scale,
        {
            "means": x.mean(axis=0).tolist(),
            "stds": x.std(axis=0).tolist(),
            "sklearn_error": sklearn_err,
            "keras_error": keras_err,
            "by_variance_stds": by_variance.std(axis=0).tolist(),
            "inverse_sigmas": (1 / sigma).tolist(),
        },
        f"means {', '.join(fmt(m) for m in x.mean(axis=0))}, stds {', '.join(fmt(s, 8) for s in x.std(axis=0))}; "
        f"max |numpy - StandardScaler| {fmt(sklearn_err)}, |numpy - Normalization| {fmt(keras_err)} (float32); "
        f"dividing by sigma^2: stds {fmt(by_variance.std(axis=0)[0])} and {fmt(by_variance.std(axis=0)[1])} "
        f"(1/sigma = {fmt(1 / sigma[0])}, {fmt(1 / sigma[1])})",
        "00:718, 01:904-924, 03:1346-1358",
    )


def _claim_same_statistics(data):
    scaler = StandardScaler().fit(data.x_train)
    val, test = scaler.transform(data.x_val), scaler.transform(data.x_test)
    held_out = float(max(np.abs(val.mean(axis=0)).max(), np.abs(test.mean(axis=0)).max()))
    changed = data.x_test.copy()
    changed[0] *= 2.0  # one test example changes
    train_stats = float(np.abs(scaler.transform(changed)[1:] - test[1:]).max())
    refit = float(
        np.abs(StandardScaler().fit_transform(changed)[1:] - StandardScaler().fit_transform(data.x_test)[1:]).max()
    )
    return judge(
        "Validation and test are transformed with the training split's mean and std (their means are then near 0, "
        "not exactly 0); refitting on the test split leaks: one test example then changes every other one's inputs",
        training_statistics_do_not_leak,
        {"held_out_mean": held_out, "moved_with_training_stats": train_stats, "moved_when_refitted": refit},
        f"max |mean| of standardized val/test {fmt(held_out)}; doubling test example 0 moves the other test inputs by "
        f"{fmt(train_stats)} with the training statistics and by up to {fmt(refit)} when refitted on test",
        "01:930",
    )


def _claim_min_max(data):
    scaler = MinMaxScaler(feature_range=(0, 1)).fit(data.x_train)
    x = scaler.transform(data.x_train)
    formula = scale(data.x_train, "min_max", data.x_train)
    val = scaler.transform(data.x_val)
    x1 = data.x_train[:, 0]
    outlier = x1.max() + 100 * (x1.max() - x1.min())
    squeezed = MinMaxScaler().fit_transform(np.r_[x1, outlier][:, None])[:-1, 0]
    span = float(squeezed.max() - squeezed.min())
    return judge(
        "Min-max scaling maps the training split onto [0, 1] (min exactly 0, max exactly 1; MinMaxScaler); it is "
        "sensitive to outliers: one value 100 ranges beyond the maximum squeezes the inliers into 1/101 of [0, 1]",
        min_max_maps_onto_unit_interval,
        {
            "mins": x.min(axis=0).tolist(),
            "maxs": x.max(axis=0).tolist(),
            "formula_error": float(np.abs(x - formula).max()),
            "inlier_span": span,
        },
        f"train min {x.min(axis=0).tolist()}, max {x.max(axis=0).tolist()}; max |sklearn - formula| "
        f"{fmt(np.abs(x - formula).max())}; validation range [{fmt(val.min())}, {fmt(val.max())}]; with the outlier "
        f"the inliers span {span:.6f} (1/101 = {1 / 101:.6f})",
        "01:892-902, 03:1379-1386",
    )


def _claim_whitening(cfg, seed):
    rng = np.random.default_rng(seed)
    spectrum = np.array(cfg.whitening_spectrum)
    rotation, _ = np.linalg.qr(rng.standard_normal((len(spectrum), len(spectrum))))
    draw = lambda n: (rng.standard_normal((n, len(spectrum))) * np.sqrt(spectrum)) @ rotation.T  # noqa: E731
    x, held_out = draw(cfg.whitening_n), draw(cfg.whitening_n)
    pca = PCA(n_components=None, whiten=True).fit(x)
    train_err = float(np.abs(np.cov(pca.transform(x), rowvar=False) - np.eye(len(spectrum))).max())
    held_err = np.abs(np.cov(pca.transform(held_out), rowvar=False) - np.eye(len(spectrum))).max()
    noise = rng.standard_normal(held_out.shape) * cfg.input_noise
    amplified = (pca.transform(held_out + noise) - pca.transform(held_out)).std(axis=0)
    gain = amplified / cfg.input_noise
    expected = 1 / np.sqrt(pca.explained_variance_)
    return judge(
        "PCA whitening (PCA(whiten=True)) turns the covariance into the identity, and amplifies noise: a "
        "low-variance direction is multiplied by 1/sqrt(lambda), so input noise there grows as large as the signal",
        whitening_gives_identity_and_amplifies_noise,
        {"covariance_error": train_err, "noise_gains": gain.tolist(), "expected_gains": expected.tolist()},
        f"n = {cfg.whitening_n}, eigenvalues {', '.join(f'{v:g}' for v in spectrum)}: max |C - I| {fmt(train_err)} on "
        f"the fitted data, {fmt(held_err)} on a fresh sample; input noise std {cfg.input_noise} becomes "
        f"{', '.join(fmt(v, 3) for v in amplified)} per whitened component (1/sqrt(lambda) = "
        f"{', '.join(fmt(v, 3) for v in expected)})",
        "00:733, 03:1360-1373",
    )


def _claim_tanh_inputs(table, tanh, cfg):
    t = table[table["experiment"] == "keras_digits"].set_index("scaling")
    raw, norm = t.loc["raw"], t.loc["normalized"]
    return judge(
        f"Zero mean, unit variance inputs suit a tanh network: on digits (raw pixels 0-16) the standardized "
        f"network has a lower validation loss after {cfg.digits_epochs} epochs of Adam (mean of {cfg.seeds} seeds; "
        "Adam, because with SGD the input scale also rescales the effective step size); the gain is small, as "
        "00:718 expects for pixels on one scale",
        standardized_inputs_fit_better,
        {"standardized_loss": float(norm["val_loss_mean"]), "raw_loss": float(raw["val_loss_mean"])},
        f"validation loss standardized {fmt(norm['val_loss_mean'])} (± {fmt(norm['val_loss_std'], 2)}), accuracy "
        f"{fmt(norm['val_accuracy_mean'])}; raw {fmt(raw['val_loss_mean'])} (± {fmt(raw['val_loss_std'], 2)}), accuracy "
        f"{fmt(raw['val_accuracy_mean'])}",
        "03:2512, 03:1342-1358",
        variants=[*tanh["raw"], *tanh["normalized"]],
        chance=0.1,
    )


def _gd_figure(curves, cfg):
    steps = np.unique(np.geomspace(1, cfg.gd_steps, 60).astype(int))
    fig = plots.curves(
        {how: (steps, np.r_[c, np.full(cfg.gd_steps, np.nan)][steps - 1]) for how, c in curves.items()},
        xlabel="gradient-descent step (lr = 1/lambda_max)",
        ylabel="loss - optimum",
        logy=True,
        title="GD on the two-scale features: raw stalls, scaled converges",
        size=(6.0, 3.6),
    )
    fig.axes[0].set_xscale("log")
    return fig


def _contour_figure(data, cfg, steps=200):
    """Loss contours over (w1, w2) for centred targets and features, raw vs standardized, with GD paths."""
    panels = {}
    y = data.y_train - data.y_train.mean()
    for how in ("raw", "standardized"):
        x = scale(data.x_train, how, data.x_train)
        x = x - x.mean(axis=0)
        w_opt = np.linalg.lstsq(x, y, rcond=None)[0]
        path, _ = gradient_descent(x, y, 1.0 / np.linalg.eigvalsh(hessian(x)).max(), steps)
        half = np.abs(w_opt) * 1.3 + 1e-12
        gram, cross, const = x.T @ x / len(x), x.T @ y / len(x), float(y @ y / len(x))

        def loss(w1, w2, gram=gram, cross=cross, const=const):
            return (
                gram[0, 0] * w1**2
                + 2 * gram[0, 1] * w1 * w2
                + gram[1, 1] * w2**2
                - 2 * (cross[0] * w1 + cross[1] * w2)
                + const
            )

        panels[f"{how} features (GD at lr = 1/lambda_max, {steps} steps)"] = {
            "f": loss,
            "paths": {"GD": path, "optimum": w_opt[None, :]},
            "xlim": (w_opt[0] - half[0], w_opt[0] + half[0]),
            "ylim": (w_opt[1] - half[1], w_opt[1] + half[1]),
            "xlabel": "w1",
            "ylabel": "w2",
        }
    return plots.contour_panels(
        panels, title="MSE contours of y = w1 x1 + w2 x2 (centred data; each axis spans its optimum)"
    )


if __name__ == "__main__":
    from nnzoo.cli import main_for

    raise SystemExit(main_for(__name__))
