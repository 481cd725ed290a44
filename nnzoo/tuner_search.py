"""Run, resume and report one ``nnzoo tune`` search: the tuner for ``--tuner``, who ran which trial, the
trials table, the best hyperparameters retrained through nnzoo.training, figures and summary.

``run(..., cluster=...)`` makes the process the chief or a worker of KerasTuner's distributed search
(:mod:`nnzoo.tuner_cluster`); every process records the trials it began and ended in OUT/executions/, so
trials.csv says which trials a kill interrupted and were rerun.
"""

import contextlib
import dataclasses
import json
import math
import os
import socket
import time
from pathlib import Path

from nnzoo import io, quiet_tensorflow, registry, tuner_folder
from nnzoo.errors import NnzooError, check_range
from nnzoo.tuner_cluster import Cluster, check_can_listen, keras_tuner_environment, search_complete, serve
from nnzoo.tuner_options import HYPERBAND_FACTOR, HYPERBAND_MAX_EPOCHS, OBJECTIVES, differing_options, fingerprint

NEVER_STOP = 10**9  # failed trials in a row before KerasTuner gives up: never; every trial is tried and recorded


class SearchFailed(RuntimeError):
    """Every trial of a search failed: there is no best model (the CLI exits 1)."""


def make_tuner(hypermodel, options, directory, overrides=None, tuner_id="tuner0"):
    """The KerasTuner tuner for ``options.tuner``, recording who began and ended each trial in DIR/executions/."""
    import keras_tuner

    from nnzoo import tuner_hparams
    from nnzoo.tuner_internals import ResumableBayesianOracle, ResumableGridOracle

    oracle_args = dict(
        objective=keras_tuner.Objective(options.objective, OBJECTIVES[options.objective]),
        seed=options.keras_tuner_seed,
        hyperparameters=overrides,
        tune_new_entries=True,
        max_retries_per_trial=0,
        max_consecutive_failed_trials=NEVER_STOP,
    )
    tuner_args = dict(
        directory=str(directory),
        project_name="search",
        overwrite=False,
        executions_per_trial=options.executions_per_trial,
    )
    base = keras_tuner.Hyperband if options.tuner == "hyperband" else keras_tuner.Tuner

    class RecordingTuner(base):
        def on_trial_begin(self, trial):
            hypermodel.trial_id, self._trial_started = trial.trial_id, time.time()
            record_execution(directory, tuner_id, trial.trial_id, "RUNNING", self._trial_started)
            super().on_trial_begin(trial)

        def on_trial_end(self, trial):
            # A trial that raised is INVALID here; without retries the oracle ends it as FAILED.
            status = "FAILED" if str(trial.status) == "INVALID" else str(trial.status)
            record_execution(directory, tuner_id, trial.trial_id, status, self._trial_started)
            if status == "FAILED":
                hypermodel.log(f"[tune] trial {trial.trial_id} failed: {first_error(trial)}")
            super().on_trial_end(trial)
            tuner_hparams.write_trial(directory, self.oracle.get_trial(trial.trial_id))

    if options.tuner == "hyperband":
        return RecordingTuner(
            hypermodel,
            max_epochs=HYPERBAND_MAX_EPOCHS[options.quick],
            factor=HYPERBAND_FACTOR,
            **oracle_args,
            **tuner_args,
        )
    if options.tuner == "random":
        oracle = keras_tuner.oracles.RandomSearchOracle(max_trials=options.trials, **oracle_args)
    elif options.tuner == "grid":
        oracle = ResumableGridOracle(max_trials=options.trials, **oracle_args)
    else:  # two random points before the Gaussian process in quick mode, so a short search reaches it
        oracle = ResumableBayesianOracle(
            max_trials=options.trials, num_initial_points=2 if options.quick else None, **oracle_args
        )
    return RecordingTuner(oracle=oracle, hypermodel=hypermodel, **tuner_args)


def trial_total(tuner, options):
    """The trials this search runs in all: --max-trials, or Hyperband's schedule."""
    from nnzoo.tuner_internals import hyperband_trial_count

    return hyperband_trial_count(tuner.oracle) if options.tuner == "hyperband" else options.trials


