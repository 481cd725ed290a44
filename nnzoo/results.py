"""What a recipe returns, and the run record the runner keeps beside it.

A claim is an empirical statement judged on this run's numbers: measuring happens in the recipe, judging
in a small pure *verdict* function of the measured numbers, so a test can feed a verdict numbers that
contradict the lecture and watch the claim fail. Slide arithmetic on the slide's own constants is not a
claim: it is a worked example shown beside the slide's printed value.
"""

import dataclasses
import math

import numpy as np
import pandas as pd


@dataclasses.dataclass(frozen=True)
class Claim:
    """A lecture statement, whether this run's numbers bear it out, and those numbers."""

    claim: str
    passed: bool
    evidence: str
    source: str = ""  # lecture and line, e.g. "01:1000-1028"
    verdict: str = ""  # the name of the function that judged the measured numbers
    measured: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)  # what it was given

    def to_dict(self):
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "measured"}


@dataclasses.dataclass(frozen=True)
class WorkedExample:
    """A formula from the slides evaluated here on the slide's constants, beside the value the slide prints."""

    example: str
    computed: object  # a number, or a short text such as a truth table
    slide: str
    source: str = ""

    def to_dict(self):
        return dataclasses.asdict(self)


def judge(claim, verdict, measured, evidence, source="", *, variants=(), chance=None):
    """A Claim that holds when ``verdict(**measured)`` is true and the variants it was measured on are sound.

    ``variants`` are the trained variants (nnzoo.training.TrainedVariant) the numbers came from; with
    ``chance`` (the accuracy of guessing) the claim also needs each of them to have learned. An unsound
    variant fails the claim whatever the verdict, and the evidence says why.
    """
    faults = unsound(variants, chance)
    passed = bool(verdict(**measured)) and not faults
    if faults:
        evidence = f"{evidence}; FAILS because it was measured on an unsound variant: {'; '.join(faults)}"
    return Claim(
        claim=claim, passed=passed, evidence=evidence, source=source, verdict=verdict.__name__, measured=dict(measured)
    )


def validation_accuracy(variant):
    """The variant's final validation accuracy, whichever accuracy metric it was compiled with."""
    accuracies = [value for name, value in variant.val.items() if name.endswith("accuracy")]
    if not accuracies:
        raise ValueError(
            f"A claim judged against chance needs an accuracy metric. Received: {variant.name} reports {sorted(variant.val)}"
        )
    return accuracies[0]


def unsound(variants, chance=None):
    """Why numbers from these trained variants cannot carry a claim: a non-finite loss, or (given ``chance``)
    a final validation accuracy within a tenth of the way from chance to perfect."""
    faults = []
    for variant in variants:
        losses = variant.history[[c for c in ("loss", "val_loss") if c in variant.history]].to_numpy(float)
        bad_epochs = np.flatnonzero(~np.isfinite(losses).all(axis=1))
        if bad_epochs.size:
            faults.append(f"{variant.name}'s loss is not finite from epoch {bad_epochs[0] + 1}")
        elif chance is not None and (accuracy := validation_accuracy(variant)) < chance + (1 - chance) / 10:
            faults.append(f"{variant.name} sits at chance (val accuracy {fmt(accuracy)}, chance {fmt(chance)})")
    return faults


def fmt(value, digits=4):
    """Format a number for evidence strings: 4 significant digits, nan/inf spelled out."""
    if value is None:
        return "n/a"
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.{digits}g}"


@dataclasses.dataclass(frozen=True)
class RecipeResult:
    """What ``run(ctx)`` returns.

    ``table`` is the results table (written as results.csv), ``figures`` maps a file stem to a matplotlib
    Figure, ``claims`` lists the judged statements, ``notes`` holds remarks for the report (for example a
    slide slip that the recipe corrects), ``worked`` the slides' arithmetic redone (WorkedExample).
    """

    table: pd.DataFrame
    figures: dict = dataclasses.field(default_factory=dict)
    claims: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)
    worked: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Run:
    """One recipe run: the recipe's result, where it was written, and the record written as run.json.

    ``training_notes`` come from the training path (a variant that diverged), ``monitor_notes`` and
    ``monitor_figures`` from ``--monitor`` (nnzoo.monitor), not from the recipe.
    """

    recipe: str
    result: RecipeResult
    out_dir: object
    info: dict
    training_notes: list = dataclasses.field(default_factory=list)
    monitor_notes: list = dataclasses.field(default_factory=list)
    monitor_figures: dict = dataclasses.field(default_factory=dict)

    @property
    def table(self):
        return self.result.table

    @property
    def claims(self):
        return self.result.claims

    @property
    def worked(self):
        return self.result.worked

    @property
    def notes(self):
        return [*self.result.notes, *self.training_notes, *self.monitor_notes]

    @property
    def figures(self):
        return {**self.result.figures, **self.monitor_figures}

    @property
    def passed(self):
        return all(c.passed for c in self.claims)

    @property
    def failed_claims(self):
        return [c for c in self.claims if not c.passed]

    def summary(self):
        held = sum(c.passed for c in self.claims)
        return f"{self.recipe}: {held}/{len(self.claims)} claims hold"
