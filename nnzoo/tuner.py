"""KerasTuner searches over any recipe that declares a search space (lectures 001-003: random search
in log space, coarse then fine, K-fold when data are few).

A tunable recipe defines ``tunable_model(hp, data)`` returning a compiled keras.Sequential.
:class:`RecipeHyperModel` wraps it: ``build(hp)`` calls it and declares the batch size (and the epochs
in full mode); ``fit(hp, model, ...)`` trains with them, and with K folds trains one model per stratified
fold of the training split and returns the mean objective with the per-fold values and their spread.
``run(..., cluster=...)`` makes the process the chief or a worker of KerasTuner's distributed search
(:mod:`nnzoo.tuner_cluster`); every process records the trials it ran in OUT/executions/.
"""

import ast
import contextlib
import dataclasses
import hashlib
import json
import math
import os
import socket
import time
from pathlib import Path

import numpy as np

from nnzoo import registry
from nnzoo.errors import NnzooError, check_range, check_seed, unknown_name

TUNERS = ("random", "grid", "hyperband", "bayesian")
OBJECTIVES = {"val_loss": "min", "val_accuracy": "max", "val_mae": "min", "val_mse": "min"}


def tunable_recipes():
    """Recipes whose module defines a top-level ``tunable_model`` (found with ast: no TensorFlow)."""
    found = []
    for name, info in registry.recipes().items():
        tree = ast.parse(info.path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.FunctionDef) and n.name == "tunable_model" for n in tree.body):
            found.append(name)
    return found


@dataclasses.dataclass(frozen=True)
class Options:
    recipe: str
    tuner: str = "random"
    max_trials: int = 10
    objective: str = "val_loss"
    folds: int = 1
    executions_per_trial: int = 1
    quick: bool = False
    seed: int = 0

    def validate(self):
        tunable = tunable_recipes()
        if self.recipe not in registry.recipes():
            raise unknown_name("recipe", self.recipe, tunable)
        if self.recipe not in tunable:
            raise NnzooError(f"Recipe {self.recipe!r} has no search space (tunable_model); tunable recipes: "
                             f"{', '.join(tunable)}. Received: recipe={self.recipe!r}")
        if self.tuner not in TUNERS:
            raise unknown_name("tuner", self.tuner, TUNERS)
        if self.objective not in OBJECTIVES:
            raise unknown_name("objective", self.objective, OBJECTIVES)
        check_range("--max-trials", self.max_trials, 1, 10_000, integer=True)
        check_range("--folds", self.folds, 1, 20, integer=True)
        check_range("--executions-per-trial", self.executions_per_trial, 1, 100, integer=True)
        check_seed(self.seed, "--seed")
        return self


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


def space_config(module, data, options, overrides=None):
    """The search space (the recipe's, the training hyperparameters, any refine overrides) as a JSON-ready config."""
    import keras
    import keras_tuner

    hp = keras_tuner.HyperParameters()
    if overrides is not None:
        hp.merge(overrides)
    module.tunable_model(hp, data)
    training_hyperparameters(hp, options)
    keras.backend.clear_session()
    return hp.get_config()


def search_options(options):
    """The options that make two searches the same: all but --max-trials (raising it extends a search)."""
    return {k: v for k, v in dataclasses.asdict(options).items() if k != "max_trials"}


def differing_options(options, record):
    """The search options in which ``options`` differ from a search record, as 'name: recorded' texts."""
    recorded = record.get("options", {})
    return [f"{k}: {recorded.get(k)!r}" for k, v in search_options(options).items() if recorded.get(k) != v]


