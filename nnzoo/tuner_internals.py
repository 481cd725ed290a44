"""Every use nnzoo makes of KerasTuner's internals (keras_tuner.src), in one place, each with its reason.

KerasTuner has no public API for these; pyproject.toml bounds keras-tuner to the versions tested
(1.4.x), so an upgrade that moves them shows up here and nowhere else.

- Grid search cannot resume (keras-tuner #1055, fix unmerged): ``GridSearchOracle`` keeps the order of the
  combinations tried and the queue of trials to continue from in memory only, so a reloaded grid search
  stops at once. :class:`ResumableGridOracle` saves both with the oracle's state.
- Bayesian optimization draws the starting points of its acquisition search from a NumPy generator seeded
  once per process and not saved, so a resumed search picks other trials than an uninterrupted one.
  :class:`ResumableBayesianOracle` seeds it from the seed and the number of trials before every pick.
- Hyperband's trial count comes from its private schedule (:func:`hyperband_trial_count`).
- KerasTuner prints the traceback of every failed trial (its ``config.DEBUG`` is on by default); nnzoo logs
  one line per failed trial and records the error in trials.csv instead (:func:`quiet_failed_trials`).
- The distributed search (nnzoo.tuner_cluster) serves the oracle with KerasTuner's gRPC servicer and its
  per-oracle lock, and bounds the client's request timeout (keras-tuner #990).
"""

import contextlib

import numpy as np
from keras_tuner.src import config, protos
from keras_tuner.src.distribute import oracle_client
from keras_tuner.src.distribute.oracle_chief import OracleServicer
from keras_tuner.src.engine.oracle import LOCKS
from keras_tuner.src.tuners.bayesian import BayesianOptimizationOracle
from keras_tuner.src.tuners.gridsearch import GridSearchOracle, LinkedList
from keras_tuner.src.tuners.hyperband import HyperbandOracle

__all__ = [
    "LOCKS",
    "OracleServicer",
    "ResumableBayesianOracle",
    "ResumableGridOracle",
    "client_timeout",
    "hyperband_trial_count",
    "oracle_service",
    "quiet_failed_trials",
    "set_client_timeout",
]


class ResumableGridOracle(GridSearchOracle):
    """GridSearchOracle whose walk through the grid survives a reload (keras-tuner #1055)."""

    def get_state(self):
        state = super().get_state()
        state["ordered_ids"] = linked_list_items(self._ordered_ids)
        state["populate_next"] = list(self._populate_next)
        return state

    def set_state(self, state):
        super().set_state(state)
        self._ordered_ids = LinkedList()
        for trial_id in state.get("ordered_ids", []):
            self._ordered_ids.insert(trial_id)
        self._populate_next = list(state.get("populate_next", []))


def linked_list_items(linked):
    """The items of a gridsearch LinkedList in list order (its head follows the ``None`` index)."""
    items, index = [], linked._next_index[None]
    while index is not None:
        items.append(linked._memory[index])
        index = linked._next_index[index]
    return items


class ResumableBayesianOracle(BayesianOptimizationOracle):
    """BayesianOptimizationOracle whose every pick depends on the seed and the trials so far only."""

    def populate_space(self, trial_id):
        self._random_state = np.random.RandomState(self.seed + len(self.trials))
        return super().populate_space(trial_id)


def hyperband_trial_count(oracle: HyperbandOracle):
    """How many trials one Hyperband iteration runs: the sizes of every round of every bracket."""
    return sum(
        oracle._get_size(bracket, r)
        for bracket in range(oracle._get_num_brackets())
        for r in range(oracle._get_num_rounds(bracket))
    )


def client_timeout():
    return oracle_client.TIMEOUT


def set_client_timeout(seconds):
    """A worker's gRPC request timeout (KerasTuner's client waits an hour: keras-tuner #990)."""
    oracle_client.TIMEOUT = seconds


def oracle_service():
    """KerasTuner's generated gRPC service module, to register an OracleServicer on a server."""
    return protos.get_service_grpc()


@contextlib.contextmanager
def quiet_failed_trials():
    """No traceback printed by KerasTuner for a failed trial within the block."""
    saved, config.DEBUG = config.DEBUG, False
    try:
        yield
    finally:
        config.DEBUG = saved
