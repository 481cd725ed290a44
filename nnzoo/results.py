"""What a recipe returns: a table, figures and claims checked against the run's own numbers."""

import dataclasses
import math

import pandas as pd


@dataclasses.dataclass(frozen=True)
class Claim:
    """A lecture statement, whether this run's numbers bear it out, and those numbers."""

    claim: str
    passed: bool
    evidence: str
    source: str = ""  # lecture and line, e.g. "01:1000-1028"

    def to_dict(self):
        return dataclasses.asdict(self)


def check(claim, passed, evidence, source=""):
    """Build a Claim; ``passed`` is coerced to a plain bool (a NaN comparison counts as failed)."""
    return Claim(claim=claim, passed=bool(passed), evidence=evidence, source=source)


def fmt(value, digits=4):
    """Format a number for evidence strings: 4 significant digits, nan/inf spelled out."""
    if value is None:
        return "n/a"
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return str(value)
    return f"{value:.{digits}g}"


@dataclasses.dataclass
class RecipeResult:
    """The outcome of one recipe run.

    ``table`` is the recipe's results table (written as results.csv), ``figures`` maps a file
    stem to a matplotlib Figure, ``claims`` lists the checked statements, ``notes`` holds
    remarks for the report (for example a slide slip that the recipe corrects).
    """

    recipe: str
    table: pd.DataFrame
    figures: dict = dataclasses.field(default_factory=dict)
    claims: list = dataclasses.field(default_factory=list)
    notes: list = dataclasses.field(default_factory=list)
    config: dict = dataclasses.field(default_factory=dict)
    out_dir: object = None
    run_info: dict = dataclasses.field(default_factory=dict)

    @property
    def passed(self):
        return all(c.passed for c in self.claims)

    @property
    def failed_claims(self):
        return [c for c in self.claims if not c.passed]

    def summary(self):
        held = sum(c.passed for c in self.claims)
        return f"{self.recipe}: {held}/{len(self.claims)} claims hold"