def record_execution(directory, tuner_id, trial_id, status, started):
    """Append one line per trial begun (status RUNNING) and ended to DIR/executions/TUNER_ID.jsonl: one file
    per process, so workers sharing the folder never write to the same file (a line cut off by a kill is
    skipped on reading)."""
    folder = Path(directory) / "executions"
    folder.mkdir(exist_ok=True)
    line = json.dumps(
        {
            "trial": trial_id,
            "tuner": tuner_id,
            "status": status,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started": started,
            "seconds": time.time() - started,
        }
    )
    with open(folder / f"{tuner_id}.jsonl", "a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())


def execution_records(directory):
    """Every recorded trial begin (status RUNNING) and end in DIR/executions/, one row each
    (trial, tuner, status, host, pid, started, seconds)."""
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
    import pandas as pd

    previous_dir = Path(previous_dir)
    try:
        trials = pd.read_csv(previous_dir / "trials.csv")
        space = json.loads((previous_dir / "search.json").read_text())
    except (OSError, ValueError) as err:
        raise NnzooError(
            f"--refine-from {str(previous_dir)!r} is not a finished nnzoo tune folder ({err}). "
            f"Received: refine_from={str(previous_dir)!r}"
        ) from None
    options = space["options"]
    done = trials[trials["status"] == "COMPLETED"].dropna(subset=["objective"])
    if done.empty:
        raise NnzooError(
            f"No completed trial in {str(previous_dir)!r} to refine around. Received: refine_from={str(previous_dir)!r}"
        )
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
            hp.Int(
                name,
                int(math.floor(lo)),
                max(int(math.ceil(hi)), int(math.floor(lo)) + 1),
                sampling="log" if log else "linear",
            )
        else:
            hp.Float(name, lo, hi, sampling="log" if log else "linear")
        narrowed[name] = {"from": [cfg["min_value"], cfg["max_value"]], "to": [lo, hi], "sampling": cfg.get("sampling")}
    return hp, narrowed, space


def read_search_record(out):
    """OUT/search.json, or a one-line error when it is unreadable."""
    path = Path(out) / "search.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise NnzooError(
            f"{str(path)!r} cannot be read as a search record ({err}); use --overwrite or another "
            f"--out. Received: out={str(out)!r}"
        ) from None


def run(options, out, *, overwrite=False, refine_from=None, top=3, log=print, cluster=None):
    """Run (or resume) a search; write trials.csv, HParams logs, figures, summary.md and the retrained best model.

    ``cluster`` (:class:`nnzoo.tuner_cluster.Cluster`) makes this process the chief of a distributed
    search, which serves the oracle and writes the results, or one of its workers, which only runs trials.
    Raises :class:`SearchFailed` (after writing trials.csv) when every trial failed.
    """
    cluster = cluster or Cluster()
    options.validate()
    out = Path(out)
    if cluster.role == "worker":
        return run_worker(options, out, cluster, log)
    if cluster.role == "chief":
        check_can_listen(cluster)
    tuner_folder.check(out, overwrite)  # said before TensorFlow loads, as are the checks below
    earlier = read_search_record(out) if not overwrite and (out / "search.json").exists() else None
    differ = differing_options(options, earlier) if earlier is not None else []
    if differ:
        raise NnzooError(
            f"{str(out)!r} holds a different search (its {'; '.join(differ)}); use --overwrite or another "
            f"--out. Received: out={str(out)!r}"
        )
    module = registry.load_module(options.recipe)  # TensorFlow loads here, quietly
    from nnzoo import tuner, tuner_hparams
    from nnzoo.tuner_internals import quiet_failed_trials

    data = tuner.load_data(options)
    overrides, narrowed, chain = None, {}, []
    if refine_from is not None:
        check_range("--top", top, 1, 1000, integer=True)
        overrides, narrowed, previous = refined_overrides(refine_from, top)
        chain = [*previous.get("chain", []), str(Path(refine_from).resolve())]
    space, reported = tuner.space_config(module, data, options, overrides)
    tuner.check_objective(options, reported)
    record = {
        "options": dataclasses.asdict(options),
        "space": space,
        "fingerprint": fingerprint(options, space),
        "refined": narrowed,
        "chain": chain,
    }
    if overwrite and tuner_folder.is_search(out):
        tuner_folder.empty(out)
    if earlier is not None:
        if earlier.get("fingerprint") != record["fingerprint"]:
            raise NnzooError(
                f"{str(out)!r} holds a different search (other options or search space); use --overwrite "
                f"or another --out. Received: out={str(out)!r}"
            )
        log(f"[tune] resuming the search in {out}")
    else:
        tuner_folder.create(out)
        io.write_json(out / "search.json", record)
    hypermodel = tuner.RecipeHyperModel(module, data, options, log)
    with keras_tuner_environment(cluster):
        kt_tuner = make_tuner(hypermodel, options, out, overrides)
        if cluster.role == "single":
            hypermodel.start(kt_tuner.oracle, trial_total(kt_tuner, options))
            with quiet_failed_trials():
                kt_tuner.search(verbose=0)
        elif search_complete(kt_tuner.oracle):
            log(f"[tune] chief: the search in {out} is already complete; no workers needed")
        else:
            kt_tuner.oracle.verbose = 0  # the chief logs its own lines, not KerasTuner's trial tables
            serve(
                kt_tuner.oracle, cluster, log=log, objective=options.objective, direction=OBJECTIVES[options.objective]
            )
    frame = trials_frame(kt_tuner, options, out)
    with io.atomic_path(out / "trials.csv") as tmp:
        frame.to_csv(tmp, index=False)
    tuner_hparams.write_search(out, kt_tuner.oracle, options.objective)
    done = frame[frame["status"] == "COMPLETED"].dropna(subset=["objective"])
    if done.empty:
        first = frame["error"].dropna()
        raise SearchFailed(
            f"all {len(frame)} trial(s) failed, so there is no best model (none saved); the first "
            f"error: {first.iloc[0] if len(first) else 'none recorded'}. See {out / 'trials.csv'}"
        )
    best_trial = kt_tuner.oracle.get_best_trials(1)[0]
    best_hp = best_trial.hyperparameters.copy()
    best_hp.values = in_space_order(kt_tuner, best_hp.values)
    best = retrain_best(module, data, options, best_hp, best_trial.trial_id, out, log)
    figures = search_figures(frame, space, options)
    from nnzoo import plots

    for stem, fig in figures.items():
        plots.save(fig, out / f"{stem}.png")
    search_score = float(done["objective"].agg("min" if OBJECTIVES[options.objective] == "min" else "max"))
    io.write_text(out / "summary.md", summary_markdown(options, best_hp, search_score, best, narrowed, chain, frame))
    import keras

    keras.backend.clear_session()
    return {
        "trials": frame,
        "best_hyperparameters": best_hp.values,
        "search_score": search_score,
        "best": best,
        "out": out,
    }


