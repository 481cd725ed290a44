"""Trace Keras's train and evaluation functions once per graph, and run them for every variant of that graph.

Tracing those two functions is most of what a variant costs before its first step (benchmarks/recipe_phases.py:
about nine tenths of the fixed cost). Variants that differ only in their seed, their initializers or a
constant learning rate trace the very same graph: what differs is the values of their variables, and a
traced TensorFlow function reads variables through captured resource handles. So the graph traced for the
first such model runs the next one when its captured handles are swapped for the next model's own, the
mechanism TensorFlow's SavedModel loader uses to bind a loaded graph to restored variables
(``ConcreteFunction.set_external_captures``). No trace is shared across a change that the graph bakes in:
the key holds the whole architecture and compile configuration but for layer names, seeds, initializers and
a float learning rate (a variable in Keras 3), plus the input signature and steps per execution.

Only ``keras.Sequential`` models of Keras's and nnzoo's own layers qualify (their configs are complete);
every resource the traced graph captures must be one of the traced model's variables, paired by position
with the new model's of the same shape and dtype, or the new model traces its own functions as usual.
tests/test_trace_reuse.py checks a reused run against a traced one number for number.
"""

import collections
import copy
import json

import keras
import tensorflow as tf

CACHE_SIZE = 16  # graphs kept per process (train and test count apart); the runner clears them between recipes
_UNBAKED = ("name", "seed", "kernel_initializer", "bias_initializer", "beta_initializer", "gamma_initializer")
_UNBAKED += ("moving_mean_initializer", "moving_variance_initializer", "embeddings_initializer")
_cache = collections.OrderedDict()


def clear():
    """Forget every traced graph (and the models they hold)."""
    _cache.clear()


def signature(model, train_dataset):
    """What the traced train and test functions of ``model`` depend on, as text keyed by "train" and "test"
    (evaluation needs no optimizer); None when the model may not qualify."""
    if type(model) is not keras.Sequential or not all(map(_own_layer, model.layers)):
        return None
    compile_config = model.get_compile_config()
    optimizer = compile_config.pop("optimizer")
    if isinstance(optimizer["config"].get("learning_rate"), float):
        optimizer = {**optimizer, "config": {**optimizer["config"], "learning_rate": "variable"}}
    test = [_baked(model.get_config()), _baked(compile_config), repr(train_dataset.element_spec)]
    return {
        "test": json.dumps(test, sort_keys=True, default=repr),
        "train": json.dumps([*test, _baked(optimizer)], sort_keys=True, default=repr),
    }


def _own_layer(layer):
    module = type(layer).__module__
    return (module.startswith("keras.") or module.startswith("nnzoo.")) and not isinstance(layer, keras.layers.Lambda)


def _baked(config):
    """``config`` without what only sets starting values or names (the graph does not depend on it)."""
    if isinstance(config, dict):
        return {key: _baked(value) for key, value in config.items() if key not in _UNBAKED}
    if isinstance(config, list):
        return [_baked(value) for value in config]
    return config


def reuse(model, keys):
    """Give ``model`` the train and test functions traced for ``keys`` where a model of the same key has trained
    in this process (each bound to this model's variables on its first call)."""
    for kind, key in (keys or {}).items():
        traced = _cache.get((kind, key))
        if traced is not None:
            _cache.move_to_end((kind, key))
            setattr(model, f"{kind}_function", _Rebound(model, kind, *traced))


def remember(model, keys):
    """Keep each function ``model`` traced itself (exactly one graph) for the next model of the same key."""
    for kind, key in (keys or {}).items():
        function = getattr(model, f"{kind}_function")
        traced = None if isinstance(function, _Rebound) else _traced(function)
        if traced is not None and (kind, key) not in _cache:
            _cache[(kind, key)] = (traced, _state(model, kind))
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)


def _traced(function):
    """The one concrete graph behind a Keras train/test function, or None (not traced, or traced twice)."""
    if function is None:
        return None
    cells = dict(zip(function.__code__.co_freevars, (cell.cell_contents for cell in function.__closure__ or ())))
    step = cells["multi_step_on_iterator"]  # keras/src/backend/tensorflow/trainer.py, _make_function
    concrete = step._list_all_concrete_functions()
    return concrete[0] if len(concrete) == 1 else None


def _state(model, kind):
    """Every variable a train (or test) step reads, in an order two models of one key share."""
    optimizer = model.optimizer.variables if kind == "train" else []
    return [*model.variables, *optimizer, *model.metrics_variables]


class _Rebound:
    """A traced train or test function of another model, run on this model's variables."""

    def __init__(self, model, kind, concrete, variables):
        self.model, self.kind, self.concrete, self.variables = model, kind, concrete, variables
        self.bound = None

    def __call__(self, iterator):
        if self.bound is None:  # nnzoo.training.build_state created the variables it pairs
            self.bound = _rebind(self.concrete, self.variables, _state(self.model, self.kind))
            if self.bound is None:  # the graph reads state this model does not mirror: trace its own
                make = self.model.make_train_function if self.kind == "train" else self.model.make_test_function
                make(force=True)
                function = self.model.train_function if self.kind == "train" else self.model.test_function
                return function(iterator)
        outputs = self.bound(iterator)
        if not outputs.has_value():
            raise StopIteration
        return outputs.get_value()


def _rebind(concrete, old, new):
    """A copy of ``concrete`` reading ``new`` where it read ``old`` (paired by position), or None."""
    if len(old) != len(new) or any(o.shape != n.shape or o.dtype != n.dtype for o, n in zip(old, new)):
        return None
    handles = {id(o.handle): n.handle for o, n in zip(old, new)}
    captures = []
    for capture in concrete._captured_inputs:
        if id(capture) in handles:
            captures.append(handles[id(capture)])
        elif callable(capture) or capture.dtype == tf.resource:
            return None
        else:
            captures.append(capture)
    bound = copy.copy(concrete)
    bound.set_external_captures(captures)
    return bound
