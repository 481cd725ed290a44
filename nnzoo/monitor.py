"""TrainingMonitor: watch a network learn, as lecture 000 teaches, from any Keras model.

Keras 3's TensorBoard callback no longer records weight or activation histograms, and nothing
in Keras reports the update-to-weight ratio or dead units. This callback records, every epoch
(or every N steps):

- loss and every metric, for training and validation;
- per layer with a kernel: the update-to-weight ratio ||dW|| / ||W|| per step (about 1e-3 is
  healthy), weight and gradient statistics and histograms;
- per hidden layer, on a fixed probe batch: activation statistics and histograms, the fraction
  of dead ReLU units and of saturated tanh/sigmoid units;
- the first layer's weights as images when the input is an image.

It writes a tidy pandas table (``to_frame``/``save``), PNG figures (``figures``) and, given a
``log_dir``, TensorBoard scalars and histograms. At the end it prints named findings
(nnzoo.diagnoses) and, with ``stop_on_explosion`` (default), it stops a run whose loss turns
NaN or exceeds 3x its starting value (lecture 003:2150).

With ``steps_per_execution = k > 1`` Keras calls batch hooks once per k steps; the update ratio
is then the mean per-step displacement over the last k steps, ||W_{t+k} - W_t|| / (k ||W_t||).
"""

import math
import sys
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from nnzoo import diagnoses, plots

SATURATING = {"tanh": lambda a: np.abs(a) > 0.99, "sigmoid": lambda a: (a < 0.01) | (a > 0.99)}
PROBE_SIZE = 256


def _activation_name(layer):
    fn = getattr(layer, "activation", None)
    return getattr(fn, "__name__", "") if fn is not None else ""


def _legend(ax):
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="x-small")


def _hidden(layer):
    """A layer whose output is a non-linear activation (Dense(relu), Activation('tanh'), ...)."""
    return _activation_name(layer) not in ("", "linear", "softmax")