def run_worker(options, out, cluster, log=print):
    """Run trials handed out by the chief until it says stop; the chief writes every result.

    A worker checks that its options and search space are the chief's (read from the shared OUT/search.json)
    before it takes a trial, so a worker started with other options cannot pollute the search.
    """
    from nnzoo.tuner_cluster import lost_chief, wait_for_chief

    wait_for_chief(cluster)  # before TensorFlow loads, as the option checks below: each is said at once
    if not (out / "search.json").exists():
        raise NnzooError(
            f"{str(out)!r} has no search.json: a worker's --out must be its chief's folder, on a file "
            f"system they share. Received: out={str(out)!r}"
        )
    chief = read_search_record(out)
    differ = differing_options(options, chief)
    if differ:
        raise NnzooError(
            f"This worker's options differ from the chief's search in {str(out)!r} (the chief's "
            f"{'; '.join(differ)}): start workers with the chief's options. "
            f"Received: {options}"
        )
    quiet_tensorflow.load()
    import grpc
    import keras_tuner

    from nnzoo import tuner
    from nnzoo.tuner_internals import quiet_failed_trials

    module = registry.load_module(options.recipe)
    data = tuner.load_data(options)
    overrides = keras_tuner.HyperParameters.from_config(chief["space"])
    if fingerprint(options, tuner.space_config(module, data, options, overrides)[0]) != chief["fingerprint"]:
        raise NnzooError(
            f"This worker's {options.recipe!r} recipe declares another search space than the chief's "
            f"in {out} (a different nnzoo version?). Received: recipe={options.recipe!r}"
        )
    log(f"[tune] {cluster.tuner_id}: connected to the chief at {cluster.address}")
    hypermodel = tuner.RecipeHyperModel(module, data, options, log, worker=cluster.tuner_id)
    with keras_tuner_environment(cluster):
        kt_tuner = make_tuner(hypermodel, options, out, overrides, tuner_id=cluster.tuner_id)
        hypermodel.start(kt_tuner.oracle, None)
        try:
            with quiet_failed_trials():
                kt_tuner.search(verbose=0)
        except grpc.RpcError as err:
            raise lost_chief(cluster, err) from None
    records = execution_records(out)
    mine = (
        (records["tuner"] == cluster.tuner_id)
        & (records["pid"] == os.getpid())
        & (records["host"] == socket.gethostname())
        & (records["status"] != "RUNNING")
    )
    ran = records[mine]["trial"].tolist()
    return {"tuner_id": cluster.tuner_id, "ran": ran, "out": out}


