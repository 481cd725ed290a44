"""The one training path every recipe uses: seed, build, compile, fit on tf.data, evaluate, save.

Fast defaults measured on a 2-core CPU: a shuffled, batched, prefetched tf.data pipeline and
``steps_per_execution`` of up to 64 batches per call into the compiled train function.
"""

import contextlib
import dataclasses
import datetime
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from tensorflow.python import pywrap_tfe

from nnzoo import io, keras_multistep, keras_multiworker, trace_reuse
from nnzoo.trace_registry import released_custom_gradients

MAX_STEPS_PER_EXECUTION = 64


@dataclasses.dataclass
class TrainedVariant:
    """A trained model with its per-epoch history, test metrics and where it was saved."""

    name: str
    model: keras.Model
    history: pd.DataFrame
    val: dict
    test: dict
    seconds: float
    model_path: Path | None = None
    phases: dict = dataclasses.field(default_factory=dict)  # wall seconds of build_compile, fit, evaluate, save

    @property
    def iterations(self):
        """Optimizer steps taken (works for tf.distribute's mirrored variables too)."""
        return int(keras.ops.convert_to_numpy(self.model.optimizer.iterations.value))

    @property
    def diverged_at(self):
        """The first epoch whose loss is NaN or infinite (training stopped there), or None."""
        bad = self.history.index[~np.isfinite(self.history["loss"].to_numpy(dtype=float))]
        return int(self.history["epoch"][bad[0]]) if len(bad) else None

    def final(self, column):
        """The last epoch's value of a history column (for example ``val_accuracy``)."""
        return float(self.history[column].iloc[-1])


def seed_everything(seed, *, keep_kernels=False):
    """Seed Python, NumPy, Keras and TensorFlow (``keras.utils.set_random_seed``), so the same seed gives the
    same weights and batches.

    ``keep_kernels`` keeps TensorFlow's compiled kernels. ``tf.random.set_seed`` empties TensorFlow's eager
    kernel cache, so that a stateful random op run eagerly (``tf.random.uniform``) starts its stream again;
    every function traced before then compiles again on its next call (Grappler, partitioning): 0.15 to
    0.25 s for each variant that runs a reused graph (nnzoo.trace_reuse). Code that draws only statelessly,
    from Keras 3's SeedGenerators and tf.data's seeded shuffles as nnzoo's recipes do, gets the same numbers
    either way; a stateful op run eagerly would go on with its stream.
    """
    clear_caches = pywrap_tfe.TFE_ContextClearCaches  # tensorflow/python/eager/context.py, _set_global_seed
    if keep_kernels:
        pywrap_tfe.TFE_ContextClearCaches = lambda handle: None
    try:
        keras.utils.set_random_seed(int(seed))
    finally:
        pywrap_tfe.TFE_ContextClearCaches = clear_caches


def build_state(model, dataset):
    """Create the optimizer's, the metrics' and the loss's variables before the first step, as Keras does under
    a tf.distribute strategy (``Trainer._symbolic_build``, keras/src/trainers/trainer.py).

    Without a strategy Keras creates them while tracing the first train step, and a ``tf.function`` that
    creates variables is traced twice: once creating them, then again without. Created first, the train step
    is traced once, which took about a third off a new digits graph's first epoch (docs/performance.md); the
    variables start at the same values, so every number is the same.
    """
    model._symbolic_build(data_batch=dataset.element_spec)


