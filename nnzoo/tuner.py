"""The search space of a tunable recipe and the HyperModel KerasTuner trains it with (lectures 001-003:
random search in log space, coarse then fine, K-fold when data are few).

A tunable recipe defines ``tunable_model(hp, data)`` returning a compiled keras.Sequential.
:class:`RecipeHyperModel` wraps it: ``build(hp)`` calls it and declares the batch size (and the epochs,
but under Hyperband, which sets them itself); ``fit(hp, model, ...)`` trains through nnzoo.training with
KerasTuner's callbacks and fit arguments (Hyperband's checkpoints and ``initial_epoch``), and with K folds
trains one model per stratified fold of the training split and returns the mean objective with the
per-fold values and their spread.
"""

import dataclasses
import time

import keras
import keras_tuner
import numpy as np
from sklearn.model_selection import StratifiedKFold

from nnzoo import training
from nnzoo.errors import NnzooError
from nnzoo.tuner_options import HYPERBAND_MAX_EPOCHS, OBJECTIVES


def load_data(options):
    from nnzoo import datasets

    data = datasets.load("digits", seed=options.seed)
    return data.take_train(300, seed=options.seed) if options.quick else data


def training_hyperparameters(hp, options):
    """Batch size and (but under Hyperband, which sets the epochs itself) the epochs, declared with the
    model so that the whole space is known before the first trial: a trial created while another runs
    (a distributed search) samples them like every other hyperparameter."""
    batch_size = hp.Choice("batch_size", [32, 64] if options.quick else [16, 32, 64, 128])
    if options.tuner == "hyperband":
        return batch_size, None
    return batch_size, hp.Fixed("epochs", 2) if options.quick else hp.Int("epochs", 10, 40, step=10)


def trained_epochs(values, options):
    """The epochs a trial with these hyperparameter values trained in all (Hyperband: up to its round's
    ``tuner/epochs``, continuing from the checkpoint of the trial it extends)."""
    if options.tuner == "hyperband":
        return int(values.get("tuner/epochs", HYPERBAND_MAX_EPOCHS[options.quick]))
    return int(values["epochs"])


def space_config(module, data, options, overrides=None):
    """The search space (the recipe's, the training hyperparameters, any refine overrides) as a JSON-ready
    config, and the validation metrics the recipe's model reports (what ``--objective`` may name)."""
    hp = keras_tuner.HyperParameters()
    if overrides is not None:
        hp.merge(overrides)
    model = module.tunable_model(hp, data)
    training_hyperparameters(hp, options)
    model.run_eagerly = True  # only the metrics' names are wanted: no graph to trace (0.2 to 0.4 s a search)
    reported = sorted(f"val_{name}" for name in training.evaluate(model, data.x_val[:2], data.y_val[:2]))
    keras.backend.clear_session()
    return hp.get_config(), reported


def check_objective(options, reported):
    """An objective the model does not report would fail every trial: say so before the first one."""
    if options.objective not in reported:
        raise NnzooError(
            f"The {options.recipe!r} model does not report {options.objective!r}; it reports "
            f"{', '.join(reported)}. Received: objective={options.objective!r}"
        )


def trial_data(data, x_train, y_train, x_val, y_val):
    """A trial's split: training and validation data only (the test split is for the retrained best model)."""
    return dataclasses.replace(
        data, x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val, x_test=data.x_test[:0], y_test=data.y_test[:0]
    )


class RecipeHyperModel(keras_tuner.HyperModel):
    """``build`` = the recipe's tunable_model; ``fit`` trains it through nnzoo.training, K folds if asked.

    ``worker`` names the process in its progress lines when it runs trials for a chief.
    """

    def __init__(self, module, data, options, log=print, worker=None):
        super().__init__()
        self.module, self.data, self.options, self.log, self.worker = module, data, options, log, worker
        self.trial_id = None  # set by the tuner when a trial begins
        self.oracle, self.done, self.total = None, 0, options.trials

    def start(self, oracle, total):
        """Count trials already finished (a resumed search) so progress lines number on from them;
        a worker's oracle is the chief's, which only the chief counts."""
        self.oracle, self.total = oracle, total
        self.done = 0 if self.worker else sum(str(t.status) == "COMPLETED" for t in oracle.trials.values())

    def build(self, hp):
        keras.backend.clear_session()  # no memory growth across trials
        training.seed_everything(self.options.seed)  # a trial's result depends on its hyperparameters only
        model = self.module.tunable_model(hp, self.data)
        training_hyperparameters(hp, self.options)
        return model

    def fit(self, hp, model, *, callbacks=(), epochs=None, initial_epoch=0, verbose=0):
        """Train ``model`` (KerasTuner's, with its callbacks: Hyperband's checkpoint and ``initial_epoch``)
        and, with K folds, one fresh model per further fold; return the mean validation metrics."""
        options, data = self.options, self.data
        start = time.perf_counter()
        batch_size, own_epochs = training_hyperparameters(hp, options)
        epochs = epochs or own_epochs  # Hyperband passes its own
        if options.folds == 1:
            splits = [trial_data(data, data.x_train, data.y_train, data.x_val, data.y_val)]
        else:
            kfold = StratifiedKFold(n_splits=options.folds, shuffle=True, random_state=options.seed)
            splits = [
                trial_data(data, data.x_train[a], data.y_train[a], data.x_train[b], data.y_train[b])
                for a, b in kfold.split(data.x_train, data.y_train)
            ]
        scores = []
        for k, split in enumerate(splits):
            first = k == 0  # the model KerasTuner built trains with KerasTuner's callbacks
            trained = training.train(
                f"trial{self.trial_id}",
                (lambda: model) if first else (lambda: self.build(hp)),
                split,
                epochs=epochs,
                batch_size=batch_size,
                seed=options.seed + k,
                callbacks=callbacks if first else (),
                initial_epoch=initial_epoch if first else 0,
                compiled=True,
                verbose=verbose,
            )
            scores.append(trained.val)
        result = {f"val_{name}": float(np.mean([s[name] for s in scores])) for name in scores[0]}
        if options.folds > 1:
            values = [s[options.objective.removeprefix("val_")] for s in scores]
            result[f"{options.objective}_std"] = float(np.std(values))
            result.update({f"{options.objective}_fold{k}": v for k, v in enumerate(values)})
        result["seconds"] = time.perf_counter() - start
        self.report(result[options.objective])
        return result

    def report(self, score):
        """One progress line: this trial's objective and the best so far."""
        self.done += 1
        best = self.oracle.get_best_trials(1)
        direction = min if OBJECTIVES[self.options.objective] == "min" else max
        best_score = score if not best or best[0].score is None else direction(best[0].score, score)
        where = (
            f"{self.worker}: trial {self.trial_id} (its {self.done} done)"
            if self.worker
            else f"trial {self.done} of {self.total or '?'}"
        )
        self.log(f"[tune] {where}: {self.options.objective} {score:.4g}; best so far {best_score:.4g}")