def first_error(trial):
    """The last line of a failed trial's traceback (the exception itself), or None."""
    lines = [line for line in (trial.message or "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else None


def trials_frame(kt_tuner, options, out):
    """One row per trial: status, who ran it (tuner ids, runs ended, runs interrupted by a kill and rerun),
    every hyperparameter and metric, and a failed trial's error."""
    import pandas as pd

    executions = execution_records(out)
    rows = []
    for trial in sorted(kt_tuner.oracle.trials.values(), key=lambda t: (len(t.trial_id), t.trial_id)):
        mine = executions[executions["trial"] == trial.trial_id]
        ended, begun = mine[mine["status"] != "RUNNING"], (mine["status"] == "RUNNING").sum()
        metrics = trial.metrics.metrics
        row = {
            "trial": trial.trial_id,
            "status": str(trial.status),
            "tuner": "+".join(ended["tuner"]),
            "runs": len(ended),
            "interrupted": int(begun - len(ended)),
            **in_space_order(kt_tuner, trial.hyperparameters.values),
            "objective": trial.metrics.get_last_value(options.objective)
            if options.objective in metrics
            else trial.score,
        }
        row.update({name: trial.metrics.get_last_value(name) for name in sorted(metrics) if name != options.objective})
        row["error"] = first_error(trial)
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame[[c for c in frame if c != "error"] + ["error"]]  # Hyperband's tuner/trial_id comes late


def in_space_order(kt_tuner, values):
    """Hyperparameter values in the order the space declares them, whichever process reported them."""
    names = [hp.name for hp in kt_tuner.oracle.get_space().space]
    return {**{name: values[name] for name in names if name in values}, **values}


def retrain_best(module, data, options, best_hp, trial_id, out, log=print):
    """Retrain the best trial's hyperparameters through nnzoo.training on train + validation, with the batch
    size and the epochs that trial trained for; evaluate once on test; save under OUT/best/ for export."""
    import numpy as np

    from nnzoo import training, tuner

    batch = int(best_hp.values["batch_size"])
    epochs = tuner.trained_epochs(best_hp.values, options)
    joined = dataclasses.replace(
        data,
        x_train=np.concatenate([data.x_train, data.x_val]),
        y_train=np.concatenate([data.y_train, data.y_val]),
        x_val=data.x_val[:0],
        y_val=data.y_val[:0],
    )
    log(
        f"[tune] retraining trial {trial_id}'s hyperparameters on train + validation: {epochs} epochs, "
        f"batch size {batch}"
    )
    trained = training.train(
        "best",
        lambda: module.tunable_model(best_hp, data),
        joined,
        epochs=epochs,
        batch_size=batch,
        seed=options.seed,
        compiled=True,
        validation=False,
        verbose=0,
        save_dir=Path(out) / "best",
        metadata={"recipe": options.recipe, "trial": trial_id, "hyperparameters": best_hp.values},
    )
    return {
        "test": trained.test,
        "path": str(trained.model_path),
        "epochs": epochs,
        "batch_size": batch,
        "trial": trial_id,
    }


def search_figures(frame, space, options):
    from nnzoo import plots

    numeric = [
        e["config"] for e in space["space"] if e["class_name"] in ("Float", "Int") and e["config"]["name"] in frame
    ]
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
    failed = int((frame["status"] == "FAILED").sum())
    lines = [
        f"# nnzoo tune {options.recipe}",
        "",
        f"{options.tuner} search, objective {options.objective} ({OBJECTIVES[options.objective]}), "
        f"{len(frame)} trials ({failed} failed, {int(frame['interrupted'].sum())} interrupted and rerun), "
        f"{options.folds} fold(s), seed {options.seed}{', quick' if options.quick else ''}; "
        "run by "
        + ", ".join(f"{tuner or 'unrecorded'} ({n})" for tuner, n in frame["tuner"].value_counts(sort=False).items())
        + ".",
        "",
        "## Best hyperparameters",
        "",
        f"Trial {best['trial']}.",
        "",
        "| name | value |",
        "| --- | --- |",
    ]
    lines += [f"| {k} | {v} |" for k, v in best_hp.values.items()]
    lines += [
        "",
        f"Search score ({options.objective}): {search_score:.4g}",
        "",
        f"Retrained on train + validation ({best['epochs']} epochs, batch size {best['batch_size']}) and "
        "evaluated once on the test split: " + ", ".join(f"{k} {v:.4g}" for k, v in best["test"].items()),
        "",
        f"Saved for `nnzoo export`: `{best['path']}`",
        "",
    ]
    if narrowed:
        lines += [
            "## Refined from",
            "",
            *[f"- {c}" for c in chain],
            "",
            "| hyperparameter | earlier range | refined range | sampling |",
            "| --- | --- | --- | --- |",
        ]
        lines += [
            f"| {k} | {v['from']} | [{v['to'][0]:.4g}, {v['to'][1]:.4g}] | {v['sampling']} |"
            for k, v in narrowed.items()
        ]
    return "\n".join(lines) + "\n"