def fingerprint(options, space):
    """What makes two searches the same: the search options and the search space."""
    text = json.dumps({"options": search_options(options), "space": space}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def make_hypermodel(module, data, options, log=print, cluster=None):
    import keras
    import keras_tuner
    from sklearn.model_selection import StratifiedKFold

    from nnzoo import training

    worker = cluster is not None and cluster.role == "worker"

    class RecipeHyperModel(keras_tuner.HyperModel):
        """``build`` = the recipe's tunable_model; ``fit`` tunes batch size/epochs and runs K folds."""

        trial_id = None  # set by the tuner when a trial begins

        def start(self, oracle):
            """Count trials already finished (a resumed search) so progress lines number on from them;
            a worker's oracle is the chief's, which only the chief counts."""
            self.oracle = oracle
            self.done = 0 if worker else sum(str(t.status) == "COMPLETED" for t in oracle.trials.values())
            self.total = getattr(oracle, "max_trials", None) or options.max_trials

        def build(self, hp):
            keras.backend.clear_session()  # no memory growth across trials
            training.seed_everything(options.seed)  # a trial's result depends on its hyperparameters only
            model = module.tunable_model(hp, data)
            training_hyperparameters(hp, options)
            return model

        def fit(self, hp, model, *args, **kwargs):
            start = time.perf_counter()
            batch_size, epochs = training_hyperparameters(hp, options)
            epochs = kwargs.get("epochs") or epochs  # Hyperband passes its own
            if options.folds == 1:
                splits = [(data.x_train, data.y_train, data.x_val, data.y_val)]
            else:
                kfold = StratifiedKFold(n_splits=options.folds, shuffle=True, random_state=options.seed)
                splits = [(data.x_train[a], data.y_train[a], data.x_train[b], data.y_train[b])
                          for a, b in kfold.split(data.x_train, data.y_train)]
            scores = []
            for k, (xt, yt, xv, yv) in enumerate(splits):
                fold_model = model if k == 0 else self.build(hp)
                training.seed_everything(options.seed + k)
                fold_model.fit(training.make_dataset(xt, yt, batch_size, shuffle_seed=options.seed), epochs=epochs,
                               verbose=0, shuffle=False)
                scores.append(training.evaluate(fold_model, xv, yv, batch_size))
            metric = options.objective.removeprefix("val_")
            values = [s[metric] for s in scores]
            result = {options.objective: float(np.mean(values)), "seconds": time.perf_counter() - start}
            if options.folds > 1:
                result[f"{options.objective}_std"] = float(np.std(values))
                result.update({f"{options.objective}_fold{k}": v for k, v in enumerate(values)})
            self.done += 1
            best = self.oracle.get_best_trials(1)
            best_score = result[options.objective] if not best or best[0].score is None else (
                min if OBJECTIVES[options.objective] == "min" else max)(best[0].score, result[options.objective])
            where = f"{cluster.tuner_id}: trial {self.trial_id} (its {self.done} done)" if worker else \
                f"trial {self.done} of {self.total}"
            log(f"[tune] {where}: {options.objective} {result[options.objective]:.4g}; best so far {best_score:.4g}")
            return result

    return RecipeHyperModel()


def make_tuner(hypermodel, options, directory, overrides=None, tuner_id="tuner0"):
    """The KerasTuner tuner for ``options.tuner``, recording who ran each trial in DIR/executions/."""
    import keras_tuner

    objective = keras_tuner.Objective(options.objective, OBJECTIVES[options.objective])
    common = dict(objective=objective, directory=str(directory), project_name="search", overwrite=False,
                  seed=options.seed, executions_per_trial=options.executions_per_trial, hyperparameters=overrides,
                  tune_new_entries=True)
    base = {"random": keras_tuner.RandomSearch, "grid": keras_tuner.GridSearch,
            "bayesian": keras_tuner.BayesianOptimization, "hyperband": keras_tuner.Hyperband}[options.tuner]

    class RecordingTuner(base):
        def on_trial_begin(self, trial):
            hypermodel.trial_id, self._trial_started = trial.trial_id, time.time()
            super().on_trial_begin(trial)

        def on_trial_end(self, trial):
            record_execution(directory, tuner_id, trial.trial_id, str(trial.status), self._trial_started)
            super().on_trial_end(trial)

    if options.tuner == "hyperband":
        return RecordingTuner(hypermodel, max_epochs=2 if options.quick else 40, factor=3, max_retries_per_trial=0,
                              **common)
    return RecordingTuner(hypermodel, max_trials=options.max_trials, **common)


def record_execution(directory, tuner_id, trial_id, status, started):
    """Append one line per trial run to DIR/executions/TUNER_ID.jsonl: one file per process, so workers
    sharing the folder never write to the same file (a line cut off by a kill is skipped on reading)."""
    folder = Path(directory) / "executions"
    folder.mkdir(exist_ok=True)
    line = json.dumps({"trial": trial_id, "tuner": tuner_id, "status": status, "host": socket.gethostname(),
                       "pid": os.getpid(), "started": started, "seconds": time.time() - started})
    with open(folder / f"{tuner_id}.jsonl", "a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def execution_records(directory):
    """Every recorded trial run in DIR/executions/, one row each (trial, tuner, status, host, pid, ...)."""
    import pandas as pd

    rows = []
    for path in sorted((Path(directory) / "executions").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                rows.append(json.loads(line))
    return pd.DataFrame(rows, columns=["trial", "tuner", "status", "host", "pid", "started", "seconds"])


def refined_overrides(previous_dir, top):
    """HyperParameters narrowing each numeric range around the ``top`` best trials of an earlier search."""
    import keras_tuner

    previous_dir = Path(previous_dir)
    try:
        trials = _read_csv(previous_dir / "trials.csv")
        space = json.loads((previous_dir / "search.json").read_text())
    except (OSError, ValueError) as err:
        raise NnzooError(f"--refine-from {str(previous_dir)!r} is not a finished nnzoo tune folder ({err}). "
                         f"Received: refine_from={str(previous_dir)!r}") from None
    options = space["options"]
    done = trials[trials["status"] == "COMPLETED"].dropna(subset=["objective"])
    if done.empty:
        raise NnzooError(f"No completed trial in {str(previous_dir)!r} to refine around. Received: refine_from={str(previous_dir)!r}")
    best = done.sort_values("objective", ascending=OBJECTIVES[options["objective"]] == "min").head(top)
    hp = keras_tuner.HyperParameters()
    narrowed = {}
    for entry in space["space"]["space"]:
        cfg, kind = entry["config"], entry["class_name"]
        name = cfg["name"]
        if kind not in ("Float", "Int") or name not in best:
            continue
        lo, hi = float(best[name].min()), float(best[name].max())
        log = cfg.get("sampling") == "log"
        if log:
            width = math.log(cfg["max_value"] / cfg["min_value"]) / 8  # an eighth of the old log-range each side
            lo, hi = max(cfg["min_value"], lo / math.exp(width)), min(cfg["max_value"], hi * math.exp(width))
        else:
            width = (cfg["max_value"] - cfg["min_value"]) / 8
            lo, hi = max(cfg["min_value"], lo - width), min(cfg["max_value"], hi + width)
        if kind == "Int":
            hp.Int(name, int(math.floor(lo)), max(int(math.ceil(hi)), int(math.floor(lo)) + 1),
                   sampling="log" if log else "linear")
        else:
            hp.Float(name, lo, hi, sampling="log" if log else "linear")
        narrowed[name] = {"from": [cfg["min_value"], cfg["max_value"]], "to": [lo, hi], "sampling": cfg.get("sampling")}
    return hp, narrowed, space


def _read_csv(path):
    import pandas as pd

    return pd.read_csv(path)


def run(options, out, *, overwrite=False, refine_from=None, top=3, log=print, cluster=None):
    """Run (or resume) a search; write trials.csv, figures, summary.md and the retrained best model.

    ``cluster`` (:class:`nnzoo.tuner_cluster.Cluster`) makes this process the chief of a distributed
    search, which serves the oracle and writes the results, or one of its workers, which only runs trials.
    """
    import shutil

    from nnzoo import io
    from nnzoo.tuner_cluster import Cluster, check_can_listen, keras_tuner_environment, search_complete, serve

    cluster = cluster or Cluster()
    options.validate()
    out = Path(out)
    if cluster.role == "worker":
        return run_worker(options, out, cluster, log)
    if cluster.role == "chief":
        check_can_listen(cluster)
    earlier = read_search_record(out) if not overwrite and (out / "search.json").exists() else None
    differ = differing_options(options, earlier) if earlier is not None else []
    if differ:  # said before TensorFlow loads
        raise NnzooError(f"{str(out)!r} holds a different search (its {'; '.join(differ)}); use --overwrite or another "
                         f"--out. Received: out={str(out)!r}")
    module = registry.load_module(options.recipe)
    data = load_data(options)
    overrides, narrowed, chain = None, {}, []
    if refine_from is not None:
        check_range("--top", top, 1, 1000, integer=True)
        overrides, narrowed, previous = refined_overrides(refine_from, top)
        chain = [*previous.get("chain", []), str(Path(refine_from).resolve())]
    space = space_config(module, data, options, overrides)
    record = {"options": dataclasses.asdict(options), "space": space, "fingerprint": fingerprint(options, space),
              "refined": narrowed, "chain": chain}
    if out.exists() and overwrite:
        shutil.rmtree(out)
    if earlier is not None:
        if earlier.get("fingerprint") != record["fingerprint"]:
            raise NnzooError(f"{str(out)!r} holds a different search (other options or search space); use --overwrite "
                             f"or another --out. Received: out={str(out)!r}")
        log(f"[tune] resuming the search in {out}")
    else:
        io.ensure_writable_dir(out)
        io.write_json(out / "search.json", record)
    hypermodel = make_hypermodel(module, data, options, log)
    with keras_tuner_environment(cluster):
        tuner = make_tuner(hypermodel, options, out, overrides)
        if cluster.role == "single":
            hypermodel.start(tuner.oracle)
            tuner.search(verbose=0)
        elif search_complete(tuner.oracle):
            log(f"[tune] chief: the search in {out} is already complete; no workers needed")
        else:
            tuner.oracle.verbose = 0  # the chief logs its own lines, not KerasTuner's trial tables
            serve(tuner.oracle, cluster, log=log, objective=options.objective,
                  direction=OBJECTIVES[options.objective])
    frame = trials_frame(tuner, options, out)
    with io.atomic_path(out / "trials.csv") as tmp:
        frame.to_csv(tmp, index=False)
    best_hp = tuner.get_best_hyperparameters(1)[0].copy()
    best_hp.values = in_space_order(tuner, best_hp.values)
    best = retrain_best(module, data, options, best_hp, out)
    figures = search_figures(frame, space, options)
    from nnzoo import plots

    for stem, fig in figures.items():
        plots.save(fig, out / f"{stem}.png")
    search_score = float(frame.dropna(subset=["objective"])["objective"].agg(
        "min" if OBJECTIVES[options.objective] == "min" else "max"))
    io.write_text(out / "summary.md", summary_markdown(options, best_hp, search_score, best, narrowed, chain, frame))
    import keras

    keras.backend.clear_session()
    return {"trials": frame, "best_hyperparameters": best_hp.values, "search_score": search_score, "best": best,
            "out": out}


def read_search_record(out):
    """OUT/search.json, or a one-line error when it is unreadable."""
    path = Path(out) / "search.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise NnzooError(f"{str(path)!r} cannot be read as a search record ({err}); use --overwrite or another "
                         f"--out. Received: out={str(out)!r}") from None


def run_worker(options, out, cluster, log=print):
    """Run trials handed out by the chief until it says stop; the chief writes every result.

    A worker checks that its options and search space are the chief's (read from the shared OUT/search.json)
    before it takes a trial, so a worker started with other options cannot pollute the search.
    """
    from nnzoo.tuner_cluster import keras_tuner_environment, lost_chief, wait_for_chief

    wait_for_chief(cluster)  # before TensorFlow loads: a worker without its chief says so at once
    import grpc
    import keras_tuner

    if not (out / "search.json").exists():
        raise NnzooError(f"{str(out)!r} has no search.json: a worker's --out must be its chief's folder, on a file "
                         f"system they share. Received: out={str(out)!r}")
    chief = read_search_record(out)
    differ = differing_options(options, chief)
    if differ:
        raise NnzooError(f"This worker's options differ from the chief's search in {str(out)!r} (the chief's "
                         f"{'; '.join(differ)}): start workers with the chief's options. "
                         f"Received: {options}")
    module = registry.load_module(options.recipe)
    data = load_data(options)
    overrides = keras_tuner.HyperParameters.from_config(chief["space"])
    if fingerprint(options, space_config(module, data, options, overrides)) != chief["fingerprint"]:
        raise NnzooError(f"This worker's {options.recipe!r} recipe declares another search space than the chief's "
                         f"in {out} (a different nnzoo version?). Received: recipe={options.recipe!r}")
    log(f"[tune] {cluster.tuner_id}: connected to the chief at {cluster.address}")
    hypermodel = make_hypermodel(module, data, options, log, cluster)
    with keras_tuner_environment(cluster):
        tuner = make_tuner(hypermodel, options, out, overrides, tuner_id=cluster.tuner_id)
        hypermodel.start(tuner.oracle)
        try:
            tuner.search(verbose=0)
        except grpc.RpcError as err:
            raise lost_chief(cluster, err) from None
    records = execution_records(out)
    mine = (records["tuner"] == cluster.tuner_id) & (records["pid"] == os.getpid()) & \
        (records["host"] == socket.gethostname())
    ran = records[mine]["trial"].tolist()
    return {"tuner_id": cluster.tuner_id, "ran": ran, "out": out}


def trials_frame(tuner, options, out):
    """One row per trial: status, who ran it (tuner ids, runs), every hyperparameter and metric."""
    import pandas as pd

    executions = execution_records(out)
    rows = []
    for trial in sorted(tuner.oracle.trials.values(), key=lambda t: (len(t.trial_id), t.trial_id)):
        ran = executions[executions["trial"] == trial.trial_id]
        metrics = trial.metrics.metrics
        row = {"trial": trial.trial_id, "status": str(trial.status), "tuner": "+".join(ran["tuner"]),
               "runs": len(ran), **in_space_order(tuner, trial.hyperparameters.values),
               "objective": trial.metrics.get_last_value(options.objective) if options.objective in metrics
               else trial.score}
        row.update({name: trial.metrics.get_last_value(name) for name in sorted(metrics) if name != options.objective})
        rows.append(row)
    return pd.DataFrame(rows)


def in_space_order(tuner, values):
    """Hyperparameter values in the order the space declares them, whichever process reported them."""
    names = [hp.name for hp in tuner.oracle.get_space().space]
    return {**{name: values[name] for name in names if name in values}, **values}


def retrain_best(module, data, options, best_hp, out):
    """Retrain the best hyperparameters on train + validation, evaluate once on test, save for export."""
    import keras_tuner

    from nnzoo import training

    hp = keras_tuner.HyperParameters()
    hp.values = dict(best_hp.values)
    joined = dataclasses.replace(data, x_train=np.concatenate([data.x_train, data.x_val]),
                                 y_train=np.concatenate([data.y_train, data.y_val]),
                                 x_val=data.x_val[:0], y_val=data.y_val[:0])
    batch = int(best_hp.values.get("batch_size", 32))
    epochs = int(best_hp.values.get("epochs", 2))
    training.seed_everything(options.seed)
    model = module.tunable_model(best_hp, data)
    start = time.perf_counter()
    fit = model.fit(training.make_dataset(joined.x_train, joined.y_train, batch, shuffle_seed=options.seed),
                    epochs=epochs, verbose=0, shuffle=False)
    import pandas as pd

    history = pd.DataFrame(fit.history)
    history.insert(0, "epoch", np.arange(1, len(history) + 1))
    test = training.evaluate(model, data.x_test, data.y_test, batch)
    trained = training.TrainedVariant("best", model, history, {}, test, time.perf_counter() - start)
    trained.model_path = training.save_variant(trained, data, Path(out) / "best", seed=options.seed,
                                               extra={"recipe": options.recipe, "hyperparameters": best_hp.values})
    return {"test": test, "path": str(trained.model_path), "epochs": epochs, "batch_size": batch}


def search_figures(frame, space, options):
    from nnzoo import plots

    numeric = [e["config"] for e in space["space"] if e["class_name"] in ("Float", "Int")
               and e["config"]["name"] in frame]
    figs = {}
    done = frame.dropna(subset=["objective"]) if "objective" in frame else frame.iloc[:0]
    if numeric and len(done):
        fig, axes = plots.grid(len(numeric), ncols=3, title=f"{options.recipe}: {options.objective} per hyperparameter")
        for ax, cfg in zip(axes, numeric):
            ax.scatter(done[cfg["name"]], done["objective"])
            if cfg.get("sampling") == "log":
                ax.set_xscale("log")
            ax.set_xlabel(cfg["name"])
            ax.set_ylabel(options.objective)
        figs["objective_per_hyperparameter"] = fig
    if len(done):
        order = done.sort_values("trial")
        running = order["objective"].cummin() if OBJECTIVES[options.objective] == "min" else order["objective"].cummax()
        fig, (ax,) = plots.grid(1, title="best so far")
        ax.plot(range(1, len(running) + 1), running.to_numpy(), marker="o")
        ax.set_xlabel("trial")
        ax.set_ylabel(f"best {options.objective}")
        figs["best_so_far"] = fig
    return figs


def summary_markdown(options, best_hp, search_score, best, narrowed, chain, frame):
    lines = [f"# nnzoo tune {options.recipe}", "",
             f"{options.tuner} search, objective {options.objective} ({OBJECTIVES[options.objective]}), "
             f"{len(frame)} trials, {options.folds} fold(s), seed {options.seed}{', quick' if options.quick else ''}; "
             "run by " + ", ".join(f"{tuner or 'unrecorded'} ({n})"
                                   for tuner, n in frame["tuner"].value_counts(sort=False).items())
             + ".", "",
             "## Best hyperparameters", "", "| name | value |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in best_hp.values.items()]
    lines += ["", f"Search score ({options.objective}): {search_score:.4g}", "",
              "Retrained on train + validation and evaluated once on the test split: "
              + ", ".join(f"{k} {v:.4g}" for k, v in best["test"].items()), "",
              f"Saved for `nnzoo export`: `{best['path']}`", ""]
    if narrowed:
        lines += ["## Refined from", "", *[f"- {c}" for c in chain], "",
                  "| hyperparameter | earlier range | refined range | sampling |", "| --- | --- | --- | --- |"]
        lines += [f"| {k} | {v['from']} | [{v['to'][0]:.4g}, {v['to'][1]:.4g}] | {v['sampling']} |"
                  for k, v in narrowed.items()]
    return "\n".join(lines) + "\n"