def make_dataset(x, y, batch_size, *, shuffle_seed=None):
    """A tf.data pipeline: optionally shuffled with a fixed seed, batched, prefetched."""
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle_seed is not None:
        ds = ds.shuffle(len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def strategy_dataset(strategy, x, y, global_batch_size, *, shuffle_seed=None):
    """``make_dataset`` for one process; across workers, each replica's slice of the very same global batches.

    tf.data's automatic sharding rewrites the pipeline on every worker and the rewritten shuffle no longer
    follows the seed (two workers then train on other batches than one process). Here every worker builds
    the one-process pipeline itself and keeps its replicas' rows of each global batch, so N workers take the
    same optimizer steps on the same examples as one process.
    """
    if not keras_multiworker.is_multi_worker(strategy):
        return make_dataset(x, y, global_batch_size, shuffle_seed=shuffle_seed)

    def replica_batches(context):
        local = len(strategy.extended.worker_devices)
        first = context.input_pipeline_id * local
        batches = make_dataset(x, y, global_batch_size, shuffle_seed=shuffle_seed)
        shares = batches.flat_map(
            lambda *batch: tf.data.Dataset.range(first, first + local).map(
                lambda replica: _replica_rows(batch, replica, strategy.num_replicas_in_sync)
            )
        )
        # a known length keeps Keras's epoch loop (and so the reshuffles) the same as for one process
        return shares.apply(tf.data.experimental.assert_cardinality(batches.cardinality() * local))

    return strategy.distribute_datasets_from_function(replica_batches)


def _replica_rows(batch, replica, replicas):
    """Rows [r*n/R, (r+1)*n/R) of each tensor of a global batch of n rows: replica r's share of R."""
    rows = tf.shape(batch[0], out_type=tf.int64)[0]
    start, stop = rows * replica // replicas, rows * (replica + 1) // replicas
    return tuple(tensor[start:stop] for tensor in batch)


def resolve_optimizer(optimizer, learning_rate=None):
    """An optimizer instance from a name, an instance, or a zero-argument factory."""
    if callable(optimizer) and not isinstance(optimizer, keras.optimizers.Optimizer):
        optimizer = optimizer()
    if isinstance(optimizer, str):
        config = {} if learning_rate is None else {"learning_rate": learning_rate}
        return keras.optimizers.get({"class_name": optimizer, "config": config})
    if learning_rate is not None:
        optimizer.learning_rate = learning_rate
    return optimizer


def default_loss(data):
    if data.task == "classification":
        return "sparse_categorical_crossentropy", ["accuracy"]
    return "mse", ["mae"]


def preprocessing_stats(model):
    """The statistics of preprocessing layers inside the model, as JSON-ready values."""
    stats = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Normalization):
            stats.append(
                {
                    "layer": layer.name,
                    "type": "Normalization",
                    "mean": np.asarray(layer.mean).ravel().tolist(),
                    "variance": np.asarray(layer.variance).ravel().tolist(),
                }
            )
        elif isinstance(layer, keras.layers.Rescaling):
            stats.append(
                {
                    "layer": layer.name,
                    "type": "Rescaling",
                    "scale": float(np.asarray(layer.scale)),
                    "offset": float(np.asarray(layer.offset)),
                }
            )
    return stats