class TrainingMonitor(keras.callbacks.Callback):
    """Record the lecture's diagnostics while training; see the module docstring.

    Args:
        probe_x, probe_y: a fixed batch for activations and gradients (a few hundred examples).
        every: "epoch" (default, cheap) or a number of training steps between records.
        log_dir: folder for TensorBoard event files (None: no TensorBoard output).
        stop_on_explosion: stop training when the loss is NaN or above ``explosion_factor``
            times its value before training.
        image_shape: (height, width, channels) of an input example, for first-layer pictures.
        bins: histogram bins.
        verbose: print the findings at the end of training.
    """

    def __init__(
        self,
        probe_x,
        probe_y,
        *,
        every="epoch",
        log_dir=None,
        stop_on_explosion=True,
        explosion_factor=diagnoses.EXPLOSION_FACTOR,
        image_shape=None,
        bins=30,
        name="model",
        verbose=1,
    ):
        super().__init__()
        if every != "epoch" and not (isinstance(every, int) and every >= 1):
            raise ValueError(f"every must be 'epoch' or a positive number of steps. Received: every={every!r}")
        if explosion_factor <= 1:
            raise ValueError(f"explosion_factor must be > 1. Received: explosion_factor={explosion_factor!r}")
        self.probe_x = np.asarray(probe_x)[:PROBE_SIZE]
        self.probe_y = np.asarray(probe_y)[:PROBE_SIZE]
        self.every, self.log_dir, self.bins, self.name, self.verbose = every, log_dir, bins, name, verbose
        self.stop_on_explosion, self.explosion_factor = stop_on_explosion, explosion_factor
        self.image_shape = tuple(image_shape) if image_shape else None
        self.rows, self.epochs, self.histograms = [], [], {}
        self.start_loss, self.stopped_at, self._findings = None, None, None

    @classmethod
    def for_data(cls, data, **kwargs):
        """A monitor probing the first examples of a nnzoo Dataset's training split."""
        return cls(data.x_train, data.y_train, image_shape=data.image_shape or None, **kwargs)

    # ---- Keras hooks -----------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        model = self.model
        self._kernels = [
            (layer.name, layer.kernel) for layer in model.layers if getattr(layer, "kernel", None) is not None
        ]
        self._hidden = [layer for layer in model.layers if _hidden(layer)]
        # one forward pass of the probe gives the hidden activations and, under a tape, the gradients
        outputs = [*(layer.output for layer in self._hidden), model.outputs[0]] if self._hidden else None
        self._probe_model = keras.Model(model.inputs[0], outputs) if outputs else None
        self._loss_fn = model.loss if callable(model.loss) else keras.losses.get(model.loss)
        self._writer = tf.summary.create_file_writer(str(self.log_dir)) if self.log_dir else None
        self.start_loss = self._probe_loss()
        self._before, self._last_execution = None, None
        self._next_record = self.every if self.every != "epoch" else None

    def on_train_batch_begin(self, batch, logs=None):
        # the kernels before this execution, as tensors TensorFlow copies on the next write (cheaper than
        # NumPy copies); the update ratio is computed from them only when a record needs it
        self._before = (batch, [v.value.read_value() for _, v in self._kernels])

    def on_train_batch_end(self, batch, logs=None):
        self._last_execution = (*self._before, batch)
        loss = (logs or {}).get("loss")
        if loss is not None and self.stop_on_explosion and self.stopped_at is None:
            if not math.isfinite(loss) or loss > self.explosion_factor * self.start_loss:
                self.stopped_at = (self._step(), float(loss))
                self.model.stop_training = True
        if self.every != "epoch" and self._step() >= self._next_record:
            self._record(epoch=len(self.epochs), logs=logs or {})
            self._next_record = self._step() + self.every

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        self.epochs.append({"epoch": epoch + 1, **logs})
        if self.every == "epoch":
            self._record(epoch=epoch + 1, logs=logs)

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.flush()
        self._findings = None
        if self.verbose:
            for finding in self.findings():
                print(f"  [monitor {self.name}] {finding}", file=sys.stderr)

    # ---- measurements ----------------------------------------------------------------------
    def _step(self):
        return int(keras.ops.convert_to_numpy(self.model.optimizer.iterations.value))

    def _probe_loss(self):
        return float(keras.ops.mean(self._loss_fn(self.probe_y, self.model(self.probe_x, training=False))))

    def _probe(self):
        """The hidden layers' activations on the probe batch and the loss gradient of every kernel there."""
        with tf.GradientTape() as tape:
            if self._probe_model is None:  # no hidden layer (and perhaps no functional graph to take one from)
                activations, output = [], self.model(self.probe_x, training=False)
            else:
                *activations, output = self._probe_model(self.probe_x, training=False)
            loss = keras.ops.mean(self._loss_fn(self.probe_y, output))
        grads = tape.gradient(loss, [v for _, v in self._kernels])
        gradients = {
            name: (np.zeros(v.shape) if g is None else np.asarray(g)) for (name, v), g in zip(self._kernels, grads)
        }
        return [np.asarray(a) for a in activations], gradients

    def _update_ratios(self):
        """||dW|| / (k ||W||) of each kernel over the last execution of k steps (none before the first)."""
        if self._last_execution is None:
            return {}
        begin, before, end = self._last_execution
        ratios = {}
        with np.errstate(all="ignore"):  # an exploding run overflows; its ratio is then inf/nan
            for (name, v), w0 in zip(self._kernels, before):
                w0 = np.asarray(w0)
                ratios[name] = float(
                    np.linalg.norm(np.asarray(v) - w0) / ((end - begin + 1) * (np.linalg.norm(w0) or 1.0))
                )
        return ratios

    def _record(self, epoch, logs):
        step = self._step()
        rows = [
            {"step": step, "epoch": epoch, "layer": "", "kind": "metric", "stat": k, "value": v}
            for k, v in logs.items()
        ]

        def add(layer, kind, values):
            values = np.asarray(values, dtype=float).ravel()
            finite = values[np.isfinite(values)]
            rows.extend(
                {"step": step, "epoch": epoch, "layer": layer, "kind": kind, "stat": stat, "value": val}
                for stat, val in (
                    ("mean", finite.mean() if finite.size else np.nan),
                    ("std", finite.std() if finite.size else np.nan),
                    ("norm", np.linalg.norm(finite)),
                )
            )
            self.histograms[(kind, layer)] = finite
            if self._writer is not None and finite.size:
                with self._writer.as_default(step=step):
                    tf.summary.histogram(f"{kind}/{layer}", finite, buckets=self.bins)

        activations, gradients = self._probe()
        for name, variable in self._kernels:
            add(name, "weight", np.asarray(variable))
        for name, grad in gradients.items():
            add(name, "gradient", grad)
        for name, ratio in self._update_ratios().items():
            rows.append(
                {"step": step, "epoch": epoch, "layer": name, "kind": "update_ratio", "stat": "value", "value": ratio}
            )
        for layer, out in zip(self._hidden, activations):
            a = out.reshape(len(self.probe_x), -1)
            add(layer.name, "activation", a)
            act = _activation_name(layer)
            if act == "relu":
                rows.append(
                    {
                        "step": step,
                        "epoch": epoch,
                        "layer": layer.name,
                        "kind": "dead_fraction",
                        "stat": "value",
                        "value": float((a.max(axis=0) <= 0).mean()),
                    }
                )
            if act in SATURATING:
                rows.append(
                    {
                        "step": step,
                        "epoch": epoch,
                        "layer": layer.name,
                        "kind": "saturated_fraction",
                        "stat": "value",
                        "value": float(SATURATING[act](a).mean()),
                    }
                )
        if self._writer is not None:
            with self._writer.as_default(step=step):
                for row in rows:
                    if row["kind"] in ("metric", "update_ratio", "dead_fraction", "saturated_fraction"):
                        tag = row["stat"] if row["kind"] == "metric" else f"{row['kind']}/{row['layer']}"
                        tf.summary.scalar(tag, row["value"])
        self.rows.extend(rows)

    # ---- results ---------------------------------------------------------------------------
    def to_frame(self):
        """The tidy table: one row per (step, epoch, layer, kind, stat, value)."""
        return pd.DataFrame(self.rows, columns=["step", "epoch", "layer", "kind", "stat", "value"])

    def latest(self, kind, stat="value"):
        """{layer: value} of ``kind`` at the last record."""
        df = self.to_frame()
        df = df[(df.kind == kind) & (df.stat == stat)]
        if df.empty:
            return {}
        last = df[df.step == df.step.max()]
        return dict(zip(last.layer, last.value))

    def findings(self):
        """The named diagnoses of this run (nnzoo.diagnoses.Finding), computed once."""
        if self._findings is not None:
            return self._findings
        found = []
        if self.stopped_at is not None:
            step, loss = self.stopped_at
            found.append(
                diagnoses.Finding(
                    "run stopped: loss exploded",
                    False,
                    f"loss {loss:.4g} at step {step} vs {self.start_loss:.4g} before training "
                    f"(> {self.explosion_factor:g}x or NaN)",
                    "lower the learning rate",
                )
            )
        losses = [e["loss"] for e in self.epochs if "loss" in e]
        if losses:
            found.append(diagnoses.learning_rate([self.start_loss, *losses], factor=self.explosion_factor))
        last = self.epochs[-1] if self.epochs else {}
        if "accuracy" in last and "val_accuracy" in last:
            found.append(diagnoses.fit(last["accuracy"], last["val_accuracy"]))
        found.append(diagnoses.update_ratio(self.latest("update_ratio")))
        found.append(diagnoses.gradient_flow(self.latest("gradient", "norm")))
        found.extend(diagnoses.unit_health(self.latest("dead_fraction"), self.latest("saturated_fraction")))
        self._findings = found
        return found

    def save(self, folder, *, figures=True):
        """Write ``monitor.csv``, ``findings.json`` and (optionally) the figures into ``folder``."""
        from nnzoo import io

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with io.atomic_path(folder / "monitor.csv") as tmp:
            self.to_frame().to_csv(tmp, index=False)
        io.write_json(folder / "findings.json", [f.to_dict() for f in self.findings()])
        for stem, fig in self.figures().items() if figures else ():
            plots.save(fig, folder / f"{stem}.png")

    def figures(self):
        """{"dashboard": Figure} plus {"first_layer": Figure} for image inputs."""
        figs = {"dashboard": self._dashboard()}
        if self.image_shape and self._kernels:
            figs["first_layer"] = self._first_layer()
        return figs

    def _dashboard(self):
        fig, axes = plots.grid(6, ncols=3, title=f"training monitor: {self.name}")
        epochs = pd.DataFrame(self.epochs)
        for ax, metrics in zip(axes[:2], (("loss", "val_loss"), ("accuracy", "val_accuracy"))):
            for m in metrics:
                if m in epochs:
                    ax.plot(epochs["epoch"], epochs[m], label=m)
            ax.set_xlabel("epoch")
            _legend(ax)
        df = self.to_frame()
        ratio = df[df.kind == "update_ratio"]
        for layer, part in ratio.groupby("layer", sort=False):
            axes[2].plot(part.step, part.value, label=layer)
        axes[2].axhline(diagnoses.UPDATE_RATIO_TARGET, color="k", ls="--", lw=1, label="1e-3")
        axes[2].set(yscale="log", xlabel="step", title="update / weight ratio")
        _legend(axes[2])
        for ax, kind in zip(axes[3:5], ("activation", "gradient")):
            for (k, layer), values in self.histograms.items():
                if k == kind and values.size:
                    ax.hist(values, bins=self.bins, histtype="step", label=layer)
            ax.set_title(f"{kind} distribution (last record)")
            _legend(ax)
        for (k, layer), values in self.histograms.items():
            if k == "weight":
                axes[5].hist(values, bins=self.bins, histtype="step", label=layer)
        axes[5].set_title("weight distribution (last record)")
        _legend(axes[5])
        return fig

    def _first_layer(self, max_units=32):
        kernel = np.asarray(self._kernels[0][1])
        h, w, c = self.image_shape
        units = min(max_units, kernel.shape[-1])
        fig, axes = plots.grid(units, ncols=8, size=(1.2, 1.2), title="first-layer weights")
        for k, ax in enumerate(axes):
            img = kernel[..., k].reshape(h, w, c)
            img = (img - img.min()) / (np.ptp(img) or 1.0)
            ax.imshow(img if c == 3 else img[..., 0], cmap=None if c == 3 else "gray")
            ax.axis("off")
        return fig
