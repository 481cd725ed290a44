"""RunContext: what a recipe's ``run(ctx)`` receives, and its door to data and training."""

import dataclasses
from pathlib import Path

from nnzoo import training


@dataclasses.dataclass
class RunContext:
    """Seed, size, output folder and training options for one recipe run.

    Recipes never write their own training loop: ``ctx.train`` (nnzoo.training.train) seeds,
    builds inside the distribution strategy, fits on tf.data, evaluates and saves the model.
    """

    recipe: str
    seed: int = 0
    quick: bool = False
    out_dir: Path | None = None
    strategy: object = None
    monitor: bool = False
    verbose: int = 1
    hyperparameters: object = None  # the recipe's Config to use instead of FULL/QUICK (a notebook's edited cell)
    config: dict = dataclasses.field(default_factory=dict)
    training_notes: list = dataclasses.field(default_factory=list)  # what training found, e.g. a diverged variant
    monitor_notes: list = dataclasses.field(default_factory=list)
    monitor_figures: dict = dataclasses.field(default_factory=dict)
    checkpoints: object = None  # nnzoo.checkpoints.RunCheckpoints: progress saved for `nnzoo run --resume`

    def pick(self, full, quick):
        """Choose the full or the quick hyperparameters and record them for run.json."""
        chosen = self.hyperparameters if self.hyperparameters is not None else (quick if self.quick else full)
        self.config = dataclasses.asdict(chosen) if dataclasses.is_dataclass(chosen) else dict(chosen)
        return chosen

    def load(self, name="digits", **options):
        """``nnzoo.datasets.load`` with this run's seed unless the options name another."""
        from nnzoo import datasets

        loader = datasets.LOADERS.get(name)
        if loader is not None and "seed" not in options and _accepts_seed(loader):
            options["seed"] = self.seed
        return datasets.load(name, **options)

    @property
    def models_dir(self):
        return None if self.out_dir is None else Path(self.out_dir) / "models"

    def train(
        self, name, build, data, *, save=True, seed=None, callbacks=(), metadata=None, validation=True, **fit_options
    ):
        """Train one variant with the shared helper; saves it under ``models/`` when ``save``.

        ``seed`` defaults to the run's seed, so all variants start from the same random stream;
        pass ``seed=ctx.seed + k`` to repeat a variant over several seeds.
        ``validation=False`` skips the validation pass after every epoch, for a variant whose per-epoch
        validation curves the recipe never reads: its final validation metrics (``trained.val``) are measured
        either way, and validating changes no weight. The monitor reads those curves, so under ``--monitor``
        every variant validates each epoch.
        """
        seed = self.seed if seed is None else seed
        callbacks = list(callbacks)
        monitor = self._monitor_for(name, data) if self.monitor else None
        if monitor is not None:
            callbacks.append(monitor)
        checkpoint = None if self.checkpoints is None else self.checkpoints.next_call(name, resumable=not callbacks)
        trained = training.train(
            name,
            build,
            data,
            seed=seed,
            strategy=self.strategy,
            callbacks=callbacks,
            save_dir=self.models_dir if save else None,
            verbose=self.verbose,
            label=f"{self.recipe}/{name}",
            checkpoint=checkpoint,
            metadata={"recipe": self.recipe, **(metadata or {})},
            keep_kernels=self.strategy is None,  # recipes draw statelessly; graphs are reused without a strategy
            validation=validation or monitor is not None,
            **fit_options,
        )
        if monitor is not None:
            self._collect_monitor(name, monitor)
        if trained.diverged_at is not None:
            loss = trained.history["loss"].iloc[trained.diverged_at - 1]
            self.training_notes.append(f"[{name}] diverged: the loss is {loss} in epoch {trained.diverged_at}")
        return trained

    def _monitor_for(self, name, data):
        from nnzoo.monitor import TrainingMonitor

        log_dir = None if self.out_dir is None else Path(self.out_dir) / "tensorboard" / name
        return TrainingMonitor.for_data(data, name=name, log_dir=log_dir, verbose=self.verbose)

    def _collect_monitor(self, name, monitor):
        """Keep the monitor's findings and figures for the report; its table goes to monitor/NAME/."""
        self.monitor_notes += [f"monitor [{name}] {finding}" for finding in monitor.findings()]
        for stem, fig in monitor.figures().items():
            self.monitor_figures[f"monitor_{name}_{stem}"] = fig
        if self.out_dir is not None:
            monitor.save(Path(self.out_dir) / "monitor" / name, figures=False)


def _accepts_seed(loader):
    import inspect

    return "seed" in inspect.signature(loader).parameters