class EpochTimer(keras.callbacks.Callback):
    """Records wall seconds per epoch and prints a short progress line now and then."""

    def __init__(self, label, epochs, verbose):
        super().__init__()
        self.label, self.epochs, self.verbose = label, epochs, verbose
        self.every = max(1, epochs // 5)
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        done = epoch + 1
        if self.verbose and (done % self.every == 0 or done == self.epochs):
            shown = "  ".join(f"{k} {v:.4g}" for k, v in (logs or {}).items() if "loss" in k or "acc" in k)
            print(f"  [{self.label}] epoch {done}/{self.epochs}  {shown}", file=sys.stderr, flush=True)


def train(
    name,
    build,
    data,
    *,
    epochs,
    batch_size=32,
    optimizer="adam",
    learning_rate=None,
    loss=None,
    metrics=None,
    callbacks=(),
    seed=0,
    strategy=None,
    save_dir=None,
    metadata=None,
    verbose=1,
    validation=True,
    label=None,
    steps_per_execution=None,
    compiled=False,
    initial_epoch=0,
    checkpoint=None,
    stop_on_nan=True,
    keep_kernels=False,
):
    """Seed, build, compile and fit one variant; evaluate it; optionally save it with metadata.

    ``build`` is a zero-argument callable returning an uncompiled model; it runs right after
    seeding (inside ``strategy.scope()`` when a tf.distribute strategy is given), so every
    variant trained with the same seed starts from the same random stream.
    ``steps_per_execution=None`` picks the fast default; 1 gives callbacks every single step.
    ``compiled=True``: ``build`` returns a model compiled already (a KerasTuner trial's, whose recipe compiles
    it and into which Hyperband may have loaded a checkpoint), trained as it is from ``initial_epoch``.
    ``stop_on_nan`` ends training in the epoch whose loss turns NaN or infinite (keras TerminateOnNaN):
    more epochs on NaN weights teach nothing; ``TrainedVariant.diverged_at`` names that epoch.
    ``checkpoint`` (an nnzoo.checkpoints.VariantCheckpoint) saves progress after epochs and,
    when it holds some, continues from it: a finished variant is loaded instead of retrained.
    ``keep_kernels``: seed without emptying TensorFlow's kernel cache (``seed_everything``), for code that draws
    no stateful random op eagerly; nnzoo's recipes train so (RunContext.train).
    """
    began = time.perf_counter()
    seed_everything(seed, keep_kernels=keep_kernels)
    default = default_loss(data)
    loss = default[0] if loss is None else loss
    metrics = default[1] if metrics is None else metrics
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        model = build()
        steps = int(np.ceil(len(data.x_train) / batch_size))
        if not compiled:
            model.compile(
                optimizer=resolve_optimizer(optimizer, learning_rate),
                loss=loss,
                metrics=[_made_in_scope(m) for m in metrics] if strategy is not None else list(metrics),
                steps_per_execution=steps_per_execution or _steps_per_execution(steps),
            )
    train_ds = strategy_dataset(strategy, data.x_train, data.y_train, batch_size, shuffle_seed=seed)
    val_ds = (
        strategy_dataset(strategy, data.x_val, data.y_val, batch_size * 4) if validation and len(data.x_val) else None
    )
    graph = None
    if strategy is None:  # under a strategy Keras builds the state itself, in fit, and traces are not shared
        build_state(model, train_ds)
        graph = trace_reuse.signature(model, train_ds)
    trace_reuse.reuse(model, graph)
    timer = EpochTimer(label or name, epochs, verbose)
    saved = checkpoint.load(model) if checkpoint is not None else None
    if saved is not None and saved["finished"] is not None:
        return _restored(name, model, saved, save_dir)
    rows = []
    if stop_on_nan:
        callbacks = [keras.callbacks.TerminateOnNaN(), *callbacks]
    if checkpoint is not None:
        rows, initial_epoch = (saved["history"], saved["epoch"]) if saved else ([], initial_epoch)
        timer.seconds = list(saved["seconds"]) if saved else []
        _replay_shuffles(train_ds, initial_epoch)
        callbacks = [*callbacks, checkpoint.saver(timer, rows)]
    start = time.perf_counter()
    phases = {"build_compile": start - began}
    with released_custom_gradients(), distributed_fixes(strategy):  # released: or each graph stays in memory
        fit = model.fit(
            train_ds,
            validation_data=val_ds,
            epochs=epochs,
            verbose=0,
            shuffle=False,
            callbacks=[timer, *callbacks],
            initial_epoch=initial_epoch,
        )
    seconds = time.perf_counter() - start
    phases["fit"] = seconds
    history = _history_frame(rows + _rows(fit.history), timer.seconds, first_epoch=initial_epoch - len(rows) + 1)
    val = evaluate(model, data.x_val, data.y_val, batch_size, strategy=strategy) if len(data.x_val) else {}
    test = evaluate(model, data.x_test, data.y_test, batch_size, strategy=strategy) if len(data.x_test) else {}
    phases["evaluate"] = time.perf_counter() - start - seconds
    trace_reuse.remember(model, graph)
    trained = TrainedVariant(name, model, history, val, test, seconds, phases=phases)
    if save_dir is not None:
        saving = time.perf_counter()
        trained.model_path = save_variant(trained, data, Path(save_dir), seed=seed, extra=metadata)
        phases["save"] = time.perf_counter() - saving
    if checkpoint is not None:
        checkpoint.save(
            model,
            epoch=len(history),
            history=rows + _rows(fit.history),
            seconds=timer.seconds,
            finished={"val": val, "test": test, "seconds": seconds},
        )
    return trained


def _rows(history):
    """Keras's {column: [per epoch]} history as one dict per epoch."""
    return [{column: float(value) for column, value in row.items()} for row in pd.DataFrame(history).to_dict("records")]


def _history_frame(rows, seconds, first_epoch=1):
    history = pd.DataFrame(rows)
    history.insert(0, "epoch", np.arange(first_epoch, first_epoch + len(history)))
    history["seconds"] = seconds[: len(history)]
    return history


def _replay_shuffles(train_ds, epochs):
    """Draw the shuffle seeds that ``epochs`` epochs of fit drew, so the next epoch sees the batches an
    uninterrupted run would. With reshuffle_each_iteration every new iterator draws the next seed, and
    Keras 3.15's fit creates two iterators per epoch over a dataset of known length (one at the start,
    one at the end; keras/src/trainers/epoch_iterator.py). tests/test_resume.py checks the resumed
    numbers against an uninterrupted run, so a Keras that iterates otherwise fails there, not silently."""
    for _ in range(2 * epochs):
        iter(train_ds)


def _restored(name, model, saved, save_dir):
    """The TrainedVariant of a finished variant from its checkpoint (its model file is already saved)."""
    finished = saved["finished"]
    history = _history_frame(saved["history"], saved["seconds"])
    trained = TrainedVariant(name, model, history, finished["val"], finished["test"], finished["seconds"])
    if save_dir is not None:
        trained.model_path = Path(save_dir) / f"{name}.keras"
    return trained


def _made_in_scope(metric):
    """A Metric instance made before the strategy's scope has plain variables: under MultiWorkerMirroredStrategy
    each worker's then counts only its own rows (evaluate's precision differed per worker). A copy made here,
    inside the scope, has the distributed variables that sum the counts of every replica."""
    return type(metric).from_config(metric.get_config()) if isinstance(metric, keras.metrics.Metric) else metric


def _steps_per_execution(steps_per_epoch):
    """Many batches per call speed up small models; under tf.distribute too, with the correction that
    ``distributed_fixes`` installs (nnzoo/keras_multistep.py)."""
    return max(1, min(MAX_STEPS_PER_EXECUTION, steps_per_epoch))


def evaluate(model, x, y, batch_size=32, *, strategy=None):
    """Metrics of ``model`` on (x, y) as a plain dict of floats."""
    ds = strategy_dataset(strategy, x, y, batch_size * 4)
    with distributed_fixes(strategy):
        return {k: float(v) for k, v in model.evaluate(ds, verbose=0, return_dict=True).items()}


def distributed_fixes(strategy):
    """Keras 3's corrections under ``strategy``, for as long as the block runs: multi-step execution under any
    strategy (nnzoo/keras_multistep.py) and the reductions across workers under a multi-worker one
    (nnzoo/keras_multiworker.py). One process without a strategy keeps Keras untouched."""
    fixes = contextlib.ExitStack()
    if strategy is not None:
        fixes.enter_context(keras_multistep.corrected_cond_captures())
    if keras_multiworker.is_multi_worker(strategy):
        fixes.enter_context(keras_multiworker.corrected_reductions())
    return fixes


def save_variant(trained, data, save_dir, *, seed, extra=None):
    """Write ``<name>.keras`` and ``<name>.json`` (what export needs) without half-written files."""
    save_dir.mkdir(parents=True, exist_ok=True)
    path = save_dir / f"{trained.name}.keras"
    with io.atomic_path(path) as tmp:
        trained.model.save(tmp)
    io.write_json(
        save_dir / f"{trained.name}.json",
        {
            "variant": trained.name,
            "model_file": path.name,
            "dataset": data.metadata(),
            "input_shape": list(data.input_shape),
            "input_dtype": str(data.x_train.dtype),
            "class_names": list(data.class_names),
            "preprocessing": preprocessing_stats(trained.model),
            "val_metrics": trained.val,
            "test_metrics": trained.test,
            "epochs_trained": int(len(trained.history)),
            "seed": seed,
            "keras_version": keras.__version__,
            "tensorflow_version": tf.__version__,
            "saved_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            **(extra or {}),
        },
    )
    return path
